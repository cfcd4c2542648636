//! A short-lived, in-process cache of resolved memberships: who holds which role in
//! which organization, so that authorizing a request under `/organizations/{id}` does
//! not cost a database round trip.
//!
//! Every change to memberships or roles made through this process calls
//! [`MembershipCache::invalidate`] once it has committed, so a demotion or removal
//! applies from the very next request. Changes made by another instance are seen within
//! the time to live (the session cache's, 1 s by default); a cross-instance change
//! channel only needs to call the same method.
//!
//! As in the session cache, every invalidation bumps a generation counter and an answer
//! read from the database is only stored under the generation it was read in, so a read
//! that raced a change cannot put the old role back.

use std::{
    collections::HashMap,
    sync::{
        PoisonError, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use authdb_domain::{OrganizationId, UserId};

use crate::organizations::Membership;

const CAPACITY: usize = 50_000;

/// What changed, and so which cached memberships must go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalidation {
    /// One user's membership in one organization (added, re-roled, removed).
    Member(UserId, OrganizationId),
    /// Every membership of a user (a superuser flag changed, the account was deleted).
    User(UserId),
    /// Every membership in an organization (a role's permissions changed, the
    /// organization was deleted).
    Organization(OrganizationId),
    /// Everything (a change channel lost messages and cannot tell what changed).
    All,
}

#[derive(Debug)]
pub struct MembershipCache {
    ttl: Duration,
    entries: RwLock<HashMap<(UserId, OrganizationId), Entry>>,
    generation: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Generation(u64);

#[derive(Debug, Clone)]
struct Entry {
    /// `None`: not a member (404), cached too so that probing costs nothing.
    membership: Option<Membership>,
    cached_at: Instant,
}

impl MembershipCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, entries: RwLock::new(HashMap::new()), generation: AtomicU64::new(0) }
    }

    pub(crate) fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
    }

    /// The cached answer for `(user, organization)`: `Some(None)` is a cached "not a
    /// member", `None` a miss.
    pub(crate) fn get(&self, user: UserId, organization: OrganizationId) -> Option<Option<Membership>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(&(user, organization))?;
        (entry.cached_at.elapsed() < self.ttl).then(|| entry.membership.clone())
    }

    pub(crate) fn insert(
        &self,
        read_in: Generation,
        user: UserId,
        organization: OrganizationId,
        membership: Option<Membership>,
    ) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
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
        entries.insert((user, organization), Entry { membership, cached_at: Instant::now() });
    }

    /// The one way entries leave early: call it after the change has committed. A
    /// cross-instance change channel calls it for changes made elsewhere.
    pub fn invalidate(&self, what: Invalidation) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        match what {
            Invalidation::Member(user, organization) => {
                entries.remove(&(user, organization));
            }
            Invalidation::User(user) => entries.retain(|(cached, _), _| *cached != user),
            Invalidation::Organization(organization) => entries.retain(|(_, cached), _| *cached != organization),
            Invalidation::All => entries.clear(),
        }
        tracing::debug!(?what, "membership cache invalidated");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (UserId, OrganizationId) {
        (UserId::new(), OrganizationId::new())
    }

    #[test]
    fn misses_hits_and_negative_answers() {
        let cache = MembershipCache::new(Duration::from_secs(60));
        let (user, org) = ids();
        assert_eq!(cache.get(user, org), None);
        cache.insert(cache.generation(), user, org, None);
        assert_eq!(cache.get(user, org), Some(None), "a cached non-membership");
    }

    #[test]
    fn invalidation_scopes() {
        let cache = MembershipCache::new(Duration::from_secs(60));
        let (alice, acme) = ids();
        let (bob, globex) = ids();
        for (user, org) in [(alice, acme), (alice, globex), (bob, acme), (bob, globex)] {
            cache.insert(cache.generation(), user, org, None);
        }
        cache.invalidate(Invalidation::Member(alice, acme));
        assert_eq!(cache.get(alice, acme), None);
        assert!(cache.get(alice, globex).is_some());
        cache.invalidate(Invalidation::Organization(globex));
        assert_eq!(cache.get(alice, globex), None);
        assert_eq!(cache.get(bob, globex), None);
        assert!(cache.get(bob, acme).is_some());
        cache.invalidate(Invalidation::User(bob));
        assert_eq!(cache.get(bob, acme), None);
        cache.insert(cache.generation(), bob, acme, None);
        cache.invalidate(Invalidation::All);
        assert_eq!(cache.get(bob, acme), None);
    }

    #[test]
    fn a_read_that_raced_an_invalidation_is_not_stored() {
        let cache = MembershipCache::new(Duration::from_secs(60));
        let (user, org) = ids();
        let read_in = cache.generation();
        cache.invalidate(Invalidation::Member(user, org));
        cache.insert(read_in, user, org, None);
        assert_eq!(cache.get(user, org), None);
    }

    #[test]
    fn zero_ttl_disables_and_entries_expire() {
        let off = MembershipCache::new(Duration::ZERO);
        let (user, org) = ids();
        off.insert(off.generation(), user, org, None);
        assert_eq!(off.get(user, org), None);
        let short = MembershipCache::new(Duration::from_millis(10));
        short.insert(short.generation(), user, org, None);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(short.get(user, org), None);
    }
}
