//! The outbox worker: sends the mail that writes enqueued, outside any transaction.
//!
//! A write enqueues a message in its own transaction (`Write::mail`), so a message exists
//! exactly when the change that causes it committed, and nothing is lost by a restart.
//! The committing write wakes this process's worker, so a message normally leaves at
//! once; a poll every [`OutboxPolicy::poll_every`] catches messages enqueued by other
//! instances, retries that came due, and leases that expired.
//!
//! Each round the worker claims a batch of due messages with a lease (one statement, see
//! `authdb_persistence::outbox`), sends them one by one through the [`Mailer`] with no
//! transaction open, and records each outcome under its lease: sent, tried again later
//! with exponential backoff (a transient failure), or failed (a permanent failure, or
//! the last of `max_attempts`). A sent or failed message loses its bodies. A worker that
//! stops between sending and recording leaves its lease to expire: the message is sent
//! again then (at least once; with the lease held by a live worker, exactly once).

use std::{sync::Arc, time::Duration};

use authdb_domain::{OutboxCounts, OutboxMessage};
use authdb_persistence::{DatabaseConnection, SuperuserContext, WriteGate, now, outbox};
use tokio::{sync::Notify, task::JoinHandle};

use crate::{Mailer, OutgoingMail, Result, mail_templates::MailTemplates};

/// How many messages one claim takes.
const BATCH: u64 = 16;
/// How long a claimed message belongs to its worker. Sending one is bounded well below
/// it ([`SEND_TIMEOUT`]), so a live worker never loses a lease it still needs.
const LEASE: time::Duration = time::Duration::minutes(5);
/// Longest one delivery may take before it counts as a transient failure.
const SEND_TIMEOUT: Duration = Duration::from_secs(120);
/// The longest wait between two attempts, however many came before.
const MAX_BACKOFF: time::Duration = time::Duration::hours(6);

/// How the outbox retries.
#[derive(Debug, Clone, Copy)]
pub struct OutboxPolicy {
    /// Attempts before a message that keeps failing transiently is given up
    /// (`mail.max_attempts`, at least 1).
    pub max_attempts: u32,
    /// The wait after the first failed attempt; it doubles with every further one
    /// (`mail.retry_base_secs`).
    pub retry_base: time::Duration,
    /// How often the worker looks for due messages besides being woken.
    pub poll_every: Duration,
}

impl Default for OutboxPolicy {
    fn default() -> Self {
        Self { max_attempts: 8, retry_base: time::Duration::seconds(30), poll_every: Duration::from_secs(1) }
    }
}

/// The mail side of a process: the transport, the templates and the retry policy.
#[derive(Debug, Clone)]
pub struct MailSetup {
    /// The transport the worker sends through; `None` runs no worker in this process
    /// (a one-shot command): what its writes enqueue waits in the outbox for a process
    /// that has one.
    pub mailer: Option<Arc<dyn Mailer>>,
    pub templates: Arc<MailTemplates>,
    pub policy: OutboxPolicy,
}

/// What writes need of the outbox: the templates to render with, and the worker's bell;
/// and what an operator is told of this process's mail setup.
#[derive(Debug)]
pub(crate) struct Outbox {
    templates: Arc<MailTemplates>,
    wake: Arc<Notify>,
    transport: Option<MailTransport>,
    policy: OutboxPolicy,
}

impl Outbox {
    /// The transport this process's worker sends through (`None`: it runs no worker).
    pub(crate) fn transport(&self) -> Option<MailTransport> {
        self.transport
    }

    pub(crate) fn policy(&self) -> OutboxPolicy {
        self.policy
    }

    pub(crate) fn templates(&self) -> &MailTemplates {
        &self.templates
    }

    /// Wakes the worker: a write committed messages.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Aborts the worker when the core that owns it is dropped.
#[derive(Debug)]
pub(crate) struct OutboxTask(Option<JoinHandle<()>>);

impl Drop for OutboxTask {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

/// Starts the worker (when there is a transport to send through).
pub(crate) fn start(db: DatabaseConnection, writes: WriteGate, setup: MailSetup) -> (Outbox, OutboxTask) {
    let wake = Arc::new(Notify::new());
    let transport =
        setup.mailer.as_ref().map(|mailer| MailTransport { name: mailer.name(), delivers: mailer.delivers() });
    let task = setup.mailer.map(|mailer| {
        let worker = Worker { db, writes, mailer, policy: setup.policy };
        tokio::spawn(worker.run(Arc::clone(&wake)))
    });
    (Outbox { templates: setup.templates, wake, transport, policy: setup.policy }, OutboxTask(task))
}

/// The mail transport of a process, as an operator is told of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailTransport {
    /// As `mail.transport` spells it (`file`, `none`, `smtp`).
    pub name: &'static str,
    /// Whether messages actually leave the process (false for `none`).
    pub delivers: bool,
}

/// What the mail outbox holds, and how this process sends mail
/// ([`crate::AdminService::mail_status`], superusers only). No body and no token: the
/// messages are listed without their bodies. The counts and the lists are read one after
/// the other, not in one snapshot: a message the worker finishes meanwhile may be counted
/// in its old state and listed in its new one.
#[derive(Debug, Clone)]
pub struct MailStatus {
    /// This process's transport; `None` when it runs no outbox worker (what is enqueued
    /// waits for a process that does).
    pub transport: Option<MailTransport>,
    pub policy: OutboxPolicy,
    pub counts: OutboxCounts,
    /// The newest messages, of any state, newest first (at most [`MailStatus::LISTED`]).
    pub recent: Vec<OutboxMessage>,
    /// The newest messages whose last attempt failed: given up, or waiting to be tried
    /// again (at most [`MailStatus::LISTED`]).
    pub failures: Vec<OutboxMessage>,
}

impl MailStatus {
    /// How many messages each list holds at most.
    pub const LISTED: u64 = 20;
}

/// The outbox's state, read by a superuser.
pub(crate) async fn status(
    db: &DatabaseConnection,
    superuser: &SuperuserContext,
    outbox: &Outbox,
) -> Result<MailStatus> {
    let counts = outbox::counts(db, superuser).await?;
    let recent = outbox::recent(db, superuser, false, MailStatus::LISTED).await?;
    let failures = outbox::recent(db, superuser, true, MailStatus::LISTED).await?;
    Ok(MailStatus { transport: outbox.transport(), policy: outbox.policy(), counts, recent, failures })
}

struct Worker {
    db: DatabaseConnection,
    writes: WriteGate,
    mailer: Arc<dyn Mailer>,
    policy: OutboxPolicy,
}

/// What became of one attempt.
enum Outcome {
    Sent,
    Retry(String),
    Failed(String),
}

impl Worker {
    async fn run(self, wake: Arc<Notify>) {
        loop {
            if let Err(error) = self.drain().await {
                tracing::warn!(error = %crate::error_chain(&error), "the mail outbox could not be read");
            }
            self.record_backlog().await;
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(self.policy.poll_every) => {}
            }
        }
    }

