//! The hub: this process's sockets by user, each with a bounded queue, and who is online
//! on which instance.
//!
//! Presence across instances is kept without any shared table: every instance hears the
//! others' presence signals and heartbeats (`super::presence`) and remembers, per user,
//! the other instances the user is online on, and per instance when it was last heard
//! from. An instance not heard from for the presence time to live (three heartbeats) is
//! taken for dead: its users count as offline there ([`Hub::expire`]). An instance heard
//! from for the first time (it started, or came back after being taken for dead) makes
//! this one announce its own online users again and ask for theirs
//! ([`Hub::heard`], [`PresenceSync`]), so a late joiner learns who is online.
//!
//! What a signal says about instances and presence is taken in at once, when the replica
//! applies it ([`Hub::take_in`]), never queued behind the chats' events: presence is
//! state, not a stream. A change the sockets here have not been told yet waits in one
//! entry per user (a second change cancels the first), and the dispatcher tells it to the
//! user's chat partners in batches ([`Hub::take_untold`]). So a burst of users coming
//! online (every client reconnecting after a deploy) costs memory per user and a query per
//! batch, and cannot overflow the dispatcher's queue.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use authdb_domain::{SessionId, UserId};
use tokio::{
    sync::{Notify, mpsc, watch},
    time::Instant,
};

use super::{
    audience::Audiences,
    event::{CloseReason, Delivery, Event},
    signal::{Instance, Signal, SignalKind},
};

/// This process's sockets and presence.
#[derive(Debug)]
pub(crate) struct Hub {
    instance: Instance,
    /// How many events a socket may have waiting before it is closed as too slow.
    queue: usize,
    next_id: AtomicU64,
    state: Mutex<State>,
    /// What the presence task must send next.
    pub(crate) sync: PresenceSync,
    /// The chats' members, as the dispatcher last read them.
    pub(crate) audiences: Arc<Audiences>,
    /// Wakes the dispatcher when a presence change waits to be told ([`State::untold`]).
    untold_waiting: Notify,
}

/// Requests to the presence task (`super::presence`), raised by the dispatcher and by a
/// carrier that reconnected.
#[derive(Debug, Default)]
pub(crate) struct PresenceSync {
    /// Announce this instance's online users again (another instance asked, or is new).
    announce_mine: AtomicBool,
    /// Ask the other instances to announce theirs (this one may have missed signals).
    ask_others: AtomicBool,
    wake: Notify,
}

impl PresenceSync {
    /// This instance may have missed presence signals: announce its users and ask for
    /// everyone else's, now.
    pub(crate) fn request_full(&self) {
        self.announce_mine.store(true, Ordering::Relaxed);
        self.ask_others.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }

    /// Another instance asked: announce this instance's users, now.
    pub(crate) fn request_announce(&self) {
        self.announce_mine.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Takes the requests: (announce mine, ask the others).
    pub(crate) fn take(&self) -> (bool, bool) {
        (self.announce_mine.swap(false, Ordering::Relaxed), self.ask_others.swap(false, Ordering::Relaxed))
    }
}

#[derive(Debug, Default)]
struct State {
    sockets: HashMap<UserId, Vec<Socket>>,
    /// The other instances on which each user has a socket, as their presence signals said.
    elsewhere: HashMap<UserId, HashSet<Instance>>,
    /// The presence last announced to this process's sockets, per user.
    announced: HashMap<UserId, bool>,
    /// Presence changes (of `announced`) not yet told to the sockets here: the latest per
    /// user, for the dispatcher to deliver.
    untold: HashMap<UserId, bool>,
    /// When each other instance was last heard from.
    instances: HashMap<Instance, Instant>,
}

#[derive(Debug)]
struct Socket {
    id: u64,
    session: SessionId,
    events: mpsc::Sender<Arc<Delivery>>,
    close: watch::Sender<Option<CloseReason>>,
}

/// What a registered socket reads: its events, and the reason the server ends it.
#[derive(Debug)]
pub(crate) struct Registered {
    pub(crate) id: u64,
    pub(crate) events: mpsc::Receiver<Arc<Delivery>>,
    pub(crate) close: watch::Receiver<Option<CloseReason>>,
    /// Whether this is the user's first socket on this process.
    pub(crate) first: bool,
}

impl Hub {
    /// A hub whose sockets queue at most `queue` events, and which caches chat audiences
    /// for `audience_ttl` (zero: not at all).
    pub(crate) fn new(instance: Instance, queue: usize, audience_ttl: Duration) -> Self {
        Self {
            instance,
            queue: queue.max(1),
            next_id: AtomicU64::new(1),
            state: Mutex::default(),
            sync: PresenceSync::default(),
            audiences: Arc::new(Audiences::new(audience_ttl)),
            untold_waiting: Notify::new(),
        }
    }

