//! authdb's credentials: password hashing, JWT access tokens and opaque tokens.
//!
//! Nothing here touches a database or HTTP. Hashing is CPU-bound and runs on tokio's
//! blocking pool, never on the async workers that serve requests.

mod error;
mod jwt;
mod opaque;
mod password;
mod secret;

pub use error::{AuthError, Result};
pub use jwt::{AccessClaims, AccessToken, JwtConfig, JwtKeys, MIN_HS256_SECRET_BYTES, OrganizationScope};
pub use opaque::{OpaqueToken, RotationKey, TokenHash};
pub use password::{PasswordHash, PasswordHasher};
pub use secret::generate_secret;
