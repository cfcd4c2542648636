use std::fmt;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

use crate::{Result, generate_secret};

/// 256 random bits, base64url: what a client holds as a refresh or one-time token.
/// Only its [`TokenHash`] is ever stored.
#[derive(Clone, PartialEq, Eq)]
pub struct OpaqueToken(String);

const TOKEN_BYTES: usize = 32;

impl OpaqueToken {
    pub fn generate() -> Result<Self> {
        generate_secret(TOKEN_BYTES).map(Self)
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The server key that refresh-token successors are derived from.
///
/// Rotation spends a refresh token and issues its successor. A client that presents the
/// spent token again within the reuse grace window (two tabs refreshing at once, a retry
/// after a lost response) must get the *same* successor, yet no token may be stored in
/// plaintext. So a successor is not random: it is `HMAC-SHA256(key, parent id)`, which
/// only the server can compute, and only its hash is stored like any other token's.
pub struct RotationKey(pub(crate) SecretSlice<u8>);

impl RotationKey {
    /// Derives the rotation key from the server's long-term secret, under its own label
    /// so that it is independent of any other use of that secret.
    pub fn derive(secret: &SecretString) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"authdb refresh-token successor v1");
        Self(mac.finalize().into_bytes().to_vec().into())
    }

    /// The successor of the refresh token with id `parent`.
    pub fn successor(&self, parent: Uuid) -> OpaqueToken {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(parent.as_bytes());
        OpaqueToken(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }
}

/// The key that binds a form to a session (a cookie-authenticated adapter's CSRF token).
///
/// A form token is `HMAC-SHA256(key, session id)`: only the server can compute it, it
/// needs no storage, and it stops working with its session. The key is derived from the
/// rotation key (itself derived from the server secret) under a label of its own, so it is
/// independent of every other use of that secret and the same on every instance.
pub struct FormKey(SecretSlice<u8>);

impl FormKey {
    pub fn derive_from_rotation(rotation: &RotationKey) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(rotation.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"authdb console form token v1");
        Self(mac.finalize().into_bytes().to_vec().into())
    }

    /// The form token of the session `session` (base64url).
    pub fn token(&self, session: Uuid) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(session.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Whether `presented` is the form token of `session`, compared in constant time.
    pub fn verify(&self, session: Uuid, presented: &str) -> bool {
        bool::from(self.token(session).as_bytes().ct_eq(presented.as_bytes()))
    }
}

impl fmt::Debug for FormKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FormKey(<redacted>)")
    }
}

impl fmt::Debug for RotationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RotationKey(<redacted>)")
    }
}

impl fmt::Debug for OpaqueToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpaqueToken(<redacted>)")
    }
}

/// The SHA-256 of an opaque token, as 64 lower-case hex digits. A 256-bit random token
/// needs no salt or slow hash: guessing it is already infeasible.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// Hashes a token as presented by a client (which may be anything).
    pub fn of(presented: &str) -> Self {
        let digest = Sha256::digest(presented.as_bytes());
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `stored` is this hash, compared in constant time.
    pub fn matches(&self, stored: &str) -> bool {
        bool::from(self.0.as_bytes().ct_eq(stored.as_bytes()))
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_and_hash_to_hex() {
        let token = OpaqueToken::generate().expect("rng works");
        assert_eq!(token.expose().len(), 43);
        let hash = token.hash();
        assert_eq!(hash.as_str().len(), 64);
        assert_eq!(hash, TokenHash::of(token.expose()));
        assert_ne!(hash, OpaqueToken::generate().expect("rng works").hash());
        assert!(hash.matches(TokenHash::of(token.expose()).as_str()));
        assert!(!hash.matches(TokenHash::of("other").as_str()));
        assert!(!hash.matches(""));
    }

    #[test]
    fn hash_matches_a_known_sha256() {
        assert_eq!(TokenHash::of("abc").as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn form_tokens_are_bound_to_their_session_and_key() {
        let rotation = RotationKey::derive(&SecretString::from("a".repeat(32)));
        let other = FormKey::derive_from_rotation(&RotationKey::derive(&SecretString::from("b".repeat(32))));
        let key = FormKey::derive_from_rotation(&rotation);
        let session = Uuid::now_v7();
        let token = key.token(session);
        assert_eq!(token.len(), 43);
        assert!(key.verify(session, &token));
        assert!(!key.verify(Uuid::now_v7(), &token), "another session");
        assert!(!other.verify(session, &token), "another server secret");
        assert!(!key.verify(session, ""));
        assert_ne!(token, rotation.successor(session).expose(), "its own label");
        assert_eq!(format!("{key:?}"), "FormKey(<redacted>)");
    }

    #[test]
    fn successors_are_deterministic_per_key_and_parent() {
        let key = RotationKey::derive(&SecretString::from("a".repeat(32)));
        let other = RotationKey::derive(&SecretString::from("b".repeat(32)));
        let parent = Uuid::now_v7();
        assert_eq!(key.successor(parent), key.successor(parent));
        assert_eq!(key.successor(parent).expose().len(), 43, "as long as a random token");
        assert_ne!(key.successor(parent), key.successor(Uuid::now_v7()));
        assert_ne!(key.successor(parent), other.successor(parent));
        assert!(!format!("{key:?}").contains('a'.to_string().repeat(3).as_str()));
    }

    #[test]
    fn debug_hides_the_token() {
        let token = OpaqueToken::generate().expect("rng works");
        assert!(!format!("{token:?}").contains(token.expose()));
    }
}
