//! The organizations themselves: create, list the caller's, read, change, delete.

use authdb_domain::{
    AuditAction, NewOrganization, Organization, OrganizationChanges, OrganizationWithRole, Page, Paged, Permission,
};
use authdb_persistence::{memberships, organizations};
use serde_json::json;

use super::OrganizationService;
use crate::{
    ClientInfo, Principal, Result, ServiceError,
    audit::Target,
    membership::Membership,
    replica::Invalidation,
    write::{Record, Stale, TenantWrite, Write},
};

impl OrganizationService {
    /// Creates an organization whose owner is the caller. License fields need a
    /// superuser.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id, slug = new.slug.as_str()))]
    pub async fn create(
        &self,
        principal: &Principal,
        new: NewOrganization,
        client: &ClientInfo,
    ) -> Result<OrganizationWithRole> {
        if !new.license.is_empty() {
            self.require_superuser(principal, "only a superuser may set license fields").await?;
        }
        let write = Write::begin(&self.core).await?;
        let (organization, owner) =
            organizations::create_with_owner(write.conn(), new, principal.user.id, write.now()).await?;
        let write = write.into_tenant(owner.tenant, principal.user.id, client);
        let created = Record::new(AuditAction::OrganizationCreated, Target::Organization(organization.id))
            .details(json!({ "slug": organization.slug.as_str(), "after_role": owner.role.name.as_str() }));
        write.commit(created, Stale::Memberships(Invalidation::Member(principal.user.id, organization.id))).await?;
        tracing::info!(organization_id = %organization.id, "organization created");
        Ok(OrganizationWithRole { organization, role: owner.role.name })
    }

    /// The caller's organizations with the role held in each.
    pub async fn list_mine(&self, principal: &Principal, page: Page) -> Result<Paged<OrganizationWithRole>> {
        Ok(memberships::list_for_user(self.core.db(), principal.user.id, page).await?)
    }

    /// The organization (needs `org:read`). The one use case a suspended organization
    /// still answers its members: they can see that, and why, it is suspended.
    pub async fn get(&self, membership: &Membership) -> Result<Organization> {
        membership.require_even_if_suspended(Permission::OrgRead)?;
        Ok(organizations::find(self.core.db(), membership.tenant()).await?)
    }

    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn update(
        &self,
        principal: &Principal,
        membership: &Membership,
        changes: OrganizationChanges,
        client: &ClientInfo,
    ) -> Result<Organization> {
        membership.require(Permission::OrgUpdate)?;
        if !changes.license.is_empty() {
            self.require_superuser(principal, "only a superuser may set license fields").await?;
        }
        if changes.is_active.is_some() {
            self.require_superuser(principal, "only a superuser may change `is_active` (suspend an organization)")
                .await?;
        }
        if changes.is_empty() {
            return self.get(membership).await;
        }
        let changed = changed_fields(&changes);
        // A suspension changes what every member's resolved membership allows, on every
        // instance: their cached memberships go.
        let stale = match changes.is_active {
            Some(_) => Stale::Memberships(Invalidation::Organization(membership.organization_id())),
            None => Stale::Nothing,
        };
        let write = TenantWrite::begin(&self.core, membership, Permission::OrgUpdate, client).await?;
        let organization = organizations::update(write.conn(), write.tenant(), changes, write.now()).await?;
        let updated = Record::new(AuditAction::OrganizationUpdated, Target::Organization(organization.id))
            .details(json!({ "fields": changed }));
        write.commit(updated, stale).await?;
        Ok(organization)
    }

    /// Deletes the organization with its memberships, custom roles and invitations, in
    /// one transaction. Only an owner may.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn delete(&self, membership: &Membership, client: &ClientInfo) -> Result<()> {
        membership.require(Permission::OrgDelete)?;
        if !membership.is_owner() {
            return Err(ServiceError::Forbidden("only an owner may delete the organization".into()));
        }
        let mut write = TenantWrite::begin(&self.core, membership, Permission::OrgDelete, client).await?;
        let organization = organizations::find(write.conn(), write.tenant()).await?;
        write.delete_organization().await?;
        let deleted = Record::new(AuditAction::OrganizationDeleted, Target::Organization(organization.id))
            .details(json!({ "slug": organization.slug.as_str(), "name": organization.name }));
        write.commit(deleted, Stale::Memberships(Invalidation::Organization(organization.id))).await?;
        tracing::info!("organization deleted");
        Ok(())
    }
}

/// The names of the fields a change sets, for the audit log.
fn changed_fields(changes: &OrganizationChanges) -> Vec<&'static str> {
    let license = &changes.license;
    [
        (changes.name.is_some(), "name"),
        (changes.slug.is_some(), "slug"),
        (changes.description.is_some(), "description"),
        (changes.settings.is_some(), "settings"),
        (changes.is_active.is_some(), "is_active"),
        (license.license_key.is_some(), "license_key"),
        (license.license_expires_at.is_some(), "license_expires_at"),
        (license.max_assets.is_some(), "max_assets"),
    ]
    .into_iter()
    .filter_map(|(present, name)| present.then_some(name))
    .collect()
}
