//! The caller's standing in one organization, and the proof of access every tenant
//! use case takes.

use authdb_domain::{BuiltInRole, MemberRole, OrganizationId, Permission, PermissionSet, UserId};
use authdb_persistence::TenantId;

use crate::{Result, ServiceError};

/// The caller's standing in one organization: the role they hold and what it allows.
///
/// Only `OrganizationService::resolve` hands one out (through the membership cache), and
/// it carries the organization's [`TenantId`], which the tenant-scoped repositories
/// require: tenant data can only be reached through a resolution. Outside this crate the
/// tenant id cannot even be named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    user_id: UserId,
    tenant: TenantId,
    role: MemberRole,
    /// A superuser acting on an organization they are not a member of.
    via_superuser: bool,
}

impl Membership {
    /// A member holding `role`.
    pub(crate) fn member(user_id: UserId, tenant: TenantId, role: MemberRole) -> Self {
        Self { user_id, tenant, role, via_superuser: false }
    }

    /// A superuser who is not a member, acting with the owner's permissions.
    pub(crate) fn superuser(user_id: UserId, tenant: TenantId, owner: MemberRole) -> Self {
        Self { user_id, tenant, role: owner, via_superuser: true }
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

    /// Fails with [`ServiceError::Forbidden`] unless the role grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.role.permissions.contains(permission) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!("your role `{}` lacks the permission {permission}", self.role.name)))
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
