//! The `organizations` table: the tenants.

use authdb_domain::{
    BuiltInRole, NewOrganization, Organization, OrganizationChanges, OrganizationId, Page, Paged, UserId,
};
use sea_orm::{
    ActiveModelTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, Unchanged,
    sea_query::{Expr, ExprTrait, Func},
};
use time::OffsetDateTime;

use crate::{
    PersistenceError, Result, SuperuserContext, TenantId,
    entities::{organizations, roles},
    invitations, memberships,
    memberships::ResolvedMembership,
    rows, search_pattern,
};

/// Creates an organization and makes `owner` its owner, returning the owner's membership
/// (and so the new tenant id). Run it in a transaction.
pub async fn create_with_owner(
    conn: &impl ConnectionTrait,
    new: NewOrganization,
    owner: UserId,
    now: OffsetDateTime,
) -> Result<(Organization, ResolvedMembership)> {
    let id = OrganizationId::new();
    let model = organizations::ActiveModel {
        id: Set(id.as_uuid()),
        name: Set(new.name.as_str().to_owned()),
        slug: Set(new.slug.as_str().to_owned()),
        description: Set(new.description),
        license_key: Set(new.license.license_key.flatten()),
        license_expires_at: Set(new.license.license_expires_at.flatten()),
        max_assets: Set(new.license.max_assets.flatten()),
        settings: Set(new.settings),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    let tenant = TenantId::resolved(id);
    memberships::insert(conn, tenant, owner, BuiltInRole::Owner.id(), now).await?;
    let role = roles::Entity::find_by_id(BuiltInRole::Owner.id().as_uuid())
        .one(conn)
        .await?
        .ok_or(PersistenceError::NotFound { entity: "role" })?;
    let organization = rows::organization(model)?;
    let organization_requires_mfa = authdb_domain::requires_mfa(&organization.settings);
    let role = rows::member_role(role)?;
    Ok((
        organization,
        ResolvedMembership { tenant, user_id: owner, role, organization_active: true, organization_requires_mfa },
    ))
}

pub async fn find(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<Organization> {
    organizations::Entity::find_by_id(tenant.uuid())
        .one(conn)
        .await?
        .ok_or(PersistenceError::NotFound { entity: "organization" })
        .and_then(rows::organization)
}

pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    changes: OrganizationChanges,
    now: OffsetDateTime,
) -> Result<Organization> {
    let mut model = organizations::ActiveModel { id: Unchanged(tenant.uuid()), ..Default::default() };
    if let Some(name) = changes.name {
        model.name = Set(name.as_str().to_owned());
    }
    if let Some(slug) = changes.slug {
        model.slug = Set(slug.as_str().to_owned());
    }
    if let Some(description) = changes.description {
        model.description = Set(description);
    }
    if let Some(settings) = changes.settings {
        model.settings = Set(settings);
    }
    if let Some(is_active) = changes.is_active {
        model.is_active = Set(is_active);
    }
    if let Some(license_key) = changes.license.license_key {
        model.license_key = Set(license_key);
    }
    if let Some(expires_at) = changes.license.license_expires_at {
        model.license_expires_at = Set(expires_at);
    }
    if let Some(max_assets) = changes.license.max_assets {
        model.max_assets = Set(max_assets);
    }
    model.updated_at = Set(now);
    match model.update(conn).await {
        Ok(model) => rows::organization(model),
        Err(sea_orm::DbErr::RecordNotUpdated) => Err(PersistenceError::NotFound { entity: "organization" }),
        Err(error) => Err(error.into()),
    }
}

/// Deletes the organization and everything scoped to it: access rules, scans, services, assets and networks,
/// invitations, memberships and custom roles, then the organization row. Run it in one transaction. Sessions acting
/// in it and audit events about it keep existing, with the organization cleared.
pub async fn delete(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<()> {
    crate::access_rules::delete_all(conn, tenant).await?;
    crate::chats::delete_all(conn, tenant).await?;
    crate::scans::delete_all(conn, tenant).await?;
    crate::services::delete_all(conn, tenant).await?;
    crate::assets::delete_all(conn, tenant).await?;
    crate::networks::delete_all(conn, tenant).await?;
    invitations::delete_all(conn, tenant).await?;
    memberships::delete_all(conn, tenant).await?;
    crate::roles::delete_all_custom(conn, tenant).await?;
    let deleted = organizations::Entity::delete_by_id(tenant.uuid()).exec(conn).await?;
    if deleted.rows_affected == 0 {
        return Err(PersistenceError::NotFound { entity: "organization" });
    }
    Ok(())
}

/// Every organization, for platform administration: searched by name or slug, ordered
/// by creation.
pub async fn list_all(
    conn: &impl ConnectionTrait,
    _superuser: &SuperuserContext,
    search: Option<&str>,
    page: Page,
) -> Result<Paged<Organization>> {
    let mut query = organizations::Entity::find();
    if let Some(search) = search {
        query = query.filter(
            Condition::any()
                .add(Expr::col(organizations::Column::Slug).like(search_pattern(search)))
                .add(Expr::expr(Func::lower(Expr::col(organizations::Column::Name))).like(search_pattern(search))),
        );
    }
    let total = query.clone().count(conn).await?;
    let items = query
        .order_by_asc(organizations::Column::CreatedAt)
        .order_by_asc(organizations::Column::Id)
        .limit(page.limit())
        .offset(page.offset())
        .all(conn)
        .await?
        .into_iter()
        .map(rows::organization)
        .collect::<Result<_>>()?;
    Ok(Paged { items, total, page })
}

/// Takes the organization's row lock for the rest of the transaction, so that
/// concurrent membership changes in one organization run one after the other (the
/// last-owner rule counts owners and must not race another demotion).
pub async fn lock(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<()> {
    crate::row_lock::organization(conn, tenant).await
}
