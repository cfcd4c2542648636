//! The one error type of the crate.

/// Why a frame was refused, or a payload could not be encoded or decoded. Messages never
/// contain key material or payload bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The input ended inside the frame.
    #[error("the frame is truncated")]
    Truncated,
    /// The input is not a frame: the detail names what was wrong.
    #[error("the frame is not valid: {0}")]
    Malformed(&'static str),
    /// `v` is not [`crate::VERSION`].
    #[error("unsupported protocol version {0}")]
    UnsupportedVersion(u64),
    /// A frame without `sig` where a signed one was required (only `ready` is unsigned).
    #[error("the frame is not signed")]
    Unsigned,
    /// The signature is not the HMAC of the frame under this connection's key.
    #[error("the signature does not match")]
    BadSignature,
    /// `ts` is more than [`crate::MAX_SKEW_MS`] before the receiver's clock.
    #[error("the timestamp is {age_ms} ms old, more than the 30 s allowed")]
    Stale {
        /// How far behind the receiver's clock the frame's `ts` is.
        age_ms: u64,
    },
    /// `ts` is more than [`crate::MAX_SKEW_MS`] after the receiver's clock.
    #[error("the timestamp is {ahead_ms} ms in the future, more than the 30 s allowed")]
    Future {
        /// How far ahead of the receiver's clock the frame's `ts` is.
        ahead_ms: u64,
    },
    /// The frame's id was already accepted on this connection.
    #[error("the frame id was already seen on this connection")]
    Replayed,
    /// The replay window holds its maximum of ids younger than the skew allowance: the
    /// peer sends faster than the window allows.
    #[error("too many frames within the timestamp window")]
    ReplayWindowFull,
    /// A key that is not [`crate::KEY_LEN`] bytes.
    #[error("a connection key must be 32 bytes")]
    KeyLength,
    /// A payload that does not decode into (or encode from) the expected fields.
    #[error("the payload is not valid: {reason}")]
    Payload {
        /// The field at fault, as a path (`nonce`, `member_ids[2]`), when there is one.
        field: Option<String>,
        /// What was wrong; never quotes a string or byte value of the input.
        reason: String,
    },
}

impl ProtocolError {
    /// The WebSocket close code the server answers this error with.
    pub fn close_code(&self) -> u16 {
        crate::CLOSE_PROTOCOL_ERROR
    }
}

/// The crate's result type.
pub type Result<T, E = ProtocolError> = std::result::Result<T, E>;
