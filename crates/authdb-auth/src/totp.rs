//! Second factors: TOTP (RFC 6238 over HMAC-SHA1, 6 digits, 30 s steps), its secret
//! sealed at rest, and recovery codes.
//!
//! A TOTP secret must be read back to check a code, so it cannot be hashed like a
//! password: it is sealed with XChaCha20-Poly1305 under [`MfaKey`] (derived from the
//! server secret under its own label, or given as `auth.mfa_encryption_key`), with the
//! user's id as associated data so that a sealed secret copied to another account does
//! not open. Recovery codes are random and only their SHA-256 is stored, like opaque
//! tokens.

use std::{fmt, sync::Arc};

use base64::{
    Engine as _, alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig, general_purpose::STANDARD_NO_PAD},
};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use sha1::Sha1;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::{AuthError, Result};

/// Seconds per TOTP step (RFC 6238's default, what every authenticator app uses).
pub const TOTP_STEP_SECS: i64 = 30;
/// Digits of a TOTP code.
pub const TOTP_DIGITS: u32 = 6;
/// Bytes of a new TOTP secret (160 bits, RFC 4226's recommendation for HMAC-SHA1).
const SECRET_BYTES: usize = 20;
const NONCE_BYTES: usize = 24;
/// Bytes of an [`MfaKey`] (XChaCha20-Poly1305's key size).
pub const MFA_KEY_BYTES: usize = 32;

/// A TOTP shared secret. `Debug` prints `<redacted>`.
pub struct TotpSecret(SecretSlice<u8>);

impl TotpSecret {
    /// A new random secret.
    pub fn generate() -> Result<Self> {
        let mut bytes = vec![0_u8; SECRET_BYTES];
        getrandom::fill(&mut bytes).map_err(AuthError::Random)?;
        Ok(Self(bytes.into()))
    }

    /// A secret from its raw bytes (RFC 6238's test vectors, a decrypted secret).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes.into())
    }

    /// The secret in base32 without padding (RFC 4648), as authenticator apps take it.
    pub fn to_base32(&self) -> SecretString {
        SecretString::from(base32(self.0.expose_secret()))
    }

    /// The `otpauth://totp/...` URI (Google Authenticator's key URI format) for `issuer`
    /// and `account`.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> SecretString {
        let label = format!("{}:{}", percent(issuer), percent(account));
        SecretString::from(format!(
            "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_SECS}",
            base32(self.0.expose_secret()),
            percent(issuer)
        ))
    }

    /// The code for time step `step` (Unix time divided by [`TOTP_STEP_SECS`]), zero-padded.
    pub fn code_at_step(&self, step: i64) -> String {
        let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[19] & 0x0f);
        let binary =
            u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
        format!("{:0width$}", binary % 10_u32.pow(TOTP_DIGITS), width = TOTP_DIGITS as usize)
    }

    /// The step of `code` within one step of `now` (Unix seconds) either side, if it
    /// matches one, checking every candidate in constant time. The caller refuses a step
    /// at or before the last one accepted (replay).
    pub fn matching_step(&self, code: &str, now: i64) -> Option<i64> {
        let current = now.div_euclid(TOTP_STEP_SECS);
        let mut found = None;
        for step in [current - 1, current, current + 1] {
            if bool::from(self.code_at_step(step).as_bytes().ct_eq(code.as_bytes())) {
                found = Some(step);
            }
        }
        found
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

/// The key TOTP secrets are sealed with at rest. `Debug` prints `<redacted>`.
pub struct MfaKey(SecretSlice<u8>);

/// Why a configured `auth.mfa_encryption_key` was refused. Never shows the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MfaKeyError {
    #[error("must be base64 (standard alphabet, padding optional) of {MFA_KEY_BYTES} random bytes")]
    NotBase64,
    #[error("must decode to exactly {MFA_KEY_BYTES} bytes, got {0}")]
    Length(usize),
}

impl MfaKey {
    /// A key given in configuration: base64 (standard alphabet, padding optional,
    /// surrounding whitespace ignored) of exactly 32 bytes, such as the output of
    /// `openssl rand -base64 32`.
    pub fn from_base64(text: &str) -> std::result::Result<Self, MfaKeyError> {
        let engine = GeneralPurpose::new(
            &alphabet::STANDARD,
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
        );
        let bytes = engine.decode(text.trim()).map_err(|_| MfaKeyError::NotBase64)?;
        if bytes.len() != MFA_KEY_BYTES {
            return Err(MfaKeyError::Length(bytes.len()));
        }
        Ok(Self(bytes.into()))
    }

