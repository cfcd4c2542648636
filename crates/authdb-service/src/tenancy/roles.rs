//! Roles of an organization: the four built-in ones and its own custom roles.

use authdb_domain::{AuditAction, Page, Paged, Permission, PermissionSet, Role, RoleId, RoleName, Violation};
use authdb_persistence::{roles, roles::RoleChanges};
use serde_json::json;

use super::{OrganizationService, invitations::revoke_ungrantable_invitations};
use crate::{
    ClientInfo, Result, ServiceError,
    audit::Target,
    membership::Membership,
    replica::Invalidation,
    write::{Record, Stale, TenantWrite},
};

/// A new custom role, validated.
#[derive(Debug, Clone)]
pub struct NewRole {
    pub name: RoleName,
    pub description: Option<String>,
    pub permissions: PermissionSet,
}

/// Changes to a custom role.
#[derive(Debug, Clone, Default)]
pub struct RoleUpdate {
    pub name: Option<RoleName>,
    pub description: Option<Option<String>>,
    pub permissions: Option<PermissionSet>,
}

const ROLE: &str = "role";

impl OrganizationService {
    pub async fn list_roles(&self, membership: &Membership, page: Page) -> Result<Paged<Role>> {
        membership.require(Permission::OrgRead)?;
        Ok(roles::list(self.core.db(), membership.tenant(), page).await?)
    }

    pub async fn get_role(&self, membership: &Membership, id: RoleId) -> Result<Role> {
        membership.require(Permission::OrgRead)?;
        roles::find(self.core.db(), membership.tenant(), id).await?.ok_or(ServiceError::NotFound { entity: ROLE })
    }

    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn create_role(&self, membership: &Membership, new: NewRole, client: &ClientInfo) -> Result<Role> {
        membership.require(Permission::RolesManage)?;
        membership.require_all(new.permissions, "this role")?;
        let write = TenantWrite::begin(&self.core, membership, Permission::RolesManage, client).await?;
        let role =
            roles::insert(write.conn(), write.tenant(), &new.name, new.description, new.permissions, write.now())
                .await?;
        let created = Record::new(AuditAction::RoleCreated, Target::Role(role.id))
            .details(json!({ "name": role.name.as_str(), "permissions": role.permissions.names() }));
        // Nobody holds a role that did not exist.
        write.commit(created, Stale::Nothing).await?;
        Ok(role)
    }

    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), role_id = %id))]
    pub async fn update_role(
        &self,
        membership: &Membership,
        id: RoleId,
        update: RoleUpdate,
        client: &ClientInfo,
    ) -> Result<Role> {
        membership.require(Permission::RolesManage)?;
        let current = self.custom_role(membership, id).await?;
        membership.require_all(current.permissions, "changing this role")?;
        if let Some(permissions) = update.permissions {
            membership.require_all(permissions, "this change")?;
        }
        let write = TenantWrite::begin(&self.core, membership, Permission::RolesManage, client).await?;
        let permissions_change = update.permissions.is_some_and(|permissions| permissions != current.permissions);
        if permissions_change {
            // The invitations re-examined below are deleted under the lock every
            // membership change takes.
            write.lock_organization().await?;
        }
        let changes =
            RoleChanges { name: update.name, description: update.description, permissions: update.permissions };
        let role = roles::update(write.conn(), write.tenant(), id, changes, write.now()).await?;
        if permissions_change {
            // Holders of this role may no longer grant what they invited people to, and
            // invitations offering it may now offer more than their inviter holds.
            revoke_ungrantable_invitations(&write, None, "role_changed").await?;
        }
        let updated = Record::new(AuditAction::RoleUpdated, Target::Role(id)).details(json!({
            "before": { "name": current.name.as_str(), "permissions": current.permissions.names() },
            "after": { "name": role.name.as_str(), "permissions": role.permissions.names() },
        }));
        // Every member holding the role has new permissions.
        write.commit(updated, Stale::Memberships(Invalidation::Organization(membership.organization_id()))).await?;
        Ok(role)
    }

    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), role_id = %id))]
    pub async fn delete_role(&self, membership: &Membership, id: RoleId, client: &ClientInfo) -> Result<()> {
        membership.require(Permission::RolesManage)?;
        let current = self.custom_role(membership, id).await?;
        membership.require_all(current.permissions, "deleting this role")?;
        let write = TenantWrite::begin(&self.core, membership, Permission::RolesManage, client).await?;
        if roles::in_use(write.conn(), write.tenant(), id).await? {
            return Err(ServiceError::StateConflict(
                "the role is in use by members or pending invitations; give them another role first".into(),
            ));
        }
        roles::delete(write.conn(), write.tenant(), id).await?;
        let deleted = Record::new(AuditAction::RoleDeleted, Target::Role(id))
            .details(json!({ "name": current.name.as_str(), "permissions": current.permissions.names() }));
        write.commit(deleted, Stale::Memberships(Invalidation::Organization(membership.organization_id()))).await
    }

    /// One of the organization's own roles; built-in roles cannot be changed.
    async fn custom_role(&self, membership: &Membership, id: RoleId) -> Result<Role> {
        let role = roles::find(self.core.db(), membership.tenant(), id)
            .await?
            .ok_or(ServiceError::NotFound { entity: ROLE })?;
        if role.organization_id.is_none() {
            return Err(ServiceError::Forbidden("built-in roles cannot be changed or deleted".into()));
        }
        Ok(role)
    }

    /// The role named `name` in the caller's organization, provided the caller may grant
    /// it (`membership::grant_refusal`: nobody hands out more than they have, and only an
    /// owner hands out `owner`): what adding a member, changing a member's role and
    /// inviting may grant.
    pub(super) async fn grantable_role(&self, membership: &Membership, name: &RoleName) -> Result<Role> {
        let role = roles::find_by_name(self.core.db(), membership.tenant(), name).await?.ok_or_else(|| {
            ServiceError::Invalid(vec![Violation::new("role", format!("no role named `{}`", name.as_str()))])
        })?;
        membership.require_grant(role.id, role.permissions)?;
        Ok(role)
    }
}
