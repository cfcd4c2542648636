//! The write path: every use case that writes goes through [`Write`], and every write to
//! an organization's data through [`TenantWrite`].
//!
//! A `Write` is a transaction taken from the write gate (one writer at a time on SQLite),
//! the time of the write, and the changes to cached state it has published. Committing
//! it applies those changes to this process's replica; other processes hear them through
//! the change feed when the commit is delivered. So a change that other processes cache
//! cannot be committed without reaching them, as long as it was published.
//!
//! A `TenantWrite` adds the rest of the tenant sequence: the permission is checked before
//! the transaction begins, the organization's row lock is one call, and `commit` takes
//! the audit record and the cache invalidation as arguments.
//!
//! Mail is a step of the write that causes it ([`Write::mail`]): the message is rendered
//! and written to the outbox in the same transaction, so it exists exactly when the
//! change committed, and `commit` wakes the outbox worker that sends it. A tenant write that forgets
//! either does not compile; one that changes no cached state says so
//! ([`Stale::Nothing`]).

use authdb_domain::{AuditAction, AuditOutcome, Message as Posted, Permission, UserId};
use authdb_persistence::{
    DatabaseTransaction, TenantId, WriteTransaction, audit, now, organizations,
    outbox::{self, NewMail},
    revocation_events,
};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{
    ClientInfo, Core, Result,
    audit::{Audit, Target},
    mail_templates::Message,
    membership::Membership,
    realtime::{SignalKind, audience::Hold},
    replica::{Change, Invalidation},
};

/// A write transaction that publishes the changes it makes to cached state.
pub(crate) struct Write<'a> {
    core: &'a Core,
    txn: WriteTransaction,
    now: OffsetDateTime,
    published: Vec<Change>,
    /// Messages enqueued in this transaction.
    mails: u64,
    /// The chat audiences this write changes, held until it is applied or rolled back
    /// (`crate::realtime::audience`).
    holds: Vec<Hold>,
    /// The message this write posted, handed to this process's dispatcher with its signal.
    posted: Option<Posted>,
}

impl<'a> Write<'a> {
    /// Waits for the write turn and begins a transaction; the write's time is taken then.
    pub(crate) async fn begin(core: &'a Core) -> Result<Self> {
        let txn = core.writes().begin().await?;
        Ok(Self { core, txn, now: now(), published: Vec::new(), mails: 0, holds: Vec::new(), posted: None })
    }

    /// The transaction, for the repositories.
    pub(crate) fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// When this write happens (whole seconds, see `authdb_persistence::now`).
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.now
    }

    /// Records an audit event in this transaction.
    pub(crate) async fn audit(&self, event: Audit) -> Result<()> {
        Ok(audit::record(&*self.txn, event.into_event(), self.now).await?)
    }

    /// Announces a change to cached state: to the other processes when the transaction
    /// commits, and to this one by [`Write::commit`].
    /// A revoked session is also recorded in `revocation_events`, for the services that
    /// follow revocations (`AuthService::revocations`).
    pub(crate) async fn publish(&mut self, change: Change) -> Result<()> {
        if let Change::SessionRevoked(revoked) = &change {
            revocation_events::record(&*self.txn, revoked).await?;
        }
        if let Some(scope) = change.audience_scope() {
            self.holds.push(self.core.hub().audiences.hold(scope));
        }
        // Realtime signals go on the carrier: in this transaction when it is the change
        // feed, after the commit otherwise (Redis). Everything else is on the feed.
        if !matches!(change, Change::Realtime(_)) || self.core.carrier().in_transaction() {
            change.publish(&*self.txn).await?;
        }
        self.published.push(change);
        Ok(())
    }

    /// Renders a message and enqueues it in this transaction: it is sent once the write
    /// commits, and never if it rolls back.
    pub(crate) async fn mail(&mut self, message: Message<'_>) -> Result<()> {
        let rendered = self.core.outbox().templates().render(&message)?;
        let mail = NewMail {
            kind: message.kind(),
            recipient: rendered.to.as_ref().to_owned(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
        };
        outbox::enqueue(&*self.txn, mail, self.now).await?;
        self.mails += 1;
        Ok(())
    }

    /// Commits, then applies the published changes to this process at once and wakes the
    /// outbox worker for the messages enqueued. Dropping a write without committing rolls
    /// it back, publishes nothing and sends nothing.
    pub(crate) async fn commit(self) -> Result<()> {
        self.txn.commit().await?;
        let now = now();
        let mut posted = self.posted;
        for change in &self.published {
            match (change, posted.take()) {
                (Change::Realtime(signal), Some(message)) if matches!(signal.kind, SignalKind::MessageCreated(_, id) if id == message.id) =>
                {
                    self.core.replica().apply_posted(*signal, message);
                }
                (_, unused) => {
                    posted = unused;
                    self.core.replica().apply(change, now);
                }
            }
            if let Change::Realtime(signal) = change
                && !self.core.carrier().in_transaction()
            {
                // Committed: a carrier that fails now loses the event for the other
                // instances (their clients catch up with `after=`), never the write.
                if let Err(error) = self.core.carrier().send(*signal).await {
                    tracing::warn!(error = %crate::error_chain(&error), "a realtime signal could not be sent");
                }
            }
        }
        // Applied: the audiences may be cached again.
        drop(self.holds);
        if self.mails > 0 {
            metrics::counter!("authdb_mail_queued_total").increment(self.mails);
            self.core.outbox().wake();
        }
        Ok(())
    }

    /// Hands the message this write inserted to this process's dispatcher with its
    /// `MessageCreated` signal, at commit.
    pub(crate) fn posted(&mut self, message: Posted) {
        self.posted = Some(message);
    }

    /// Turns this write into a write to `tenant`'s data by `actor` (who has just earned
    /// the tenant id inside this transaction: created the organization, spent an
    /// invitation to it).
    pub(crate) fn into_tenant(self, tenant: TenantId, actor: UserId, client: &'a ClientInfo) -> TenantWrite<'a> {
        TenantWrite { write: self, tenant, actor, client, deleted: false }
    }
}

/// A write to one organization's data on behalf of one caller.
pub(crate) struct TenantWrite<'a> {
    write: Write<'a>,
    tenant: TenantId,
    actor: UserId,
    client: &'a ClientInfo,
    /// Set once the organization itself is deleted in this write.
    deleted: bool,
}

