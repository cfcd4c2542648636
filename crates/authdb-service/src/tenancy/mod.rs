//! Organizations (tenants), their members, roles, invitations and audit log: one module
//! per resource, all methods of [`OrganizationService`].
//!
//! Every use case on an existing organization takes a [`Membership`]: the caller's
//! resolved standing in it, obtained from [`OrganizationService::resolve`] (through the
//! membership cache). A `Membership` carries the organization's tenant id, so the
//! tenant-scoped repositories can only be reached through a resolution. Each use case
//! checks the permission it needs (writes through `TenantWrite::begin`), so an embedding
//! service that skips the HTTP guards is still safe.

mod audit;
mod invitations;
mod members;
mod organizations;
mod roles;

use authdb_domain::{BuiltInRole, MemberRole, OrganizationId};
use authdb_persistence::{PersistenceError, memberships, organizations as stored, users};
use time::Duration;

pub use self::{
    audit::{AuditLogActor, AuditLogEntry},
    invitations::{IssuedInvitation, PendingInvitation},
    roles::{NewRole, RoleUpdate},
};
use crate::{Core, Principal, Result, ServiceError, auth::second_factor_methods, membership::Membership};

/// Rules for organizations.
#[derive(Debug, Clone)]
pub struct OrganizationPolicy {
    /// How long an invitation can be accepted.
    pub invitation_ttl: Duration,
    /// Whether the answer to an invitation carries its token, for the inviter to pass on.
    /// Invitations are always mailed to the invitee; hand the token back only when no mail
    /// is delivered (the server: `mail.transport = none`), since whoever holds the token
    /// can join in the invitee's place once signed in with that address, and accepting
    /// marks the address verified.
    pub hand_back_invitation_tokens: bool,
}

impl Default for OrganizationPolicy {
    fn default() -> Self {
        Self { invitation_ttl: Duration::days(7), hand_back_invitation_tokens: false }
    }
}

/// Organizations, members, roles and invitations.
#[derive(Debug, Clone)]
pub struct OrganizationService {
    core: Core,
    policy: OrganizationPolicy,
}

const ORGANIZATION: &str = "organization";

impl OrganizationService {
    pub fn new(core: Core, policy: OrganizationPolicy) -> Self {
        Self { core, policy }
    }

    /// The caller's membership in `organization`. A non-member (and an unknown
    /// organization) is [`ServiceError::NotFound`], never forbidden: existence does not
    /// leak. A superuser who is not a member acts with the owner's permissions. A member
    /// without a second factor of an organization that requires one
    /// (`settings.require_mfa`) is [`ServiceError::MfaEnrolmentRequired`]; a superuser who
    /// is not a member is exempt.
    pub async fn resolve(&self, principal: &Principal, organization: OrganizationId) -> Result<Membership> {
        let replica = self.core.replica();
        let user = principal.user.id;
        let found = match replica.cached_membership(user, organization) {
            Some(cached) => cached,
            None => {
                let read = replica.membership_read();
                let found = self.resolve_from_database(principal, organization).await?;
                replica.cache_membership(read, user, organization, found.clone());
                found
            }
        };
        let membership = found.ok_or(ServiceError::NotFound { entity: ORGANIZATION })?;
        // The organization's `require_mfa`, after the 404 for non-members: one read of the
        // caller's factors, only for organizations that require one (a factor enrolled or
        // removed counts at once, uncached).
        if membership.mfa_required() && second_factor_methods(self.core.db(), user).await?.is_empty() {
            return Err(ServiceError::MfaEnrolmentRequired);
        }
        Ok(membership)
    }

    async fn resolve_from_database(
        &self,
        principal: &Principal,
        organization: OrganizationId,
    ) -> Result<Option<Membership>> {
        let db = self.core.db();
        if let Some(resolved) = memberships::resolve(db, principal.user.id, organization).await? {
            // A suspension holds for members, not for superusers (who lift it). The flag
            // is confirmed in the database, as for a superuser who is not a member.
            let exempt = resolved.organization_active
                || (principal.user.is_superuser && users::superuser_context(db, principal.user.id).await?.is_some());
            let suspended = !exempt;
            let mfa_required = resolved.organization_requires_mfa;
            return Ok(Some(Membership::member(
                resolved.user_id,
                resolved.tenant,
                resolved.role,
                suspended,
                mfa_required,
            )));
        }
        if !principal.user.is_superuser {
            return Ok(None);
        }
        let Some(superuser) = users::superuser_context(db, principal.user.id).await? else { return Ok(None) };
        let tenant = superuser.tenant(organization);
        // The organization must exist for a superuser too.
        match stored::find(db, tenant).await {
            Ok(_) => {}
            Err(PersistenceError::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(error.into()),
        }
        let owner = BuiltInRole::Owner;
        let role =
            MemberRole { id: owner.id(), name: owner.role_name(), permissions: owner.permissions(), built_in: true };
        Ok(Some(Membership::superuser(principal.user.id, tenant, role)))
    }

    /// Fails with [`ServiceError::Forbidden`] unless the caller is a superuser, as the
    /// database says now.
    async fn require_superuser(&self, principal: &Principal, why: &str) -> Result<()> {
        match users::superuser_context(self.core.db(), principal.user.id).await? {
            Some(_) => Ok(()),
            None => Err(ServiceError::Forbidden(why.to_owned())),
        }
    }
}

fn already_a_member() -> ServiceError {
    ServiceError::StateConflict("the user is already a member of this organization".into())
}
