use authdb_auth::AccessClaims;
use authdb_domain::{SessionId, User};

/// The caller behind a verified access token whose session is live (from
/// `AuthService::authenticate`).
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub session_id: SessionId,
    pub claims: AccessClaims,
}
