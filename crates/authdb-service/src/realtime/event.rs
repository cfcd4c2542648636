//! What a socket receives: an event with everything it says loaded.

use authdb_domain::{ChatId, Message, MessageId, OrganizationId, UserId};

/// A realtime event for the sockets of the users it concerns. Shared (behind an `Arc`)
/// by every socket it goes to, so a fan-out holds one copy.
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
