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

impl AuthService {
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
