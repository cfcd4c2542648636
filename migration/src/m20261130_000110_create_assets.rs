//! Creates `assets`: the addresses of an organization's inventory.
//!
//! PostgreSQL gets its native types: `ip_address` is `inet`, `tags` a `text[]` with a GIN
//! index, `metadata` `jsonb`. SQLite keeps the address as its canonical text and the tags
//! as a JSON array. `ip_sort` (a family byte, then the address bytes) is the same on
//! both: lists sort by it, so that 10.0.0.9 comes before 10.0.0.10 everywhere.
//!
//! An asset is unique by (organization, network, address), where "no network" counts as
//! one network: the unique index is over `COALESCE(network_id, <nil>)`.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// See m20261123_000010_create_invitations for why the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        let (ip_address, tags) = if postgres {
            (
                ColumnDef::new(Assets::IpAddress).custom(Alias::new("inet")).not_null().to_owned(),
                ColumnDef::new(Assets::Tags).custom(Alias::new("text[]")).not_null().to_owned(),
            )
        } else {
            (string_len(Assets::IpAddress, 45), json_binary(Assets::Tags))
        };
        manager
            .create_table(
                Table::create()
                    .table(Assets::Table)
                    .col(pk_uuid(Assets::Id))
                    .col(uuid(Assets::OrganizationId))
                    .col(uuid_null(Assets::NetworkId))
                    .col(ip_address)
                    .col(blob(Assets::IpSort))
                    .col(string_len_null(Assets::Hostname, 253))
                    .col(string_len_null(Assets::MacAddress, 17))
                    .col(string_len_null(Assets::MacVendor, 255))
                    .col(string_len_null(Assets::OperatingSystem, 255))
                    .col(string_len_null(Assets::OsVersion, 255))
                    .col(string_len_null(Assets::OsCpe, 255))
                    .col(string_len(Assets::AssetType, 32))
                    .col(string_len(Assets::Criticality, 16))
                    .col(tags)
                    .col(string_len(Assets::Status, 16))
                    .col(boolean(Assets::IsReachable))
                    .col(small_integer(Assets::RiskScore))
                    .col(integer(Assets::VulnCritical))
                    .col(integer(Assets::VulnHigh))
                    .col(integer(Assets::VulnMedium))
                    .col(integer(Assets::VulnLow))
                    .col(integer(Assets::VulnInfo))
                    .col(timestamp_with_time_zone(Assets::FirstSeen))
                    .col(timestamp_with_time_zone_null(Assets::LastSeen))
                    .col(timestamp_with_time_zone_null(Assets::LastScanned))
                    .col(json_binary(Assets::Metadata))
                    .col(uuid_null(Assets::OwnerId))
                    .col(timestamp_with_time_zone(Assets::CreatedAt))
                    .col(timestamp_with_time_zone(Assets::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_assets_organization_id")
                            .from(Assets::Table, Assets::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        // A network with assets is deleted only with them (`cascade`).
                        ForeignKey::create()
                            .name("fk_assets_network_id")
                            .from(Assets::Table, Assets::NetworkId)
                            .to(Networks::Table, Networks::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_assets_owner_id")
                            .from(Assets::Table, Assets::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        let unique = if postgres {
            "CREATE UNIQUE INDEX uq_assets_ip_address ON assets \
             (organization_id, COALESCE(network_id, '00000000-0000-0000-0000-000000000000'::uuid), ip_address)"
        } else {
            "CREATE UNIQUE INDEX uq_assets_ip_address ON assets (organization_id, COALESCE(network_id, x''), ip_address)"
        };
        manager.get_connection().execute_unprepared(unique).await?;
        // The default order of a list, and address ranges.
        manager
            .create_index(
                Index::create()
                    .name("idx_assets_organization_id_ip_sort")
                    .table(Assets::Table)
                    .col(Assets::OrganizationId)
                    .col(Assets::IpSort)
                    .to_owned(),
            )
            .await?;
        // Whether a network still has assets.
        manager
            .create_index(
                Index::create().name("idx_assets_network_id").table(Assets::Table).col(Assets::NetworkId).to_owned(),
            )
            .await?;
        if postgres {
            manager
                .get_connection()
                .execute_unprepared("CREATE INDEX idx_assets_tags ON assets USING GIN (tags)")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Assets::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Assets {
    Table,
    Id,
    OrganizationId,
    NetworkId,
    IpAddress,
    IpSort,
    Hostname,
    MacAddress,
    MacVendor,
    OperatingSystem,
    OsVersion,
    OsCpe,
    AssetType,
    Criticality,
    Tags,
    Status,
    IsReachable,
    RiskScore,
    VulnCritical,
    VulnHigh,
    VulnMedium,
    VulnLow,
    VulnInfo,
    FirstSeen,
    LastSeen,
    LastScanned,
    Metadata,
    OwnerId,
    CreatedAt,
    UpdatedAt,
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
