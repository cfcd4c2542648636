//! The per-connection signing key.

use hmac::{Hmac, Mac as _};
use sha2::Sha256;

use crate::{KEY_LEN, ProtocolError, Result, SIG_LEN};

/// 32 random bytes, chosen by the server for one connection and sent once in the `ready`
/// frame. The crate does no I/O, so the caller draws the bytes (from the OS's generator).
/// `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; KEY_LEN]);

impl Key {
    /// A key of exactly these bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// A key from a slice, which must be 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        <[u8; KEY_LEN]>::try_from(bytes).map(Self).map_err(|_| ProtocolError::KeyLength)
    }

    /// The key's bytes (for the `ready` frame).
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    fn mac(&self, message: &[u8]) -> Hmac<Sha256> {
        #[allow(clippy::expect_used, reason = "HMAC takes a key of any length")]
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(message);
        mac
    }

    /// HMAC-SHA256 of `message` under this key.
    pub fn sign(&self, message: &[u8]) -> [u8; SIG_LEN] {
        self.mac(message).finalize().into_bytes().into()
    }

    /// Whether `sig` is the HMAC of `message`, compared in constant time.
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> Result<()> {
        self.mac(message).verify_slice(sig).map_err(|_| ProtocolError::BadSignature)
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}
