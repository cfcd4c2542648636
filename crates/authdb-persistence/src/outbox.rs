//! The `outbox` table: mail written in the transaction of the change that causes it, and
//! sent afterwards by a worker outside any transaction.
//!
//! A worker [`claim`]s due messages in one statement: it stamps a lease (a fresh
//! `lease_id` and `lease_until`) on pending messages that are due and not leased, and
//! counts the attempt. On PostgreSQL the statement picks its rows with `FOR UPDATE SKIP
//! LOCKED`, so workers of several instances claim disjoint messages without waiting for
//! each other; SQLite runs one statement at a time anyway. Only the holder of the lease
//! can finish a message ([`mark_sent`], [`retry_at`], [`mark_failed`] match on
//! `lease_id`), so a worker whose lease expired (it crashed, or stalled past the lease)
//! cannot overwrite the outcome of the worker that took the message over.
//!
//! Superusers read the state of the outbox through [`counts`] and [`recent`], which never
//! select a body.

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query},
};
use time::OffsetDateTime;
use uuid::Uuid;

use authdb_domain::{MailId, MailState, OutboxCounts, OutboxMessage};

use crate::{PersistenceError, Result, SuperuserContext, entities::outbox};

const PENDING: &str = "pending";
const SENT: &str = "sent";
const FAILED: &str = "failed";

/// A message to enqueue: rendered, final text.
pub struct NewMail {
    /// What the message is (`verify_email`, ...), for operators reading the table.
    pub kind: &'static str,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A message a worker holds the lease of.
pub struct ClaimedMail {
    pub id: Uuid,
    pub lease_id: Uuid,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
}

/// The bodies carry single-use links: `Debug` leaves them out.
impl std::fmt::Debug for ClaimedMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimedMail")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// Writes a message to send as soon as a worker is free. Call it in the transaction of
/// the change that causes the message.
pub async fn enqueue(conn: &impl ConnectionTrait, mail: NewMail, now: OffsetDateTime) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let model = outbox::ActiveModel {
        id: Set(id),
        kind: Set(mail.kind.to_owned()),
        recipient: Set(mail.recipient),
        subject: Set(mail.subject),
        body_text: Set(Some(mail.text)),
        body_html: Set(Some(mail.html)),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        lease_id: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        finished_at: Set(None),
    };
    outbox::Entity::insert(model).exec_without_returning(conn).await?;
    Ok(id)
}

/// Leases up to `limit` due messages to one worker until `lease_until`, in one statement,
/// and counts the attempt. Messages whose lease has expired (their worker stopped) are
/// due again.
pub async fn claim(
    conn: &impl ConnectionTrait,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: u64,
) -> Result<Vec<ClaimedMail>> {
    let lease_id = Uuid::now_v7();
    let due = Query::select()
        .column(outbox::Column::Id)
        .from(outbox::Entity)
        .and_where(outbox::Column::Status.eq(PENDING))
        .and_where(outbox::Column::NextAttemptAt.lte(now))
        .and_where(outbox::Column::LeaseUntil.is_null().or(outbox::Column::LeaseUntil.lte(now)))
        .order_by(outbox::Column::NextAttemptAt, sea_orm::Order::Asc)
        .limit(limit)
        // PostgreSQL only (SQLite's query builder leaves the clause out): rows another
        // worker is claiming right now are skipped, not waited for.
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let rows = outbox::Entity::update_many()
        .col_expr(outbox::Column::LeaseId, Expr::value(Some(lease_id)))
        .col_expr(outbox::Column::LeaseUntil, Expr::value(Some(lease_until)))
        .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
        .filter(outbox::Column::Id.in_subquery(due))
        // Checked again on the row itself: under PostgreSQL's read committed, a row
        // another worker leased between the subquery's snapshot and the lock is skipped.
        .filter(outbox::Column::Status.eq(PENDING))
        .filter(outbox::Column::LeaseUntil.is_null().or(outbox::Column::LeaseUntil.lte(now)))
        .exec_with_returning(conn)
        .await?;
    let mut claimed: Vec<ClaimedMail> = rows
        .into_iter()
        .map(|row| ClaimedMail {
            id: row.id,
            lease_id,
            kind: row.kind,
            recipient: row.recipient,
            subject: row.subject,
            text: row.body_text.unwrap_or_default(),
            html: row.body_html.unwrap_or_default(),
            attempts: u32::try_from(row.attempts).unwrap_or(0),
        })
        .collect();
    claimed.sort_by_key(|mail| mail.id);
    Ok(claimed)
}

/// Marks a message delivered and clears its bodies. False when the lease was lost.
pub async fn mark_sent(conn: &impl ConnectionTrait, id: Uuid, lease_id: Uuid, now: OffsetDateTime) -> Result<bool> {
    finish(conn, id, lease_id, SENT, None, now).await
}

/// Gives a message up for good and clears its bodies. False when the lease was lost.
pub async fn mark_failed(
    conn: &impl ConnectionTrait,
    id: Uuid,
    lease_id: Uuid,
    error: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    finish(conn, id, lease_id, FAILED, Some(error), now).await
}

