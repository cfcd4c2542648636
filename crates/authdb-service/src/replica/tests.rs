use serde_json::json;

use std::time::Duration;

use authdb_domain::{OrganizationId, RevokedSession, SessionId, User, UserId};
use time::OffsetDateTime;

use super::{Change, Invalidation, Replica, ReplicaPolicy};
use crate::realtime::{Instance, NOTICE_QUEUE, Signal, SignalKind, hub::Hub};

fn replica(ttl: Duration) -> Replica {
    let (notices, _) = crate::realtime::notices();
    let instance = crate::realtime::Instance(uuid::Uuid::now_v7());
    let hub = std::sync::Arc::new(crate::realtime::hub::Hub::new(instance, 8, ttl));
    let tap = super::RealtimeTap { instance, notices, hub, overflowing: Default::default() };
    Replica::new(ReplicaPolicy { cache_ttl: ttl, tokens_verifiable_for: time::Duration::minutes(15) }, tap)
}

/// A replica whose dispatcher queue is kept (not read), with its hub.
fn replica_with_queue() -> (Replica, tokio::sync::mpsc::Receiver<crate::realtime::Notice>, std::sync::Arc<Hub>) {
    let (notices, queue) = crate::realtime::notices();
    let instance = Instance(uuid::Uuid::now_v7());
    let hub = std::sync::Arc::new(Hub::new(instance, 8, Duration::from_secs(1)));
    let tap =
        super::RealtimeTap { instance, notices, hub: std::sync::Arc::clone(&hub), overflowing: Default::default() };
    let policy =
        ReplicaPolicy { cache_ttl: Duration::from_secs(1), tokens_verifiable_for: time::Duration::minutes(15) };
    (Replica::new(policy, tap), queue, hub)
}

