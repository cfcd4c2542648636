//! The organizations themselves: create, list the caller's, read, change, delete.

use authdb_domain::{
    AuditAction, NewOrganization, Organization, OrganizationChanges, OrganizationWithRole, Page, Paged, Permission,
    UserId, Violation, requires_mfa,
};
use authdb_persistence::{memberships, organizations};
use serde_json::json;

use super::OrganizationService;
use crate::{
    ClientInfo, Principal, Result, ServiceError, StepUp,
    audit::Target,
    auth::second_factor_methods,
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
        if requires_mfa(&new.settings) {
            self.refuse_requiring_mfa_without_one(principal.user.id).await?;
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
        if changes.settings.as_ref().is_some_and(requires_mfa) && !membership.is_superuser_access() {
            self.refuse_requiring_mfa_without_one(principal.user.id).await?;
        }
        if changes.is_empty() {
            return self.get(membership).await;
        }
        let changed = changed_fields(&changes);
        // A suspension changes what every member's resolved membership allows, and the
        // settings whether it requires a second factor (`require_mfa`), on every instance:
        // their cached memberships go.
        let stale = match (&changes.is_active, &changes.settings) {
            (None, None) => Stale::Nothing,
            _ => Stale::Memberships(Invalidation::Organization(membership.organization_id())),
        };
        let write = TenantWrite::begin(&self.core, membership, Permission::OrgUpdate, client).await?;
        let organization = organizations::update(write.conn(), write.tenant(), changes, write.now()).await?;
        let updated = Record::new(AuditAction::OrganizationUpdated, Target::Organization(organization.id))
            .details(json!({ "fields": changed }));
        write.commit(updated, stale).await?;
        Ok(organization)
    }

    /// Deletes the organization with its memberships, custom roles and invitations, in
    /// one transaction. Only an owner may, from a recently authenticated session
    /// ([`StepUp`]).
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn delete(&self, step_up: &StepUp, membership: &Membership, client: &ClientInfo) -> Result<()> {
        membership.require(Permission::OrgDelete)?;
        if !membership.is_owner() {
            return Err(ServiceError::Forbidden("only an owner may delete the organization".into()));
        }
        step_up.require_for(membership.user_id()).await?;
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

impl OrganizationService {
    /// Refuses to make an organization require a second factor (`settings.require_mfa`)
    /// for a caller who has none: they would lock themselves out of it at once.
    async fn refuse_requiring_mfa_without_one(&self, user: UserId) -> Result<()> {
        if second_factor_methods(self.core.db(), user).await?.is_empty() {
            return Err(ServiceError::Invalid(vec![Violation::new(
                "settings.require_mfa",
                "enrol a second factor yourself first (POST /api/v1/auth/mfa/totp): you would be locked out",
            )]));
        }
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
