//! The dispatcher's cache of each chat's audience (its members' user ids), so that a
//! fan-out reads the members of a chat once rather than once per event.
//!
//! # Why a removed member still hears nothing more
//!
//! An entry is evicted by every change that can alter a chat's members: the chat's own
//! `chat.created`, `chat.member_added` and `chat.member_removed` signals, and the
//! membership invalidations of the change feed (a member leaving or removed from the
//! organization leaves all its chats; a deleted organization takes its chats with it).
//! The replica applies those evictions synchronously when it applies the change, here
//! or on another instance, before it hands any later signal to the dispatcher.
//!
//! That alone leaves one window on the instance that made the change: between its
//! transaction's commit and its `Replica::apply`, another write (a post into the chat)
//! can commit and be applied first, and would find the old audience. So a write that
//! publishes such a change also takes a [`Hold`] on what it changes (`Write::publish`),
//! from before its commit until after it applied: while a hold covers a chat, the
//! dispatcher reads the audience from the database and stores nothing, and releasing the
//! hold evicts once more. A read that began before an eviction is never stored (the
//! [`TtlCache`] generation guard).
//!
//! Entries also expire after the replica's cache time to live (`auth.session_cache_ttl_ms`;
//! zero turns this cache off too), which bounds staleness should the change feed fail
//! silently, like the membership cache's. With Redis as the carrier, signals of two
//! instances are not ordered with each other: a removal on one instance and a post on
//! another, committed within the carriers' delivery skew (milliseconds), may still reach
//! the removed member on a third (docs/operations.md, "Realtime across instances").

use std::sync::{Arc, Mutex, PoisonError};

use authdb_domain::{ChatId, OrganizationId, UserId};

use crate::cache::{Generation, TtlCache};

/// The members of one chat.
#[derive(Debug)]
pub(crate) struct Audience {
    pub(crate) organization: OrganizationId,
    pub(crate) members: Vec<UserId>,
}

/// Which cached audiences a change may alter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// One chat (created, a member added or removed).
    Chat(ChatId),
    /// The chats of one organization that a user is in (the user left the organization
    /// or was removed from it, or their role changed).
    Member(UserId, OrganizationId),
    /// Every chat a user is in.
    User(UserId),
    /// Every chat of an organization.
    Organization(OrganizationId),
    /// Every chat.
    All,
}

impl Scope {
    fn covers(&self, chat: ChatId, audience: &Audience) -> bool {
        match *self {
            Self::Chat(id) => id == chat,
            Self::Member(user, organization) => {
                audience.organization == organization && audience.members.contains(&user)
            }
            Self::User(user) => audience.members.contains(&user),
            Self::Organization(organization) => audience.organization == organization,
            Self::All => true,
        }
    }

    /// Whether the scope may cover `chat` of `organization`, whose members are unknown.
    fn may_cover(&self, chat: ChatId, organization: OrganizationId) -> bool {
        match *self {
            Self::Chat(id) => id == chat,
            Self::Member(_, of) | Self::Organization(of) => of == organization,
            Self::User(_) | Self::All => true,
        }
    }
}

/// The audiences of the chats this process has dispatched events of.
#[derive(Debug)]
pub(crate) struct Audiences {
    cache: TtlCache<ChatId, Arc<Audience>>,
    /// The scopes of writes between their change and its application here.
    held: Mutex<Vec<Scope>>,
}

/// What the dispatcher found: a cached audience, or what it needs to read and store one.
#[derive(Debug)]
pub(crate) enum Lookup {
    Cached(Arc<Audience>),
    /// Read the members; store them with [`Audiences::store`] unless `store` is `None`
    /// (a write holds the chat: use what is read for this event only).
    Read {
        store: Option<Generation>,
    },
}

