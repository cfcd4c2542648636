//! Creates `roles` and seeds the four built-in roles.
//!
//! A role with a NULL `organization_id` is built in and shared by every
//! organization; custom roles belong to one organization. `permissions` is a JSON
//! array of permission names such as `"assets:write"`.

use sea_orm_migration::{prelude::*, schema::*};
use serde_json::json;
use time::OffsetDateTime;
use uuid::{Uuid, uuid};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// A built-in role as seeded by this migration.
///
/// The ids are fixed so that every installation, on every backend, agrees on them.
/// They are written out here rather than shared with other crates: a migration must
/// keep producing the same schema and rows even if application code changes later.
struct BuiltInRole {
    id: Uuid,
    name: &'static str,
    description: &'static str,
    permissions: &'static [&'static str],
}

const BUILT_IN_ROLES: [BuiltInRole; 4] = [
    BuiltInRole {
        id: uuid!("00000000-0000-7000-8000-000000000001"),
        name: "owner",
        description: "Full control of the organization",
        permissions: &[
            "org:read",
            "org:update",
            "org:delete",
            "members:read",
            "members:manage",
            "roles:manage",
            "assets:read",
            "assets:write",
            "chats:use",
        ],
    },
    BuiltInRole {
        id: uuid!("00000000-0000-7000-8000-000000000002"),
        name: "admin",
        description: "Manages the organization, its members and data",
        permissions: &[
            "org:read",
            "org:update",
            "members:read",
            "members:manage",
            "roles:manage",
            "assets:read",
            "assets:write",
            "chats:use",
        ],
    },
    BuiltInRole {
        id: uuid!("00000000-0000-7000-8000-000000000003"),
        name: "member",
        description: "Uses the organization's data",
        permissions: &["org:read", "members:read", "assets:read", "assets:write", "chats:use"],
    },
    BuiltInRole {
        id: uuid!("00000000-0000-7000-8000-000000000004"),
        name: "viewer",
        description: "Read-only access",
        permissions: &["org:read", "members:read", "assets:read"],
    },
];

// The trait elides `SchemaManager`'s lifetime; async_trait rejects an impl that
// names it (`'_` would become an early-bound lifetime), so the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .col(pk_uuid(Roles::Id))
                    .col(uuid_null(Roles::OrganizationId))
                    .col(string_len(Roles::Name, 50))
                    .col(text_null(Roles::Description))
                    .col(json_binary(Roles::Permissions))
                    .col(timestamp_with_time_zone(Roles::CreatedAt))
                    .col(timestamp_with_time_zone(Roles::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_roles_organization_id")
                            .from(Roles::Table, Roles::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // NULLs are distinct in unique indexes on both backends, so this index does
        // not stop two built-in roles sharing a name; only this seed creates them.
        manager
            .create_index(
                Index::create()
                    .name("uq_roles_organization_name")
                    .table(Roles::Table)
                    .col(Roles::OrganizationId)
                    .col(Roles::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;

        seed_built_in_roles(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The seeded rows go with the table.
        manager.drop_table(Table::drop().table(Roles::Table).to_owned()).await
    }
}

async fn seed_built_in_roles(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    // Timestamps are bound as values rather than CURRENT_TIMESTAMP: SQLite would
    // store its own "YYYY-MM-DD HH:MM:SS" text, which lacks the offset the entity
    // decodes into an OffsetDateTime.
    // Whole seconds, like every timestamp authdb writes (SQLite compares them as text).
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).map_err(|error| DbErr::Migration(error.to_string()))?;
    let mut insert = Query::insert();
    insert.into_table(Roles::Table).columns([
        Roles::Id,
        Roles::OrganizationId,
        Roles::Name,
        Roles::Description,
        Roles::Permissions,
        Roles::CreatedAt,
        Roles::UpdatedAt,
    ]);
    for role in &BUILT_IN_ROLES {
        insert
            .values([
                role.id.into(),
                Option::<Uuid>::None.into(),
                role.name.into(),
                role.description.into(),
                json!(role.permissions).into(),
                now.into(),
                now.into(),
            ])
            .map_err(|error| DbErr::Migration(format!("building the built-in roles seed: {error}")))?;
    }
    manager.exec_stmt(insert).await
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    OrganizationId,
    Name,
    Description,
    Permissions,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}
