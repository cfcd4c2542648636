//! Platform administration.

use authdb_domain::OutboxMessage;
use authdb_service::MailStatus;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::UserResponse;
use crate::pagination::list_schema;

list_schema!(UserList, UserResponse);

/// Absent flags are left alone.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdminUpdateUserRequest {
    /// `false` deactivates the account: its sessions are revoked at once and its logins
    /// answer 403.
    #[serde(default)]
    pub(crate) is_active: Option<bool>,
    #[serde(default)]
    pub(crate) is_verified: Option<bool>,
    #[serde(default)]
    pub(crate) is_superuser: Option<bool>,
}

/// What the mail outbox holds and how this instance sends mail. Messages are listed
/// without their bodies (which carry single-use links).
#[derive(Serialize, ToSchema)]
pub(crate) struct MailStatusResponse {
    /// The transport this instance sends through (`file`, `none` or `smtp`); `null` when
    /// it runs no outbox worker.
    pub(crate) transport: Option<String>,
    /// Whether messages actually leave this instance (false for `none`).
    pub(crate) delivers: bool,
    /// Attempts before a message that keeps failing transiently is given up.
    pub(crate) max_attempts: u32,
    /// The wait after the first failed attempt, doubled with every further one.
    pub(crate) retry_base_secs: i64,
    /// Messages waiting to be sent (or being sent).
    pub(crate) pending: u64,
    pub(crate) sent: u64,
    /// Messages given up.
    pub(crate) failed: u64,
    /// When the oldest pending message was written.
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) oldest_pending_at: Option<OffsetDateTime>,
    /// The earliest next attempt of a pending message.
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) next_attempt_at: Option<OffsetDateTime>,
    /// The newest messages of any status, newest first (at most 20).
    pub(crate) recent: Vec<OutboxMessageResponse>,
    /// The newest messages whose last attempt failed: given up, or waiting to be tried
    /// again (at most 20).
    pub(crate) failures: Vec<OutboxMessageResponse>,
}

/// A message of the outbox, without its bodies.
#[derive(Serialize, ToSchema)]
pub(crate) struct OutboxMessageResponse {
    pub(crate) id: Uuid,
    /// What the message is (`verify_email`, `password_reset`, `invitation`, ...).
    pub(crate) kind: String,
    pub(crate) recipient: String,
    /// `pending`, `sent` or `failed`.
    #[schema(example = "sent")]
    pub(crate) status: String,
    pub(crate) attempts: u32,
    /// The error of the last failed attempt.
    pub(crate) last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    /// When it is tried (again), while pending.
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) next_attempt_at: Option<OffsetDateTime>,
    /// When it was sent or given up.
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) finished_at: Option<OffsetDateTime>,
}

impl From<OutboxMessage> for OutboxMessageResponse {
    fn from(message: OutboxMessage) -> Self {
        Self {
            id: message.id.as_uuid(),
            kind: message.kind,
            recipient: message.recipient,
            status: message.state.as_str().to_owned(),
            attempts: message.attempts,
            last_error: message.last_error,
            created_at: message.created_at,
            next_attempt_at: message.next_attempt_at,
            finished_at: message.finished_at,
        }
    }
}

impl From<MailStatus> for MailStatusResponse {
    fn from(status: MailStatus) -> Self {
        let counts = status.counts;
        Self {
            transport: status.transport.map(|transport| transport.name.to_owned()),
            delivers: status.transport.is_some_and(|transport| transport.delivers),
            max_attempts: status.policy.max_attempts,
            retry_base_secs: status.policy.retry_base.whole_seconds(),
            pending: counts.pending,
            sent: counts.sent,
            failed: counts.failed,
            oldest_pending_at: counts.oldest_pending_at,
            next_attempt_at: counts.next_attempt_at,
            recent: status.recent.into_iter().map(OutboxMessageResponse::from).collect(),
            failures: status.failures.into_iter().map(OutboxMessageResponse::from).collect(),
        }
    }
}
