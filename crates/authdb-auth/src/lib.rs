//! authdb's credentials: password hashing, JWT access tokens and opaque tokens.
//!
//! Nothing here touches a database or HTTP. Hashing is CPU-bound and runs on tokio's
//! blocking pool, never on the async workers that serve requests.
//!
//! **Embedding** (docs/embedding.md): an embedding service builds its [`JwtKeys`] (from a
//! [`JwtConfig`] and [`SigningKeys`]), its [`PasswordHasher`] and its [`RotationKey`] here
//! and hands them to `authdb_service::Services::start`; a service that only verifies
//! authdb's tokens can use [`JwtKeys`] with the same configuration.

mod error;
mod jwt;
mod opaque;
mod password;
mod secret;
mod signing;
mod totp;
mod webauthn;

pub use error::{AuthError, Result};
pub use jwt::{AccessClaims, AccessToken, ClientAccessToken, ClientClaims, JwtConfig, JwtKeys, OrganizationScope};
pub use opaque::{FormKey, OpaqueToken, RotationKey, TokenHash};
pub use password::{PasswordHash, PasswordHasher};
pub use secret::generate_secret;
pub use signing::{
    JwtAlgorithm, MIN_HS256_SECRET_BYTES, MIN_RSA_BITS, PrivateKeyPem, PublicJwk, SigningKeys, generate_ed25519_pem,
};
pub use totp::{
    MFA_KEY_BYTES, MfaKey, MfaKeyError, MfaKeyRing, OpenedSecret, TOTP_DIGITS, TOTP_STEP_SECS, TotpSecret,
    generate_recovery_codes, normalize_recovery_code,
};
pub use webauthn::{
    AssertionSubject, CeremonyState, NewPasskey, PasskeyError, RelyingParty, RelyingPartyConfig,
    RelyingPartyConfigError, Started, StoredPasskey, VerifiedAssertion,
};