/// What a tenant write records in the audit log: the action and what it was done to.
/// The actor, the organization, the client and the time come from the write.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    action: AuditAction,
    target: Target,
    details: Value,
    outcome: AuditOutcome,
}

impl Record {
    pub(crate) fn new(action: AuditAction, target: Target) -> Self {
        Self { action, target, details: json!({}), outcome: AuditOutcome::Success }
    }

    /// Records the event as a refusal (outcome `failure`): the write commits what the
    /// refusal itself changes (a revoked invitation) and the caller answers an error.
    pub(crate) fn refused(mut self) -> Self {
        self.outcome = AuditOutcome::Failure;
        self
    }

    pub(crate) fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// Which cached state a tenant write makes stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stale {
    /// Nothing any process caches (organization fields, invitations, a new role).
    Nothing,
    /// Resolved memberships: who holds which role with which permissions.
    Memberships(Invalidation),
}

impl<'a> TenantWrite<'a> {
    /// Begins a write in `membership`'s organization that needs `permission`; a role
    /// without it is refused before the write turn is taken.
    pub(crate) async fn begin(
        core: &'a Core,
        membership: &Membership,
        permission: Permission,
        client: &'a ClientInfo,
    ) -> Result<Self> {
        membership.require(permission)?;
        Self::begin_on_own_membership(core, membership, client).await
    }

    /// Begins a write that needs no permission because it only concerns the caller's own
    /// membership (leaving an organization). A suspended organization refuses it too.
    pub(crate) async fn begin_on_own_membership(
        core: &'a Core,
        membership: &Membership,
        client: &'a ClientInfo,
    ) -> Result<Self> {
        membership.require_active()?;
        let write = Write::begin(core).await?;
        Ok(write.into_tenant(membership.tenant(), membership.user_id(), client))
    }

    pub(crate) fn conn(&self) -> &DatabaseTransaction {
        self.write.conn()
    }

    pub(crate) fn tenant(&self) -> TenantId {
        self.tenant
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.write.now()
    }

    /// Locks the organization's row until the commit: membership changes take it first,
    /// so that checks over all members (the last owner) cannot race each other.
    pub(crate) async fn lock_organization(&self) -> Result<()> {
        Ok(organizations::lock(self.conn(), self.tenant).await?)
    }

    /// Deletes the organization with all its tenant data, under its row lock (taken first,
    /// as every membership change takes it). Its audit events stay, with the organization
    /// named only in their target from then on.
    pub(crate) async fn delete_organization(&mut self) -> Result<()> {
        self.lock_organization().await?;
        organizations::delete(self.conn(), self.tenant).await?;
        self.deleted = true;
        Ok(())
    }

    /// Renders a message and enqueues it in this write ([`Write::mail`]).
    pub(crate) async fn mail(&mut self, message: Message<'_>) -> Result<()> {
        self.write.mail(message).await
    }

    /// Announces a change to cached state other than memberships ([`Write::publish`]).
    pub(crate) async fn publish(&mut self, change: Change) -> Result<()> {
        self.write.publish(change).await
    }

    /// Records one more audit event in this write, besides the one `commit` records (an
    /// invitation revoked as a consequence of the change).
    pub(crate) async fn record(&self, record: Record) -> Result<()> {
        self.write.audit(self.event(record)).await
    }

    fn event(&self, record: Record) -> Audit {
        let mut event = Audit::new(record.action, record.outcome, Some(self.actor), self.client)
            .target(record.target)
            .details(record.details);
        if !self.deleted {
            event = event.organization(self.tenant.organization_id());
        }
        event
    }

    /// The message this write posted, for this process's sockets ([`Write::posted`]).
    pub(crate) fn posted(&mut self, message: authdb_domain::Message) {
        self.write.posted(message);
    }

    /// Commits a write that the audit log must not see: posting a message, marking one
    /// read, a sender deleting their own message. These are the chat's traffic, not
    /// changes of who may do what, and their contents must never be recorded anywhere.
    /// Nothing such a write changes is cached.
    pub(crate) async fn commit_unaudited(self) -> Result<()> {
        self.write.commit().await
    }

    /// Records the audit event, publishes the invalidation, commits, and applies the
    /// invalidation to this process.
    pub(crate) async fn commit(mut self, record: Record, stale: Stale) -> Result<()> {
        let event = self.event(record);
        self.write.audit(event).await?;
        if let Stale::Memberships(what) = stale {
            self.write.publish(Change::MembershipChanged(what)).await?;
        }
        self.write.commit().await
    }
}
