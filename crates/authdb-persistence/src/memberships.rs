//! The `memberships` table: which users belong to which organizations, in which role.

use authdb_domain::{OrganizationId, UserId};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::{
    Result,
    entities::{memberships, roles},
};

/// A member's role in one organization: its name and the permission names it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRole {
    pub name: String,
    pub permissions: Vec<String>,
}

/// The role of `user` in `organization`, or `None` when they are not a member.
pub async fn role_of(
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
    Ok(found.and_then(|(_, role)| role).map(|role| MemberRole {
        permissions: role
            .permissions
            .as_array()
            .map(|names| names.iter().filter_map(|name| name.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
        name: role.name,
    }))
}

/// Whether `user` is a member of `organization`.
pub async fn is_member(conn: &impl ConnectionTrait, user: UserId, organization: OrganizationId) -> Result<bool> {
    let count = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user.as_uuid()))
        .filter(memberships::Column::OrganizationId.eq(organization.as_uuid()))
        .count(conn)
        .await?;
    Ok(count > 0)
}
