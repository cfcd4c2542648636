//! Keeps this process's revocation set and session cache current with changes made by
//! other processes on the same PostgreSQL database.
//!
//! Two carriers, so that neither has to be perfect:
//! - the change feed (PostgreSQL `LISTEN`): each change arrives within milliseconds of its
//!   commit;
//! - a catch-up poll every second, reading sessions revoked and users changed since a
//!   little before the previous poll. It covers notifications lost while the listener's
//!   connection was down, and bounds the delay at about a second if `LISTEN` fails in a
//!   way nobody notices.
//!
//! On SQLite there is one process per database, whose own changes are applied directly,
//! so the task only sweeps expired entries.

use std::{sync::Arc, time::Duration};

use authdb_persistence::{
    DatabaseConnection,
    change_feed::{ChangeListener, Received},
    now, sessions, users,
};
use time::OffsetDateTime;
use tokio::task::JoinHandle;

use crate::{
    Result,
    changes::Change,
    membership_cache::{Invalidation, MembershipCache},
    revocations::RevocationSet,
    session_cache::SessionCache,
};

/// How often the catch-up poll runs (and expired entries are swept).
const POLL_EVERY: Duration = Duration::from_secs(1);
/// How far before the previous poll the next one reads, for transactions that committed
/// a while after they stamped their change.
const POLL_OVERLAP: time::Duration = time::Duration::seconds(5);
/// Wait between reconnection attempts of the listener.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

/// What the task updates; shared with the service.
#[derive(Debug, Clone)]
pub(crate) struct Replica {
    pub(crate) revoked: Arc<RevocationSet>,
    pub(crate) sessions: Arc<SessionCache>,
    pub(crate) memberships: Arc<MembershipCache>,
}

impl Replica {
    /// Applies a change, whichever process made it. Idempotent.
    pub(crate) fn apply(&self, change: &Change, now: OffsetDateTime) {
        match change {
            Change::SessionRevoked(session) => {
                self.revoked.insert_all([session], now);
                self.sessions.forget_session(session.id);
            }
            Change::UserChanged(user) => {
                self.sessions.forget_user(*user);
                // A superuser flag may have changed, and with it every resolution.
                self.memberships.invalidate(Invalidation::User(*user));
            }
            Change::MembershipChanged(what) => self.memberships.invalidate(*what),
        }
    }

    /// Reads what changed since `since` from the tables.
    async fn catch_up(&self, db: &DatabaseConnection, since: OffsetDateTime) -> Result<()> {
        let now = now();
        let revoked = sessions::revoked_since(db, since, now).await?;
        let changed = users::changed_since(db, since).await?;
        for session in &revoked {
            self.apply(&Change::SessionRevoked(*session), now);
        }
        for user in changed {
            self.apply(&Change::UserChanged(user), now);
        }
        Ok(())
    }
}

/// Aborts the task when the service is dropped.
#[derive(Debug)]
pub(crate) struct SyncTask(JoinHandle<()>);

impl Drop for SyncTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts keeping `replica` current. Subscribes before returning, so no change committed
/// after this call is missed.
pub(crate) async fn start(db: DatabaseConnection, replica: Replica, loaded_at: OffsetDateTime) -> Result<SyncTask> {
    let listener = ChangeListener::connect(&db).await?;
    Ok(SyncTask(tokio::spawn(run(db, replica, listener, loaded_at))))
}

async fn run(
    db: DatabaseConnection,
    replica: Replica,
    mut listener: Option<ChangeListener>,
    loaded_at: OffsetDateTime,
) {
    let mut poll = tokio::time::interval(POLL_EVERY);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut caught_up_to = loaded_at;
    loop {
        let received = async {
            match listener.as_mut() {
                Some(listener) => listener.recv(RECONNECT_EVERY).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            received = received => match received {
                Received::Change(payload) => match Change::decode(&payload) {
                    Some(change) => replica.apply(&change, now()),
                    None => tracing::debug!(payload, "ignoring an unknown change"),
                },
                Received::Reconnected => {
                    metrics::counter!("authdb_change_feed_reconnects_total").increment(1);
                    tracing::info!("change listener reconnected; catching up");
                    // Membership changes leave no trace to catch up from: start afresh.
                    replica.memberships.invalidate(Invalidation::All);
                    caught_up_to = catch_up(&db, &replica, caught_up_to).await;
                }
                Received::Closed => return,
            },
            _ = poll.tick() => {
                replica.revoked.sweep(now());
                if listener.is_some() {
                    caught_up_to = catch_up(&db, &replica, caught_up_to).await;
                }
            }
        }
    }
}

/// Catches up from `since` and returns where the next catch-up starts. A failed poll (the
/// database is away) is retried from the same point.
async fn catch_up(db: &DatabaseConnection, replica: &Replica, since: OffsetDateTime) -> OffsetDateTime {
    let started = now();
    match replica.catch_up(db, since - POLL_OVERLAP).await {
        Ok(()) => started,
        Err(error) => {
            tracing::debug!(error = %crate::error_chain(&error), "revocation catch-up failed; retrying");
            since
        }
    }
}
