//! The caller's security events.

use authdb_service::SecurityEvent;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

/// One event of the caller's security log (`GET /auth/events`).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SecurityEventResponse {
    pub(crate) id: Uuid,
    /// What happened, such as `login.succeeded`, `login.failed`, `login.locked_out`,
    /// `user.registered`, `session.logged_out`, `refresh_token.reused`.
    pub(crate) action: String,
    /// `success` or `failure`.
    pub(crate) outcome: String,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) time: OffsetDateTime,
    /// The client address of the request.
    pub(crate) ip: Option<String>,
    pub(crate) user_agent: Option<String>,
    /// The session the event is about, if any.
    pub(crate) session_id: Option<Uuid>,
    /// Safe particulars, such as `reason` of a failure or `retry_after_secs` of a lockout.
    #[schema(value_type = Object)]
    pub(crate) details: Value,
}

impl From<SecurityEvent> for SecurityEventResponse {
    fn from(event: SecurityEvent) -> Self {
        Self {
            id: event.id.as_uuid(),
            action: event.action,
            outcome: event.outcome,
            time: event.occurred_at,
            ip: event.ip,
            user_agent: event.user_agent,
            session_id: event.session_id.map(|id| id.as_uuid()),
            details: event.details,
        }
    }
}

/// A page of the caller's security events, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SecurityEventPage {
    pub(crate) items: Vec<SecurityEventResponse>,
    /// How many events there are in all.
    pub(crate) total: u64,
    pub(crate) limit: u64,
    pub(crate) offset: u64,
}
