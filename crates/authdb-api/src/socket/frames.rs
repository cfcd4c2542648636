//! The one place a realtime event becomes a frame and a frame becomes a client command:
//! the encoding seam. [`JsonFrames`] speaks the `authdb.v1` subprotocol (JSON text
//! frames); another subprotocol (the binary `authdb.msgpack.v1`) is another [`Frames`].

use actix_web::web::Bytes;
use authdb_domain::{ChatId, Message};
use authdb_service::Event;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    ApiError,
    dto::{MessageResponse, PostMessageRequest},
    json::parse,
};

/// A frame to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Frame {
    Text(String),
    Binary(Bytes),
}

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
        message: PostMessageRequest,
    },
}

/// A frame that is no command; answered with an `error` frame, the socket stays open.
#[derive(Debug)]
pub(crate) struct BadFrame {
    pub(crate) client_id: Option<String>,
    pub(crate) error: ApiError,
}

/// An encoding of the realtime protocol.
pub(crate) trait Frames: Send + Sync {
    fn event(&self, event: &Event) -> Frame;
    fn reply(&self, reply: Reply<'_>) -> Frame;
    fn command(&self, frame: Frame) -> Result<Command, BadFrame>;
}

/// `authdb.v1`: JSON text frames `{"type": ..., ...}`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonFrames;

fn text(value: &Value) -> Frame {
    Frame::Text(value.to_string())
}

impl Frames for JsonFrames {
    fn event(&self, event: &Event) -> Frame {
        let kind = event.kind();
        text(&match event {
            Event::MessageCreated { organization_id, chat_id, message } => json!({
                "type": kind, "organization_id": organization_id, "chat_id": chat_id,
                "message": MessageResponse::from(message.clone()),
            }),
            Event::MessageDeleted { organization_id, chat_id, message_id } => json!({
                "type": kind, "organization_id": organization_id, "chat_id": chat_id, "message_id": message_id,
            }),
            Event::MessageRead { organization_id, chat_id, user_id, up_to } => json!({
                "type": kind, "organization_id": organization_id, "chat_id": chat_id, "user_id": user_id,
                "up_to": up_to,
            }),
            Event::Presence { user_id, online } => json!({
                "type": kind, "user_id": user_id, "status": if *online { "online" } else { "offline" },
            }),
            Event::ChatCreated { organization_id, chat_id } | Event::ChatUpdated { organization_id, chat_id } => {
                json!({ "type": kind, "organization_id": organization_id, "chat_id": chat_id })
            }
            Event::Typing { organization_id, chat_id, user_id }
            | Event::MemberAdded { organization_id, chat_id, user_id }
            | Event::MemberRemoved { organization_id, chat_id, user_id } => json!({
                "type": kind, "organization_id": organization_id, "chat_id": chat_id, "user_id": user_id,
            }),
        })
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

    fn command(&self, frame: Frame) -> Result<Command, BadFrame> {
        let Frame::Text(text) = frame else {
            return Err(BadFrame {
                client_id: None,
                error: ApiError::BadRequest("binary frames need the authdb.msgpack.v1 subprotocol".into()),
            });
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
                    message: PostMessageRequest {
                        ciphertext: command.ciphertext,
                        nonce: command.nonce,
                        content_type: command.content_type,
                        client_id: Some(command.client_id),
                    },
                })
            }
            _ => Err(bad(ApiError::Unprocessable(vec![crate::FieldError {
                field: "type".into(),
                message: "must be auth, typing or message.send".into(),
            }]))),
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
