//! Adds `networks:control` to the built-in `owner` and `admin` roles.
//!
//! Built-in roles are rows shared by every organization (seeded by
//! m20261122_000003_create_roles), so updating the two rows grants the permission in every
//! existing organization. The lists are written out here, as the seed writes them: a
//! migration must keep producing the same rows whatever the application code becomes.
//! `down` restores the seeded lists.

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
];

async fn set_permissions(manager: &SchemaManager<'_>, role: Uuid, permissions: &[&str]) -> Result<(), DbErr> {
    let update = Query::update()
        .table(Roles::Table)
        .value(Roles::Permissions, json!(permissions))
        .and_where(Expr::col(Roles::Id).eq(role))
        .and_where(Expr::col(Roles::OrganizationId).is_null())
        .to_owned();
    manager.exec_stmt(update).await
}

fn with_control(before: &[&'static str]) -> Vec<&'static str> {
    before.iter().copied().chain(std::iter::once("networks:control")).collect()
}

// See m20261123_000010_create_invitations for why the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_permissions(manager, OWNER, &with_control(OWNER_BEFORE)).await?;
        set_permissions(manager, ADMIN, &with_control(ADMIN_BEFORE)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_permissions(manager, OWNER, OWNER_BEFORE).await?;
        set_permissions(manager, ADMIN, ADMIN_BEFORE).await
    }
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    OrganizationId,
    Permissions,
}
