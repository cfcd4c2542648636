//! Grants the new `audit:read` permission (reading the organization's audit log) to the
//! built-in `owner` and `admin` roles; `member` and `viewer` do not get it.
//!
//! Built-in roles are shared rows (no organization), so this one update reaches every
//! existing organization. Their permission lists are written out in full, as
//! m20261201_000050_grant_chats_manage left them, for the same reason the seed writes
//! them out. Custom roles are left alone: an organization grants `audit:read` to one of
//! them by changing it.

use sea_orm_migration::prelude::*;
use serde_json::json;
use uuid::{Uuid, uuid};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const OWNER: Uuid = uuid!("00000000-0000-7000-8000-000000000001");
const ADMIN: Uuid = uuid!("00000000-0000-7000-8000-000000000002");

const OWNER_BEFORE: &[&str] = &[
    "org:read",
    "org:update",
    "org:delete",
    "members:read",
    "members:manage",
    "roles:manage",
    "assets:read",
    "assets:write",
    "chats:use",
    "networks:control",
    "chats:manage",
];
const ADMIN_BEFORE: &[&str] = &[
    "org:read",
    "org:update",
    "members:read",
    "members:manage",
    "roles:manage",
    "assets:read",
    "assets:write",
    "chats:use",
    "networks:control",
    "chats:manage",
];

// See m20261123_000010_create_invitations for why the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (id, before) in [(OWNER, OWNER_BEFORE), (ADMIN, ADMIN_BEFORE)] {
            let mut after = before.to_vec();
            after.push("audit:read");
            set_permissions(manager, id, &after).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (id, before) in [(OWNER, OWNER_BEFORE), (ADMIN, ADMIN_BEFORE)] {
            set_permissions(manager, id, before).await?;
        }
        Ok(())
    }
}

async fn set_permissions(manager: &SchemaManager<'_>, id: Uuid, permissions: &[&str]) -> Result<(), DbErr> {
    let update = Query::update()
        .table(Roles::Table)
        .value(Roles::Permissions, json!(permissions))
        .and_where(Expr::col(Roles::Id).eq(id))
        .and_where(Expr::col(Roles::OrganizationId).is_null())
        .to_owned();
    manager.exec_stmt(update).await
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    OrganizationId,
    Permissions,
}
