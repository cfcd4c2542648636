//! Replica state: what each process keeps in memory about rows that live in the
//! database, and how every process is kept current.
//!
//! # What is held
//!
//! - The **revocation set** ([`revocations`]): the sessions revoked within the last
//!   access-token lifetime plus leeway, the only ones whose tokens can still pass signature
//!   and expiry checks. `authenticate` asks it instead of the database.
//! - The **session cache**: session -> (its user's profile and status, the session's
//!   expiry), so that an authenticated request normally costs no database round trip.
//! - The **membership cache**: (user, organization) -> the caller's [`Membership`] or "not
//!   a member", so that authorizing `/organizations/{id}/...` costs none either.
//!
//! Both caches are one [`cache::TtlCache`]: entries live for `auth.session_cache_ttl_ms`
//! (1 s by default; 0 turns them off), and a generation guard keeps a reader that queried
//! the database just before a change from putting the stale answer back. Nothing else
//! may be cached: whatever is, must have a [`Change`] that evicts it.
//!
//! # How a change reaches every process
//!
//! A write that changes cached state publishes a [`Change`] inside its transaction
//! (`crate::write::Write::publish`). On PostgreSQL that is a `NOTIFY`, delivered exactly
//! when, and only if, the transaction commits; every process `LISTEN`s ([`feed`]) and
//! applies what it hears with [`Replica::apply`]. The writing process applies its own
//! changes directly after the commit, without waiting for the echo. Applying is
//! idempotent, so hearing a change twice is harmless.
//!
//! Notifications are lost while a listener reconnects, so the feed also polls once a
//! second for sessions revoked and users changed since shortly before its previous poll,
//! and after a reconnect drops every cached membership (membership changes leave no
//! trail to catch up from). On SQLite one process owns the database and applies its own
//! changes; the feed only sweeps expired revocations.
//!
//! # Worst-case staleness
//!
//! On one process: none; a change applies before the call that made it returns. Across
//! processes: milliseconds through the feed; should it fail silently, a revocation or
//! account change arrives within the poll interval (about a second) and a membership
//! change within the cache's time to live.

mod cache;
mod change;
mod feed;
mod revocations;

use std::{sync::Arc, time::Duration};

use authdb_domain::{OrganizationId, RevokedSession, SessionId, User, UserId};
use authdb_persistence::{DatabaseConnection, now, sessions, users};
use time::OffsetDateTime;

use self::{cache::TtlCache, revocations::RevocationSet};
pub(crate) use self::{
    change::{Change, Invalidation},
    feed::FeedTask,
};
use crate::{Result, membership::Membership};

/// How long replica state is trusted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReplicaPolicy {
    /// How long a cached session or membership is trusted; zero turns the caches off.
    pub(crate) cache_ttl: Duration,
    /// How long after its revocation a session's access tokens may still verify: the
    /// access-token lifetime plus the clock leeway.
    pub(crate) tokens_verifiable_for: time::Duration,
}

/// This process's replica state; see the module documentation.
#[derive(Debug)]
pub(crate) struct Replica {
    revoked: RevocationSet,
    sessions: TtlCache<SessionId, CachedSession>,
    memberships: TtlCache<(UserId, OrganizationId), Option<Membership>>,
}

#[derive(Debug, Clone)]
struct CachedSession {
    user: User,
    expires_at: OffsetDateTime,
}

/// The session cache's generation when a database read began.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionRead(cache::Generation);

/// The membership cache's generation when a database read began.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MembershipRead(cache::Generation);

impl Replica {
    /// Loads the sessions revoked recently enough to matter and starts following changes
    /// made by other processes. Subscribes first, then loads: a revocation committed in
    /// between is seen twice rather than not at all. Must run inside a Tokio runtime,
    /// which the feed task runs on.
    pub(crate) async fn start(db: &DatabaseConnection, policy: ReplicaPolicy) -> Result<(Arc<Self>, FeedTask)> {
        let replica = Arc::new(Self {
            revoked: RevocationSet::new(policy.tokens_verifiable_for),
            sessions: TtlCache::new(policy.cache_ttl),
            // Memberships are trusted as long as sessions: the same bound on staleness
            // should the change feed fail.
            memberships: TtlCache::new(policy.cache_ttl),
        });
        let loaded_at = now();
        let feed = feed::start(db.clone(), Arc::clone(&replica), loaded_at).await?;
        let recent = sessions::revoked_since(db, replica.revoked.horizon(loaded_at), loaded_at).await?;
        replica.revoked.insert_all(&recent, loaded_at);
        tracing::info!(revoked_sessions = replica.revoked.len(), "revocation set loaded");
        Ok((replica, feed))
    }

