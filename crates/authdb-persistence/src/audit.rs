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

/// A recorded event, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: AuditEventId,
    /// The stored form of an [`AuditAction`] (older rows may hold actions this build no
    /// longer names, so it stays text).
    pub action: String,
    pub outcome: String,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: Value,
    pub occurred_at: OffsetDateTime,
}

/// The events `actor` took part in, newest first (ties broken by id, also newest first,
/// so pages never overlap), `limit` of them from `offset`; and how many there are.
pub async fn list_for_actor(
    conn: &impl ConnectionTrait,
    actor: UserId,
    limit: u64,
    offset: u64,
) -> Result<(Vec<AuditEvent>, u64)> {
    let of_actor = || audit_events::Entity::find().filter(audit_events::Column::ActorId.eq(actor.as_uuid()));
    let total = of_actor().count(conn).await?;
    let rows = of_actor()
        .order_by_desc(audit_events::Column::OccurredAt)
        .order_by_desc(audit_events::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(conn)
        .await?;
    let events = rows
        .into_iter()
        .map(|row| AuditEvent {
            id: AuditEventId::from_uuid(row.id),
            action: row.action,
            outcome: row.outcome,
            target: row.target,
            ip: row.ip,
            user_agent: row.user_agent,
            details: row.details,
            occurred_at: row.occurred_at,
        })
        .collect();
    Ok((events, total))
}
