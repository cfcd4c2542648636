//! Encrypted messaging: chats between members of an organization and the opaque
//! messages posted in them. The server never reads a message: its ciphertext and nonce
//! are bytes it checks the length of, stores and hands back.

use time::OffsetDateTime;

use crate::{ChatId, MessageId, UserId, Violation, parse_label};

/// A chat between two members (unique per pair) or a named group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatKind {
    Direct,
    Group,
}

impl ChatKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Group => "group",
        }
    }

    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        match raw {
            "direct" => Ok(Self::Direct),
            "group" => Ok(Self::Group),
            _ => Err(Violation::new(field, "must be `direct` or `group`")),
        }
    }
}

/// The name of a group chat: 1 to 100 characters, trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChatName(String);

impl ChatName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        parse_label(raw, field, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ChatName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A label naming the clients' encryption scheme (`AES-256-GCM`): 1 to 64 characters,
/// no control characters. The server stores it and never acts on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EncryptionType(String);

impl EncryptionType {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        parse_label(raw, field, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for EncryptionType {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// How long a message of a chat lives, in seconds: from the configured minimum to one
/// year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AutoDelete(u32);

impl AutoDelete {
    /// One year: the longest a chat may keep its messages before deleting them.
    pub const MAX_SECS: u32 = 365 * 24 * 3600;

    /// Parses a number of seconds of at least `min_secs` (`messaging.min_auto_delete_secs`).
    pub fn parse(secs: i64, min_secs: u32, field: &'static str) -> Result<Self, Violation> {
        if secs < i64::from(min_secs) || secs > i64::from(Self::MAX_SECS) {
            return Err(Violation::new(field, format!("must be from {min_secs} to {} seconds", Self::MAX_SECS)));
        }
        u32::try_from(secs)
            .map(Self)
            .map_err(|_| Violation::new(field, format!("must be from {min_secs} to {} seconds", Self::MAX_SECS)))
    }

    /// A value as stored (checked when it was stored).
    pub const fn from_stored(secs: u32) -> Self {
        Self(secs)
    }

    pub const fn secs(self) -> u32 {
        self.0
    }

    /// When a message posted at `posted` is deleted.
    pub fn delete_at(self, posted: OffsetDateTime) -> OffsetDateTime {
        posted + time::Duration::seconds(i64::from(self.0))
    }
}

/// The media type of a message's plaintext, as the clients name it: 1 to 100 characters
/// of printable ASCII. Defaults to `application/octet-stream`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentType(String);

impl ContentType {
    pub const MAX_CHARS: usize = 100;
    pub const DEFAULT: &'static str = "application/octet-stream";

    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        if raw.is_empty() || raw.len() > Self::MAX_CHARS {
            return Err(Violation::new(field, format!("must be 1 to {} characters long", Self::MAX_CHARS)));
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err(Violation::new(field, "may contain only printable ASCII characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn octet_stream() -> Self {
        Self(Self::DEFAULT.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The identifier a client gives a message so that a retry of the same post is answered
/// with the original: 1 to 64 characters of printable ASCII, unique per sender and chat.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientMessageId(String);

impl ClientMessageId {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        if raw.is_empty() || raw.len() > Self::MAX_CHARS {
            return Err(Violation::new(field, format!("must be 1 to {} characters long", Self::MAX_CHARS)));
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Violation::new(field, "may contain only printable ASCII characters without spaces"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Bytes the server stores without looking inside (a ciphertext or a nonce). `Debug`
/// prints only the length.
#[derive(Clone, PartialEq, Eq)]
pub struct OpaqueBytes(Vec<u8>);

impl OpaqueBytes {
    /// The most a nonce may hold.
    pub const MAX_NONCE_BYTES: usize = 64;

    /// Checks `bytes` hold 1 to `max` bytes.
    pub fn new(bytes: Vec<u8>, max: usize, field: &'static str) -> Result<Self, Violation> {
        if bytes.is_empty() {
            return Err(Violation::new(field, "must not be empty"));
        }
        if bytes.len() > max {
            return Err(Violation::new(field, format!("must be at most {max} bytes once decoded")));
        }
        Ok(Self(bytes))
    }

    /// Bytes as stored (checked when they were stored).
    pub fn from_stored(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for OpaqueBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpaqueBytes({} bytes)", self.0.len())
    }
}

/// A chat to create: a direct chat with one other member, or a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewChat {
    Direct {
        member: UserId,
        encryption_type: Option<EncryptionType>,
        auto_delete: Option<AutoDelete>,
    },
    Group {
        name: ChatName,
        members: Vec<UserId>,
        encryption_type: Option<EncryptionType>,
        auto_delete: Option<AutoDelete>,
    },
}

/// A change of a chat's configuration; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatConfigChanges {
    pub encryption_type: Option<Option<EncryptionType>>,
    pub auto_delete: Option<Option<AutoDelete>>,
}

impl ChatConfigChanges {
    pub fn is_empty(&self) -> bool {
        self.encryption_type.is_none() && self.auto_delete.is_none()
    }
}

/// The key that makes a direct chat unique in its organization: its two members, in
/// order.
pub fn direct_chat_key(a: UserId, b: UserId) -> String {
    let (low, high) = if a.as_uuid() <= b.as_uuid() { (a, b) } else { (b, a) };
    format!("{low}:{high}")
}

/// A chat as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    pub id: ChatId,
    pub kind: ChatKind,
    pub name: Option<ChatName>,
    pub encryption_type: Option<EncryptionType>,
    pub auto_delete: Option<AutoDelete>,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub last_activity_at: OffsetDateTime,
}

/// A member of a chat and how far they have read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMember {
    pub user_id: UserId,
    pub joined_at: OffsetDateTime,
    /// The last message the member marked read.
    pub read_up_to: Option<MessageId>,
    pub read_at: Option<OffsetDateTime>,
}

/// The last message of a chat, without its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastMessage {
    pub id: MessageId,
    pub sender_id: UserId,
    pub created_at: OffsetDateTime,
}

/// A chat as one of its members sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatView {
    pub chat: Chat,
    pub members: Vec<ChatMember>,
    pub last_message: Option<LastMessage>,
    /// Messages of the others after the caller's read pointer.
    pub unread_count: u64,
}

/// A message to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub ciphertext: OpaqueBytes,
    pub nonce: Option<OpaqueBytes>,
    pub content_type: ContentType,
    pub client_id: Option<ClientMessageId>,
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: MessageId,
    pub chat_id: ChatId,
    pub sender_id: UserId,
    pub ciphertext: OpaqueBytes,
    pub nonce: Option<OpaqueBytes>,
    pub content_type: ContentType,
    pub client_id: Option<ClientMessageId>,
    pub created_at: OffsetDateTime,
    pub delete_at: Option<OffsetDateTime>,
}

/// Where a page of messages starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageCursor {
    /// The newest messages, newest first.
    Latest,
    /// Older than this message, newest first.
    Before(MessageId),
    /// Newer than this message, oldest first.
    After(MessageId),
}

/// One page of messages and whether more lie beyond it in the same direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePage {
    pub items: Vec<Message>,
    pub has_more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_exactly() {
        assert_eq!(ChatKind::parse("direct", "kind"), Ok(ChatKind::Direct));
        assert_eq!(ChatKind::parse("group", "kind"), Ok(ChatKind::Group));
        assert!(ChatKind::parse("Group", "kind").is_err());
        assert!(ChatKind::parse("", "kind").is_err());
    }

    #[test]
    fn encryption_type_is_a_short_label() {
        assert_eq!(EncryptionType::parse(" AES-256-GCM ", "e").expect("valid").as_str(), "AES-256-GCM");
        assert!(EncryptionType::parse(&"x".repeat(64), "e").is_ok());
        assert!(EncryptionType::parse(&"x".repeat(65), "e").is_err());
        assert!(EncryptionType::parse("", "e").is_err());
        assert!(EncryptionType::parse("a\nb", "e").is_err());
    }

    #[test]
    fn auto_delete_is_bounded() {
        assert!(AutoDelete::parse(59, 60, "a").is_err());
        assert_eq!(AutoDelete::parse(60, 60, "a").expect("valid").secs(), 60);
        assert!(AutoDelete::parse(i64::from(AutoDelete::MAX_SECS), 60, "a").is_ok());
        assert!(AutoDelete::parse(i64::from(AutoDelete::MAX_SECS) + 1, 60, "a").is_err());
        assert!(AutoDelete::parse(-1, 0, "a").is_err());
        let posted = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(AutoDelete::from_stored(90).delete_at(posted), posted + time::Duration::seconds(90));
    }

    #[test]
    fn content_type_and_client_id_are_printable_ascii() {
        assert!(ContentType::parse("text/plain; charset=utf-8", "c").is_ok());
        assert!(ContentType::parse(&"a".repeat(101), "c").is_err());
        assert!(ContentType::parse("", "c").is_err());
        assert!(ContentType::parse("tëxt", "c").is_err());
        assert!(ClientMessageId::parse("0f8c-1", "c").is_ok());
        assert!(ClientMessageId::parse(&"a".repeat(65), "c").is_err());
        assert!(ClientMessageId::parse("a b", "c").is_err());
    }

    #[test]
    fn opaque_bytes_check_their_length_and_hide_their_contents() {
        assert!(OpaqueBytes::new(Vec::new(), 4, "b").is_err());
        assert!(OpaqueBytes::new(vec![1; 5], 4, "b").is_err());
        let bytes = OpaqueBytes::new(vec![7; 4], 4, "b").expect("valid");
        assert_eq!(format!("{bytes:?}"), "OpaqueBytes(4 bytes)");
    }

    #[test]
    fn the_direct_key_does_not_depend_on_the_order() {
        let a = UserId::new();
        let b = UserId::new();
        assert_eq!(direct_chat_key(a, b), direct_chat_key(b, a));
        assert_ne!(direct_chat_key(a, b), direct_chat_key(a, a));
    }
}
