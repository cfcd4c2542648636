//! Adds, on PostgreSQL, an index of `assets` in risk order within the organization, carrying
//! what a filtered listing tests before it knows its page: the address, the tags and the id.
//!
//! A listing sorted by risk (`sort=-risk_score`, the dashboard's "worst first") with an
//! address range and a tag used to sort every match (12,500 of 100,000 for a /16 and a tag
//! on half the assets) to keep the first 50. With this index PostgreSQL walks the
//! organization's entries in risk order (forwards or backwards), tests the range and the
//! tags on the index entry, and stops after the page: an index-only scan of a few hundred
//! entries and an incremental sort of each risk value's ties by address and id (measured:
//! 44 ms to 1 ms, docs/benchmarks.md). The count of the matches still reads the
//! (organization, address) index.
//!
//! SQLite gets no such index: its listing meets its target through `idx_assets_listing`,
//! and its planner, which has no incremental sort, would have to be steered per query.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE INDEX idx_assets_risk ON assets (organization_id, risk_score) INCLUDE (ip_sort, tags, id)",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager.get_connection().execute_unprepared("DROP INDEX idx_assets_risk").await?;
        }
        Ok(())
    }
}
