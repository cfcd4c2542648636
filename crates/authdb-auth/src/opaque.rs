use std::fmt;

use sha2::{Digest, Sha256};

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
    }

    #[test]
    fn hash_matches_a_known_sha256() {
        assert_eq!(TokenHash::of("abc").as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn debug_hides_the_token() {
        let token = OpaqueToken::generate().expect("rng works");
        assert!(!format!("{token:?}").contains(token.expose()));
    }
}
