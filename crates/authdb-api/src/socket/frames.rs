//! The one place a realtime event becomes a frame and a frame becomes a client command:
//! the encoding seam. [`JsonFrames`] speaks the `authdb.v1` subprotocol (JSON text
//! frames); `super::msgpack_frames::MsgpackFrames` the binary `authdb.msgpack.v1`. One
//! [`Frames`] value serves one connection, so an encoding may keep per-connection state
//! (the signed protocol's key and replay window) and may refuse a frame by closing the
//! socket ([`Refusal::Close`]) rather than answering it.

use actix_web::web::Bytes;
use authdb_domain::{ChatId, Message, Violation};
use authdb_service::{Delivery, EncodingSlot, Event};
use bytestring::ByteString;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    ApiError,
    dto::{MessageResponse, decode_base64},
    json::parse,
};

/// A frame to send or received. Both forms are cheap to clone (shared bytes), so that an
/// event's frame is made once and sent to every socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Frame {
    Text(ByteString),
    Binary(Bytes),
}

/// Where a [`Delivery`] keeps the `authdb.v1` frame of its event.
pub(crate) const JSON_SLOT: EncodingSlot = EncodingSlot::new(0);
/// Where a [`Delivery`] keeps the `authdb.msgpack.v1` payload of its event.
pub(crate) const MSGPACK_SLOT: EncodingSlot = EncodingSlot::new(1);

/// What the server tells a client besides events.
#[derive(Debug)]
pub(crate) enum Reply<'a> {
    /// The first frame: who the socket belongs to.
    Ready { user_id: Uuid, session_id: Uuid },
    /// A fresh access token was accepted; the socket lives until its expiry.
    AuthOk { expires_at: i64 },
    /// A `message.send` was stored (or its `client_id` had been).
    Ack { client_id: &'a str, message: Message },
    /// A command failed; `client_id` when the command had one.
    Error { client_id: Option<&'a str>, problem: Value },
}

/// A command from the client. No `Debug`: it carries a token or a ciphertext.
pub(crate) enum Command {
    /// A fresh access token of the same session.
    Auth {
        token: String,
    },
    Typing {
        chat_id: ChatId,
    },
    Send {
        chat_id: ChatId,
        client_id: String,
        message: PostedMessage,
    },
}

/// A `message.send`'s message fields as the encoding carries them (JSON's base64 already
/// decoded, or the error naming the field), checked by `dto::new_message` like a REST post.
/// No `Debug`: it carries the ciphertext.
pub(crate) struct PostedMessage {
    pub(crate) ciphertext: Result<Vec<u8>, Violation>,
    pub(crate) nonce: Option<Result<Vec<u8>, Violation>>,
    pub(crate) content_type: Option<String>,
    pub(crate) client_id: Option<String>,
}

/// A frame that is no command; answered with an `error` frame, the socket stays open.
#[derive(Debug)]
pub(crate) struct BadFrame {
    pub(crate) client_id: Option<String>,
    pub(crate) error: ApiError,
}

/// Why a client frame gave no command.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The frame is understood but is no valid command: answered with an `error` frame;
    /// the socket stays open.
    Answer(BadFrame),
    /// The frame breaks the protocol itself (the signed protocol's checks, a text frame on
    /// a binary socket): the socket is closed with this code and reason.
    Close { code: u16, reason: String },
}

impl From<BadFrame> for Refusal {
    fn from(bad: BadFrame) -> Self {
        Self::Answer(bad)
    }
}

/// An encoding of the realtime protocol, one value per connection.
pub(crate) trait Frames: Send {
    /// The frame of an event; what does not depend on the connection is made once per
    /// event and shared ([`Delivery::encoded`]).
    fn event(&self, delivery: &Delivery) -> Frame;
    fn reply(&self, reply: Reply<'_>) -> Frame;
    fn command(&mut self, frame: Frame) -> Result<Command, Refusal>;
}

/// What an event says, without its type: the message of `message.created` apart (each
/// encoding writes its bytes its own way), every other event's fields as JSON values
/// (ids as strings).
pub(crate) enum EventFields<'a> {
    Message { organization_id: Uuid, chat_id: Uuid, message: &'a Message },
    Other(Value),
}

/// The one description of each event's fields, shared by both encodings.
pub(crate) fn event_fields(event: &Event) -> EventFields<'_> {
    EventFields::Other(match event {
        Event::MessageCreated { organization_id, chat_id, message } => {
            return EventFields::Message {
                organization_id: organization_id.as_uuid(),
                chat_id: chat_id.as_uuid(),
                message,
            };
        }
        Event::MessageDeleted { organization_id, chat_id, message_id } => json!({
            "organization_id": organization_id, "chat_id": chat_id, "message_id": message_id,
        }),
        Event::MessageRead { organization_id, chat_id, user_id, up_to } => json!({
            "organization_id": organization_id, "chat_id": chat_id, "user_id": user_id, "up_to": up_to,
        }),
        Event::Presence { user_id, online } => json!({
            "user_id": user_id, "status": if *online { "online" } else { "offline" },
        }),
        Event::ChatCreated { organization_id, chat_id } | Event::ChatUpdated { organization_id, chat_id } => {
            json!({ "organization_id": organization_id, "chat_id": chat_id })
        }
        Event::Typing { organization_id, chat_id, user_id }
        | Event::MemberAdded { organization_id, chat_id, user_id }
        | Event::MemberRemoved { organization_id, chat_id, user_id } => json!({
            "organization_id": organization_id, "chat_id": chat_id, "user_id": user_id,
        }),
    })
}

