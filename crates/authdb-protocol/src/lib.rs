//! authdb's binary realtime protocol (`authdb.msgpack.v1`), without I/O: every frame is a
//! MessagePack array `[v, type, id, ts, payload, sig]`, signed with HMAC-SHA256 under a
//! per-connection key that the server sends once, in the unsigned `ready` frame.
//!
//! - [`Frame`] encodes a frame ([`Frame::to_signed_bytes`], [`Frame::to_unsigned_bytes`]);
//!   [`decode`] parses one into a [`Decoded`] frame, whose [`Decoded::verify`] checks the
//!   signature.
//! - [`Verifier`] is one end of a connection: it checks the signature, the timestamp
//!   (at most [`MAX_SKEW_MS`] from its [`Clock`]) and that the id is new on this
//!   connection ([`ReplayWindow`]).
//! - [`payload`] encodes and decodes the MessagePack maps carried as payloads, and
//!   [`payload::bin`] makes byte fields MessagePack `bin` under serde.
//!
//! Every error is a [`ProtocolError`]; on the server side each one closes the socket with
//! [`CLOSE_PROTOCOL_ERROR`] (4400). Decoding never panics, whatever the input. The byte
//! layouts are specified in docs/protocol.md.

mod clock;
mod error;
mod frame;
mod key;
pub mod payload;
mod ready;
mod replay;
mod verifier;

pub use clock::{Clock, SystemClock};
pub use error::{ProtocolError, Result};
pub use frame::{Decoded, Frame, decode};
pub use key::Key;
pub use ready::Ready;
pub use replay::ReplayWindow;
pub use verifier::Verifier;

/// The protocol version, the frame's first element.
pub const VERSION: u8 = 1;
/// Bytes of a frame id (a UUID).
pub const ID_LEN: usize = 16;
/// Bytes of a connection key.
pub const KEY_LEN: usize = 32;
/// Bytes of a signature (HMAC-SHA256).
pub const SIG_LEN: usize = 32;
/// The longest event type name, in bytes.
pub const MAX_TYPE_LEN: usize = 64;
/// How far a frame's `ts` may be from the receiver's clock, before or after, in
/// milliseconds (inclusive).
pub const MAX_SKEW_MS: u64 = 30_000;
/// The type of the one unsigned frame, the server's first.
pub const READY: &str = "ready";
/// The WebSocket close code of a refused frame (bad signature, old or future `ts`,
/// replayed id, undecodable frame).
pub const CLOSE_PROTOCOL_ERROR: u16 = 4400;
/// The subprotocol of JSON text frames.
pub const SUBPROTOCOL_JSON: &str = "authdb.v1";
/// The subprotocol of signed MessagePack binary frames.
pub const SUBPROTOCOL_MSGPACK: &str = "authdb.msgpack.v1";

#[cfg(test)]
mod tests;
