//! Realtime delivery: the events of every chat a user is in, to each of their sockets, on
//! every instance.
//!
//! # How an event travels
//!
//! A messaging use case raises a [`Signal`] (ids only) inside its write with
//! `TenantWrite::publish(Change::Realtime(..))`, like any other change: PostgreSQL
//! `NOTIFY` delivers it to every other process exactly when the write commits, and
//! `Write::commit` applies it to this one. Typing and presence change no row and are
//! announced on the pool ([`crate::Core::announce`]). [`Replica::apply`] passes each signal
//! (and each revoked session) to this process's dispatcher as a [`Notice`]; a process skips
//! its own signals when the feed echoes them back, having delivered them at commit.
//!
//! The dispatcher ([`dispatch`]) resolves a signal into an [`Event`]: its audience (the
//! chat's members, read now) and what does not fit in a notification (the message), and
//! queues it on the audience's sockets in the [`hub`] here. Each socket has a bounded
//! queue (`messaging.socket_queue`): a socket that falls behind is closed with
//! [`CloseReason::TooSlow`] rather than buffered, so memory does not grow with a slow
//! client. A revoked session closes its sockets with [`CloseReason::SessionEnded`].
//!
//! Presence: a process announces a user's first socket opening and last socket closing
//! on it; every process keeps which instances each user is online on, and tells its own
//! sockets when a user who shares a chat with them comes online anywhere or goes offline
//! everywhere.
//!
//! On SQLite there is one process and the feed carries nothing: everything is delivered
//! in process, by the same path.
//!
//! [`Replica::apply`]: crate::replica::Replica::apply

pub(crate) mod dispatch;
mod event;
pub(crate) mod hub;
pub(crate) mod signal;

use std::sync::Arc;

use authdb_domain::{SessionId, UserId};
use tokio::sync::{mpsc, watch};

pub use self::event::{CloseReason, Event};
pub(crate) use self::signal::{ChatRef, Instance, Signal, SignalKind};
use crate::{Core, Principal, Result, ServiceError};

/// What the replica tells the dispatcher, in the order it applied them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    Signal(Signal),
    SessionEnded(SessionId),
}

/// Opens realtime connections: one per socket.
#[derive(Debug, Clone)]
pub struct RealtimeService {
    core: Core,
}

impl RealtimeService {
    pub fn new(core: Core) -> Self {
        Self { core }
    }

    /// Registers a socket of an authenticated caller; it receives the events of every
    /// chat the caller is in, until its session ends. The caller's first socket on this
    /// process announces them online.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn connect(&self, principal: &Principal) -> Result<Connection> {
        let (user, session) = (principal.user.id, principal.session_id);
        let registered = self.core.hub().register(user, session);
        let first = registered.first;
        let connection = Connection {
            core: self.core.clone(),
            user,
            session,
            id: registered.id,
            events: registered.events,
            close: registered.close,
        };
        // A revocation applied between authentication and registration found no socket
        // to close: look again now that the socket is registered.
        if self.core.replica().is_revoked(session) {
            return Err(ServiceError::InvalidAccessToken);
        }
        if first {
            announce_presence(&self.core, user, true).await;
        }
        Ok(connection)
    }
}

async fn announce_presence(core: &Core, user: UserId, online: bool) {
    if let Err(error) = core.announce(SignalKind::Presence(user, online)).await {
        tracing::warn!(error = %crate::error_chain(&error), "presence could not be announced");
    }
}

/// One registered socket: its queue of events and the reason the server ends it.
/// Dropping it unregisters the socket.
#[derive(Debug)]
pub struct Connection {
    core: Core,
    user: UserId,
    session: SessionId,
    id: u64,
    events: mpsc::Receiver<Arc<Event>>,
    close: watch::Receiver<Option<CloseReason>>,
}

/// Resolves when the server ends a socket; cloned from [`Connection::close_signal`] so
/// that it can be awaited while the connection is borrowed elsewhere.
#[derive(Debug, Clone)]
pub struct CloseSignal(watch::Receiver<Option<CloseReason>>);

impl CloseSignal {
    /// Waits for the reason the socket must close.
    pub async fn wait(&mut self) -> CloseReason {
        match self.0.wait_for(Option::is_some).await {
            Ok(reason) => reason.unwrap_or(CloseReason::SessionEnded),
            // The hub is gone: the process is stopping.
            Err(_) => std::future::pending().await,
        }
    }
}

impl Connection {
    pub fn user_id(&self) -> UserId {
        self.user
    }

    pub fn session_id(&self) -> SessionId {
        self.session
    }

    /// The next event for this socket.
    pub async fn recv(&mut self) -> Option<Arc<Event>> {
        self.events.recv().await
    }

    pub fn close_signal(&self) -> CloseSignal {
        CloseSignal(self.close.clone())
    }

    /// Whether the server has asked this socket to close, and why.
    pub fn closing(&self) -> Option<CloseReason> {
        *self.close.borrow()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.core.hub().unregister(self.user, self.id)
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let (core, user) = (self.core.clone(), self.user);
            runtime.spawn(async move { announce_presence(&core, user, false).await });
        }
    }
}

/// Builds this process's hub and starts its dispatcher.
pub(crate) fn start(
    db: authdb_persistence::DatabaseConnection,
    instance: Instance,
    socket_queue: usize,
    notices: mpsc::UnboundedReceiver<Notice>,
) -> (Arc<hub::Hub>, dispatch::DispatchTask) {
    let hub = Arc::new(hub::Hub::new(instance, socket_queue));
    let task = dispatch::start(db, Arc::clone(&hub), notices);
    (hub, task)
}
