//! The `audit_events` table: an append-only record of security-relevant actions.

use authdb_domain::{AuditAction, AuditEventId, AuditOutcome, OrganizationId, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
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

/// A recorded event as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub actor: Option<UserId>,
    pub organization: Option<OrganizationId>,
    pub action: String,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub outcome: String,
    pub details: Value,
    pub occurred_at: OffsetDateTime,
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

/// A user's own events, newest first, with the total count.
pub async fn list_for_actor(
    conn: &impl ConnectionTrait,
    actor: UserId,
    limit: u64,
    offset: u64,
) -> Result<(Vec<AuditEvent>, u64)> {
    let query = audit_events::Entity::find().filter(audit_events::Column::ActorId.eq(actor.as_uuid()));
    let total = query.clone().count(conn).await?;
    let models = query
        .order_by_desc(audit_events::Column::OccurredAt)
        .order_by_desc(audit_events::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(conn)
        .await?;
    Ok((models.into_iter().map(into_event).collect(), total))
}

fn into_event(model: audit_events::Model) -> AuditEvent {
    AuditEvent {
        id: AuditEventId::from_uuid(model.id),
        actor: model.actor_id.map(UserId::from_uuid),
        organization: model.organization_id.map(OrganizationId::from_uuid),
        action: model.action,
        target: model.target,
        ip: model.ip,
        user_agent: model.user_agent,
        outcome: model.outcome,
        details: model.details,
        occurred_at: model.occurred_at,
    }
}
