//! A short-lived, in-process cache of authenticated sessions, so that an authenticated
//! request does not cost a database round trip.
//!
//! An entry says "this session was live and belonged to this user, with this profile, a
//! moment ago". Writes made through this process (logout, reuse detection, profile
//! changes) remove the affected entries at once; a write made by another process is seen
//! here within the time to live (1 s by default), which bounds how long a revoked session
//! can still be used on another instance.

use std::{
    collections::HashMap,
    sync::{PoisonError, RwLock},
    time::{Duration, Instant},
};

use authdb_domain::{SessionId, User, UserId};
use time::OffsetDateTime;

/// Entries beyond this many trigger a sweep of the expired ones (or, failing that, a
/// clear), so memory stays bounded under any number of sessions.
const CAPACITY: usize = 50_000;

#[derive(Debug)]
pub(crate) struct SessionCache {
    ttl: Duration,
    entries: RwLock<HashMap<SessionId, Entry>>,
}

#[derive(Debug, Clone)]
struct Entry {
    user: User,
    session_expires_at: OffsetDateTime,
    cached_at: Instant,
}

impl SessionCache {
    /// A cache whose entries live for `ttl`; a zero `ttl` disables it.
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, entries: RwLock::new(HashMap::new()) }
    }

    /// The cached user of a live `session`, if it belongs to `user` and is fresh.
    pub(crate) fn get(&self, session: SessionId, user: UserId, now: OffsetDateTime) -> Option<User> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(&session)?;
        let fresh = entry.cached_at.elapsed() < self.ttl;
        (fresh && entry.user.id == user && entry.session_expires_at > now).then(|| entry.user.clone())
    }

    pub(crate) fn insert(&self, session: SessionId, user: User, session_expires_at: OffsetDateTime) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            let ttl = self.ttl;
            entries.retain(|_, entry| entry.cached_at.elapsed() < ttl);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(session, Entry { user, session_expires_at, cached_at: Instant::now() });
    }

    pub(crate) fn forget_session(&self, session: SessionId) {
        self.entries.write().unwrap_or_else(PoisonError::into_inner).remove(&session);
    }

    pub(crate) fn forget_user(&self, user: UserId) {
        self.entries.write().unwrap_or_else(PoisonError::into_inner).retain(|_, entry| entry.user.id != user);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user() -> User {
        let now = OffsetDateTime::now_utc();
        User {
            id: UserId::new(),
            email: "a@example.com".into(),
            username: "a".into(),
            full_name: None,
            avatar_url: None,
            preferences: json!({}),
            is_active: true,
            is_verified: false,
            is_superuser: false,
            created_at: now,
            updated_at: now,
            last_login_at: None,
            login_count: 0,
            password_changed_at: now,
        }
    }

    fn later() -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::hours(1)
    }

    #[test]
    fn a_fresh_entry_is_returned_for_its_own_user_only() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let session = SessionId::new();
        let alice = user();
        cache.insert(session, alice.clone(), later());

        assert_eq!(cache.get(session, alice.id, OffsetDateTime::now_utc()), Some(alice));
        assert_eq!(cache.get(session, UserId::new(), OffsetDateTime::now_utc()), None);
        assert_eq!(cache.get(SessionId::new(), UserId::new(), OffsetDateTime::now_utc()), None);
    }

    #[test]
    fn entries_expire_with_the_ttl_and_with_the_session() {
        let cache = SessionCache::new(Duration::from_millis(20));
        let session = SessionId::new();
        let alice = user();
        cache.insert(session, alice.clone(), later());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(cache.get(session, alice.id, OffsetDateTime::now_utc()), None);

        let long = SessionCache::new(Duration::from_secs(60));
        long.insert(session, alice.clone(), OffsetDateTime::now_utc() - time::Duration::seconds(1));
        assert_eq!(long.get(session, alice.id, OffsetDateTime::now_utc()), None, "the session itself expired");
    }

    #[test]
    fn forgetting_a_session_or_a_user_removes_entries() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let (phone, laptop) = (SessionId::new(), SessionId::new());
        let alice = user();
        cache.insert(phone, alice.clone(), later());
        cache.insert(laptop, alice.clone(), later());

        cache.forget_session(phone);
        assert_eq!(cache.get(phone, alice.id, OffsetDateTime::now_utc()), None);
        assert!(cache.get(laptop, alice.id, OffsetDateTime::now_utc()).is_some());

        cache.forget_user(alice.id);
        assert_eq!(cache.get(laptop, alice.id, OffsetDateTime::now_utc()), None);
    }

    #[test]
    fn a_zero_ttl_disables_the_cache() {
        let cache = SessionCache::new(Duration::ZERO);
        let session = SessionId::new();
        let alice = user();
        cache.insert(session, alice.clone(), later());
        assert_eq!(cache.get(session, alice.id, OffsetDateTime::now_utc()), None);
    }
}
