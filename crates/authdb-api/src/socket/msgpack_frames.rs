//! `authdb.msgpack.v1` (docs/protocol.md): binary MessagePack frames `[v, type, id, ts,
//! payload, sig]` built and checked by `authdb-protocol`. Each connection draws a 32-byte
//! key, sends it once in the unsigned `ready` frame, signs every later frame with it, and
//! accepts a client frame only when its signature verifies under it, its `ts` is within
//! 30 s of the server's clock and its id is new on the connection.
//!
//! Refusals: a frame that fails those checks closes the socket with 4400 (the reason names
//! the check, never a byte of the frame); a text frame closes it with 1003 (unsupported
//! data), since a text frame is no MessagePack frame and this subprotocol has no text form.
//! A frame that passed the checks but is no valid command (an unknown `type`, a missing
//! or mistyped field) is answered with an `error` frame like on `authdb.v1`.

use actix_web::web::Bytes;
use authdb_domain::ChatId;
use authdb_protocol::{
    CLOSE_PROTOCOL_ERROR, Clock as _, Frame as SignedFrame, ID_LEN, KEY_LEN, Key, Ready, SystemClock, Verifier, payload,
};
use authdb_service::{Delivery, Event};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::frames::{
    BadFrame, Command, EventFields, Frame, Frames, MSGPACK_SLOT, PostedMessage, Refusal, Reply, event_fields,
    unknown_command,
};
use crate::{ApiError, FieldError, dto::MessageMsgpack, msgpack::parse};

/// The close code of a text frame on a binary socket (RFC 6455's "unsupported data").
pub(crate) const CLOSE_TEXT_FRAME: u16 = 1003;
/// The longest close reason a close frame carries (125 bytes less the code).
const MAX_REASON: usize = 123;

/// One connection's side of `authdb.msgpack.v1`: its key (inside the verifier) and the ids
/// of the client frames accepted so far.
#[derive(Debug)]
pub(crate) struct MsgpackFrames {
    verifier: Verifier<SystemClock>,
}

impl MsgpackFrames {
    /// A connection with a fresh key of 32 bytes from the operating system's generator.
    pub(crate) fn generate() -> Result<Self, getrandom::Error> {
        let mut key = [0u8; KEY_LEN];
        getrandom::fill(&mut key)?;
        Ok(Self::with_key(Key::from_bytes(key)))
    }

    /// A connection with this key.
    pub(crate) fn with_key(key: Key) -> Self {
        Self { verifier: Verifier::new(key, SystemClock) }
    }

    /// A frame of `kind` carrying `fields`, signed under the connection's key.
    fn signed(&self, kind: &str, fields: &(impl Serialize + ?Sized)) -> Frame {
        let bytes = payload::to_vec(fields)
            .and_then(|payload| SignedFrame::new(kind, frame_id(), SystemClock.now_ms(), payload))
            .map(|frame| frame.to_signed_bytes(self.verifier.key()));
        binary(kind, bytes)
    }
}

/// A fresh frame id (a UUID v7's 16 bytes: unique on the connection).
fn frame_id() -> [u8; ID_LEN] {
    Uuid::now_v7().into_bytes()
}

/// The frame, or (an encoding that cannot fail for these payloads, logged if it ever did)
/// an empty binary frame, which the client refuses as undecodable.
fn binary(kind: &str, bytes: authdb_protocol::Result<Vec<u8>>) -> Frame {
    match bytes {
        Ok(bytes) => Frame::Binary(Bytes::from(bytes)),
        Err(error) => {
            tracing::error!(%error, kind, "cannot encode a realtime frame");
            Frame::Binary(Bytes::new())
        }
    }
}

/// An event's payload, the same for every socket (or the encoding's error, shared too).
fn event_payload(event: &Event) -> authdb_protocol::Result<Bytes> {
    match event_fields(event) {
        EventFields::Message { organization_id, chat_id, message } => payload::to_vec(&MessageEvent {
            organization_id: organization_id.to_string(),
            chat_id: chat_id.to_string(),
            message: MessageMsgpack::from(message.clone()),
        }),
        EventFields::Other(fields) => payload::to_vec(&fields),
    }
    .map(Bytes::from)
}

/// `message.created`'s payload: the message with its bytes as `bin`, ids as strings.
#[derive(Serialize)]
struct MessageEvent {
    organization_id: String,
    chat_id: String,
    message: MessageMsgpack,
}

/// `message.ack`'s payload.
#[derive(Serialize)]
struct Ack<'a> {
    client_id: &'a str,
    message: MessageMsgpack,
}

