//! Indexes for the dashboard's counts (authdb-service's `insights`): an organization's open
//! services by port and its assets by criticality and type, each read from an index alone.
//!
//! `services` had no index leading with the organization (its unique index leads with the
//! asset), so counting one organization's open services by port read the whole table, every
//! organization's rows (measured at 100,000 services: a sequential scan, docs/benchmarks.md).
//! `(organization_id, state, port)` turns it into a range of the index, and covers the
//! grouping. `(organization_id, criticality, asset_type)` covers both groupings of assets,
//! which otherwise read every asset row of the organization from the table.
//!
//! The audit log gets no index: the caller's and the members' sign-ins are a range of the
//! existing (actor, time) index, and the platform's (superusers) a range of the time index.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_services_organization_state_port")
                    .table(Services::Table)
                    .col(Services::OrganizationId)
                    .col(Services::State)
                    .col(Services::Port)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_assets_organization_criticality_type")
                    .table(Assets::Table)
                    .col(Assets::OrganizationId)
                    .col(Assets::Criticality)
                    .col(Assets::AssetType)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("idx_assets_organization_criticality_type").table(Assets::Table).to_owned())
            .await?;
        manager
            .drop_index(Index::drop().name("idx_services_organization_state_port").table(Services::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Services {
    Table,
    OrganizationId,
    State,
    Port,
}

#[derive(DeriveIden)]
enum Assets {
    Table,
    OrganizationId,
    Criticality,
    AssetType,
}
