//! The mail outbox as an operator sees it: how many messages are in each state, and the
//! messages themselves without their bodies (which carry single-use links and never leave
//! the outbox worker).

use std::fmt;

use time::OffsetDateTime;

use crate::MailId;

/// Where a message of the outbox stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailState {
    /// Waiting for its first or next attempt, or being sent.
    Pending,
    Sent,
    /// Given up: a permanent failure, or the last attempt.
    Failed,
}

impl MailState {
    pub const ALL: [Self; 3] = [Self::Pending, Self::Sent, Self::Failed];

    /// The stored name (`pending`, `sent`, `failed`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    /// The state of a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }
}

impl fmt::Display for MailState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many messages the outbox holds in each state, and when the pending ones are due.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: u64,
    pub sent: u64,
    pub failed: u64,
    /// When the oldest pending message was written.
    pub oldest_pending_at: Option<OffsetDateTime>,
    /// The earliest next attempt of a pending message.
    pub next_attempt_at: Option<OffsetDateTime>,
}

/// A message of the outbox: everything but its bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: MailId,
    /// What the message is (`verify_email`, `invitation`, ...).
    pub kind: String,
    pub recipient: String,
    pub state: MailState,
    /// Attempts so far.
    pub attempts: u32,
    /// The error of the last failed attempt (kept while another attempt is to come).
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    /// When it is tried (again), while pending.
    pub next_attempt_at: Option<OffsetDateTime>,
    /// When it was sent or given up.
    pub finished_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::MailState;

    #[test]
    fn a_state_reads_back_its_own_name_only() {
        for state in MailState::ALL {
            assert_eq!(MailState::parse(state.as_str()), Some(state));
        }
        assert_eq!(MailState::parse("Pending"), None);
        assert_eq!(MailState::parse(""), None);
    }
}
