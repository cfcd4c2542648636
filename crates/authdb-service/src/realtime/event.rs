//! What a socket receives: an event with everything it says loaded, and the frames made
//! of it, shared by every socket it goes to.

use std::{any::Any, sync::OnceLock};

use authdb_domain::{ChatId, Message, MessageId, OrganizationId, UserId};

/// A realtime event for the sockets of the users it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message was posted (`message.created`).
    MessageCreated { organization_id: OrganizationId, chat_id: ChatId, message: Message },
    /// A message was deleted (`message.deleted`).
    MessageDeleted { organization_id: OrganizationId, chat_id: ChatId, message_id: MessageId },
    /// A member's read pointer moved (`message.read`).
    MessageRead { organization_id: OrganizationId, chat_id: ChatId, user_id: UserId, up_to: MessageId },
    /// A member is typing (`typing`); never sent back to the typist.
    Typing { organization_id: OrganizationId, chat_id: ChatId, user_id: UserId },
    /// A user who shares a chat came online or went offline on every instance (`presence`).
    Presence { user_id: UserId, online: bool },
    /// A chat the user is in was created (`chat.created`).
    ChatCreated { organization_id: OrganizationId, chat_id: ChatId },
    /// A chat's name or configuration changed (`chat.updated`).
    ChatUpdated { organization_id: OrganizationId, chat_id: ChatId },
    /// Someone joined a chat (`chat.member_added`).
    MemberAdded { organization_id: OrganizationId, chat_id: ChatId, user_id: UserId },
    /// Someone left or was removed (`chat.member_removed`); the removed user hears it too.
    MemberRemoved { organization_id: OrganizationId, chat_id: ChatId, user_id: UserId },
}

impl Event {
    /// The event's `type` on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MessageCreated { .. } => "message.created",
            Self::MessageDeleted { .. } => "message.deleted",
            Self::MessageRead { .. } => "message.read",
            Self::Typing { .. } => "typing",
            Self::Presence { .. } => "presence",
            Self::ChatCreated { .. } => "chat.created",
            Self::ChatUpdated { .. } => "chat.updated",
            Self::MemberAdded { .. } => "chat.member_added",
            Self::MemberRemoved { .. } => "chat.member_removed",
        }
    }
}

/// Why the server ends a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The session ended (logout, revocation, logout everywhere, a password change,
    /// deactivation) or its access token expired without a fresh one: close code 4001.
    SessionEnded,
    /// The socket's outgoing queue was full (`messaging.socket_queue`): close code 1013;
    /// the client catches up through `after=`.
    TooSlow,
}

/// How many encodings of an event a [`Delivery`] keeps (one per subprotocol).
const ENCODINGS: usize = 2;

/// Where a [`Delivery`] keeps one encoding's form of its event: one slot per subprotocol,
/// chosen by the web layer (this crate knows no encoding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodingSlot(usize);

impl EncodingSlot {
    /// The slot numbered `index`, below 2.
    pub const fn new(index: usize) -> Self {
        assert!(index < ENCODINGS, "there are two encoding slots");
        Self(index)
    }
}

/// An event on its way to sockets: queued (behind an `Arc`) on every socket it goes to,
/// so a fan-out holds one copy, and encoded once per encoding, by the first socket that
/// sends it ([`Delivery::encoded`]), for all the others.
#[derive(Debug)]
pub struct Delivery {
    event: Event,
    encoded: [OnceLock<Box<dyn Any + Send + Sync>>; ENCODINGS],
}

impl Delivery {
    pub fn new(event: Event) -> Self {
        Self { event, encoded: Default::default() }
    }

    pub fn event(&self) -> &Event {
        &self.event
    }

    /// The event's form in `slot`: encoded by `encode` the first time, then cloned (make
    /// `T` cheap to clone: `Bytes`, an `Arc`). A slot asked for with two types keeps the
    /// first and encodes the second every time.
    pub fn encoded<T: Any + Send + Sync + Clone>(&self, slot: EncodingSlot, encode: impl FnOnce(&Event) -> T) -> T {
        let cell = &self.encoded[slot.0];
        if let Some(stored) = cell.get()
            && let Some(value) = stored.downcast_ref::<T>()
        {
            return value.clone();
        }
        let value = encode(&self.event);
        // Two sockets may encode at once; the first to finish is kept, both send the same.
        let _ = cell.set(Box::new(value.clone()));
        value
    }
}
