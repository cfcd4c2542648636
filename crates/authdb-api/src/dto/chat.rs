//! Chats and their opaque messages.

use authdb_domain::{ChatMember, ChatView, LastMessage, Message};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pagination::list_schema;

/// A chat as the caller sees it.
#[derive(Serialize, ToSchema)]
pub(crate) struct ChatResponse {
    pub(crate) id: Uuid,
    /// `direct` or `group`.
    pub(crate) kind: &'static str,
    /// A group's name; `null` for a direct chat.
    pub(crate) name: Option<String>,
    /// The clients' encryption label (`AES-256-GCM`), stored and never acted on.
    pub(crate) encryption_type: Option<String>,
    /// How long a new message lives, in seconds; `null` keeps messages.
    pub(crate) auto_delete_secs: Option<u32>,
    pub(crate) created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) updated_at: OffsetDateTime,
    /// The last message's time, or the creation's.
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) last_activity_at: OffsetDateTime,
    pub(crate) members: Vec<ReceiptResponse>,
    /// The newest message still readable, without its contents.
    pub(crate) last_message: Option<LastMessageResponse>,
    /// Messages of the other members after the caller's read pointer.
    pub(crate) unread_count: u64,
}

impl From<ChatView> for ChatResponse {
    fn from(view: ChatView) -> Self {
        let chat = view.chat;
        Self {
            id: chat.id.as_uuid(),
            kind: chat.kind.as_str(),
            name: chat.name.map(|name| name.as_str().to_owned()),
            encryption_type: chat.encryption_type.map(|label| label.as_str().to_owned()),
            auto_delete_secs: chat.auto_delete.map(|secs| secs.secs()),
            created_by: chat.created_by.as_uuid(),
            created_at: chat.created_at,
            updated_at: chat.updated_at,
            last_activity_at: chat.last_activity_at,
            members: view.members.into_iter().map(ReceiptResponse::from).collect(),
            last_message: view.last_message.map(LastMessageResponse::from),
            unread_count: view.unread_count,
        }
    }
}

list_schema!(ChatList, ChatResponse);

/// A chat's last message: who posted it and when.
#[derive(Serialize, ToSchema)]
pub(crate) struct LastMessageResponse {
    pub(crate) id: Uuid,
    pub(crate) sender_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
}

impl From<LastMessage> for LastMessageResponse {
    fn from(last: LastMessage) -> Self {
        Self { id: last.id.as_uuid(), sender_id: last.sender_id.as_uuid(), created_at: last.created_at }
    }
}

/// A member of a chat and their read pointer.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReceiptResponse {
    pub(crate) user_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) joined_at: OffsetDateTime,
    /// The last message the member marked read; `null` before the first.
    pub(crate) up_to: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) read_at: Option<OffsetDateTime>,
}

impl From<ChatMember> for ReceiptResponse {
    fn from(member: ChatMember) -> Self {
        Self {
            user_id: member.user_id.as_uuid(),
            joined_at: member.joined_at,
            up_to: member.read_up_to.map(|id| id.as_uuid()),
            read_at: member.read_at,
        }
    }
}

/// Every member's read pointer.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReceiptList {
    pub(crate) items: Vec<ReceiptResponse>,
}

/// `{"kind": "direct", "member_id"}` or `{"kind": "group", "name", "member_ids"}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateChatRequest {
    /// `direct` or `group`.
    pub(crate) kind: String,
    /// A direct chat's other member.
    #[serde(default)]
    pub(crate) member_id: Option<Uuid>,
    /// A group's name, 1-100 characters.
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// A group's members besides the caller (at most 1000), members of the organization.
    #[serde(default)]
    pub(crate) member_ids: Option<Vec<Uuid>>,
    /// A label of at most 64 characters.
    #[serde(default)]
    pub(crate) encryption_type: Option<String>,
    /// From `messaging.min_auto_delete_secs` (60 by default) to 31536000.
    #[serde(default)]
    pub(crate) auto_delete_secs: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RenameChatRequest {
    pub(crate) name: String,
}

/// An absent field is left alone; `null` clears it (`auto_delete_secs: null` keeps
/// messages).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatConfigRequest {
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) encryption_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<i64>)]
    pub(crate) auto_delete_secs: Option<Option<i64>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddChatMemberRequest {
    pub(crate) user_id: Uuid,
}

