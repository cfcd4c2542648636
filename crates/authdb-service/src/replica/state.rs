//! The replica state itself; see the module documentation of `replica`.

use std::time::Duration;

use std::sync::Arc;

use authdb_domain::{Message, OrganizationId, RevokedSession, SessionId, User, UserId};
use authdb_persistence::{DatabaseConnection, now, sessions, users};
use time::OffsetDateTime;

use super::{
    change::{Change, Invalidation},
    revocations::RevocationSet,
};
use crate::{
    Result,
    cache::{Generation, TtlCache},
    membership::Membership,
    realtime::{Instance, Notice, Signal, hub::Hub},
};

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
    /// Counts the revocations applied here (from this process or the feed): what
    /// revocation streams wait on.
    revocations_applied: tokio::sync::watch::Sender<u64>,
    sessions: TtlCache<SessionId, CachedSession>,
    memberships: TtlCache<(UserId, OrganizationId), Option<Membership>>,
    /// Where realtime signals and ended sessions go: this process's dispatcher.
    realtime: RealtimeTap,
}

/// The replica's line to the realtime dispatcher (`crate::realtime`), this process's
/// identity on the change feed, and its hub (sockets of ended sessions are closed, and
/// chat audiences evicted, directly).
#[derive(Debug)]
pub(crate) struct RealtimeTap {
    pub(crate) instance: Instance,
    pub(crate) notices: tokio::sync::mpsc::Sender<Notice>,
    pub(crate) hub: Arc<Hub>,
    /// Set while notices are being dropped, so that an overflow is logged once.
    pub(crate) overflowing: std::sync::atomic::AtomicBool,
}

impl RealtimeTap {
    fn notify(&self, signal: Signal, message: Option<Message>) {
        use tokio::sync::mpsc::error::TrySendError;
        // Instances and presence are taken in at once; only chat events queue.
        if !self.hub.take_in(&signal) {
            return;
        }
        // The audience is evicted before any later signal can reach the dispatcher.
        if let Some(chat) = signal.kind.changed_audience() {
            self.hub.audiences.evict(crate::realtime::audience::Scope::Chat(chat));
        }
        match self.notices.try_send(Notice { signal, message }) {
            Ok(()) => self.overflowing.store(false, std::sync::atomic::Ordering::Relaxed),
            Err(TrySendError::Full(_)) => {
                // Never a silent loss: counted, logged, and every socket here told to
                // catch up (closed with 1013), since which of them the signal concerned
                // is unknown without reading.
                metrics::counter!("authdb_realtime_notices_dropped_total").increment(1);
                if self.overflowing.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    self.hub.overflowed();
                    return;
                }
                tracing::warn!(
                    queue = crate::realtime::NOTICE_QUEUE,
                    "the realtime dispatcher is behind and its queue is full: a signal was dropped and this \
                     instance's sockets are closed with 1013 to catch up"
                );
                self.hub.overflowed();
            }
            // The dispatcher is gone: the process is stopping.
            Err(TrySendError::Closed(_)) => {}
        }
    }
}

#[derive(Debug, Clone)]
struct CachedSession {
    user: User,
    expires_at: OffsetDateTime,
}

/// The session cache's generation when a database read began.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionRead(Generation);

/// The membership cache's generation when a database read began.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MembershipRead(Generation);

impl Replica {
    pub(super) fn new(policy: ReplicaPolicy, realtime: RealtimeTap) -> Self {
        Self {
            realtime,
            revoked: RevocationSet::new(policy.tokens_verifiable_for),
            revocations_applied: tokio::sync::watch::Sender::new(0),
            sessions: TtlCache::new(policy.cache_ttl),
            // Memberships are trusted as long as sessions: the same bound on staleness
            // should the change feed fail.
            memberships: TtlCache::new(policy.cache_ttl),
        }
    }

    /// Loads the sessions revoked since `since` that still matter at `now`.
    pub(super) fn load_revocations(&self, revoked: &[RevokedSession], now: OffsetDateTime) {
        self.revoked.insert_all(revoked, now);
    }

    /// How far back revocations matter at `now`: what to load at start.
    pub(super) fn revocation_horizon(&self, now: OffsetDateTime) -> OffsetDateTime {
        self.revoked.horizon(now)
    }

    /// Whether `session` was revoked recently enough for its tokens to still verify.
    /// Changes whenever a revocation is applied here, whichever instance committed it.
    pub(crate) fn watch_revocations(&self) -> tokio::sync::watch::Receiver<u64> {
        self.revocations_applied.subscribe()
    }

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
                self.revocations_applied.send_modify(|count| *count = count.wrapping_add(1));
                self.realtime.hub.end_session(session.id);
            }
            Change::UserChanged(user) => {
                self.sessions.evict(|_, cached| cached.user.id == *user);
                // A superuser flag may have changed, and with it every resolution.
                self.invalidate(Invalidation::User(*user));
            }
            Change::MembershipChanged(what) => {
                self.invalidate(*what);
                self.realtime.hub.audiences.evict(what.audience_scope());
            }
            Change::Realtime(signal) => self.realtime.notify(*signal, None),
        }
    }

    /// Applies this process's own new-message signal with the message it inserted, so
    /// that the dispatcher does not read it back.
    pub(crate) fn apply_posted(&self, signal: Signal, message: Message) {
        self.realtime.notify(signal, Some(message));
    }

    /// Applies a change heard on the feed. This process's own realtime signals come back
    /// too; they were delivered here at commit, so they are skipped.
    pub(crate) fn apply_heard(&self, change: &Change, now: OffsetDateTime) {
        if let Change::Realtime(signal) = change
            && signal.origin == self.realtime.instance
        {
            return;
        }
        self.apply(change, now);
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
    pub(super) fn sweep(&self, now: OffsetDateTime) {
        self.revoked.sweep(now);
    }

    /// Reads what changed since `since` from the tables.
    pub(super) async fn catch_up(&self, db: &DatabaseConnection, since: OffsetDateTime) -> Result<()> {
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
