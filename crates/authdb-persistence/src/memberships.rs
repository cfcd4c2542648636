//! The `memberships` table: which users belong to which organizations, in which role.

use authdb_domain::{OrganizationId, UserId};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::{Result, entities::memberships};

/// Whether `user` is a member of `organization`.
pub async fn is_member(conn: &impl ConnectionTrait, user: UserId, organization: OrganizationId) -> Result<bool> {
    let count = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user.as_uuid()))
        .filter(memberships::Column::OrganizationId.eq(organization.as_uuid()))
        .count(conn)
        .await?;
    Ok(count > 0)
}
