//! The caller's standing in one organization, and the proof of access every tenant
//! use case takes.

use authdb_domain::{BuiltInRole, MemberRole, OrganizationId, Permission, PermissionSet, RoleId, UserId};
use authdb_persistence::TenantId;

use crate::{Result, ServiceError};

/// The caller's standing in one organization: the role they hold and what it allows.
///
/// Only `OrganizationService::resolve` hands one out (through the membership cache), and
/// it carries the organization's [`TenantId`], which the tenant-scoped repositories
/// require: tenant data can only be reached through a resolution. Outside this crate the
/// tenant id cannot even be named.
///
/// A membership in a suspended organization (`is_active` false, set by a superuser)
/// passes none of the checks but [`Membership::require_even_if_suspended`], which only
/// reading the organization itself uses: every other use case, present or future, is
/// refused through the same [`Membership::require`] (or `TenantWrite::begin`) it needs
/// anyway, without having to remember the suspension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    user_id: UserId,
    tenant: TenantId,
    role: MemberRole,
    /// A superuser acting on an organization they are not a member of.
    via_superuser: bool,
    /// The organization is suspended and the caller is not a superuser.
    suspended: bool,
    /// The organization requires a second factor of its members (`settings.require_mfa`)
    /// and the caller is a member (a superuser acting from outside is exempt).
    mfa_required: bool,
}

impl Membership {
    /// A member holding `role`; `suspended` when the organization is suspended and the
    /// member is not a superuser.
    /// `mfa_required` when the organization requires a second factor of its members.
    pub(crate) fn member(
        user_id: UserId,
        tenant: TenantId,
        role: MemberRole,
        suspended: bool,
        mfa_required: bool,
    ) -> Self {
        Self { user_id, tenant, role, via_superuser: false, suspended, mfa_required }
    }

    /// A superuser who is not a member, acting with the owner's permissions (suspended
    /// organizations included: superusers are who lift a suspension).
    pub(crate) fn superuser(user_id: UserId, tenant: TenantId, owner: MemberRole) -> Self {
        Self { user_id, tenant, role: owner, via_superuser: true, suspended: false, mfa_required: false }
    }

    pub fn organization_id(&self) -> OrganizationId {
        self.tenant.organization_id()
    }

    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    pub fn role(&self) -> &MemberRole {
        &self.role
    }

    pub fn permissions(&self) -> PermissionSet {
        self.role.permissions
    }

    pub fn is_superuser_access(&self) -> bool {
        self.via_superuser
    }

    /// The built-in owner role, or a superuser.
    pub fn is_owner(&self) -> bool {
        self.via_superuser || self.role.id == BuiltInRole::Owner.id()
    }

    /// The organization's tenant id, for the repositories.
    pub(crate) fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// Whether the organization requires this caller to have a second factor
    /// (`settings.require_mfa`; never for a superuser acting from outside).
    pub fn mfa_required(&self) -> bool {
        self.mfa_required
    }

    /// Whether the organization is suspended for this caller.
    pub fn is_suspended(&self) -> bool {
        self.suspended
    }

    /// Fails with [`ServiceError::OrganizationSuspended`] while the organization is
    /// suspended, and with [`ServiceError::Forbidden`] unless the role grants
    /// `permission`.
    pub fn require(&self, permission: Permission) -> Result<()> {
        self.require_active()?;
        self.require_even_if_suspended(permission)
    }

    /// [`Membership::require`] without the suspension check: only for reading the
    /// organization itself, which stays possible while it is suspended.
    pub fn require_even_if_suspended(&self, permission: Permission) -> Result<()> {
        if self.role.permissions.contains(permission) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!("your role `{}` lacks the permission {permission}", self.role.name)))
        }
    }

    /// Fails with [`ServiceError::OrganizationSuspended`] while the organization is
    /// suspended (for what needs no permission, such as leaving).
    pub fn require_active(&self) -> Result<()> {
        if self.suspended { Err(ServiceError::OrganizationSuspended) } else { Ok(()) }
    }

    /// Fails unless the caller may hand out the role `role` with `permissions` (to a
    /// member or through an invitation), or take it away: see [`grant_refusal`].
    pub(crate) fn require_grant(&self, role: RoleId, permissions: PermissionSet) -> Result<()> {
        self.require_active()?;
        match grant_refusal(&self.role, self.is_owner(), role, permissions) {
            None => Ok(()),
            Some(reason) => Err(ServiceError::Forbidden(reason)),
        }
    }

    /// Fails unless the caller holds every permission of `granted`: nobody grants what
    /// they do not hold.
    pub(crate) fn require_all(&self, granted: PermissionSet, what: &str) -> Result<()> {
        let missing = granted.missing_from(self.role.permissions);
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!(
                "{what} would grant permissions your role lacks: {}",
                missing.names().join(", ")
            )))
        }
    }
}

/// Why a holder of `holder` (an owner when `holder_is_owner`) may not grant or take away
/// the role `role` with `permissions`, or `None` when they may. The rules: granting needs
/// `members:manage`; nobody grants what they do not hold; and only an owner grants or takes
/// away `owner`, so that a custom role holding every permission cannot make itself owner
/// and remove the founder. The same rule decides, at each change of an inviter's rights
/// and at acceptance, whether their pending invitations still stand.
pub(crate) fn grant_refusal(
    holder: &MemberRole,
    holder_is_owner: bool,
    role: RoleId,
    permissions: PermissionSet,
) -> Option<String> {
    if !holder.permissions.contains(Permission::MembersManage) {
        return Some(format!("the role `{}` lacks the permission {}", holder.name, Permission::MembersManage));
    }
    let missing = permissions.missing_from(holder.permissions);
    if !missing.is_empty() {
        return Some(format!("this role would grant permissions your role lacks: {}", missing.names().join(", ")));
    }
    if role == BuiltInRole::Owner.id() && !holder_is_owner {
        return Some("only an owner may grant or take away the owner role".into());
    }
    None
}

#[cfg(test)]
mod tests;
