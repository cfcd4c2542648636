//! The caller's sessions and the password change.

use authdb_domain::{SessionId, SessionSummary};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangePasswordRequest {
    pub(crate) current_password: String,
    pub(crate) new_password: String,
}

/// One live session of the caller: a device login.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SessionResponse {
    pub(crate) id: Uuid,
    pub(crate) user_agent: Option<String>,
    pub(crate) ip: Option<String>,
    /// The organization the session's tokens are scoped to, if any.
    pub(crate) organization_id: Option<Uuid>,
    /// The OAuth2 `client_id` the session was opened with (token endpoint), if any.
    pub(crate) client_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) last_used_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) expires_at: OffsetDateTime,
    /// Whether the access token of this request belongs to this session.
    pub(crate) current: bool,
}

impl SessionResponse {
    pub(crate) fn new(session: SessionSummary, current: SessionId) -> Self {
        Self {
            id: session.id.as_uuid(),
            user_agent: session.user_agent,
            ip: session.ip,
            organization_id: session.organization_id.map(|org| org.as_uuid()),
            client_id: session.client_id,
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            expires_at: session.expires_at,
            current: session.id == current,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SessionList {
    pub(crate) items: Vec<SessionResponse>,
}