/// A message to post. No `Debug`: it carries the ciphertext.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PostMessageRequest {
    /// Standard base64 (with padding); at most `messaging.max_message_bytes` once decoded.
    pub(crate) ciphertext: String,
    /// Standard base64; at most 64 bytes once decoded.
    #[serde(default)]
    pub(crate) nonce: Option<String>,
    /// 1-100 printable ASCII characters; `application/octet-stream` by default.
    #[serde(default)]
    pub(crate) content_type: Option<String>,
    /// 1-64 printable ASCII characters: a retry with the same one answers the original.
    #[serde(default)]
    pub(crate) client_id: Option<String>,
}

impl PostMessageRequest {
    /// The message to post, every field checked (the REST route and the socket's
    /// `message.send` share this): `ciphertext` and `nonce` standard base64 within their
    /// limits, `content_type` and `client_id` printable ASCII. One 422 names every bad field.
    pub(crate) fn into_new_message(
        self,
        policy: authdb_service::MessagingPolicy,
    ) -> Result<authdb_domain::NewMessage, crate::ApiError> {
        let nonce = self.nonce.as_deref().map(|nonce| decode_base64(nonce, "nonce"));
        new_message(decode_base64(&self.ciphertext, "ciphertext"), nonce, self.content_type, self.client_id, policy)
    }
}

/// The bytes of a JSON byte field (standard base64), or the violation naming `field`.
pub(crate) fn decode_base64(text: &str, field: &'static str) -> Result<Vec<u8>, authdb_domain::Violation> {
    STANDARD
        .decode(text)
        .map_err(|_| authdb_domain::Violation::new(field, "must be standard base64 (RFC 4648, with padding)"))
}

