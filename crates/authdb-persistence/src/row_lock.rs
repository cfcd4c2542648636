//! Row locks that several repositories take, kept apart so that they need not import each
//! other.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};

use crate::{Result, TenantId, entities::organizations};

/// Takes the organization's row lock for the rest of the transaction (an update that
/// changes nothing: a row lock on PostgreSQL, the write lock SQLite takes anyway).
pub(crate) async fn organization(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<()> {
    organizations::Entity::update_many()
        .col_expr(organizations::Column::UpdatedAt, Expr::col(organizations::Column::UpdatedAt))
        .filter(organizations::Column::Id.eq(tenant.uuid()))
        .exec(conn)
        .await?;
    Ok(())
}
