//! Creates `networks`: an organization's routers or sites, each optionally reachable
//! through an agent (its commands server).
//!
//! `cidrs` is a JSON array of canonical CIDR texts (`jsonb` on PostgreSQL). `agent_token`
//! is kept as sent because it must be presented to the agent; the API never returns it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// See m20261123_000010_create_invitations for why the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Networks::Table)
                    .col(pk_uuid(Networks::Id))
                    .col(uuid(Networks::OrganizationId))
                    .col(string_len(Networks::Name, 100))
                    .col(text_null(Networks::Description))
                    .col(string_len_null(Networks::Site, 200))
                    .col(json_binary(Networks::Cidrs))
                    .col(string_len_null(Networks::AgentUrl, 2048))
                    .col(string_len_null(Networks::AgentToken, 512))
                    .col(timestamp_with_time_zone(Networks::CreatedAt))
                    .col(timestamp_with_time_zone(Networks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_networks_organization_id")
                            .from(Networks::Table, Networks::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A name is unique in its organization (and finds its networks in order).
        manager
            .create_index(
                Index::create()
                    .name("uq_networks_organization_id_name")
                    .table(Networks::Table)
                    .col(Networks::OrganizationId)
                    .col(Networks::Name)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Networks::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Networks {
    Table,
    Id,
    OrganizationId,
    Name,
    Description,
    Site,
    Cidrs,
    AgentUrl,
    AgentToken,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}
