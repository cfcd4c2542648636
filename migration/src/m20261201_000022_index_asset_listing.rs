//! Replaces the (organization, address) index of `assets` with one that also carries what
//! a filtered listing reads before it knows its page: the risk score, the tags and the id.
//!
//! An asset listing counts its matches and sorts them before it reads the page's rows. With
//! the address range (`cidr`), the tags and the risk score in the index, both steps read the
//! index alone (PostgreSQL: an index-only scan, once the table's visibility map is set by
//! (auto)vacuum; SQLite: a covering index), and only the page's rows are read from the table.
//! The key stays (organization, address), so every use of the old index keeps it: the
//! default order, the address ranges and the import's lookups by address.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let create = if manager.get_database_backend() == DatabaseBackend::Postgres {
            "CREATE INDEX idx_assets_listing ON assets (organization_id, ip_sort) INCLUDE (risk_score, tags, id)"
        } else {
            "CREATE INDEX idx_assets_listing ON assets (organization_id, ip_sort, risk_score, tags, id)"
        };
        let conn = manager.get_connection();
        conn.execute_unprepared(create).await?;
        conn.execute_unprepared("DROP INDEX idx_assets_organization_id_ip_sort").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        conn.execute_unprepared("CREATE INDEX idx_assets_organization_id_ip_sort ON assets (organization_id, ip_sort)")
            .await?;
        conn.execute_unprepared("DROP INDEX idx_assets_listing").await?;
        Ok(())
    }
}
