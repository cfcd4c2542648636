//! Realtime delivery: the events of every chat a user is in, to each of their sockets, on
//! every instance.
//!
//! # How an event travels
//!
//! A messaging use case raises a [`Signal`] (ids only) inside its write with
//! `TenantWrite::publish(Change::Realtime(..))`, like any other change: PostgreSQL
//! `NOTIFY` delivers it to every other process exactly when the write commits, and
//! `Write::commit` applies it to this one. Typing and presence change no row and are
//! announced on the pool (`Core::announce`). `Replica::apply` passes each signal
//! (and each revoked session) to this process's dispatcher as a [`Notice`]; a process skips
//! its own signals when the feed echoes them back, having delivered them at commit.
//!
//! The dispatcher ([`dispatch`]) resolves a signal into an [`Event`]: its audience (the
//! chat's members, cached per chat and evicted by every change to them, see
//! [`audience`]) and what does not fit in a notification (the message: carried in the
//! notice on the instance that posted it, loaded once per event on the others), and
//! queues one shared [`Delivery`] on the audience's sockets in the [`hub`] here; each
//! encoding's frame is made once per event, by the first socket that sends it. The
//! dispatcher's input is bounded ([`NOTICE_QUEUE`]). Each socket has a bounded
//! queue (`messaging.socket_queue`): a socket that falls behind is closed with
//! [`CloseReason::TooSlow`] rather than buffered, so memory does not grow with a slow
//! client. A revoked session closes its sockets with [`CloseReason::SessionEnded`],
//! directly from the replica (not through the dispatcher's queue).
//!
//! Presence: a process announces a user's first socket opening and last socket closing
//! on it; every process keeps which instances each user is online on, and tells its own
//! sockets when a user who shares a chat with them comes online anywhere or goes offline
//! everywhere. Every process also sends a heartbeat (`crate::carrier::presence`); one not
//! heard from for three heartbeats is taken for dead and its users for offline, so a
//! killed instance does not leave its users online (see [`hub`]).
//!
//! Signals travel between processes on a carrier (`crate::carrier`): the change feed, or
//! Redis pub/sub when one is configured.
//!
//! On SQLite there is one process and the feed carries nothing: everything is delivered
//! in process, by the same path. Sockets register through `crate::sockets`
//! (`RealtimeService::connect`); this module knows nothing of the core.

pub(crate) mod audience;
pub(crate) mod dispatch;
mod event;
pub(crate) mod hub;
pub(crate) mod signal;

use std::sync::Arc;

use tokio::sync::mpsc;

pub use self::event::{CloseReason, Delivery, EncodingSlot, Event};
pub(crate) use self::signal::{ChatRef, Instance, Notice, Signal, SignalKind};

/// How many notices may wait for the dispatcher. Beyond that a notice is dropped, counted
/// (`authdb_realtime_notices_dropped_total`), logged, and every socket here is closed with
/// 1013 so that its client catches up ([`hub::Hub::overflowed`]): never a silent loss.
pub(crate) const NOTICE_QUEUE: usize = 4096;

/// The dispatcher's input: bounded, see [`NOTICE_QUEUE`].
pub(crate) fn notices() -> (mpsc::Sender<Notice>, mpsc::Receiver<Notice>) {
    mpsc::channel(NOTICE_QUEUE)
}

/// Starts this process's dispatcher over its hub.
pub(crate) fn start(
    db: authdb_persistence::DatabaseConnection,
    hub: Arc<hub::Hub>,
    presence_ttl: std::time::Duration,
    notices: mpsc::Receiver<Notice>,
) -> dispatch::DispatchTask {
    dispatch::start(db, hub, presence_ttl, notices)
}
