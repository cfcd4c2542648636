//! What the console's dashboard shows, as typed results computed by the database (grouped
//! counts through authdb-persistence), each behind the same permission as the API's
//! route for the same data. Nothing here writes or caches.
//!
//! - Sign-ins and failed sign-ins (`sign_ins`): the audit events `login.succeeded`
//!   (sign-ins) and `login.failed` plus `mfa.failed` (failures), in 24 hourly and 30 daily
//!   UTC buckets, every bucket present. Three views: the caller's own (anyone signed in,
//!   like `GET /auth/events`); an organization's, which is **its current members' own
//!   sign-ins, wherever they signed in** (a login names no organization; failures of
//!   unknown accounts belong to nobody's), needing `members:manage`, the permission that
//!   already shows who the members are and acts on them; and the platform's (every
//!   event, unknown accounts included) for superusers, re-read from the database.
//! - An organization's inventory (`inventory`, `assets:read`, like `GET .../assets`):
//!   assets by criticality and by type (every value of the catalogue, zeros included)
//!   and open services by port (the ten ports with most, then "other").
//! - The caller's unread messages in an organization (`chats:use`, like
//!   `GET .../chats`): the sum of the chat list's `unread_count`, in one query.
//!
//! [`InsightsService::dashboard`] gathers all the caller may see in one call; a section
//! their role does not allow is `None`, not an error.

mod inventory;
mod sign_ins;

use authdb_domain::{OrganizationId, Permission};
use authdb_persistence::{audit::SignInScope, chats, now, users};

pub use self::{
    inventory::{InventoryInsights, OpenPorts},
    sign_ins::{SignInActivity, SignInBucket},
};
use crate::{Core, Principal, Result, ServiceError, membership::Membership};

/// The dashboard's data. Cheap to clone.
#[derive(Debug, Clone)]
pub struct InsightsService {
    core: Core,
}

/// The caller's unread messages in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnreadMessages {
    /// Readable messages of others after the caller's read pointer, over all their chats.
    pub messages: u64,
    /// How many of the caller's chats have any.
    pub chats: u64,
}

/// Everything the dashboard shows to one caller; `None` where their rights do not reach.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// The caller's own sign-ins.
    pub my_sign_ins: SignInActivity,
    /// Every sign-in on the platform, for a superuser.
    pub platform_sign_ins: Option<SignInActivity>,
    /// The organization the dashboard was asked for, if any.
    pub organization: Option<OrganizationDashboard>,
}

/// The part of the dashboard about one organization.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationDashboard {
    pub organization_id: OrganizationId,
    /// The members' sign-ins (`members:manage`).
    pub member_sign_ins: Option<SignInActivity>,
    /// Assets and open services (`assets:read`).
    pub inventory: Option<InventoryInsights>,
    /// The caller's unread messages (`chats:use`).
    pub unread: Option<UnreadMessages>,
}

impl InsightsService {
    pub fn new(core: Core) -> Self {
        Self { core }
    }

    /// The caller's own sign-ins and failures.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn my_sign_ins(&self, principal: &Principal) -> Result<SignInActivity> {
        sign_ins::activity(self.core.db(), SignInScope::Actor(principal.user.id), now()).await
    }

    /// The sign-ins and failures of the organization's current members (`members:manage`).
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn organization_sign_ins(&self, membership: &Membership) -> Result<SignInActivity> {
        membership.require(Permission::MembersManage)?;
        sign_ins::activity(self.core.db(), SignInScope::Members(membership.tenant()), now()).await
    }

    /// Every sign-in and failure on the platform (superusers: the flag is read again).
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn platform_sign_ins(&self, principal: &Principal) -> Result<SignInActivity> {
        let context = if principal.user.is_superuser {
            users::superuser_context(self.core.db(), principal.user.id).await?
        } else {
            None
        };
        let context = context.ok_or_else(|| ServiceError::Forbidden("platform sign-ins need a superuser".into()))?;
        sign_ins::activity(self.core.db(), SignInScope::Platform(&context), now()).await
    }

    /// The organization's assets by criticality and type, and open services by port
    /// (`assets:read`).
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn inventory(&self, membership: &Membership) -> Result<InventoryInsights> {
        membership.require(Permission::AssetsRead)?;
        inventory::insights(self.core.db(), membership.tenant()).await
    }

    /// The caller's unread messages in the organization (`chats:use`).
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn unread_messages(&self, membership: &Membership) -> Result<UnreadMessages> {
        membership.require(Permission::ChatsUse)?;
        let (messages, chats) =
            chats::unread_total(self.core.db(), membership.tenant(), membership.user_id(), now()).await?;
        Ok(UnreadMessages { messages, chats })
    }

    /// Everything the caller may see, in one call: their own sign-ins, the platform's for
    /// a superuser, and for `membership` (from `OrganizationService::resolve`) each section
    /// their role allows. A section refused by a permission or a suspension is `None`;
    /// any other error fails the call.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn dashboard(&self, principal: &Principal, membership: Option<&Membership>) -> Result<Dashboard> {
        let my_sign_ins = self.my_sign_ins(principal).await?;
        let platform_sign_ins =
            if principal.user.is_superuser { allowed(self.platform_sign_ins(principal).await)? } else { None };
        let organization = match membership {
            Some(membership) => Some(OrganizationDashboard {
                organization_id: membership.organization_id(),
                member_sign_ins: allowed(self.organization_sign_ins(membership).await)?,
                inventory: allowed(self.inventory(membership).await)?,
                unread: allowed(self.unread_messages(membership).await)?,
            }),
            None => None,
        };
        Ok(Dashboard { my_sign_ins, platform_sign_ins, organization })
    }
}

/// A section's result, with a refusal (permission, suspension) as `None`.
fn allowed<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(ServiceError::Forbidden(_) | ServiceError::OrganizationSuspended) => Ok(None),
        Err(other) => Err(other),
    }
}
