//! The `login_throttles` table: counters of recent failed logins for the brute-force
//! defence. The policy (thresholds, delays, decay) lives in the service layer; this
//! module only reads and writes counters, each under a row lock.
//!
//! A counter is read and rewritten inside one write transaction whose first statement
//! is an upsert of its row. On PostgreSQL the upsert takes the row lock (concurrent
//! attempts on the same key queue behind it, on every instance); on SQLite it takes the
//! database's write lock at once, so the read that follows cannot be overtaken. Either
//! way no two attempts read the same count.
//!
//! Attempts in flight (let through, password not yet checked) are rows of
//! `login_attempts`, one per attempt and counter, each with an expiry. They are inserted
//! only by a transaction that holds the locks of their counters, and turned into failures
//! by one that holds them too (which deletes them in the same transaction), so an attempt
//! that holds a counter's lock sees exactly the attempts in flight under it.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict, Query},
};
use uuid::Uuid;

use crate::{
    Result,
    entities::{login_attempts, login_throttles},
};

/// A counter as stored. Times are milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThrottleCounter {
    pub failures: u32,
    pub last_failure_at_ms: i64,
    /// 0 when never locked.
    pub locked_until_ms: i64,
}

/// Reads the counter under `key`, creating an empty one when there is none, and keeps
/// it locked until the transaction ends. Call it inside a write transaction.
pub async fn lock(conn: &impl ConnectionTrait, key: &str) -> Result<ThrottleCounter> {
    let empty = login_throttles::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(0),
        last_failure_at_ms: Set(0),
        locked_until_ms: Set(0),
    };
    // `DO UPDATE` with an unchanged value, not `DO NOTHING`: only an update locks an
    // existing row on PostgreSQL.
    login_throttles::Entity::insert(empty)
        .on_conflict(
            OnConflict::column(login_throttles::Column::Key)
                .value(
                    login_throttles::Column::Failures,
                    Expr::col((login_throttles::Entity, login_throttles::Column::Failures)),
                )
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    let row = login_throttles::Entity::find_by_id(key.to_owned()).one(conn).await?;
    Ok(row.map(counter).unwrap_or_default())
}

/// Reads counters without locking them: a cheap first look that needs no write turn.
/// Missing counters are absent from the answer.
pub async fn peek(conn: &impl ConnectionTrait, keys: &[&str]) -> Result<Vec<(String, ThrottleCounter)>> {
    let rows = login_throttles::Entity::find()
        .filter(login_throttles::Column::Key.is_in(keys.iter().copied()))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|row| (row.key.clone(), counter(row))).collect())
}

/// Writes the counter under `key` (locked earlier in the same transaction by [`lock`]).
pub async fn store(conn: &impl ConnectionTrait, key: &str, counter: ThrottleCounter) -> Result<()> {
    login_throttles::Entity::update_many()
        .col_expr(login_throttles::Column::Failures, Expr::value(i32::try_from(counter.failures).unwrap_or(i32::MAX)))
        .col_expr(login_throttles::Column::LastFailureAtMs, Expr::value(counter.last_failure_at_ms))
        .col_expr(login_throttles::Column::LockedUntilMs, Expr::value(counter.locked_until_ms))
        .filter(login_throttles::Column::Key.eq(key))
        .exec(conn)
        .await?;
    Ok(())
}

/// How many attempts are in flight under each of `keys` at `now_ms` (unexpired
/// reservations). Keys without any are absent from the answer.
pub async fn pending(conn: &impl ConnectionTrait, keys: &[&str], now_ms: i64) -> Result<Vec<(String, u32)>> {
    let counts: Vec<(String, i64)> = login_attempts::Entity::find()
        .select_only()
        .column(login_attempts::Column::Key)
        .column_as(Expr::col(login_attempts::Column::Id).count(), "pending")
        .filter(login_attempts::Column::Key.is_in(keys.iter().copied()))
        .filter(login_attempts::Column::ExpiresAtMs.gt(now_ms))
        .group_by(login_attempts::Column::Key)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(counts.into_iter().map(|(key, count)| (key, u32::try_from(count).unwrap_or(u32::MAX))).collect())
}

/// Records `attempt` as in flight under each of `keys` until `expires_at_ms`. Call it in
/// the transaction that holds those counters' locks ([`lock`]).
pub async fn reserve(conn: &impl ConnectionTrait, attempt: Uuid, keys: &[&str], expires_at_ms: i64) -> Result<()> {
    let rows = keys.iter().map(|key| login_attempts::ActiveModel {
        id: Set(attempt),
        key: Set((*key).to_owned()),
        expires_at_ms: Set(expires_at_ms),
    });
    login_attempts::Entity::insert_many(rows).exec_without_returning(conn).await?;
    Ok(())
}

/// Forgets `attempt`: it has been judged (or abandoned).
pub async fn release(conn: &impl ConnectionTrait, attempt: Uuid) -> Result<()> {
    login_attempts::Entity::delete_many().filter(login_attempts::Column::Id.eq(attempt)).exec(conn).await?;
    Ok(())
}

/// Deletes counters that no longer matter at `now_ms`: not locked, and with every
/// failure forgiven (one per `decay_ms` since the last one), and expired attempts.
/// Returns how many rows went.
///
/// Rows that a login attempt holds locked are skipped on PostgreSQL (`SKIP LOCKED`):
/// waiting for them could deadlock against an attempt that locks its login counter and
/// then its address counter, and they are about to be rewritten anyway.
pub async fn prune(conn: &impl ConnectionTrait, now_ms: i64, decay_ms: i64) -> Result<u64> {
    use login_throttles::Column;
    let forgiven_at = Expr::col(Column::LastFailureAtMs).add(Expr::col(Column::Failures).mul(decay_ms));
    let unlocked_forgotten = Query::select()
        .column(Column::Key)
        .from(login_throttles::Entity)
        .and_where(Expr::col(Column::LockedUntilMs).lte(now_ms))
        .and_where(forgiven_at.lte(now_ms))
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let deleted =
        login_throttles::Entity::delete_many().filter(Column::Key.in_subquery(unlocked_forgotten)).exec(conn).await?;
    // Attempts whose instance stopped before judging them.
    let abandoned = login_attempts::Entity::delete_many()
        .filter(login_attempts::Column::ExpiresAtMs.lte(now_ms))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected + abandoned.rows_affected)
}

fn counter(row: login_throttles::Model) -> ThrottleCounter {
    ThrottleCounter {
        failures: u32::try_from(row.failures).unwrap_or(0),
        last_failure_at_ms: row.last_failure_at_ms,
        locked_until_ms: row.locked_until_ms,
    }
}
