//! Revoked sessions for downstream services (clients with `revocations:read`), in the
//! order they were committed, from `revocation_events`.

pub use authdb_persistence::revocation_events::RevocationEvent;
use authdb_persistence::{now, revocation_events};
use time::OffsetDateTime;

use super::{AuthService, clients::ClientPrincipal};
use crate::Result;

/// Where a page of revocations starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationCursor {
    /// After this event id (exclusive): gap-free, what a poller resumes from.
    AfterEvent(i64),
    /// Revocations at or after this time.
    Since(OffsetDateTime),
    /// Every revocation whose tokens could still verify: within the access-token
    /// lifetime plus the clock leeway.
    Recent,
}

/// One page of revocations and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationPage {
    pub events: Vec<RevocationEvent>,
    /// The event id to resume after: the last one here, or when the page is empty the
    /// newest event that existed (or the id asked for), so nothing is missed or repeated.
    pub next: i64,
}

/// Wakes a revocation stream when a revocation is applied in this process, committed here
/// or heard from another instance through the change feed.
#[derive(Debug)]
pub struct RevocationWatch(tokio::sync::watch::Receiver<u64>);

impl RevocationWatch {
    /// Waits for the next revocation applied after the last wait (or the subscription).
    /// Never returns while the process runs; the caller bounds it with its own timers.
    pub async fn changed(&mut self) {
        if self.0.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl AuthService {
    /// Subscribes to revocations applied in this process. Subscribe before reading a page,
    /// so that a revocation committed in between wakes the next wait.
    pub fn watch_revocations(&self) -> RevocationWatch {
        RevocationWatch(self.inner.core.replica().watch_revocations())
    }

    /// Where a reader resuming from `cursor` really starts. After an event that the
    /// retention sweep deleted (older than the access-token lifetime plus leeway, so that
    /// events after it may be gone too), or after an id this database never issued (a
    /// restored or another database), it is [`RevocationCursor::Recent`]: the reader gets
    /// the full recent set again rather than a gap it cannot see. Otherwise `cursor`.
    pub async fn resume_point(&self, cursor: RevocationCursor) -> Result<RevocationCursor> {
        let RevocationCursor::AfterEvent(after) = cursor else { return Ok(cursor) };
        match revocation_events::id_range(self.inner.core.db()).await? {
            Some((oldest, newest)) if after < oldest.saturating_sub(1) || after > newest => {
                Ok(RevocationCursor::Recent)
            }
            _ => Ok(cursor),
        }
    }

    /// At most `limit` revoked sessions from `cursor`, oldest first. `client` proves the
    /// caller is a client holding `revocations:read` ([`AuthService::authenticate_client`]).
    pub async fn revocations(
        &self,
        _client: &ClientPrincipal,
        cursor: RevocationCursor,
        limit: u64,
    ) -> Result<RevocationPage> {
        let db = self.inner.core.db();
        let since = |at: OffsetDateTime| revocation_events::since_time(db, at, limit);
        let (events, resume) = match cursor {
            RevocationCursor::AfterEvent(after) => (revocation_events::after_id(db, after, limit).await?, Some(after)),
            RevocationCursor::Since(at) => (since(at).await?, None),
            RevocationCursor::Recent => (since(now() - self.inner.keys.verifiable_for()).await?, None),
        };
        let next = match (events.last(), resume) {
            (Some(last), _) => last.id,
            (None, Some(after)) => after,
            (None, None) => revocation_events::last_id(db).await?,
        };
        Ok(RevocationPage { events, next })
    }
}