    pub(crate) fn instance(&self) -> Instance {
        self.instance
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain maps behind, still consistent.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn register(&self, user: UserId, session: SessionId) -> Registered {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (events_tx, events) = mpsc::channel(self.queue);
        let (close_tx, close) = watch::channel(None);
        let mut state = self.state();
        let sockets = state.sockets.entry(user).or_default();
        let first = sockets.is_empty();
        sockets.push(Socket { id, session, events: events_tx, close: close_tx });
        metrics::gauge!("authdb_realtime_sockets").increment(1.0);
        Registered { id, events, close, first }
    }

    /// Forgets a socket; answers whether it was the user's last one on this process.
    pub(crate) fn unregister(&self, user: UserId, id: u64) -> bool {
        let mut state = self.state();
        let Some(sockets) = state.sockets.get_mut(&user) else { return false };
        let before = sockets.len();
        sockets.retain(|socket| socket.id != id);
        if sockets.len() < before {
            metrics::gauge!("authdb_realtime_sockets").decrement(1.0);
        }
        let last = sockets.is_empty();
        if last {
            state.sockets.remove(&user);
        }
        last
    }

    /// Whether any of these users has a socket here (else there is nothing to load).
    pub(crate) fn any_online(&self, users: &[UserId]) -> bool {
        let state = self.state();
        users.iter().any(|user| state.sockets.contains_key(user))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.state().sockets.is_empty()
    }

    /// Queues `event` on every socket of `users`; a socket whose queue is full is closed
    /// as too slow instead of waiting or growing.
    pub(crate) fn deliver(&self, users: &[UserId], event: &Arc<Delivery>) {
        let state = self.state();
        for user in users {
            for socket in state.sockets.get(user).into_iter().flatten() {
                match socket.events.try_send(Arc::clone(event)) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        metrics::counter!("authdb_realtime_slow_consumers_total").increment(1);
                        socket.close.send_if_modified(|reason| set_once(reason, CloseReason::TooSlow));
                    }
                    // The socket is closing and will unregister itself.
                    Err(mpsc::error::TrySendError::Closed(_)) => {}
                }
            }
        }
    }

    /// Tells a socket that has just registered who of `partners` (the users who share a
    /// chat with its user) is online, on any instance: a `presence` event each, queued
    /// under the lock that presence changes are delivered under, so that later changes
    /// follow it. Answers how many were online.
    pub(crate) fn presence_snapshot(&self, user: UserId, id: u64, partners: &[UserId]) -> usize {
        let state = self.state();
        let Some(socket) = state.sockets.get(&user).into_iter().flatten().find(|socket| socket.id == id) else {
            return 0;
        };
        let mut online = 0;
        for partner in partners {
            if *partner == user || !(state.sockets.contains_key(partner) || state.elsewhere.contains_key(partner)) {
                continue;
            }
            online += 1;
            let event = Arc::new(Delivery::new(Event::Presence { user_id: *partner, online: true }));
            if let Err(mpsc::error::TrySendError::Full(_)) = socket.events.try_send(event) {
                metrics::counter!("authdb_realtime_slow_consumers_total").increment(1);
                socket.close.send_if_modified(|reason| set_once(reason, CloseReason::TooSlow));
                break;
            }
        }
        online
    }

