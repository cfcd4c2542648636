//! The `audit_events` table: an append-only record of security-relevant actions.

use authdb_domain::{
    ActionFilter, AuditAction, AuditActor, AuditEventId, AuditFilter, AuditOutcome, OrganizationId, Page, Paged,
    UserId, Username,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait, Set,
    sea_query::{Expr, LikeExpr, Query},
};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    Result, SuperuserContext, TenantId,
    entities::{audit_events, memberships, users},
    rows,
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

/// An event of an organization's audit log, with the account that acted.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationEvent {
    pub event: AuditEvent,
    /// Who acted: `None` for the system (the expiry sweep) or once the account is deleted.
    pub actor: Option<EventActor>,
}

/// The account behind an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventActor {
    pub id: UserId,
    pub username: Username,
}

#[derive(Debug, FromQueryResult)]
struct OrganizationEventRow {
    id: Uuid,
    actor_id: Option<Uuid>,
    actor_username: Option<String>,
    action: String,
    outcome: String,
    target: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    details: Value,
    occurred_at: OffsetDateTime,
}

/// One page of the tenant's audit events that pass `filter`, newest first (ties broken by
/// id, also newest first, so pages never overlap), with how many pass in all. The actor
/// is joined for its username; a username filter compares [`Username::key`]. The
/// `(organization_id, occurred_at, id)` index serves the order and the time range.
pub async fn list_for_organization(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &AuditFilter,
    page: Page,
) -> Result<Paged<OrganizationEvent>> {
    use audit_events::Column as C;
    let mut query = audit_events::Entity::find()
        .join(JoinType::LeftJoin, audit_events::Relation::Users.def())
        .filter(C::OrganizationId.eq(tenant.uuid()));
    query = match &filter.action {
        Some(ActionFilter::Exact(action)) => query.filter(C::Action.eq(action.as_str())),
        Some(ActionFilter::Prefix(prefix)) => query.filter(C::Action.like(prefix_pattern(prefix))),
        None => query,
    };
    query = match &filter.actor {
        Some(AuditActor::Id(id)) => query.filter(C::ActorId.eq(id.as_uuid())),
        Some(AuditActor::Username(name)) => query.filter(users::Column::UsernameKey.eq(name.key())),
        None => query,
    };
    if let Some(outcome) = filter.outcome {
        query = query.filter(C::Outcome.eq(outcome.as_str()));
    }
    if let Some(target) = &filter.target {
        query = query.filter(C::Target.eq(target.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(C::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(C::OccurredAt.lt(to));
    }
    let total = query.clone().count(conn).await?;
    let rows = query
        .select_only()
        .column_as(C::Id, "id")
        .column_as(C::ActorId, "actor_id")
        .column_as(users::Column::Username, "actor_username")
        .column_as(C::Action, "action")
        .column_as(C::Outcome, "outcome")
        .column_as(C::Target, "target")
        .column_as(C::Ip, "ip")
        .column_as(C::UserAgent, "user_agent")
        .column_as(C::Details, "details")
        .column_as(C::OccurredAt, "occurred_at")
        .order_by_desc(C::OccurredAt)
        .order_by_desc(C::Id)
        .limit(page.limit())
        .offset(page.offset())
        .into_model::<OrganizationEventRow>()
        .all(conn)
        .await?;
    let items = rows.into_iter().map(organization_event).collect::<Result<_>>()?;
    Ok(Paged { items, total, page })
}

fn organization_event(row: OrganizationEventRow) -> Result<OrganizationEvent> {
    let actor = match (row.actor_id, row.actor_username) {
        (Some(id), Some(username)) => {
            Some(EventActor { id: UserId::from_uuid(id), username: rows::username(&username, "audit_event")? })
        }
        _ => None,
    };
    let event = AuditEvent {
        id: AuditEventId::from_uuid(row.id),
        action: row.action,
        outcome: row.outcome,
        target: row.target,
        ip: row.ip,
        user_agent: row.user_agent,
        details: row.details,
        occurred_at: row.occurred_at,
    };
    Ok(OrganizationEvent { event, actor })
}

/// A `LIKE` pattern matching text that starts with `prefix`, with `%`, `_` and `\\` in it
/// taken literally (action names hold `_`).
fn prefix_pattern(prefix: &str) -> LikeExpr {
    let mut escaped = String::with_capacity(prefix.len() + 2);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    LikeExpr::new(escaped).escape('\\')
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