async fn finish(
    conn: &impl ConnectionTrait,
    id: Uuid,
    lease_id: Uuid,
    status: &str,
    error: Option<&str>,
    now: OffsetDateTime,
) -> Result<bool> {
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(status.to_owned()))
        .col_expr(outbox::Column::BodyText, Expr::value(Option::<String>::None))
        .col_expr(outbox::Column::BodyHtml, Expr::value(Option::<String>::None))
        .col_expr(outbox::Column::LeaseId, Expr::value(Option::<Uuid>::None))
        .col_expr(outbox::Column::LeaseUntil, Expr::value(Option::<OffsetDateTime>::None))
        .col_expr(outbox::Column::LastError, Expr::value(error.map(str::to_owned)))
        .col_expr(outbox::Column::FinishedAt, Expr::value(Some(now)))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::LeaseId.eq(lease_id))
        .exec(conn)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Releases a message for another attempt at `next_attempt_at`. False when the lease was
/// lost.
pub async fn retry_at(
    conn: &impl ConnectionTrait,
    id: Uuid,
    lease_id: Uuid,
    error: &str,
    next_attempt_at: OffsetDateTime,
) -> Result<bool> {
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(next_attempt_at))
        .col_expr(outbox::Column::LeaseId, Expr::value(Option::<Uuid>::None))
        .col_expr(outbox::Column::LeaseUntil, Expr::value(Option::<OffsetDateTime>::None))
        .col_expr(outbox::Column::LastError, Expr::value(Some(error.to_owned())))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::LeaseId.eq(lease_id))
        .exec(conn)
        .await?;
    Ok(result.rows_affected > 0)
}

/// How many messages wait to be sent, and when the oldest of them was written.
pub async fn backlog(conn: &impl ConnectionTrait) -> Result<(u64, Option<OffsetDateTime>)> {
    let row: Option<(i64, Option<OffsetDateTime>)> = outbox::Entity::find()
        .select_only()
        .column_as(Expr::col(outbox::Column::Id).count(), "unsent")
        .column_as(Expr::col(outbox::Column::CreatedAt).min(), "oldest")
        .filter(outbox::Column::Status.eq(PENDING))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(row.map_or((0, None), |(count, oldest)| (u64::try_from(count).unwrap_or(0), oldest)))
}

/// The columns an [`OutboxMessage`] is read from: the bodies are not among them.
#[derive(FromQueryResult)]
struct EntryRow {
    id: Uuid,
    kind: String,
    recipient: String,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    created_at: OffsetDateTime,
    next_attempt_at: OffsetDateTime,
    finished_at: Option<OffsetDateTime>,
}

/// The messages in each state (superusers only: the proof is the context).
pub async fn counts(conn: &impl ConnectionTrait, _superuser: &SuperuserContext) -> Result<OutboxCounts> {
    let by_status: Vec<(String, i64)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Status)
        .column_as(Expr::col(outbox::Column::Id).count(), "messages")
        .group_by(outbox::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    let mut counts = OutboxCounts::default();
    for (status, messages) in by_status {
        let messages = u64::try_from(messages).unwrap_or(0);
        match state(&status)? {
            MailState::Pending => counts.pending = messages,
            MailState::Sent => counts.sent = messages,
            MailState::Failed => counts.failed = messages,
        }
    }
    let due: Option<(Option<OffsetDateTime>, Option<OffsetDateTime>)> = outbox::Entity::find()
        .select_only()
        .column_as(Expr::col(outbox::Column::CreatedAt).min(), "oldest")
        .column_as(Expr::col(outbox::Column::NextAttemptAt).min(), "next")
        .filter(outbox::Column::Status.eq(PENDING))
        .into_tuple()
        .one(conn)
        .await?;
    if let Some((oldest, next)) = due {
        counts.oldest_pending_at = oldest;
        counts.next_attempt_at = next;
    }
    Ok(counts)
}

/// The `limit` newest messages, of any state, or (`failures_only`) those whose last
/// attempt failed (given up, or pending another attempt); newest first. Never reads a
/// body.
pub async fn recent(
    conn: &impl ConnectionTrait,
    _superuser: &SuperuserContext,
    failures_only: bool,
    limit: u64,
) -> Result<Vec<OutboxMessage>> {
    use outbox::Column as C;
    let mut query = outbox::Entity::find().select_only().columns([
        C::Id,
        C::Kind,
        C::Recipient,
        C::Status,
        C::Attempts,
        C::LastError,
        C::CreatedAt,
        C::NextAttemptAt,
        C::FinishedAt,
    ]);
    if failures_only {
        query = query.filter(C::LastError.is_not_null()).filter(C::Status.ne(SENT));
    }
    let rows =
        query.order_by_desc(C::CreatedAt).order_by_desc(C::Id).limit(limit).into_model::<EntryRow>().all(conn).await?;
    rows.into_iter()
        .map(|row| {
            let state = state(&row.status)?;
            Ok(OutboxMessage {
                id: MailId::from_uuid(row.id),
                kind: row.kind,
                recipient: row.recipient,
                state,
                attempts: u32::try_from(row.attempts).unwrap_or(0),
                last_error: row.last_error,
                created_at: row.created_at,
                next_attempt_at: (state == MailState::Pending).then_some(row.next_attempt_at),
                finished_at: row.finished_at,
            })
        })
        .collect()
}

fn state(status: &str) -> Result<MailState> {
    MailState::parse(status).ok_or_else(|| PersistenceError::Corrupt {
        entity: "outbox",
        field: "status",
        message: format!("unknown status {status:?}"),
    })
}
