//! An organization's audit log.

use authdb_service::{AuditLogActor, AuditLogEntry};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pagination::list_schema;

/// One event of an organization's audit log (`GET /organizations/{id}/audit-events`).
#[derive(Serialize, ToSchema)]
pub(crate) struct AuditEventResponse {
    pub(crate) id: Uuid,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) occurred_at: OffsetDateTime,
    /// Who acted: `null` for the system (the access-rule expiry sweep) or once the
    /// account was deleted.
    pub(crate) actor: Option<AuditActorResponse>,
    /// What happened, such as `member.role_changed`, `invitation.created`,
    /// `asset.updated`, `scan.imported`.
    pub(crate) action: String,
    /// `success` or `failure`.
    pub(crate) outcome: String,
    /// What it is about, as `kind:id`: `user:<uuid>`, `role:<uuid>`, `invitation:<uuid>`,
    /// `network:<uuid>`, `asset:<uuid>`, ...
    pub(crate) target: Option<String>,
    /// The client address of the request.
    pub(crate) ip: Option<String>,
    pub(crate) user_agent: Option<String>,
    /// The event's particulars, such as `before_role` and `after_role` of a role change.
    #[schema(value_type = Object)]
    pub(crate) details: Value,
}

/// The account that acted.
#[derive(Serialize, ToSchema)]
pub(crate) struct AuditActorResponse {
    pub(crate) id: Uuid,
    pub(crate) username: String,
}

impl From<AuditLogEntry> for AuditEventResponse {
    fn from(entry: AuditLogEntry) -> Self {
        Self {
            id: entry.id.as_uuid(),
            occurred_at: entry.occurred_at,
            actor: entry.actor.map(AuditActorResponse::from),
            action: entry.action,
            outcome: entry.outcome,
            target: entry.target,
            ip: entry.ip,
            user_agent: entry.user_agent,
            details: entry.details,
        }
    }
}

impl From<AuditLogActor> for AuditActorResponse {
    fn from(actor: AuditLogActor) -> Self {
        Self { id: actor.id.as_uuid(), username: actor.username.into_inner() }
    }
}

list_schema!(AuditEventList, AuditEventResponse);
