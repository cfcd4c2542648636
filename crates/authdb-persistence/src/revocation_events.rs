//! The `revocation_events` table: every revoked session, numbered in commit order.
//!
//! [`record`] runs inside the transaction that revokes the session. On PostgreSQL it first
//! takes a transaction-scoped advisory lock, so that transactions adding events commit one
//! after another in the order of their ids; SQLite has one writer anyway. A reader that
//! asks for the events after an id therefore never misses one committed later with a
//! smaller id.

use authdb_domain::{RevokedSession, SessionId, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, Statement,
};
use time::OffsetDateTime;

use crate::{Result, entities::revocation_events};

/// The advisory lock key that orders revocation events (an arbitrary constant: "rvk").
const ORDER_LOCK: i64 = 0x7276_6b00;

/// One revoked session, with its event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevocationEvent {
    pub id: i64,
    pub session_id: SessionId,
    pub user_id: UserId,
    pub revoked_at: OffsetDateTime,
}

/// Records a revocation in the caller's transaction (see the module documentation for
/// the ordering lock it takes on PostgreSQL).
pub async fn record(conn: &impl ConnectionTrait, revoked: &RevokedSession) -> Result<()> {
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        conn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [ORDER_LOCK.into()],
        ))
        .await?;
    }
    revocation_events::ActiveModel {
        session_id: Set(revoked.id.as_uuid()),
        user_id: Set(revoked.user_id.as_uuid()),
        revoked_at: Set(revoked.revoked_at),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// At most `limit` events after event `after`, oldest first.
pub async fn after_id(conn: &impl ConnectionTrait, after: i64, limit: u64) -> Result<Vec<RevocationEvent>> {
    let rows = revocation_events::Entity::find()
        .filter(revocation_events::Column::Id.gt(after))
        .order_by_asc(revocation_events::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(event).collect())
}

/// At most `limit` events of revocations at or after `since`, oldest first.
pub async fn since_time(
    conn: &impl ConnectionTrait,
    since: OffsetDateTime,
    limit: u64,
) -> Result<Vec<RevocationEvent>> {
    let rows = revocation_events::Entity::find()
        .filter(revocation_events::Column::RevokedAt.gte(since))
        .order_by_asc(revocation_events::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(event).collect())
}

fn event(model: revocation_events::Model) -> RevocationEvent {
    RevocationEvent {
        id: model.id,
        session_id: SessionId::from_uuid(model.session_id),
        user_id: UserId::from_uuid(model.user_id),
        revoked_at: model.revoked_at,
    }
}

/// The oldest and the newest event's ids, or `None` when there is no event.
pub async fn id_range(conn: &impl ConnectionTrait) -> Result<Option<(i64, i64)>> {
    let oldest = revocation_events::Entity::find().order_by_asc(revocation_events::Column::Id).one(conn).await?;
    let Some(oldest) = oldest else { return Ok(None) };
    Ok(Some((oldest.id, last_id(conn).await?.max(oldest.id))))
}

/// Deletes the events of revocations made before `before` (whose tokens have all
/// expired); answers how many. Ids are never reused: the sequence (PostgreSQL) and
/// `AUTOINCREMENT` (SQLite) go on from the highest ever issued.
pub async fn delete_before(conn: &impl ConnectionTrait, before: OffsetDateTime) -> Result<u64> {
    let deleted = revocation_events::Entity::delete_many()
        .filter(revocation_events::Column::RevokedAt.lt(before))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected)
}

/// The newest event's id (0 when there is none).
pub async fn last_id(conn: &impl ConnectionTrait) -> Result<i64> {
    let newest = revocation_events::Entity::find().order_by_desc(revocation_events::Column::Id).one(conn).await?;
    Ok(newest.map_or(0, |model| model.id))
}