/// The message to post from its fields as sent, whatever the body's format (JSON's base64
/// already decoded, MessagePack's `bin` as it is): the byte limits, `content_type` and
/// `client_id` checked. One 422 names every bad field.
pub(crate) fn new_message(
    ciphertext: Result<Vec<u8>, authdb_domain::Violation>,
    nonce: Option<Result<Vec<u8>, authdb_domain::Violation>>,
    content_type: Option<String>,
    client_id: Option<String>,
    policy: authdb_service::MessagingPolicy,
) -> Result<authdb_domain::NewMessage, crate::ApiError> {
    use authdb_domain::{ClientMessageId, ContentType, NewMessage, OpaqueBytes};

    use crate::fields::{collect, invalid};

    let mut violations = Vec::new();
    let ciphertext = collect(
        ciphertext.and_then(|bytes| OpaqueBytes::new(bytes, policy.max_message_bytes, "ciphertext")),
        &mut violations,
    );
    let nonce = collect(
        nonce
            .map(|nonce| nonce.and_then(|bytes| OpaqueBytes::new(bytes, OpaqueBytes::MAX_NONCE_BYTES, "nonce")))
            .transpose(),
        &mut violations,
    );
    let content_type = collect(
        content_type.as_deref().map(|raw| ContentType::parse(raw, "content_type")).transpose(),
        &mut violations,
    );
    let client_id =
        collect(client_id.as_deref().map(|raw| ClientMessageId::parse(raw, "client_id")).transpose(), &mut violations);
    match (ciphertext, nonce, content_type, client_id) {
        (Some(ciphertext), Some(nonce), Some(content_type), Some(client_id)) if violations.is_empty() => {
            Ok(NewMessage {
                ciphertext,
                nonce,
                content_type: content_type.unwrap_or_else(ContentType::octet_stream),
                client_id,
            })
        }
        _ => Err(invalid(violations.into_iter().map(Some))),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MarkReadRequest {
    /// The last message read; the pointer never moves backwards.
    pub(crate) up_to: Uuid,
}

/// A message. `ciphertext` and `nonce` are standard base64 of the bytes as posted.
#[derive(Serialize, ToSchema)]
pub(crate) struct MessageResponse {
    pub(crate) id: Uuid,
    pub(crate) chat_id: Uuid,
    pub(crate) sender_id: Uuid,
    pub(crate) ciphertext: String,
    pub(crate) nonce: Option<String>,
    pub(crate) content_type: String,
    pub(crate) client_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    /// When the message is deleted (the chat's auto-deletion); `null` keeps it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) delete_at: Option<OffsetDateTime>,
}

impl From<Message> for MessageResponse {
    fn from(message: Message) -> Self {
        Self {
            id: message.id.as_uuid(),
            chat_id: message.chat_id.as_uuid(),
            sender_id: message.sender_id.as_uuid(),
            ciphertext: STANDARD.encode(message.ciphertext.as_bytes()),
            nonce: message.nonce.map(|nonce| STANDARD.encode(nonce.as_bytes())),
            content_type: message.content_type.as_str().to_owned(),
            client_id: message.client_id.map(|id| id.as_str().to_owned()),
            created_at: message.created_at,
            delete_at: message.delete_at,
        }
    }
}

/// A page of messages: newest first, or oldest first after `after=`.
#[derive(Serialize, ToSchema)]
pub(crate) struct MessagePageResponse {
    pub(crate) items: Vec<MessageResponse>,
    /// Whether more messages lie beyond this page in the same direction.
    pub(crate) has_more: bool,
}

/// A message to post as `application/msgpack`: a map with the fields of the JSON body,
/// but `ciphertext` and `nonce` as MessagePack `bin` (the bytes themselves, no base64).
/// No `Debug`: it carries the ciphertext.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PostMessageMsgpack {
    /// `bin`: at most `messaging.max_message_bytes`.
    #[serde(with = "authdb_protocol::payload::bin")]
    #[schema(value_type = String, format = Binary)]
    pub(crate) ciphertext: Vec<u8>,
    /// `bin` or `nil`: at most 64 bytes.
    #[serde(default, with = "authdb_protocol::payload::option_bin")]
    #[schema(value_type = Option<String>, format = Binary)]
    pub(crate) nonce: Option<Vec<u8>>,
    /// `str`: 1-100 printable ASCII characters; `application/octet-stream` by default.
    #[serde(default)]
    pub(crate) content_type: Option<String>,
    /// `str`: 1-64 printable ASCII characters: a retry with the same one answers the
    /// original.
    #[serde(default)]
    pub(crate) client_id: Option<String>,
}

/// A message as `application/msgpack`: a map with the JSON answer's fields, ids and times
/// as strings, `ciphertext` and `nonce` as `bin`.
#[derive(Serialize, ToSchema)]
pub(crate) struct MessageMsgpack {
    pub(crate) id: String,
    pub(crate) chat_id: String,
    pub(crate) sender_id: String,
    #[serde(with = "authdb_protocol::payload::bin")]
    #[schema(value_type = String, format = Binary)]
    pub(crate) ciphertext: Vec<u8>,
    #[serde(with = "authdb_protocol::payload::option_bin")]
    #[schema(value_type = Option<String>, format = Binary)]
    pub(crate) nonce: Option<Vec<u8>>,
    pub(crate) content_type: String,
    pub(crate) client_id: Option<String>,
    /// RFC 3339.
    pub(crate) created_at: String,
    /// RFC 3339, or `nil`.
    pub(crate) delete_at: Option<String>,
}

impl From<Message> for MessageMsgpack {
    fn from(message: Message) -> Self {
        let rfc3339 =
            |at: OffsetDateTime| at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        Self {
            id: message.id.as_uuid().to_string(),
            chat_id: message.chat_id.as_uuid().to_string(),
            sender_id: message.sender_id.as_uuid().to_string(),
            ciphertext: message.ciphertext.as_bytes().to_vec(),
            nonce: message.nonce.map(|nonce| nonce.as_bytes().to_vec()),
            content_type: message.content_type.as_str().to_owned(),
            client_id: message.client_id.map(|id| id.as_str().to_owned()),
            created_at: rfc3339(message.created_at),
            delete_at: message.delete_at.map(rfc3339),
        }
    }
}

/// A page of messages as `application/msgpack`.
#[derive(Serialize, ToSchema)]
pub(crate) struct MessagePageMsgpack {
    pub(crate) items: Vec<MessageMsgpack>,
    /// Whether more messages lie beyond this page in the same direction.
    pub(crate) has_more: bool,
}
