//! Adds, on SQLite, the index of `assets` in descending risk order within the
//! organization that PostgreSQL got in `m20261203_000030_index_asset_risk`, carrying what a
//! filtered listing tests before it knows its page: the address, the tags and the id.
//!
//! `sort=-risk_score` (the dashboard's "worst first") orders by the risk descending, then
//! the address and the id ascending; this index holds its entries in exactly that order, so
//! SQLite can walk it from the start, test the range and the tags on each entry, and stop
//! after the page, instead of sorting every match. SQLite's planner cannot tell from the
//! query alone which of the two costs less (it keeps no statistics of address ranges), so
//! the listing chooses from the count it has just made (`assets::list`). Measured with
//! `sqlite3` on 100,000 assets, a /16 and a tag on half of them (12,500 matches): the page
//! from 9-12 ms to 0.3 ms (docs/benchmarks.md).
//!
//! Ascending risk keeps the sorted plan: its ties are ordered by ascending address too,
//! which this index read backwards does not give. PostgreSQL keeps its own index, which
//! serves both directions by an incremental sort of the ties.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// See m20261123_000010_create_invitations for why the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE INDEX idx_assets_risk ON assets (organization_id, risk_score DESC, ip_sort, id, tags)",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            manager.get_connection().execute_unprepared("DROP INDEX idx_assets_risk").await?;
        }
        Ok(())
    }
}