    /// Derives the key from the server's long-term secret under its own label, so that
    /// it is independent of every other use of that secret.
    pub fn derive(secret: &SecretString) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"authdb mfa secret encryption v1");
        Self(mac.finalize().into_bytes().to_vec().into())
    }

    /// Derives the key from the refresh-token rotation key (itself derived from the server
    /// secret), under this key's own label: what a server without
    /// `auth.mfa_encryption_key` uses.
    pub fn derive_from_rotation(rotation: &crate::RotationKey) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(rotation.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"authdb mfa secret encryption v1");
        Self(mac.finalize().into_bytes().to_vec().into())
    }

    /// Seals `secret` for `user`: base64 of a random 24-byte nonce and the ciphertext.
    pub fn seal(&self, user: Uuid, secret: &TotpSecret) -> Result<String> {
        let mut nonce = [0_u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(AuthError::Random)?;
        let payload = Payload { msg: secret.0.expose_secret(), aad: user.as_bytes() };
        let sealed = self.cipher().encrypt(&XNonce::from(nonce), payload).map_err(|_| AuthError::Sealing)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(STANDARD_NO_PAD.encode(out))
    }

    /// Opens what [`Self::seal`] sealed for `user`; an error when it was sealed under
    /// another key or for another user, or was altered.
    pub fn open(&self, user: Uuid, sealed: &str) -> Result<TotpSecret> {
        let bytes = STANDARD_NO_PAD.decode(sealed).map_err(|_| AuthError::Sealing)?;
        if bytes.len() <= NONCE_BYTES {
            return Err(AuthError::Sealing);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| AuthError::Sealing)?;
        let payload = Payload { msg: ciphertext, aad: user.as_bytes() };
        let secret = self.cipher().decrypt(&XNonce::from(nonce), payload).map_err(|_| AuthError::Sealing)?;
        Ok(TotpSecret::from_bytes(secret))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        <XChaCha20Poly1305 as KeyInit>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("the key is 32 bytes (an HMAC-SHA256)"))
    }
}

impl Clone for MfaKey {
    fn clone(&self) -> Self {
        Self(self.0.expose_secret().to_vec().into())
    }
}

impl fmt::Debug for MfaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MfaKey(<redacted>)")
    }
}

/// The key new secrets are sealed with and the older keys secrets may still be sealed
/// with (a rotation in progress): [`MfaKeyRing::open`] tries them in order and says when
/// the secret should be sealed again under the current key. Cheap to clone.
#[derive(Clone)]
pub struct MfaKeyRing {
    current: Arc<MfaKey>,
    older: Arc<[MfaKey]>,
}

/// A secret opened by an [`MfaKeyRing`].
pub struct OpenedSecret {
    pub secret: TotpSecret,
    /// Opened with an older key: seal it again under the current one.
    pub stale: bool,
}

impl MfaKeyRing {
    /// Seals under `current`; opens with `current`, then each of `older` in order.
    pub fn new(current: MfaKey, older: impl IntoIterator<Item = MfaKey>) -> Self {
        Self { current: Arc::new(current), older: older.into_iter().collect() }
    }

    /// Seals `secret` for `user` under the current key (see [`MfaKey::seal`]).
    pub fn seal(&self, user: Uuid, secret: &TotpSecret) -> Result<String> {
        self.current.seal(user, secret)
    }

    /// Opens what one of the ring's keys sealed for `user`; [`AuthError::Sealing`] when
    /// none does (another key, another user, altered).
    pub fn open(&self, user: Uuid, sealed: &str) -> Result<OpenedSecret> {
        if let Ok(secret) = self.current.open(user, sealed) {
            return Ok(OpenedSecret { secret, stale: false });
        }
        self.older
            .iter()
            .find_map(|key| key.open(user, sealed).ok())
            .map(|secret| OpenedSecret { secret, stale: true })
            .ok_or(AuthError::Sealing)
    }
}

impl fmt::Debug for MfaKeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MfaKeyRing(<redacted>, {} older)", self.older.len())
    }
}

/// Ten new recovery codes: each 10 characters of base32 (50 bits), written as two groups
/// of five joined by `-`.
pub fn generate_recovery_codes() -> Result<Vec<SecretString>> {
    (0..10)
        .map(|_| {
            let mut bytes = [0_u8; 7];
            getrandom::fill(&mut bytes).map_err(AuthError::Random)?;
            let text = base32(&bytes);
            Ok(SecretString::from(format!("{}-{}", &text[..5], &text[5..10]).to_ascii_lowercase()))
        })
        .collect()
}

