//! The feed task: keeps this process's replica current with changes made by other
//! processes on the same PostgreSQL database.
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
//!
//! On both, the task also keeps `revocation_events` short: once a minute (and when it
//! starts) it deletes the events of revocations older than the access-token lifetime
//! plus leeway, which no reader needs (their tokens have expired). Every instance does;
//! the deletes are idempotent. A reader resuming after a deleted event gets the full
//! recent set again (`AuthService::resume_point`).

use std::{sync::Arc, time::Duration};

use authdb_persistence::{
    DatabaseConnection,
    change_feed::{ChangeListener, Received},
    now, revocation_events,
};
use time::OffsetDateTime;
use tokio::task::JoinHandle;

use super::{
    change::{Change, Invalidation},
    state::Replica,
};
use crate::Result;

/// How often the catch-up poll runs (and expired entries are swept).
const POLL_EVERY: Duration = Duration::from_secs(1);
/// How far before the previous poll the next one reads, for transactions that committed
/// a while after they stamped their change.
const POLL_OVERLAP: time::Duration = time::Duration::seconds(5);
/// How often old revocation events are deleted.
const RETENTION_EVERY: Duration = Duration::from_secs(60);
/// Wait between reconnection attempts of the listener.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

/// Aborts the task when the core that owns it is dropped.
#[derive(Debug)]
pub(crate) struct FeedTask(JoinHandle<()>);

impl Drop for FeedTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts keeping `replica` current. Subscribes before returning, so no change committed
/// after this call is missed.
pub(super) async fn start(
    db: DatabaseConnection,
    replica: Arc<Replica>,
    loaded_at: OffsetDateTime,
) -> Result<FeedTask> {
    let listener = ChangeListener::connect(&db).await?;
    Ok(FeedTask(tokio::spawn(run(db, replica, listener, loaded_at))))
}

async fn run(
    db: DatabaseConnection,
    replica: Arc<Replica>,
    mut listener: Option<ChangeListener>,
    loaded_at: OffsetDateTime,
) {
    let mut poll = tokio::time::interval(POLL_EVERY);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut caught_up_to = loaded_at;
    let mut retention = tokio::time::interval(RETENTION_EVERY);
    retention.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
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
                    Some(change) => replica.apply_heard(&change, now()),
                    None => tracing::debug!(payload, "ignoring an unknown change"),
                },
                Received::Reconnected => {
                    metrics::counter!("authdb_change_feed_reconnects_total").increment(1);
                    tracing::info!("change listener reconnected; catching up");
                    // Membership changes leave no trace to catch up from: start afresh.
                    replica.apply(&Change::MembershipChanged(Invalidation::All), now());
                    caught_up_to = catch_up(&db, &replica, caught_up_to).await;
                }
                Received::Closed => return,
            },
            _ = retention.tick() => delete_old_revocation_events(&db, &replica).await,
            _ = poll.tick() => {
                replica.sweep(now());
                if listener.is_some() {
                    caught_up_to = catch_up(&db, &replica, caught_up_to).await;
                }
            }
        }
    }
}

/// Deletes the events of revocations older than the revocation horizon.
async fn delete_old_revocation_events(db: &DatabaseConnection, replica: &Replica) {
    match revocation_events::delete_before(db, replica.revocation_horizon(now())).await {
        Ok(0) => {}
        Ok(deleted) => tracing::debug!(deleted, "old revocation events deleted"),
        Err(error) => tracing::warn!(error = %crate::error_chain(&error), "deleting old revocation events failed"),
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