impl Audiences {
    pub(crate) fn new(ttl: std::time::Duration) -> Self {
        Self { cache: TtlCache::new(ttl), held: Mutex::default() }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Vec<Scope>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn lookup(&self, chat: ChatId, organization: OrganizationId) -> Lookup {
        // The generation is taken before the hold check: a hold released after it bumps it.
        let generation = self.cache.generation();
        if self.held().iter().any(|scope| scope.may_cover(chat, organization)) {
            metrics::counter!("authdb_realtime_audience_reads_total", "cause" => "held").increment(1);
            return Lookup::Read { store: None };
        }
        match self.cache.get(&chat) {
            Some(audience) => Lookup::Cached(audience),
            None => {
                metrics::counter!("authdb_realtime_audience_reads_total", "cause" => "miss").increment(1);
                Lookup::Read { store: Some(generation) }
            }
        }
    }

    pub(crate) fn store(&self, read_in: Generation, chat: ChatId, audience: Arc<Audience>) {
        self.cache.insert(read_in, chat, audience);
    }

    /// Evicts what a committed change may have altered.
    pub(crate) fn evict(&self, scope: Scope) {
        self.cache.evict(|chat, audience| scope.covers(*chat, audience));
    }

    /// Holds `scope` until the returned value is dropped (after the write committed and
    /// was applied, or rolled back), which evicts it again.
    pub(crate) fn hold(self: &Arc<Self>, scope: Scope) -> Hold {
        self.held().push(scope);
        self.evict(scope);
        Hold { audiences: Arc::clone(self), scope }
    }
}

/// A write's claim on audiences it is changing; see the module documentation.
#[derive(Debug)]
pub(crate) struct Hold {
    audiences: Arc<Audiences>,
    scope: Scope,
}

impl Drop for Hold {
    fn drop(&mut self) {
        {
            let mut held = self.audiences.held();
            if let Some(at) = held.iter().position(|scope| *scope == self.scope) {
                held.swap_remove(at);
            }
        }
        self.audiences.evict(self.scope);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn audience(organization: OrganizationId, members: &[UserId]) -> Arc<Audience> {
        Arc::new(Audience { organization, members: members.to_vec() })
    }

    fn cached(audiences: &Audiences, chat: ChatId, organization: OrganizationId) -> Option<Vec<UserId>> {
        match audiences.lookup(chat, organization) {
            Lookup::Cached(audience) => Some(audience.members.clone()),
            Lookup::Read { .. } => None,
        }
    }

    fn fill(audiences: &Audiences, chat: ChatId, audience: Arc<Audience>) {
        let organization = audience.organization;
        match audiences.lookup(chat, organization) {
            Lookup::Read { store: Some(generation) } => audiences.store(generation, chat, audience),
            other => panic!("expected a miss, got {other:?}"),
        }
    }

    #[test]
    fn a_chat_is_read_once_then_cached_until_evicted() {
        let audiences = Audiences::new(Duration::from_secs(60));
        let (organization, chat, user) = (OrganizationId::new(), ChatId::new(), UserId::new());
        fill(&audiences, chat, audience(organization, &[user]));
        assert_eq!(cached(&audiences, chat, organization), Some(vec![user]));
        audiences.evict(Scope::Chat(chat));
        assert_eq!(cached(&audiences, chat, organization), None);
    }

    #[test]
    fn membership_scopes_evict_the_chats_they_concern() {
        let audiences = Audiences::new(Duration::from_secs(60));
        let (org, other_org) = (OrganizationId::new(), OrganizationId::new());
        let (alice, bob) = (UserId::new(), UserId::new());
        let (with_alice, without_alice, elsewhere) = (ChatId::new(), ChatId::new(), ChatId::new());
        fill(&audiences, with_alice, audience(org, &[alice, bob]));
        fill(&audiences, without_alice, audience(org, &[bob]));
        fill(&audiences, elsewhere, audience(other_org, &[alice]));
        audiences.evict(Scope::Member(alice, org));
        assert_eq!(cached(&audiences, with_alice, org), None);
        assert_eq!(cached(&audiences, without_alice, org), Some(vec![bob]));
        assert_eq!(cached(&audiences, elsewhere, other_org), Some(vec![alice]));
        audiences.evict(Scope::User(alice));
        assert_eq!(cached(&audiences, elsewhere, other_org), None);
        audiences.evict(Scope::Organization(org));
        assert_eq!(cached(&audiences, without_alice, org), None);
    }

    #[test]
    fn a_held_chat_is_read_and_not_stored_and_a_read_begun_before_a_change_is_dropped() {
        let audiences = Arc::new(Audiences::new(Duration::from_secs(60)));
        let (organization, chat, user) = (OrganizationId::new(), ChatId::new(), UserId::new());
        fill(&audiences, chat, audience(organization, &[user]));
        let hold = audiences.hold(Scope::Chat(chat));
        assert!(matches!(audiences.lookup(chat, organization), Lookup::Read { store: None }));
        // A read that began before the hold was released...
        let Lookup::Read { .. } = audiences.lookup(chat, organization) else { unreachable!() };
        let generation_before = audiences.cache.generation();
        drop(hold);
        // ... is not stored after it.
        audiences.store(generation_before, chat, audience(organization, &[user]));
        assert_eq!(cached(&audiences, chat, organization), None);
        fill(&audiences, chat, audience(organization, &[]));
        assert_eq!(cached(&audiences, chat, organization), Some(vec![]));
    }
}