    /// Whether anyone but `user` is online, here or elsewhere (else a new socket of
    /// `user` has no presence to be told).
    pub(crate) fn anyone_else_online(&self, user: UserId) -> bool {
        let state = self.state();
        state.sockets.keys().any(|other| *other != user) || state.elsewhere.keys().any(|other| *other != user)
    }

    /// The dispatcher's queue overflowed and signals were dropped: every socket here may
    /// have missed events, so each is closed as too slow (its client catches up with
    /// `after=` and reconnects), and presence heard from other instances is forgotten
    /// and asked for again.
    pub(crate) fn overflowed(&self) {
        let mut state = self.state();
        for socket in state.sockets.values().flatten() {
            socket.close.send_if_modified(|reason| set_once(reason, CloseReason::TooSlow));
        }
        state.elsewhere.clear();
        state.announced.clear();
        state.untold.clear();
        drop(state);
        self.sync.request_full();
    }

    /// Ends every socket of a session (it was revoked, here or on another instance).
    pub(crate) fn end_session(&self, session: SessionId) {
        let state = self.state();
        for socket in state.sockets.values().flatten().filter(|socket| socket.session == session) {
            socket.close.send_if_modified(|reason| set_once(reason, CloseReason::SessionEnded));
        }
    }

    /// The users with a socket on this process.
    pub(crate) fn local_users(&self) -> Vec<UserId> {
        self.state().sockets.keys().copied().collect()
    }

    /// Notes that `origin` (another instance) was heard from now; answers whether it was
    /// unknown (new, or taken for dead before), in which case the two must exchange
    /// their online users.
    pub(crate) fn heard(&self, origin: Instance) -> bool {
        if origin == self.instance {
            return false;
        }
        let mut state = self.state();
        let known = state.instances.insert(origin, Instant::now()).is_some();
        if !known {
            metrics::gauge!("authdb_realtime_instances").set(state.instances.len() as f64);
        }
        !known
    }

    /// Forgets the instances not heard from within `ttl` (dead, or cut off): their users
    /// count as offline there. Answers the users who are now offline everywhere and whose
    /// sockets here had been told they were online.
    pub(crate) fn expire(&self, ttl: Duration) -> Vec<UserId> {
        let mut state = self.state();
        let now = Instant::now();
        let dead: Vec<Instance> =
            state.instances.iter().filter(|(_, heard)| now.duration_since(**heard) > ttl).map(|(id, _)| *id).collect();
        if dead.is_empty() {
            return Vec::new();
        }
        for instance in &dead {
            state.instances.remove(instance);
            tracing::warn!(instance = %instance.0, "realtime instance not heard from; its users count as offline");
        }
        metrics::counter!("authdb_realtime_instances_expired_total").increment(dead.len() as u64);
        metrics::gauge!("authdb_realtime_instances").set(state.instances.len() as f64);
        let mut offline = Vec::new();
        let State { sockets, elsewhere, announced, untold, .. } = &mut *state;
        elsewhere.retain(|user, instances| {
            instances.retain(|instance| !dead.contains(instance));
            if !instances.is_empty() {
                return true;
            }
            if !sockets.contains_key(user) && announced.remove(user).is_some() {
                offline.push(*user);
                change_untold(untold, *user, false);
            }
            false
        });
        drop(state);
        if !offline.is_empty() {
            self.untold_waiting.notify_one();
        }
        offline
    }

    /// Takes in what `signal` says about instances and presence, at once, whatever the
    /// dispatcher's backlog: any signal of another instance says it is alive, a heartbeat
    /// may ask for this instance's online users, a presence signal changes who is online.
    /// Answers whether the signal still needs the dispatcher (it concerns a chat).
    pub(crate) fn take_in(&self, signal: &Signal) -> bool {
        // One never heard from (it has just started, or was taken for dead) exchanges
        // online users with this one.
        if self.heard(signal.origin) {
            self.sync.request_full();
        }
        match signal.kind {
            SignalKind::Heartbeat(asks) => {
                if asks && signal.origin != self.instance {
                    self.sync.request_announce();
                }
                false
            }
            SignalKind::Presence(user, online) => {
                self.presence(signal.origin, user, online);
                false
            }
            _ => true,
        }
    }

