//! The `roles` table: the four built-in roles (shared, `organization_id` NULL) and each
//! organization's custom roles (scoped by [`TenantId`]).

use authdb_domain::{Page, Paged, PermissionSet, Role, RoleId, RoleName};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Unchanged,
};
use serde_json::json;
use time::OffsetDateTime;

use crate::{
    PersistenceError, Result, TenantId,
    entities::{invitations, memberships, roles},
    rows,
};

/// The roles usable in a tenant: built-in or its own.
fn usable_in(tenant: TenantId) -> Condition {
    Condition::any().add(roles::Column::OrganizationId.is_null()).add(roles::Column::OrganizationId.eq(tenant.uuid()))
}

/// The built-in roles, then the tenant's custom roles in creation order (role ids are
/// time-ordered and the built-in ones are the smallest).
pub async fn list(conn: &impl ConnectionTrait, tenant: TenantId, page: Page) -> Result<Paged<Role>> {
    let query = roles::Entity::find().filter(usable_in(tenant));
    let total = query.clone().count(conn).await?;
    let items = query
        .order_by_asc(roles::Column::Id)
        .limit(page.limit())
        .offset(page.offset())
        .all(conn)
        .await?
        .into_iter()
        .map(rows::role)
        .collect::<Result<_>>()?;
    Ok(Paged { items, total, page })
}

/// A built-in role or one of the tenant's custom roles.
pub async fn find(conn: &impl ConnectionTrait, tenant: TenantId, id: RoleId) -> Result<Option<Role>> {
    let found = roles::Entity::find_by_id(id.as_uuid()).filter(usable_in(tenant)).one(conn).await?;
    found.map(rows::role).transpose()
}

/// A role usable in the tenant by name; the tenant's own roles cannot shadow a built-in
/// one because custom roles may not take built-in names.
pub async fn find_by_name(conn: &impl ConnectionTrait, tenant: TenantId, name: &RoleName) -> Result<Option<Role>> {
    let found = roles::Entity::find()
        .filter(usable_in(tenant))
        .filter(roles::Column::Name.eq(name.as_str()))
        .order_by_asc(roles::Column::Id)
        .one(conn)
        .await?;
    found.map(rows::role).transpose()
}

/// Creates a custom role; a name taken in the tenant is a conflict on `name`.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    name: &RoleName,
    description: Option<String>,
    permissions: PermissionSet,
    now: OffsetDateTime,
) -> Result<Role> {
    let model = roles::ActiveModel {
        id: Set(RoleId::new().as_uuid()),
        organization_id: Set(Some(tenant.uuid())),
        name: Set(name.as_str().to_owned()),
        description: Set(description),
        permissions: Set(json!(permissions.names())),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    rows::role(model)
}

/// Changes to a custom role; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct RoleChanges {
    pub name: Option<RoleName>,
    pub description: Option<Option<String>>,
    pub permissions: Option<PermissionSet>,
}

/// Updates one of the tenant's custom roles (built-in roles are not found here).
pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: RoleId,
    changes: RoleChanges,
    now: OffsetDateTime,
) -> Result<Role> {
    let exists = roles::Entity::find_by_id(id.as_uuid())
        .filter(roles::Column::OrganizationId.eq(tenant.uuid()))
        .count(conn)
        .await?
        > 0;
    if !exists {
        return Err(PersistenceError::NotFound { entity: "role" });
    }
    let mut model = roles::ActiveModel { id: Unchanged(id.as_uuid()), ..Default::default() };
    if let Some(name) = changes.name {
        model.name = Set(name.as_str().to_owned());
    }
    if let Some(description) = changes.description {
        model.description = Set(description);
    }
    if let Some(permissions) = changes.permissions {
        model.permissions = Set(json!(permissions.names()));
    }
    model.updated_at = Set(now);
    rows::role(model.update(conn).await?)
}

/// Whether any member holds the role or any pending invitation offers it.
pub async fn in_use(conn: &impl ConnectionTrait, tenant: TenantId, id: RoleId) -> Result<bool> {
    let members = memberships::Entity::find()
        .filter(memberships::Column::OrganizationId.eq(tenant.uuid()))
        .filter(memberships::Column::RoleId.eq(id.as_uuid()))
        .count(conn)
        .await?;
    let invitations = invitations::Entity::find()
        .filter(invitations::Column::OrganizationId.eq(tenant.uuid()))
        .filter(invitations::Column::RoleId.eq(id.as_uuid()))
        .filter(invitations::Column::AcceptedAt.is_null())
        .count(conn)
        .await?;
    Ok(members + invitations > 0)
}

/// Deletes one of the tenant's custom roles. Returns whether it existed. Spent
/// invitations that offered it go with it.
pub async fn delete(conn: &impl ConnectionTrait, tenant: TenantId, id: RoleId) -> Result<bool> {
    invitations::Entity::delete_many()
        .filter(invitations::Column::OrganizationId.eq(tenant.uuid()))
        .filter(invitations::Column::RoleId.eq(id.as_uuid()))
        .exec(conn)
        .await?;
    let deleted = roles::Entity::delete_many()
        .filter(roles::Column::Id.eq(id.as_uuid()))
        .filter(roles::Column::OrganizationId.eq(tenant.uuid()))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

pub(crate) async fn delete_all_custom(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<()> {
    roles::Entity::delete_many().filter(roles::Column::OrganizationId.eq(tenant.uuid())).exec(conn).await?;
    Ok(())
}
