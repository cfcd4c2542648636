//! authdb's use cases: registration, login, token refresh, logout and profiles.
//!
//! Each use case owns its transaction boundary. The crate is usable without HTTP: an
//! embedding service builds an [`AuthService`] from a database connection, a
//! [`authdb_auth::PasswordHasher`] and [`authdb_auth::JwtKeys`].

mod auth;
mod error;
mod health;
mod login_throttle;
mod session_cache;

pub use auth::{
    AuthPolicy, AuthService, ClientInfo, IssuedTokens, LoginAttempt, Principal, Registration, SecurityEvent,
    SecurityEvents,
};
pub use error::{Result, ServiceError, error_chain};
pub use health::{DatabaseHealth, HealthService};
pub use login_throttle::LoginThrottlePolicy;
