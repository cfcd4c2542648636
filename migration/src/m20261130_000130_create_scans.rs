//! Creates `scans`: one row per import of a scan into a network, with what it did.
//!
//! A scan goes with its network and its organization (`ON DELETE CASCADE`); its author
//! may leave (`SET NULL`).

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
                    .table(Scans::Table)
                    .col(pk_uuid(Scans::Id))
                    .col(uuid(Scans::OrganizationId))
                    .col(uuid(Scans::NetworkId))
                    .col(string_len(Scans::Source, 16))
                    .col(big_integer(Scans::HostsUp))
                    .col(big_integer(Scans::HostsDown))
                    .col(big_integer(Scans::AssetsCreated))
                    .col(big_integer(Scans::AssetsUpdated))
                    .col(big_integer(Scans::ServicesCreated))
                    .col(big_integer(Scans::ServicesUpdated))
                    .col(timestamp_with_time_zone_null(Scans::StartedAt))
                    .col(timestamp_with_time_zone_null(Scans::FinishedAt))
                    .col(uuid_null(Scans::CreatedBy))
                    .col(timestamp_with_time_zone(Scans::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scans_organization_id")
                            .from(Scans::Table, Scans::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scans_network_id")
                            .from(Scans::Table, Scans::NetworkId)
                            .to(Networks::Table, Networks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scans_created_by")
                            .from(Scans::Table, Scans::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // A network's scans, newest first (ids are time-ordered).
        manager
            .create_index(
                Index::create()
                    .name("idx_scans_network_id_id")
                    .table(Scans::Table)
                    .col(Scans::NetworkId)
                    .col(Scans::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Scans::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Scans {
    Table,
    Id,
    OrganizationId,
    NetworkId,
    Source,
    HostsUp,
    HostsDown,
    AssetsCreated,
    AssetsUpdated,
    ServicesCreated,
    ServicesUpdated,
    StartedAt,
    FinishedAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Networks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