    /// Sends every due message, a batch at a time.
    async fn drain(&self) -> Result<()> {
        loop {
            let claimed = {
                let txn = self.writes.begin().await?;
                let now = now();
                let claimed = outbox::claim(&*txn, now, now + LEASE, BATCH).await?;
                txn.commit().await?;
                claimed
            };
            if claimed.is_empty() {
                return Ok(());
            }
            for mail in claimed {
                let outcome = self.send(&mail).await;
                self.record(&mail, outcome).await?;
            }
        }
    }

    async fn send(&self, claimed: &outbox::ClaimedMail) -> Outcome {
        let Ok(to) = authdb_domain::Email::parse_stored(&claimed.recipient) else {
            return Outcome::Failed("the recipient is not a valid address".into());
        };
        let mail = OutgoingMail {
            to,
            subject: claimed.subject.clone(),
            text: claimed.text.clone(),
            html: claimed.html.clone(),
        };
        let error = match tokio::time::timeout(SEND_TIMEOUT, self.mailer.send(&mail)).await {
            Ok(Ok(())) => return Outcome::Sent,
            Ok(Err(error)) => error,
            Err(_) => crate::MailError::Transient(format!("no answer within {} s", SEND_TIMEOUT.as_secs())),
        };
        if error.is_transient() && claimed.attempts < self.policy.max_attempts {
            Outcome::Retry(error.to_string())
        } else {
            Outcome::Failed(error.to_string())
        }
    }

    /// Records an attempt's outcome under the message's lease.
    async fn record(&self, mail: &outbox::ClaimedMail, outcome: Outcome) -> Result<()> {
        let txn = self.writes.begin().await?;
        let now = now();
        let kept = match &outcome {
            Outcome::Sent => outbox::mark_sent(&*txn, mail.id, mail.lease_id, now).await?,
            Outcome::Retry(error) => {
                let at = now + backoff(self.policy.retry_base, mail.attempts);
                outbox::retry_at(&*txn, mail.id, mail.lease_id, error, at).await?
            }
            Outcome::Failed(error) => outbox::mark_failed(&*txn, mail.id, mail.lease_id, error, now).await?,
        };
        txn.commit().await?;
        let (id, kind, attempts) = (mail.id, mail.kind.as_str(), mail.attempts);
        match outcome {
            _ if !kept => {
                tracing::warn!(%id, kind, "a mail's lease expired while it was being sent; another worker owns it now");
            }
            Outcome::Sent => {
                metrics::counter!("authdb_mail_sent_total").increment(1);
                tracing::info!(%id, kind, attempts, transport = self.mailer.name(), "mail sent");
            }
            Outcome::Retry(error) => {
                metrics::counter!("authdb_mail_retries_total").increment(1);
                tracing::warn!(%id, kind, attempts, error, "mail not sent; it will be tried again");
            }
            Outcome::Failed(error) => {
                metrics::counter!("authdb_mail_failed_total").increment(1);
                tracing::error!(%id, kind, attempts, error, "mail given up");
            }
        }
        Ok(())
    }

    /// Sets the backlog gauges: messages waiting, and the age of the oldest.
    async fn record_backlog(&self) {
        match outbox::backlog(&self.db).await {
            Ok((count, oldest)) => {
                let age = oldest.map_or(0.0, |oldest| (now() - oldest).as_seconds_f64().max(0.0));
                metrics::gauge!("authdb_mail_unsent").set(count as f64);
                metrics::gauge!("authdb_mail_oldest_unsent_age_seconds").set(age);
            }
            Err(error) => tracing::debug!(error = %error, "cannot read the mail backlog"),
        }
    }
}

/// The wait after the `attempts`-th failed attempt: `base`, doubled with every attempt
/// after the first, at most [`MAX_BACKOFF`].
pub(crate) fn backoff(base: time::Duration, attempts: u32) -> time::Duration {
    let doublings = attempts.saturating_sub(1).min(30);
    let factor = 1_i32 << doublings;
    base.checked_mul(factor).map_or(MAX_BACKOFF, |wait| wait.min(MAX_BACKOFF))
}

#[cfg(test)]
mod tests;
