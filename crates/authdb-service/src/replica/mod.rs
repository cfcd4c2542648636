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
//! Both caches are one [`TtlCache`] (`crate::cache`): entries live for `auth.session_cache_ttl_ms`
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

mod change;
mod feed;
mod revocations;
mod state;

use std::sync::Arc;

use authdb_persistence::{DatabaseConnection, now, sessions};

pub(crate) use self::{
    change::{Change, Invalidation},
    feed::FeedTask,
    state::{RealtimeTap, Replica, ReplicaPolicy},
};
use crate::Result;
pub(crate) use crate::cache::TtlCache;

/// Loads the sessions revoked recently enough to matter and starts following changes made
/// by other processes. Subscribes first, then loads: a revocation committed in between is
/// seen twice rather than not at all. Must run inside a Tokio runtime, which the feed task
/// runs on.
pub(crate) async fn start(
    db: &DatabaseConnection,
    policy: ReplicaPolicy,
    realtime: RealtimeTap,
) -> Result<(Arc<Replica>, FeedTask)> {
    let replica = Arc::new(Replica::new(policy, realtime));
    let loaded_at = now();
    let feed = feed::start(db.clone(), Arc::clone(&replica), loaded_at).await?;
    let recent = sessions::revoked_since(db, replica.revocation_horizon(loaded_at), loaded_at).await?;
    replica.load_revocations(&recent, loaded_at);
    tracing::info!(revoked_sessions = replica.revoked_len(), "revocation set loaded");
    Ok((replica, feed))
}

#[cfg(test)]
mod tests;
