//! The `ready` frame: the server's first, the only one unsigned, carrying the key.

use serde::{Deserialize, Serialize};

use crate::{Decoded, Frame, ID_LEN, Key, ProtocolError, READY, Result, payload};

/// What the `ready` frame says: who the socket belongs to and the connection's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ready {
    /// The user's id (a UUID in its hyphenated text form, as in the JSON frames).
    pub user_id: String,
    /// The session's id (same form).
    pub session_id: String,
    /// The connection's signing key.
    pub key: Key,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    user_id: String,
    session_id: String,
    #[serde(with = "payload::bin")]
    key: Vec<u8>,
}

impl Ready {
    /// The unsigned `ready` frame's bytes.
    pub fn to_bytes(&self, id: [u8; ID_LEN], ts: u64) -> Result<Vec<u8>> {
        let wire = Wire {
            user_id: self.user_id.clone(),
            session_id: self.session_id.clone(),
            key: self.key.as_bytes().to_vec(),
        };
        Ok(Frame::new(READY, id, ts, payload::to_vec(&wire)?)?.to_unsigned_bytes())
    }

    /// Reads a decoded `ready` frame: it must be unsigned, of type `ready`, and carry a
    /// 32-byte key.
    pub fn from_decoded(decoded: Decoded) -> Result<(Frame, Self)> {
        let frame = decoded.into_unsigned()?;
        if frame.kind() != READY {
            return Err(ProtocolError::Malformed("expected the `ready` frame"));
        }
        let wire: Wire = payload::from_slice(frame.payload())?;
        let key = Key::from_slice(&wire.key)?;
        Ok((frame, Self { user_id: wire.user_id, session_id: wire.session_id, key }))
    }
}