    /// Waits until a presence change waits to be told.
    pub(crate) async fn untold_waiting(&self) {
        self.untold_waiting.notified().await;
    }

    /// Takes up to `limit` presence changes not yet told to the sockets here (the latest
    /// per user); if more wait, the dispatcher is woken again for them.
    pub(crate) fn take_untold(&self, limit: usize) -> Vec<(UserId, bool)> {
        let mut state = self.state();
        let users: Vec<UserId> = state.untold.keys().take(limit).copied().collect();
        let taken =
            users.into_iter().filter_map(|user| state.untold.remove(&user).map(|online| (user, online))).collect();
        if !state.untold.is_empty() {
            self.untold_waiting.notify_one();
        }
        taken
    }

    /// Takes in a presence signal and answers the user's presence if this process's
    /// sockets have not been told it yet, in which case it waits to be told
    /// ([`Hub::take_untold`]). A user is online while they have a socket on any instance:
    /// here (the registry) or elsewhere (the other instances' signals).
    fn presence(&self, origin: Instance, user: UserId, online: bool) -> Option<bool> {
        let mut state = self.state();
        if origin != self.instance {
            let elsewhere = state.elsewhere.entry(user).or_default();
            if online {
                elsewhere.insert(origin);
            } else {
                elsewhere.remove(&origin);
            }
            if elsewhere.is_empty() {
                state.elsewhere.remove(&user);
            }
        }
        let now = state.sockets.contains_key(&user) || state.elsewhere.contains_key(&user);
        let before = state.announced.get(&user).copied().unwrap_or(false);
        if now {
            state.announced.insert(user, true);
        } else {
            state.announced.remove(&user);
        }
        if now == before {
            return None;
        }
        change_untold(&mut state.untold, user, now);
        drop(state);
        self.untold_waiting.notify_one();
        Some(now)
    }
}

/// Records that `user`'s presence changed to `online`: a change still untold is taken
/// back instead (the sockets here were never told the presence it replaced).
fn change_untold(untold: &mut HashMap<UserId, bool>, user: UserId, online: bool) {
    match untold.entry(user) {
        std::collections::hash_map::Entry::Occupied(told) if *told.get() != online => {
            told.remove();
        }
        std::collections::hash_map::Entry::Occupied(mut told) => {
            told.insert(online);
        }
        std::collections::hash_map::Entry::Vacant(entry) => {
            entry.insert(online);
        }
    }
}

fn set_once(reason: &mut Option<CloseReason>, new: CloseReason) -> bool {
    if reason.is_some() {
        return false;
    }
    *reason = Some(new);
    true
}

#[cfg(test)]
mod tests {
    use authdb_domain::{ChatId, OrganizationId};
    use uuid::Uuid;

    use super::*;

    fn event() -> Arc<Delivery> {
        Arc::new(Delivery::new(Event::ChatUpdated { organization_id: OrganizationId::new(), chat_id: ChatId::new() }))
    }

    fn hub(instance: Instance, queue: usize) -> Hub {
        Hub::new(instance, queue, Duration::from_secs(1))
    }

    #[test]
    fn a_full_queue_closes_the_socket_instead_of_growing() {
        let hub = hub(Instance(Uuid::now_v7()), 2);
        let user = UserId::new();
        let mut socket = hub.register(user, SessionId::new());
        for _ in 0..5 {
            hub.deliver(&[user], &event());
        }
        assert_eq!(*socket.close.borrow_and_update(), Some(CloseReason::TooSlow));
        assert_eq!(socket.events.len(), 2, "the queue holds at most its bound");
    }

