//! Sessions (one per device login) as their owner and the revocation set see them.

use time::OffsetDateTime;

use crate::{OrganizationId, SessionId, UserId};

/// A live session of a user, as listed to its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    pub id: SessionId,
    pub organization_id: Option<OrganizationId>,
    /// The OAuth2 `client_id` the session was opened with, if any.
    pub client_id: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: OffsetDateTime,
    pub last_used_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A session that was revoked, as the revocation set keeps it: its tokens must be refused
/// until `revoked_at` plus the access-token lifetime, or `expires_at` if sooner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevokedSession {
    pub id: SessionId,
    pub user_id: UserId,
    pub revoked_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}
