//! The `memberships` table: which users belong to which organizations, in which role.
//!
//! [`resolve`] and [`member_role`] take a bare [`OrganizationId`]: they are how a
//! caller's rights in an organization are found (and what an organization-scoped token
//! says about them). Everything else here is scoped by a
//! [`TenantId`].

use authdb_domain::{
    Email, Member, MemberRole, MemberSortKey, MembershipId, OrganizationId, OrganizationWithRole, Page, Paged, RoleId,
    Sort, UserId,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait, Set,
    sea_query::{Expr, ExprTrait},
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    PersistenceError, Result, TenantId,
    entities::{memberships, organizations, roles, users},
    rows, search_pattern,
};

/// A caller's membership in an organization, as resolved for authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedMembership {
    pub tenant: TenantId,
    pub user_id: UserId,
    pub role: MemberRole,
    /// The organization's `is_active`: `false` while a superuser has suspended it.
    pub organization_active: bool,
    /// The organization's `settings.require_mfa`: its members must have a second factor.
    pub organization_requires_mfa: bool,
}

/// The role (name and permissions) `user` holds in `organization`, if a member: what
/// org-scoped tokens carry as `role` and `perms`.
pub async fn member_role(
    conn: &impl ConnectionTrait,
    user: UserId,
    organization: OrganizationId,
) -> Result<Option<MemberRole>> {
    let found = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user.as_uuid()))
        .filter(memberships::Column::OrganizationId.eq(organization.as_uuid()))
        .find_also_related(roles::Entity)
        .one(conn)
        .await?;
    found.and_then(|(_, role)| role).map(rows::member_role).transpose()
}

/// Finds `user`'s membership in `organization`, with the role and whether the
/// organization is active, in one query: the one way, besides the few listed in
/// [`crate::tenant`], to obtain the organization's [`TenantId`].
pub async fn resolve(
    conn: &impl ConnectionTrait,
    user: UserId,
    organization: OrganizationId,
) -> Result<Option<ResolvedMembership>> {
    let found = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user.as_uuid()))
        .filter(memberships::Column::OrganizationId.eq(organization.as_uuid()))
        .find_also_related(roles::Entity)
        .find_also_related(organizations::Entity)
        .one(conn)
        .await?;
    let Some((_, Some(role), Some(stored))) = found else { return Ok(None) };
    Ok(Some(ResolvedMembership {
        tenant: TenantId::resolved(organization),
        user_id: user,
        role: rows::member_role(role)?,
        organization_active: stored.is_active,
        organization_requires_mfa: authdb_domain::requires_mfa(&stored.settings),
    }))
}

/// The role a member of the tenant holds, if `user` is one.
pub async fn find(conn: &impl ConnectionTrait, tenant: TenantId, user: UserId) -> Result<Option<MemberRole>> {
    member_role(conn, user, tenant.organization_id()).await
}

/// Whether the account with `email` (if there is one) is a member of the tenant: one
/// query whether or not the account exists, so its timing says nothing about that.
pub async fn has_member_with_email(conn: &impl ConnectionTrait, tenant: TenantId, email: &Email) -> Result<bool> {
    let count = memberships::Entity::find()
        .join(JoinType::InnerJoin, memberships::Relation::Users.def())
        .filter(memberships::Column::OrganizationId.eq(tenant.uuid()))
        .filter(users::Column::Email.eq(email.as_str()))
        .count(conn)
        .await?;
    Ok(count > 0)
}

