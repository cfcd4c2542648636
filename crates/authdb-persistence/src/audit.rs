//! The `audit_events` table: an append-only record of security-relevant actions.

use authdb_domain::{AuditAction, AuditEventId, AuditOutcome, OrganizationId, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, Query},
};
use serde_json::Value;
use time::OffsetDateTime;

use crate::{
    Result, SuperuserContext, TenantId,
    entities::{audit_events, memberships},
};

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

/// Whose sign-ins [`sign_in_counts`] counts.
#[derive(Debug, Clone, Copy)]
pub enum SignInScope<'a> {
    /// One account's (the events it is the actor of).
    Actor(UserId),
    /// The current members' of an organization: each member's own sign-ins, wherever
    /// they signed in to (a login names no organization).
    Members(TenantId),
    /// Everyone's, failures of unknown accounts included (no actor): for superusers.
    Platform(&'a SuperuserContext),
}

/// Sign-ins and failed sign-ins in one hour (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourlySignIns {
    /// Whole hours since the Unix epoch: the hour starts at `hour * 3600` seconds.
    pub hour: i64,
    pub succeeded: u64,
    pub failed: u64,
}

/// The stored actions counted as a sign-in.
pub const SIGN_IN_SUCCEEDED: [AuditAction; 1] = [AuditAction::LoginSucceeded];
/// The stored actions counted as a failed sign-in: a refused password, passkey or account
/// state (`login.failed`), and a refused second factor (`mfa.failed`).
pub const SIGN_IN_FAILED: [AuditAction; 2] = [AuditAction::LoginFailed, AuditAction::MfaFailed];

/// Counts the sign-ins and failures of `scope` that occurred in `[from, until)`, per hour
/// (UTC), in one grouped query; hours without any are absent (the caller fills them in).
/// The bucket is computed by the database: `strftime('%s')` of the stored RFC 3339 text on
/// SQLite, `EXTRACT(EPOCH ...)` on PostgreSQL; the range is a plain comparison on
/// `occurred_at`, so the (actor, time) and time indexes serve it.
pub async fn sign_in_counts(
    conn: &impl ConnectionTrait,
    scope: SignInScope<'_>,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Vec<HourlySignIns>> {
    use audit_events::Column as C;
    let hour = match conn.get_database_backend() {
        DatabaseBackend::Postgres => {
            r#"CAST(FLOOR(EXTRACT(EPOCH FROM "audit_events"."occurred_at") / 3600) AS BIGINT)"#
        }
        _ => r#"(CAST(strftime('%s', "audit_events"."occurred_at") AS INTEGER) / 3600)"#,
    };
    let actions = SIGN_IN_SUCCEEDED.iter().chain(&SIGN_IN_FAILED).map(|action| action.as_str());
    let mut query = audit_events::Entity::find()
        .select_only()
        .column_as(Expr::cust(hour), "hour")
        .column(C::Action)
        .column_as(C::Id.count(), "events")
        .filter(C::OccurredAt.gte(from))
        .filter(C::OccurredAt.lt(until))
        .filter(C::Action.is_in(actions));
    query = match scope {
        SignInScope::Actor(user) => query.filter(C::ActorId.eq(user.as_uuid())),
        SignInScope::Members(tenant) => {
            let members = Query::select()
                .column(memberships::Column::UserId)
                .from(memberships::Entity)
                .and_where(memberships::Column::OrganizationId.eq(tenant.uuid()))
                .to_owned();
            query.filter(C::ActorId.in_subquery(members))
        }
        SignInScope::Platform(_) => query,
    };
    let rows: Vec<(i64, String, i64)> =
        query.group_by(Expr::cust(hour)).group_by(C::Action).into_tuple().all(conn).await?;
    let mut hours: Vec<HourlySignIns> = Vec::new();
    for (hour, action, events) in rows {
        let events = u64::try_from(events).unwrap_or(0);
        let index = match hours.iter().position(|counted| counted.hour == hour) {
            Some(index) => index,
            None => {
                hours.push(HourlySignIns { hour, succeeded: 0, failed: 0 });
                hours.len() - 1
            }
        };
        if SIGN_IN_SUCCEEDED.iter().any(|succeeded| succeeded.as_str() == action) {
            hours[index].succeeded += events;
        } else {
            hours[index].failed += events;
        }
    }
    hours.sort_by_key(|counted| counted.hour);
    Ok(hours)
}