/// A recovery code as typed (any case, with or without the `-` and spaces) in the form
/// it is hashed in.
pub fn normalize_recovery_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// RFC 4648 base32 without padding.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0_u32, 0_u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Percent-encodes all but unreserved characters (RFC 3986), for the URI's label.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows: the 20-byte ASCII secret, 8-digit codes; our six
    /// digits are their last six.
    #[test]
    fn rfc_6238_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        for (time, code) in [
            (59_i64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(secret.code_at_step(time / TOTP_STEP_SECS), code[2..], "T = {time}");
        }
    }

    #[test]
    fn one_step_of_drift_either_side_and_no_more() {
        let secret = TotpSecret::generate().expect("rng");
        let now = 1_700_000_000;
        let step = now / TOTP_STEP_SECS;
        for offset in [-1, 0, 1] {
            assert_eq!(secret.matching_step(&secret.code_at_step(step + offset), now), Some(step + offset));
        }
        for offset in [-2, 2] {
            let code = secret.code_at_step(step + offset);
            let near = [-1, 0, 1].map(|o| secret.code_at_step(step + o));
            if !near.contains(&code) {
                assert_eq!(secret.matching_step(&code, now), None);
            }
        }
        assert_eq!(secret.matching_step("12345", now), None);
    }

    #[test]
    fn base32_matches_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
    }

    #[test]
    fn sealed_secrets_open_only_for_their_user_and_key() {
        let key = MfaKey::derive(&SecretString::from("k".repeat(32)));
        let other = MfaKey::derive(&SecretString::from("j".repeat(32)));
        let (user, someone) = (Uuid::now_v7(), Uuid::now_v7());
        let secret = TotpSecret::generate().expect("rng");
        let sealed = key.seal(user, &secret).expect("seals");
        let opened = key.open(user, &sealed).expect("opens");
        assert_eq!(opened.code_at_step(1), secret.code_at_step(1));
        assert!(key.open(someone, &sealed).is_err());
        assert!(other.open(user, &sealed).is_err());
        assert!(key.open(user, "AAAA").is_err());
        assert_eq!(format!("{secret:?} {key:?}"), "TotpSecret(<redacted>) MfaKey(<redacted>)");
    }

    #[test]
    fn configured_keys_are_base64_of_32_bytes() {
        let text = STANDARD_NO_PAD.encode([7_u8; 32]);
        assert!(MfaKey::from_base64(&text).is_ok());
        assert!(MfaKey::from_base64(&format!(" {text}=\n")).is_ok());
        assert_eq!(MfaKey::from_base64("not base64!").err(), Some(MfaKeyError::NotBase64));
        assert_eq!(MfaKey::from_base64(&STANDARD_NO_PAD.encode([7_u8; 16])).err(), Some(MfaKeyError::Length(16)));
        assert!(!MfaKeyError::Length(16).to_string().contains(&text));
    }

    #[test]
    fn a_ring_opens_with_older_keys_and_says_so() {
        let (old, new) = (STANDARD_NO_PAD.encode([1_u8; 32]), STANDARD_NO_PAD.encode([2_u8; 32]));
        let key = |text: &str| MfaKey::from_base64(text).expect("valid");
        let user = Uuid::now_v7();
        let secret = TotpSecret::generate().expect("rng");
        let sealed_old = key(&old).seal(user, &secret).expect("seals");
        let ring = MfaKeyRing::new(key(&new), [key(&old)]);
        let opened = ring.open(user, &sealed_old).expect("opens with the older key");
        assert!(opened.stale);
        assert_eq!(opened.secret.code_at_step(3), secret.code_at_step(3));
        let resealed = ring.seal(user, &opened.secret).expect("seals");
        assert!(!ring.open(user, &resealed).expect("opens").stale);
        assert!(MfaKeyRing::new(key(&new), []).open(user, &sealed_old).is_err());
        assert_eq!(format!("{ring:?}"), "MfaKeyRing(<redacted>, 1 older)");
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalize() {
        let codes = generate_recovery_codes().expect("rng");
        assert_eq!(codes.len(), 10);
        let first = codes[0].expose_secret();
        assert_eq!(first.len(), 11);
        assert_eq!(normalize_recovery_code(&first.to_uppercase()), first.replace('-', ""));
        assert_ne!(codes[0].expose_secret(), codes[1].expose_secret());
    }
}
