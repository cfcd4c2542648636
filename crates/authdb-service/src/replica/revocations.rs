//! The revocation set: the sessions revoked recently enough that one of their access
//! tokens could still pass signature and expiry checks.
//!
//! Access tokens are self-contained, so a revoked session's tokens stay cryptographically
//! valid until they expire. Every authenticated request therefore asks this set, in
//! memory, whether the token's session was revoked. A session only needs to stay in the
//! set for as long as a token of it can verify: the access-token lifetime plus the clock
//! leeway after its revocation (or until the session itself ends, if sooner). No new
//! access token is issued for a revoked session, so after that the entry is dead weight
//! and is swept.
//!
//! The set is loaded from the database at start, updated at once by revocations made in
//! this process, and kept current with other processes by the feed ([`super::feed`]).

use std::{
    collections::HashMap,
    sync::{PoisonError, RwLock},
};

use authdb_domain::{RevokedSession, SessionId};
use time::{Duration, OffsetDateTime};

#[derive(Debug)]
pub(crate) struct RevocationSet {
    /// How long after its revocation a session's tokens may still verify.
    verifiable_for: Duration,
    /// Revoked session -> when its entry may be dropped.
    entries: RwLock<HashMap<SessionId, OffsetDateTime>>,
}

impl RevocationSet {
    pub(crate) fn new(verifiable_for: Duration) -> Self {
        Self { verifiable_for, entries: RwLock::new(HashMap::new()) }
    }

    /// How far back revocations matter; what to load at start.
    pub(crate) fn horizon(&self, now: OffsetDateTime) -> OffsetDateTime {
        now - self.verifiable_for
    }

    pub(crate) fn contains(&self, session: SessionId) -> bool {
        self.entries.read().unwrap_or_else(PoisonError::into_inner).contains_key(&session)
    }

    /// Adds revoked sessions; entries that can no longer matter at `now` are skipped.
    pub(crate) fn insert_all<'a>(&self, revoked: impl IntoIterator<Item = &'a RevokedSession>, now: OffsetDateTime) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        for session in revoked {
            let keep_until = session.expires_at.min(session.revoked_at + self.verifiable_for);
            if keep_until > now {
                entries.insert(session.id, keep_until);
            }
        }
        record_size(entries.len());
    }

    /// Drops the entries whose tokens have all expired.
    pub(crate) fn sweep(&self, now: OffsetDateTime) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, keep_until| *keep_until > now);
        record_size(entries.len());
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// The `authdb_revocation_set_size` gauge: revoked sessions held in memory.
fn record_size(len: usize) {
    #[allow(clippy::cast_precision_loss, reason = "a gauge; sizes stay far below 2^52")]
    metrics::gauge!("authdb_revocation_set_size").set(len as f64);
}

#[cfg(test)]
mod tests {
    use authdb_domain::UserId;

    use super::*;

    fn revoked(revoked_at: OffsetDateTime, expires_at: OffsetDateTime) -> RevokedSession {
        RevokedSession { id: SessionId::new(), user_id: UserId::new(), revoked_at, expires_at }
    }

    #[test]
    fn a_session_stays_while_its_tokens_can_verify() {
        let set = RevocationSet::new(Duration::minutes(15));
        let now = OffsetDateTime::now_utc();
        let recent = revoked(now, now + Duration::days(30));
        set.insert_all([&recent], now);
        assert!(set.contains(recent.id));
        assert!(!set.contains(SessionId::new()));

        set.sweep(now + Duration::minutes(14));
        assert!(set.contains(recent.id));
        set.sweep(now + Duration::minutes(15));
        assert!(!set.contains(recent.id));
        assert_eq!(set.len(), 0);
    }

    #[test]
    fn entries_that_no_longer_matter_are_not_kept() {
        let set = RevocationSet::new(Duration::minutes(15));
        let now = OffsetDateTime::now_utc();
        let long_ago = revoked(now - Duration::hours(1), now + Duration::days(1));
        let ending_soon = revoked(now, now + Duration::minutes(1));
        set.insert_all([&long_ago, &ending_soon], now);
        assert!(!set.contains(long_ago.id), "its tokens expired long ago");
        assert!(set.contains(ending_soon.id));
        set.sweep(now + Duration::minutes(2));
        assert!(!set.contains(ending_soon.id), "the session itself ended");
    }
}
