//! The `audit_events` table: an append-only record of security-relevant actions.

use authdb_domain::{AuditAction, AuditEventId, AuditOutcome, OrganizationId, UserId};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value;
use time::OffsetDateTime;

use crate::{Result, entities::audit_events};

/// An event about to be recorded.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub actor: Option<UserId>,
    pub organization: Option<OrganizationId>,
    pub action: AuditAction,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub outcome: AuditOutcome,
    pub details: Value,
}

pub async fn record(conn: &impl ConnectionTrait, event: NewAuditEvent, now: OffsetDateTime) -> Result<()> {
    audit_events::ActiveModel {
        id: Set(AuditEventId::new().as_uuid()),
        actor_id: Set(event.actor.map(|id| id.as_uuid())),
        organization_id: Set(event.organization.map(|id| id.as_uuid())),
        action: Set(event.action.as_str().to_owned()),
        target: Set(event.target),
        ip: Set(event.ip),
        user_agent: Set(event.user_agent),
        outcome: Set(event.outcome.as_str().to_owned()),
        details: Set(event.details),
        occurred_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}
