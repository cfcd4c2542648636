//! One short-lived, in-process cache with a generation guard: the replica's session and
//! membership caches, the verified-token cache and the realtime dispatcher's chat
//! audiences all use it.
//!
//! A reader that asked the database just before a change committed must not put the old
//! answer back after the change evicted it. Every eviction therefore bumps a generation
//! counter while holding the write lock, and [`TtlCache::insert`] only stores an answer
//! read under the generation it was read in ([`TtlCache::generation`]).

use std::{
    borrow::Borrow,
    collections::HashMap,
    hash::Hash,
    sync::{
        PoisonError, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// Entries beyond this many trigger a sweep of the expired ones (or, failing that, a
/// clear), so memory stays bounded under any number of keys.
const CAPACITY: usize = 50_000;

#[derive(Debug)]
pub(crate) struct TtlCache<K, V> {
    ttl: Duration,
    entries: RwLock<HashMap<K, Entry<V>>>,
    /// Bumped by every eviction; see the module documentation.
    generation: AtomicU64,
}

/// The cache's generation when a database read began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Generation(u64);

#[derive(Debug)]
struct Entry<V> {
    value: V,
    cached_at: Instant,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// A cache whose entries live for `ttl`; a zero `ttl` disables it.
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, entries: RwLock::new(HashMap::new()), generation: AtomicU64::new(0) }
    }

    /// Read before asking the database, and hand to [`TtlCache::insert`].
    pub(crate) fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
    }

    /// The fresh value cached under `key`, if any.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(key)?;
        (entry.cached_at.elapsed() < self.ttl).then(|| entry.value.clone())
    }

    /// Stores what the database said about `key`, unless something was evicted since
    /// `read_in` (the answer may then predate the change that evicted it).
    pub(crate) fn insert(&self, read_in: Generation, key: K, value: V) {
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
        entries.insert(key, Entry { value, cached_at: Instant::now() });
    }

    /// Evicts one key; call after the change that invalidates it has committed.
    pub(crate) fn remove(&self, key: &K) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(key);
    }

    /// Evicts every entry `evict` says must go; call after the change has committed.
    pub(crate) fn evict(&self, mut evict: impl FnMut(&K, &V) -> bool) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|key, entry| !evict(key, &entry.value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misses_hits_and_removal() {
        let cache = TtlCache::new(Duration::from_secs(60));
        assert_eq!(cache.get(&1), None);
        cache.insert(cache.generation(), 1, "one");
        cache.insert(cache.generation(), 2, "two");
        assert_eq!(cache.get(&1), Some("one"));
        cache.remove(&1);
        assert_eq!(cache.get(&1), None);
        assert_eq!(cache.get(&2), Some("two"));
    }

    #[test]
    fn eviction_by_predicate() {
        let cache = TtlCache::new(Duration::from_secs(60));
        for key in 0..10 {
            cache.insert(cache.generation(), key, key * 10);
        }
        cache.evict(|key, _| key % 2 == 0);
        assert_eq!(cache.get(&2), None);
        assert_eq!(cache.get(&3), Some(30));
        cache.evict(|_, value| *value == 30);
        assert_eq!(cache.get(&3), None);
        assert_eq!(cache.get(&5), Some(50));
    }

    #[test]
    fn an_answer_read_before_an_eviction_is_not_stored() {
        let cache = TtlCache::new(Duration::from_secs(60));
        let read_in = cache.generation();
        // A change commits and evicts while the reader is still in the database.
        cache.remove(&1);
        cache.insert(read_in, 1, "stale");
        assert_eq!(cache.get(&1), None);
        cache.insert(cache.generation(), 1, "fresh");
        assert_eq!(cache.get(&1), Some("fresh"));
    }

    #[test]
    fn entries_expire_and_a_zero_ttl_disables_the_cache() {
        let off = TtlCache::new(Duration::ZERO);
        off.insert(off.generation(), 1, ());
        assert_eq!(off.get(&1), None);
        let short = TtlCache::new(Duration::from_millis(10));
        short.insert(short.generation(), 1, ());
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(short.get(&1), None);
    }

    #[test]
    fn memory_stays_bounded() {
        let cache = TtlCache::new(Duration::from_secs(60));
        for key in 0..=CAPACITY {
            cache.insert(cache.generation(), key, ());
        }
        let len = cache.entries.read().map(|entries| entries.len()).unwrap_or_default();
        assert!(len <= CAPACITY, "{len}");
        assert_eq!(cache.get(&CAPACITY), Some(()), "the newest entry is kept");
    }
}