/// The answer to a command type other than `auth`, `typing` and `message.send`.
pub(crate) fn unknown_command() -> ApiError {
    ApiError::Unprocessable(vec![crate::FieldError {
        field: "type".into(),
        message: "must be auth, typing or message.send".into(),
    }])
}

/// `authdb.v1`: JSON text frames `{"type": ..., ...}`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonFrames;

fn text(value: &Value) -> Frame {
    Frame::Text(ByteString::from(value.to_string()))
}

/// An event's `authdb.v1` frame, the same for every socket.
fn json_event(event: &Event) -> ByteString {
    let mut fields = match event_fields(event) {
        EventFields::Message { organization_id, chat_id, message } => json!({
            "organization_id": organization_id, "chat_id": chat_id,
            "message": MessageResponse::from(message.clone()),
        }),
        EventFields::Other(fields) => fields,
    };
    if let Value::Object(map) = &mut fields {
        map.insert("type".to_owned(), Value::from(event.kind()));
    }
    ByteString::from(fields.to_string())
}

impl Frames for JsonFrames {
    fn event(&self, delivery: &Delivery) -> Frame {
        Frame::Text(delivery.encoded(JSON_SLOT, json_event))
    }

    fn reply(&self, reply: Reply<'_>) -> Frame {
        text(&match reply {
            Reply::Ready { user_id, session_id } => {
                json!({ "type": "ready", "user_id": user_id, "session_id": session_id })
            }
            Reply::AuthOk { expires_at } => json!({ "type": "auth.ok", "expires_at": expires_at }),
            Reply::Ack { client_id, message } => {
                json!({ "type": "message.ack", "client_id": client_id, "message": MessageResponse::from(message) })
            }
            Reply::Error { client_id, problem } => {
                json!({ "type": "error", "client_id": client_id, "problem": problem })
            }
        })
    }

    fn command(&mut self, frame: Frame) -> Result<Command, Refusal> {
        let Frame::Text(text) = frame else {
            return Err(Refusal::Answer(BadFrame {
                client_id: None,
                error: ApiError::BadRequest("binary frames need the authdb.msgpack.v1 subprotocol".into()),
            }));
        };
        let envelope: Envelope = parse(text.as_bytes()).map_err(|error| BadFrame { client_id: None, error })?;
        let client_id = envelope.client_id.clone();
        let bad = |error| BadFrame { client_id: client_id.clone(), error };
        match envelope.kind.as_str() {
            "auth" => {
                let command: AuthCommand = parse(text.as_bytes()).map_err(bad)?;
                Ok(Command::Auth { token: command.token })
            }
            "typing" => {
                let command: TypingCommand = parse(text.as_bytes()).map_err(bad)?;
                Ok(Command::Typing { chat_id: ChatId::from_uuid(command.chat_id) })
            }
            "message.send" => {
                let command: SendCommand = parse(text.as_bytes()).map_err(bad)?;
                Ok(Command::Send {
                    chat_id: ChatId::from_uuid(command.chat_id),
                    client_id: command.client_id.clone(),
                    message: PostedMessage {
                        ciphertext: decode_base64(&command.ciphertext, "ciphertext"),
                        nonce: command.nonce.as_deref().map(|nonce| decode_base64(nonce, "nonce")),
                        content_type: command.content_type,
                        client_id: Some(command.client_id),
                    },
                })
            }
            _ => Err(bad(unknown_command()).into()),
        }
    }
}

/// What every command has: its type, and maybe a `client_id` to answer errors with.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    client_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthCommand {
    #[serde(rename = "type")]
    _kind: String,
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypingCommand {
    #[serde(rename = "type")]
    _kind: String,
    chat_id: Uuid,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendCommand {
    #[serde(rename = "type")]
    _kind: String,
    chat_id: Uuid,
    ciphertext: String,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    content_type: Option<String>,
    client_id: String,
}