    #[test]
    fn ending_a_session_closes_only_its_sockets() {
        let hub = hub(Instance(Uuid::now_v7()), 8);
        let (user, ended, kept) = (UserId::new(), SessionId::new(), SessionId::new());
        let first = hub.register(user, ended);
        let second = hub.register(user, kept);
        assert!(first.first && !second.first);
        hub.end_session(ended);
        assert_eq!(*first.close.borrow(), Some(CloseReason::SessionEnded));
        assert_eq!(*second.close.borrow(), None);
        assert!(!hub.unregister(user, first.id));
        assert!(hub.unregister(user, second.id));
        assert!(hub.is_empty());
    }

    #[test]
    fn an_instance_not_heard_from_takes_its_users_offline() {
        let (here, there) = (Instance(Uuid::now_v7()), Instance(Uuid::now_v7()));
        let hub = hub(here, 8);
        let (gone, stays) = (UserId::new(), UserId::new());
        assert!(hub.heard(there), "a new instance is unknown");
        assert!(!hub.heard(there), "then known");
        assert!(!hub.heard(here), "this instance is never unknown");
        assert_eq!(hub.presence(there, gone, true), Some(true));
        assert_eq!(hub.presence(there, stays, true), Some(true));
        let _socket = hub.register(stays, SessionId::new());
        assert!(hub.expire(Duration::from_secs(60)).is_empty(), "heard from recently");
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(hub.expire(Duration::from_millis(10)), vec![gone], "online here still counts");
        assert!(hub.heard(there), "an expired instance is unknown again");
    }

    #[test]
    fn a_new_socket_is_told_who_of_its_partners_is_online_anywhere() {
        let (here, there) = (Instance(Uuid::now_v7()), Instance(Uuid::now_v7()));
        let hub = hub(here, 8);
        let (me, local, remote, offline) = (UserId::new(), UserId::new(), UserId::new(), UserId::new());
        assert!(!hub.anyone_else_online(me));
        let _local = hub.register(local, SessionId::new());
        assert_eq!(hub.presence(there, remote, true), Some(true));
        let mut socket = hub.register(me, SessionId::new());
        assert!(hub.anyone_else_online(me));
        assert_eq!(hub.presence_snapshot(me, socket.id, &[local, remote, offline, me]), 2);
        let mut told = Vec::new();
        while let Ok(delivery) = socket.events.try_recv() {
            match delivery.event() {
                Event::Presence { user_id, online: true } => told.push(*user_id),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(told, vec![local, remote]);
    }

    #[test]
    fn an_overflow_closes_every_socket_and_forgets_other_instances_presence() {
        let (here, there) = (Instance(Uuid::now_v7()), Instance(Uuid::now_v7()));
        let hub = hub(here, 8);
        let (alice, bob, remote) = (UserId::new(), UserId::new(), UserId::new());
        let first = hub.register(alice, SessionId::new());
        let second = hub.register(bob, SessionId::new());
        hub.presence(there, remote, true);
        hub.overflowed();
        assert_eq!(*first.close.borrow(), Some(CloseReason::TooSlow));
        assert_eq!(*second.close.borrow(), Some(CloseReason::TooSlow));
        assert_eq!(hub.sync.take(), (true, true), "presence is asked for again");
        assert_eq!(hub.presence(there, remote, true), Some(true), "heard as new again");
    }

    #[test]
    fn presence_counts_every_instance() {
        let (here, there) = (Instance(Uuid::now_v7()), Instance(Uuid::now_v7()));
        let hub = hub(here, 8);
        let user = UserId::new();
        // Online elsewhere first: announced once.
        assert_eq!(hub.presence(there, user, true), Some(true));
        // Then here too: nothing new to say.
        let socket = hub.register(user, SessionId::new());
        assert_eq!(hub.presence(here, user, true), None);
        // Gone elsewhere, still here: still online.
        assert_eq!(hub.presence(there, user, false), None);
        // Gone here too: offline.
        hub.unregister(user, socket.id);
        assert_eq!(hub.presence(here, user, false), Some(false));
    }
}
