//! The organization's audit log: every event a tenant write recorded for it (who did
//! what, to what, from where, with what outcome), newest first, filtered.

use authdb_domain::{AuditEventId, AuditFilter, Page, Paged, Permission, UserId, Username};
use authdb_persistence::audit::{self, OrganizationEvent};
use serde_json::Value;
use time::OffsetDateTime;

use super::OrganizationService;
use crate::{Result, membership::Membership};

/// One event of an organization's audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditLogEntry {
    pub id: AuditEventId,
    pub occurred_at: OffsetDateTime,
    /// Who acted: `None` for the system (the access-rule expiry sweep) or once the account
    /// was deleted.
    pub actor: Option<AuditLogActor>,
    /// The stored action, such as `member.role_changed`.
    pub action: String,
    /// `success` or `failure`.
    pub outcome: String,
    /// What the event is about, as `kind:id` (`user:<uuid>`, `invitation:<uuid>`, ...).
    pub target: Option<String>,
    /// The client address and user agent of the request.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The event's particulars (an object): the organization's own data (role names,
    /// an invitee's address, an asset's summary), so all of it is shown to a reader of
    /// the organization's log.
    pub details: Value,
}

/// The account behind an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLogActor {
    pub id: UserId,
    pub username: Username,
}

impl OrganizationService {
    /// One page of the organization's audit log, newest first, that passes `filter`
    /// (needs `audit:read`, which a superuser holds in an organization they are not a
    /// member of; a member acts with their role). Only this
    /// organization's events are ever read: the query is scoped by the membership's
    /// tenant.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn audit_events(
        &self,
        membership: &Membership,
        filter: &AuditFilter,
        page: Page,
    ) -> Result<Paged<AuditLogEntry>> {
        membership.require(Permission::AuditRead)?;
        let listed = audit::list_for_organization(self.core.db(), membership.tenant(), filter, page).await?;
        Ok(listed.map(entry))
    }
}

fn entry(stored: OrganizationEvent) -> AuditLogEntry {
    let OrganizationEvent { event, actor } = stored;
    let details = if event.details.is_object() { event.details } else { Value::Object(serde_json::Map::new()) };
    AuditLogEntry {
        id: event.id,
        occurred_at: event.occurred_at,
        actor: actor.map(|actor| AuditLogActor { id: actor.id, username: actor.username }),
        action: event.action,
        outcome: event.outcome,
        target: event.target,
        ip: event.ip,
        user_agent: event.user_agent,
        details,
    }
}