/// Makes `user` a member of the tenant. Already a member: [`PersistenceError::Conflict`]
/// on `user_id`.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    role: RoleId,
    now: OffsetDateTime,
) -> Result<()> {
    let inserted = memberships::ActiveModel {
        id: Set(MembershipId::new().as_uuid()),
        user_id: Set(user.as_uuid()),
        organization_id: Set(tenant.uuid()),
        role_id: Set(role.as_uuid()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await;
    match inserted.map_err(PersistenceError::from) {
        Ok(_) => Ok(()),
        Err(PersistenceError::Conflict { .. }) => Err(PersistenceError::Conflict { fields: &["user_id"] }),
        Err(error) => Err(error),
    }
}

/// Gives a member another role. Returns whether `user` was a member.
pub async fn set_role(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    role: RoleId,
    now: OffsetDateTime,
) -> Result<bool> {
    let updated = memberships::Entity::update_many()
        .col_expr(memberships::Column::RoleId, Expr::value(role.as_uuid()))
        .col_expr(memberships::Column::UpdatedAt, Expr::value(now))
        .filter(memberships::Column::OrganizationId.eq(tenant.uuid()))
        .filter(memberships::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await?;
    Ok(updated.rows_affected > 0)
}

/// Removes a member, and takes them out of the organization's chats (a member who comes
/// back does not find their old chats). Returns whether `user` was one.
pub async fn delete(conn: &impl ConnectionTrait, tenant: TenantId, user: UserId) -> Result<bool> {
    crate::chats::remove_from_all(conn, tenant, user).await?;
    let deleted = memberships::Entity::delete_many()
        .filter(memberships::Column::OrganizationId.eq(tenant.uuid()))
        .filter(memberships::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Removes every member of the tenant (when the organization is deleted).
pub(crate) async fn delete_all(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<()> {
    memberships::Entity::delete_many().filter(memberships::Column::OrganizationId.eq(tenant.uuid())).exec(conn).await?;
    Ok(())
}

/// How many members of the tenant hold `role`.
pub async fn count_with_role(conn: &impl ConnectionTrait, tenant: TenantId, role: RoleId) -> Result<u64> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::OrganizationId.eq(tenant.uuid()))
        .filter(memberships::Column::RoleId.eq(role.as_uuid()))
        .count(conn)
        .await?)
}

#[derive(Debug, FromQueryResult)]
struct MemberRow {
    user_id: Uuid,
    email: String,
    username: String,
    full_name: Option<String>,
    role: String,
    joined_at: OffsetDateTime,
}

/// One page of the tenant's members, searched by email or username (`search` is
/// lower-case) and ordered by `sort`, ties broken by membership id (stable).
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    search: Option<&str>,
    sort: Sort<MemberSortKey>,
    page: Page,
) -> Result<Paged<Member>> {
    let mut query = memberships::Entity::find()
        .join(JoinType::InnerJoin, memberships::Relation::Users.def())
        .join(JoinType::InnerJoin, memberships::Relation::Roles.def())
        .filter(memberships::Column::OrganizationId.eq(tenant.uuid()));
    if let Some(search) = search {
        query = query.filter(
            Condition::any()
                .add(Expr::col((users::Entity, users::Column::Email)).like(search_pattern(search)))
                .add(Expr::col((users::Entity, users::Column::UsernameKey)).like(search_pattern(search))),
        );
    }
    let total = query.clone().count(conn).await?;
    let order = if sort.descending { Order::Desc } else { Order::Asc };
    query = match sort.key {
        MemberSortKey::JoinedAt => query.order_by(memberships::Column::CreatedAt, order.clone()),
        MemberSortKey::Email => query.order_by(users::Column::Email, order.clone()),
        MemberSortKey::Username => query.order_by(users::Column::UsernameKey, order.clone()),
    };
    let rows = select_member_columns(query.order_by(memberships::Column::Id, order))
        .limit(page.limit())
        .offset(page.offset())
        .into_model::<MemberRow>()
        .all(conn)
        .await?;
    let items = rows.into_iter().map(into_member).collect::<Result<_>>()?;
    Ok(Paged { items, total, page })
}

/// One member of the tenant, as member lists show it.
pub async fn get(conn: &impl ConnectionTrait, tenant: TenantId, user: UserId) -> Result<Option<Member>> {
    let query = memberships::Entity::find()
        .join(JoinType::InnerJoin, memberships::Relation::Users.def())
        .join(JoinType::InnerJoin, memberships::Relation::Roles.def())
        .filter(memberships::Column::OrganizationId.eq(tenant.uuid()))
        .filter(memberships::Column::UserId.eq(user.as_uuid()));
    let row = select_member_columns(query).into_model::<MemberRow>().one(conn).await?;
    row.map(into_member).transpose()
}

fn select_member_columns(query: sea_orm::Select<memberships::Entity>) -> sea_orm::Select<memberships::Entity> {
    query
        .select_only()
        .column_as(memberships::Column::UserId, "user_id")
        .column_as(users::Column::Email, "email")
        .column_as(users::Column::Username, "username")
        .column_as(users::Column::FullName, "full_name")
        .column_as(roles::Column::Name, "role")
        .column_as(memberships::Column::CreatedAt, "joined_at")
}

fn into_member(row: MemberRow) -> Result<Member> {
    Ok(Member {
        user_id: UserId::from_uuid(row.user_id),
        email: rows::email(&row.email, "member")?,
        username: rows::username(&row.username, "member")?,
        full_name: row.full_name,
        role: rows::role_name(&row.role, "member")?,
        joined_at: row.joined_at,
    })
}

/// One page of `user`'s organizations with the role held in each, oldest membership
/// first.
pub async fn list_for_user(
    conn: &impl ConnectionTrait,
    user: UserId,
    page: Page,
) -> Result<Paged<OrganizationWithRole>> {
    let query = memberships::Entity::find().filter(memberships::Column::UserId.eq(user.as_uuid()));
    let total = query.clone().count(conn).await?;
    let found = query
        .order_by_asc(memberships::Column::CreatedAt)
        .order_by_asc(memberships::Column::Id)
        .limit(page.limit())
        .offset(page.offset())
        .find_also_related(organizations::Entity)
        .all(conn)
        .await?;
    let role_ids: Vec<Uuid> = found.iter().map(|(membership, _)| membership.role_id).collect();
    let role_names: std::collections::HashMap<Uuid, String> = roles::Entity::find()
        .filter(roles::Column::Id.is_in(role_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|role| (role.id, role.name))
        .collect();
    let mut items = Vec::with_capacity(found.len());
    for (membership, organization) in found {
        // The foreign keys guarantee both; a row without them is an error, not skipped.
        let missing = |field| PersistenceError::Corrupt { entity: "membership", field, message: "missing".into() };
        let organization = organization.ok_or_else(|| missing("organization_id"))?;
        let role =
            rows::role_name(role_names.get(&membership.role_id).ok_or_else(|| missing("role_id"))?, "membership")?;
        items.push(OrganizationWithRole { organization: rows::organization(organization)?, role });
    }
    Ok(Paged { items, total, page })
}