fn user() -> User {
    let now = OffsetDateTime::now_utc();
    User {
        id: UserId::new(),
        email: authdb_domain::Email::parse("a@example.com").expect("valid"),
        username: authdb_domain::Username::parse("alice").expect("valid"),
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
fn a_cached_session_is_returned_for_its_own_user_only_and_while_it_lasts() {
    let replica = replica(Duration::from_secs(60));
    let (session, alice) = (SessionId::new(), user());
    replica.cache_session(replica.session_read(), session, alice.clone(), later());
    let now = OffsetDateTime::now_utc();
    assert_eq!(replica.cached_session(session, alice.id, now), Some(alice.clone()));
    assert_eq!(replica.cached_session(session, UserId::new(), now), None, "another user's token");
    assert_eq!(replica.cached_session(SessionId::new(), alice.id, now), None);

    let ended = SessionId::new();
    replica.cache_session(replica.session_read(), ended, alice.clone(), now - time::Duration::seconds(1));
    assert_eq!(replica.cached_session(ended, alice.id, now), None, "the session itself expired");
}

#[test]
fn a_revocation_evicts_the_session_and_enters_the_set() {
    let replica = replica(Duration::from_secs(60));
    let (phone, laptop, alice) = (SessionId::new(), SessionId::new(), user());
    replica.cache_session(replica.session_read(), phone, alice.clone(), later());
    replica.cache_session(replica.session_read(), laptop, alice.clone(), later());
    let now = OffsetDateTime::now_utc();
    let revoked = RevokedSession { id: phone, user_id: alice.id, revoked_at: now, expires_at: later() };

    replica.apply(&Change::SessionRevoked(revoked), now);

    assert!(replica.is_revoked(phone));
    assert_eq!(replica.cached_session(phone, alice.id, now), None);
    assert!(replica.cached_session(laptop, alice.id, now).is_some());
    assert_eq!(replica.revoked_len(), 1);
}

#[test]
fn a_user_change_evicts_their_sessions_and_memberships() {
    let replica = replica(Duration::from_secs(60));
    let (session, alice, bob) = (SessionId::new(), user(), user());
    let (acme, globex) = (OrganizationId::new(), OrganizationId::new());
    replica.cache_session(replica.session_read(), session, alice.clone(), later());
    for (user, organization) in [(alice.id, acme), (alice.id, globex), (bob.id, acme)] {
        replica.cache_membership(replica.membership_read(), user, organization, None);
    }

    replica.apply(&Change::UserChanged(alice.id), OffsetDateTime::now_utc());

    assert_eq!(replica.cached_session(session, alice.id, OffsetDateTime::now_utc()), None);
    assert_eq!(replica.cached_membership(alice.id, acme), None);
    assert_eq!(replica.cached_membership(alice.id, globex), None);
    assert!(replica.cached_membership(bob.id, acme).is_some());
}

#[test]
fn membership_invalidation_scopes() {
    let replica = replica(Duration::from_secs(60));
    let (alice, bob) = (UserId::new(), UserId::new());
    let (acme, globex) = (OrganizationId::new(), OrganizationId::new());
    for (user, organization) in [(alice, acme), (alice, globex), (bob, acme), (bob, globex)] {
        replica.cache_membership(replica.membership_read(), user, organization, None);
    }
    let apply = |what| replica.apply(&Change::MembershipChanged(what), OffsetDateTime::now_utc());

    apply(Invalidation::Member(alice, acme));
    assert_eq!(replica.cached_membership(alice, acme), None);
    assert_eq!(replica.cached_membership(alice, globex), Some(None), "a cached non-membership");
    apply(Invalidation::Organization(globex));
    assert_eq!(replica.cached_membership(alice, globex), None);
    assert_eq!(replica.cached_membership(bob, globex), None);
    assert!(replica.cached_membership(bob, acme).is_some());
    apply(Invalidation::User(bob));
    assert_eq!(replica.cached_membership(bob, acme), None);
    replica.cache_membership(replica.membership_read(), bob, acme, None);
    apply(Invalidation::All);
    assert_eq!(replica.cached_membership(bob, acme), None);
}

#[test]
fn a_read_that_raced_a_change_is_not_cached() {
    let replica = replica(Duration::from_secs(60));
    let (session, alice, organization) = (SessionId::new(), user(), OrganizationId::new());
    let (session_read, membership_read) = (replica.session_read(), replica.membership_read());

    replica.apply(&Change::UserChanged(alice.id), OffsetDateTime::now_utc());
    replica.cache_session(session_read, session, alice.clone(), later());
    replica.cache_membership(membership_read, alice.id, organization, None);

    assert_eq!(replica.cached_session(session, alice.id, OffsetDateTime::now_utc()), None);
    assert_eq!(replica.cached_membership(alice.id, organization), None);
}

#[test]
fn a_burst_of_presence_is_taken_in_without_queueing_or_closing_sockets() {
    let (replica, queue, hub) = replica_with_queue();
    let watcher = hub.register(UserId::new(), SessionId::new());
    let elsewhere = Instance(uuid::Uuid::now_v7());
    let presence =
        |user, online| Change::Realtime(Signal { origin: elsewhere, kind: SignalKind::Presence(user, online) });
    // Twice as many users come online as the dispatcher's queue holds, none of it read yet.
    let users: Vec<UserId> = (0..2 * NOTICE_QUEUE).map(|_| UserId::new()).collect();
    for user in &users {
        replica.apply(&presence(*user, true), OffsetDateTime::now_utc());
    }
    replica.apply(
        &Change::Realtime(Signal { origin: elsewhere, kind: SignalKind::Heartbeat(false) }),
        OffsetDateTime::now_utc(),
    );
    assert_eq!(queue.len(), 0, "presence and heartbeats never wait in the dispatcher's queue");
    assert_eq!(*watcher.close.borrow(), None, "no socket is closed");
    // One untold change per user, taken in batches.
    let first = hub.take_untold(NOTICE_QUEUE);
    assert_eq!(first.len(), NOTICE_QUEUE);
    let rest = hub.take_untold(usize::MAX);
    assert_eq!(rest.len(), NOTICE_QUEUE);
    assert!(first.iter().chain(&rest).all(|(_, online)| *online));
    assert!(hub.take_untold(usize::MAX).is_empty());

    // Offline, online again and offline again before anything is told: one change each.
    for user in &users {
        for online in [false, true, false] {
            replica.apply(&presence(*user, online), OffsetDateTime::now_utc());
        }
    }
    let told = hub.take_untold(usize::MAX);
    assert_eq!(told.len(), users.len());
    assert!(told.iter().all(|(_, online)| !*online));
    // Online and straight back offline: the sockets here were told offline, nothing to say.
    replica.apply(&presence(users[0], true), OffsetDateTime::now_utc());
    replica.apply(&presence(users[0], false), OffsetDateTime::now_utc());
    assert!(hub.take_untold(usize::MAX).is_empty());
    assert_eq!(queue.len(), 0);
}

#[test]
fn chat_signals_still_queue_for_the_dispatcher() {
    let (replica, queue, hub) = replica_with_queue();
    let at = crate::realtime::ChatRef { organization: OrganizationId::new(), chat: authdb_domain::ChatId::new() };
    let signal = Signal { origin: hub.instance(), kind: SignalKind::Typing(at, UserId::new()) };
    replica.apply(&Change::Realtime(signal), OffsetDateTime::now_utc());
    assert_eq!(queue.len(), 1);
}