    /// Whether `session` was revoked recently enough for its tokens to still verify.
    pub(crate) fn is_revoked(&self, session: SessionId) -> bool {
        self.revoked.contains(session)
    }

    /// How many revoked sessions are held.
    pub(crate) fn revoked_len(&self) -> usize {
        self.revoked.len()
    }

    pub(crate) fn session_read(&self) -> SessionRead {
        SessionRead(self.sessions.generation())
    }

    /// The cached user of a live `session`, if it belongs to `user` and is fresh.
    pub(crate) fn cached_session(&self, session: SessionId, user: UserId, now: OffsetDateTime) -> Option<User> {
        self.sessions
            .get(&session)
            .filter(|cached| cached.user.id == user && cached.expires_at > now)
            .map(|cached| cached.user)
    }

    /// Remembers what the database said about a live session, unless a change evicted
    /// anything since `read`.
    pub(crate) fn cache_session(&self, read: SessionRead, session: SessionId, user: User, expires_at: OffsetDateTime) {
        self.sessions.insert(read.0, session, CachedSession { user, expires_at });
    }

    pub(crate) fn membership_read(&self) -> MembershipRead {
        MembershipRead(self.memberships.generation())
    }

    /// The cached answer for `(user, organization)`: `Some(None)` is a cached "not a
    /// member", `None` a miss.
    pub(crate) fn cached_membership(&self, user: UserId, organization: OrganizationId) -> Option<Option<Membership>> {
        self.memberships.get(&(user, organization))
    }

    /// Remembers a resolution, unless a change evicted anything since `read`.
    pub(crate) fn cache_membership(
        &self,
        read: MembershipRead,
        user: UserId,
        organization: OrganizationId,
        found: Option<Membership>,
    ) {
        self.memberships.insert(read.0, (user, organization), found);
    }

    /// Applies a committed change, whichever process made it. Idempotent. This is the
    /// one way replica state changes before its time is up.
    pub(crate) fn apply(&self, change: &Change, now: OffsetDateTime) {
        match change {
            Change::SessionRevoked(session) => {
                self.revoked.insert_all([session], now);
                self.sessions.remove(&session.id);
            }
            Change::UserChanged(user) => {
                self.sessions.evict(|_, cached| cached.user.id == *user);
                // A superuser flag may have changed, and with it every resolution.
                self.invalidate(Invalidation::User(*user));
            }
            Change::MembershipChanged(what) => self.invalidate(*what),
        }
    }

    fn invalidate(&self, what: Invalidation) {
        match what {
            Invalidation::Member(user, organization) => self.memberships.remove(&(user, organization)),
            Invalidation::User(user) => self.memberships.evict(|(cached, _), _| *cached == user),
            Invalidation::Organization(organization) => {
                self.memberships.evict(|(_, cached), _| *cached == organization);
            }
            Invalidation::All => self.memberships.evict(|_, _| true),
        }
        tracing::debug!(?what, "membership cache invalidated");
    }

    /// Drops the revocations whose tokens have all expired.
    fn sweep(&self, now: OffsetDateTime) {
        self.revoked.sweep(now);
    }

    /// Reads what changed since `since` from the tables.
    async fn catch_up(&self, db: &DatabaseConnection, since: OffsetDateTime) -> Result<()> {
        let now = now();
        let revoked: Vec<RevokedSession> = sessions::revoked_since(db, since, now).await?;
        let changed = users::changed_since(db, since).await?;
        for session in revoked {
            self.apply(&Change::SessionRevoked(session), now);
        }
        for user in changed {
            self.apply(&Change::UserChanged(user), now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
