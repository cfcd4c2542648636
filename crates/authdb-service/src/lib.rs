//! authdb's use cases: registration, login, token refresh, logout and profiles.
//!
//! Each use case owns its transaction boundary. The crate is usable without HTTP: an
//! embedding service builds an [`AuthService`] from a database connection, a
//! [`authdb_auth::PasswordHasher`] and [`authdb_auth::JwtKeys`].

mod admin;
mod auth;
mod changes;
mod discovery;
mod error;
mod health;
mod login_throttle;
mod membership_cache;
mod organizations;
mod revocations;
mod session_cache;
mod sync;

pub use admin::AdminService;
pub use auth::{
    AuthPolicy, AuthService, ClientInfo, IssuedTokens, LoginAttempt, PasswordChange, Principal, RefreshAttempt,
    Registration, RevocationReason, SecurityEvent, SecurityEvents,
};
pub use authdb_auth::PublicJwk;
pub use authdb_persistence::sessions::SessionSummary;
pub use discovery::Discovery;
pub use error::{Result, ServiceError, error_chain};
pub use health::{DatabaseHealth, HealthService, MigrationHealth};
pub use login_throttle::LoginThrottlePolicy;
pub use membership_cache::{Invalidation, MembershipCache};
pub use organizations::{
    IssuedInvitation, MemberRef, Membership, NewRole, OrganizationPolicy, OrganizationService, PendingInvitation,
    RoleUpdate,
};