impl Frames for MsgpackFrames {
    fn event(&self, delivery: &Delivery) -> Frame {
        // The payload is the same for every socket; the envelope (id, ts, signature under
        // the connection's key) is each socket's own.
        let kind = delivery.event().kind();
        let bytes = delivery
            .encoded(MSGPACK_SLOT, event_payload)
            .and_then(|payload| SignedFrame::new(kind, frame_id(), SystemClock.now_ms(), payload.to_vec()))
            .map(|frame| frame.to_signed_bytes(self.verifier.key()));
        binary(kind, bytes)
    }

    fn reply(&self, reply: Reply<'_>) -> Frame {
        match reply {
            Reply::Ready { user_id, session_id } => {
                let ready = Ready {
                    user_id: user_id.to_string(),
                    session_id: session_id.to_string(),
                    key: self.verifier.key().clone(),
                };
                binary(authdb_protocol::READY, ready.to_bytes(frame_id(), SystemClock.now_ms()))
            }
            Reply::AuthOk { expires_at } => self.signed("auth.ok", &json!({ "expires_at": expires_at })),
            Reply::Ack { client_id, message } => {
                self.signed("message.ack", &Ack { client_id, message: MessageMsgpack::from(message) })
            }
            Reply::Error { client_id, problem } => {
                self.signed("error", &json!({ "client_id": client_id, "problem": problem }))
            }
        }
    }

    fn command(&mut self, frame: Frame) -> Result<Command, Refusal> {
        let bytes = match frame {
            Frame::Binary(bytes) => bytes,
            Frame::Text(_) => {
                return Err(Refusal::Close {
                    code: CLOSE_TEXT_FRAME,
                    reason: "text frames are not part of authdb.msgpack.v1: send binary frames".to_owned(),
                });
            }
        };
        let frame = self.verifier.accept(&bytes).map_err(|error| {
            let mut reason = error.to_string();
            truncate(&mut reason, MAX_REASON);
            Refusal::Close { code: CLOSE_PROTOCOL_ERROR, reason }
        })?;
        let fields = frame.payload();
        // The `client_id` to answer an error with, if the payload has a readable one.
        let client_id = payload::from_slice::<Envelope>(fields).ok().and_then(|envelope| envelope.client_id);
        let bad = |error: ApiError| Refusal::Answer(BadFrame { client_id: client_id.clone(), error });
        match frame.kind() {
            "auth" => {
                let command: AuthPayload = parse(fields).map_err(bad)?;
                Ok(Command::Auth { token: command.token })
            }
            "typing" => {
                let command: TypingPayload = parse(fields).map_err(bad)?;
                Ok(Command::Typing { chat_id: chat_id(&command.chat_id).map_err(bad)? })
            }
            "message.send" => {
                let command: SendPayload = parse(fields).map_err(bad)?;
                Ok(Command::Send {
                    chat_id: chat_id(&command.chat_id).map_err(bad)?,
                    client_id: command.client_id.clone(),
                    message: PostedMessage {
                        ciphertext: Ok(command.ciphertext),
                        nonce: command.nonce.map(Ok),
                        content_type: command.content_type,
                        client_id: Some(command.client_id),
                    },
                })
            }
            _ => Err(bad(unknown_command())),
        }
    }
}

/// Cuts `text` to at most `max` bytes, at a character boundary.
fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let cut = (0..=max).rev().find(|&at| text.is_char_boundary(at)).unwrap_or(0);
        text.truncate(cut);
    }
}

/// A chat id: the UUID's text, as in JSON.
fn chat_id(text: &str) -> Result<ChatId, ApiError> {
    Uuid::parse_str(text).map(ChatId::from_uuid).map_err(|_| {
        ApiError::Unprocessable(vec![FieldError { field: "chat_id".into(), message: "must be a UUID".into() }])
    })
}

/// What a command's payload may carry besides its own fields: a `client_id`.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    client_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthPayload {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypingPayload {
    chat_id: String,
}

/// `message.send`: the fields of the REST MessagePack body, plus the chat. No `Debug`: it
/// carries the ciphertext.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendPayload {
    chat_id: String,
    #[serde(with = "payload::bin")]
    ciphertext: Vec<u8>,
    #[serde(default, with = "payload::option_bin")]
    nonce: Option<Vec<u8>>,
    #[serde(default)]
    content_type: Option<String>,
    client_id: String,
}

#[cfg(test)]
mod tests;
