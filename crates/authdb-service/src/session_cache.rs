//! A short-lived, in-process cache of authenticated sessions, so that an authenticated
//! request does not cost a database round trip.
//!
//! An entry says "this session was live and belonged to this user, with this profile, a
//! moment ago". Writes made through this process (logout, reuse detection, profile
//! changes) remove the affected entries at once; a write made by another process is seen
//! here within the time to live (1 s by default), which bounds how long a revoked session
//! can still be used on another instance.
//!
//! A reader that looked a session up in the database just before a revocation committed
//! must not put the old answer back after the revocation evicted it. Every eviction
//! therefore bumps a generation counter, and [`SessionCache::insert`] only stores an
//! answer read under the generation it was read in ([`SessionCache::generation`]).

use std::{
    collections::HashMap,
    sync::{
        PoisonError, RwLock,
        atomic::{AtomicU64, Ordering},
    },
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
    /// Bumped by every eviction; see the module documentation.
    generation: AtomicU64,
}

/// The cache's generation when a database read began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Generation(u64);

#[derive(Debug, Clone)]
struct Entry {
    user: User,
    session_expires_at: OffsetDateTime,
    cached_at: Instant,
}

impl SessionCache {
    /// A cache whose entries live for `ttl`; a zero `ttl` disables it.
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, entries: RwLock::new(HashMap::new()), generation: AtomicU64::new(0) }
    }

    /// Read before asking the database, and hand to [`SessionCache::insert`].
    pub(crate) fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
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

    /// Stores what the database said about `session`, unless something was evicted since
    /// `read_in` (the answer may then predate a revocation).
    pub(crate) fn insert(
        &self,
        read_in: Generation,
        session: SessionId,
        user: User,
        session_expires_at: OffsetDateTime,
    ) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        // Evictions bump the generation while holding the write lock, so this comparison
        // cannot interleave with one.
        if self.generation.load(Ordering::Acquire) != read_in.0 {
            return;
        }
        if entries.len() >= CAPACITY {
            let ttl = self.ttl;
            entries.retain(|_, entry| entry.cached_at.elapsed() < ttl);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(session, Entry { user, session_expires_at, cached_at: Instant::now() });
    }

    /// Evicts a session; call after the change that invalidates it has committed.
    pub(crate) fn forget_session(&self, session: SessionId) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(&session);
    }

    /// Evicts every session of a user; call after the change has committed.
    pub(crate) fn forget_user(&self, user: UserId) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|_, entry| entry.user.id != user);
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
        cache.insert(cache.generation(), session, alice.clone(), later());

        assert_eq!(cache.get(session, alice.id, OffsetDateTime::now_utc()), Some(alice));
        assert_eq!(cache.get(session, UserId::new(), OffsetDateTime::now_utc()), None);
        assert_eq!(cache.get(SessionId::new(), UserId::new(), OffsetDateTime::now_utc()), None);
    }

    #[test]
    fn entries_expire_with_the_ttl_and_with_the_session() {
        let cache = SessionCache::new(Duration::from_millis(20));
        let session = SessionId::new();
        let alice = user();
        cache.insert(cache.generation(), session, alice.clone(), later());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(cache.get(session, alice.id, OffsetDateTime::now_utc()), None);

        let long = SessionCache::new(Duration::from_secs(60));
        long.insert(long.generation(), session, alice.clone(), OffsetDateTime::now_utc() - time::Duration::seconds(1));
        assert_eq!(long.get(session, alice.id, OffsetDateTime::now_utc()), None, "the session itself expired");
    }

    #[test]
    fn forgetting_a_session_or_a_user_removes_entries() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let (phone, laptop) = (SessionId::new(), SessionId::new());
        let alice = user();
        cache.insert(cache.generation(), phone, alice.clone(), later());
        cache.insert(cache.generation(), laptop, alice.clone(), later());

        cache.forget_session(phone);
        assert_eq!(cache.get(phone, alice.id, OffsetDateTime::now_utc()), None);
        assert!(cache.get(laptop, alice.id, OffsetDateTime::now_utc()).is_some());

        cache.forget_user(alice.id);
        assert_eq!(cache.get(laptop, alice.id, OffsetDateTime::now_utc()), None);
    }

    #[test]
    fn an_answer_read_before_an_eviction_is_not_stored() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let session = SessionId::new();
        let alice = user();
        let read_in = cache.generation();

        // A revocation commits and evicts while the reader is still in the database.
        cache.forget_session(session);
        cache.insert(read_in, session, alice.clone(), later());

        assert_eq!(cache.get(session, alice.id, OffsetDateTime::now_utc()), None);
        cache.insert(cache.generation(), session, alice.clone(), later());
        assert!(cache.get(session, alice.id, OffsetDateTime::now_utc()).is_some());
    }

    #[test]
    fn a_zero_ttl_disables_the_cache() {
        let cache = SessionCache::new(Duration::ZERO);
        let session = SessionId::new();
        let alice = user();
        cache.insert(cache.generation(), session, alice.clone(), later());
        assert_eq!(cache.get(session, alice.id, OffsetDateTime::now_utc()), None);
    }
}
