//! Creates `services`: what listens on a port and protocol of an asset.
//!
//! A service belongs to one asset and goes with it (`ON DELETE CASCADE`); it carries its
//! organization too, so that every query is scoped by tenant without a join. One service
//! per (asset, port, protocol). `ssl_info`, `extra_info` and `http_technologies` are
//! `jsonb` on PostgreSQL and JSON text on SQLite.

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
                    .table(Services::Table)
                    .col(pk_uuid(Services::Id))
                    .col(uuid(Services::OrganizationId))
                    .col(uuid(Services::AssetId))
                    .col(integer(Services::Port))
                    .col(string_len(Services::Protocol, 8))
                    .col(string_len(Services::State, 16))
                    .col(string_len_null(Services::ServiceName, 255))
                    .col(string_len_null(Services::Product, 255))
                    .col(string_len_null(Services::Version, 255))
                    .col(string_len_null(Services::Cpe, 255))
                    .col(text_null(Services::Banner))
                    .col(string_len_null(Services::DetectionMethod, 255))
                    .col(small_integer_null(Services::Confidence))
                    .col(boolean(Services::SslEnabled))
                    .col(json_binary_null(Services::SslInfo))
                    .col(string_len_null(Services::HttpTitle, 1024))
                    .col(json_binary(Services::HttpTechnologies))
                    .col(json_binary_null(Services::ExtraInfo))
                    .col(timestamp_with_time_zone(Services::FirstSeen))
                    .col(timestamp_with_time_zone_null(Services::LastSeen))
                    .col(timestamp_with_time_zone(Services::CreatedAt))
                    .col(timestamp_with_time_zone(Services::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_services_organization_id")
                            .from(Services::Table, Services::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_services_asset_id")
                            .from(Services::Table, Services::AssetId)
                            .to(Assets::Table, Assets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One service per port and protocol of an asset; also serves the open-service
        // count and the `port` filter of asset lists (both look up by asset).
        manager
            .create_index(
                Index::create()
                    .name("uq_services_asset_id_port_protocol")
                    .table(Services::Table)
                    .col(Services::AssetId)
                    .col(Services::Port)
                    .col(Services::Protocol)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Services::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
    OrganizationId,
    AssetId,
    Port,
    Protocol,
    State,
    ServiceName,
    Product,
    Version,
    Cpe,
    Banner,
    DetectionMethod,
    Confidence,
    SslEnabled,
    SslInfo,
    HttpTitle,
    HttpTechnologies,
    ExtraInfo,
    FirstSeen,
    LastSeen,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Assets {
    Table,
    Id,
}
