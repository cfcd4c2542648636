//! Realtime sockets: [`RealtimeService::connect`] registers one with this process's hub
//! (`crate::realtime`), and the [`Connection`] it answers is what the web layer serves.

use std::sync::Arc;

use authdb_domain::{SessionId, UserId};
use tokio::sync::{mpsc, watch};

use crate::{
    Core, Principal, Result, ServiceError,
    realtime::{CloseReason, Delivery, SignalKind},
};

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
        self.presence_snapshot(user, connection.id).await;
        Ok(connection)
    }

    /// Queues on a new socket the presence of the users who share a chat with its user and
    /// are online now (on any instance); later changes follow as they happen. Those not
    /// announced are offline. Skipped, without reading, when nobody else is online.
    async fn presence_snapshot(&self, user: UserId, id: u64) {
        let hub = self.core.hub();
        if !hub.anyone_else_online(user) {
            return;
        }
        match authdb_persistence::chats::chat_partners(self.core.db(), user).await {
            Ok(partners) => {
                hub.presence_snapshot(user, id, &partners);
            }
            // The socket works without it; its client learns presence from the changes.
            Err(error) => {
                tracing::warn!(error = %crate::error_chain(&error), "the presence snapshot could not be read");
            }
        }
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
    events: mpsc::Receiver<Arc<Delivery>>,
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
    pub async fn recv(&mut self) -> Option<Arc<Delivery>> {
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
