//! Leaves half of each new page of `assets` and `services` free on PostgreSQL
//! (`fillfactor = 50`), so that a scan import's refresh of every asset and service it saw
//! is a heap-only update.
//!
//! Every import rewrites `last_seen`, `last_scanned` and `updated_at` of each asset and
//! service a scan saw, and a scan sees a whole network. An updated row whose indexed
//! columns are unchanged (these are not indexed) stays off the indexes when its page has
//! room for the new version (a HOT update); a full page moves the row and inserts a new
//! entry in every index: eight for an asset (a GIN index among them), three for a
//! service. Measured with `psql` on 10,000 assets and 50,000 services, updating them all
//! as an import does: 444 ms and 699 ms on full pages, 39-85 ms and 192-195 ms at
//! `fillfactor = 50`, on every import after the first (each update prunes the versions
//! the last one left). The price is disk: the two tables take about twice the pages.
//!
//! The setting applies to pages written from now on. A database that already holds an
//! inventory gains it for existing rows after a rewrite (`VACUUM FULL assets, services`,
//! which locks the tables; see docs/operations.md). SQLite has no such setting.

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
        conn.execute_unprepared("ALTER TABLE assets SET (fillfactor = 50)").await?;
        conn.execute_unprepared("ALTER TABLE services SET (fillfactor = 50)").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let conn = manager.get_connection();
        conn.execute_unprepared("ALTER TABLE services RESET (fillfactor)").await?;
        conn.execute_unprepared("ALTER TABLE assets RESET (fillfactor)").await?;
        Ok(())
    }
}
