//! Replaces, on PostgreSQL, the two foreign keys of `services` (its organization, its
//! asset) with one over both: `(asset_id, organization_id)` references `assets (id,
//! organization_id)`, deleting with the asset as before.
//!
//! PostgreSQL checks a foreign key row by row (a trigger that looks the referenced row up
//! for every inserted row). A scan import inserts 50,000 services for 10,000 hosts, and
//! `EXPLAIN (ANALYZE)` with its triggers showed those checks as most of each insert: of
//! 190-370 ms per statement of 5,000 services, 60-130 ms went to the organization's check
//! and 90-180 ms to the asset's (docs/benchmarks.md). One key over both columns is one
//! check per row, and it also says what the two keys did not: a service's organization is
//! its asset's. The organization is still enforced, through the asset (whose own key
//! references the organization, and deleting the organization deletes its assets and so
//! their services).
//!
//! The referenced pair needs a unique index, `uq_assets_id_organization_id` (the id alone
//! is already unique, so it never refuses a row).
//!
//! SQLite keeps its two keys: changing a foreign key there means rebuilding the table, and
//! its imports meet their target with them.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// See m20261123_000010_create_invitations for why the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let conn = manager.get_connection();
        conn.execute_unprepared("CREATE UNIQUE INDEX uq_assets_id_organization_id ON assets (id, organization_id)")
            .await?;
        conn.execute_unprepared(
            "ALTER TABLE services DROP CONSTRAINT fk_services_organization_id, \
             DROP CONSTRAINT fk_services_asset_id, \
             ADD CONSTRAINT fk_services_asset_organization FOREIGN KEY (asset_id, organization_id) \
             REFERENCES assets (id, organization_id) ON DELETE CASCADE",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let conn = manager.get_connection();
        conn.execute_unprepared(
            "ALTER TABLE services DROP CONSTRAINT fk_services_asset_organization, \
             ADD CONSTRAINT fk_services_organization_id FOREIGN KEY (organization_id) \
             REFERENCES organizations (id) ON DELETE CASCADE, \
             ADD CONSTRAINT fk_services_asset_id FOREIGN KEY (asset_id) REFERENCES assets (id) ON DELETE CASCADE",
        )
        .await?;
        conn.execute_unprepared("DROP INDEX uq_assets_id_organization_id").await?;
        Ok(())
    }
}
