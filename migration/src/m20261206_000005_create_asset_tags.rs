//! Creates `asset_tags`: one row per (asset, tag), carrying the asset's organization and
//! address key, kept by triggers from `assets.tags`, from which a listing filtered by tags
//! (and an address range, and nothing else) is counted.
//!
//! The count of such a listing used to read every entry of the address range from
//! `idx_assets_listing` and test the tags on each (`cidr=10.1.0.0/16&tag=prod` over 100,000
//! assets: 25,000 entries for 12,500 matches, 6.7-9.3 ms on PostgreSQL and 6-7 ms on
//! SQLite, most of a listing request). Its primary key, (organization, tag, address key,
//! asset), holds the matches of one tag in address order, so the count is a range of
//! 12,500 entries with no test (3.1-4.3 ms on PostgreSQL; docs/benchmarks.md). The listing
//! still reads its page from `assets`, whose `tags` column stays the source of truth.
//!
//! The rows are written by triggers, so that no write of `assets` can leave them behind:
//! an insert with tags adds the asset's rows; an update of the tags, the address key or the
//! organization replaces them; deleting the asset deletes them (the foreign key). A scan
//! import inserts assets without tags and never updates those columns, so its statements
//! fire none of these triggers (PostgreSQL's `WHEN` and `UPDATE OF` are tested before a
//! trigger is queued, SQLite's likewise). Existing assets are copied on the way up.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE asset_tags (organization_id uuid NOT NULL, tag text NOT NULL, ip_sort bytea NOT NULL, \
     asset_id uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE, \
     PRIMARY KEY (organization_id, tag, ip_sort, asset_id))",
    "CREATE INDEX idx_asset_tags_asset_id ON asset_tags (asset_id)",
    r#"CREATE FUNCTION assets_write_tags() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM asset_tags WHERE asset_id = OLD.id;
    END IF;
    INSERT INTO asset_tags (organization_id, tag, ip_sort, asset_id)
        SELECT DISTINCT NEW.organization_id, tag, NEW.ip_sort, NEW.id FROM unnest(NEW.tags) AS tag;
    RETURN NULL;
END
$$"#,
    "CREATE TRIGGER assets_insert_tags AFTER INSERT ON assets FOR EACH ROW \
     WHEN (cardinality(NEW.tags) > 0) EXECUTE FUNCTION assets_write_tags()",
    "CREATE TRIGGER assets_update_tags AFTER UPDATE OF tags, ip_sort, organization_id ON assets FOR EACH ROW \
     WHEN (OLD.tags IS DISTINCT FROM NEW.tags OR OLD.ip_sort IS DISTINCT FROM NEW.ip_sort \
     OR OLD.organization_id IS DISTINCT FROM NEW.organization_id) EXECUTE FUNCTION assets_write_tags()",
    "INSERT INTO asset_tags (organization_id, tag, ip_sort, asset_id) \
     SELECT DISTINCT organization_id, tag, ip_sort, id FROM assets, unnest(tags) AS tag",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER assets_update_tags ON assets",
    "DROP TRIGGER assets_insert_tags ON assets",
    "DROP FUNCTION assets_write_tags()",
    "DROP TABLE asset_tags",
];

/// SQLite keeps the tags as a JSON array of distinct tags (`assets::tags_value`).
const SQLITE_UP: &[&str] = &[
    "CREATE TABLE asset_tags (organization_id BLOB NOT NULL, tag TEXT NOT NULL, ip_sort BLOB NOT NULL, \
     asset_id BLOB NOT NULL REFERENCES assets (id) ON DELETE CASCADE, \
     PRIMARY KEY (organization_id, tag, ip_sort, asset_id)) WITHOUT ROWID",
    "CREATE INDEX idx_asset_tags_asset_id ON asset_tags (asset_id)",
    "CREATE TRIGGER assets_insert_tags AFTER INSERT ON assets WHEN NEW.tags <> '[]' BEGIN \
     INSERT INTO asset_tags (organization_id, tag, ip_sort, asset_id) \
     SELECT DISTINCT NEW.organization_id, value, NEW.ip_sort, NEW.id FROM json_each(NEW.tags); END",
    "CREATE TRIGGER assets_update_tags AFTER UPDATE OF tags, ip_sort, organization_id ON assets \
     WHEN OLD.tags IS NOT NEW.tags OR OLD.ip_sort IS NOT NEW.ip_sort OR OLD.organization_id IS NOT NEW.organization_id \
     BEGIN DELETE FROM asset_tags WHERE asset_id = OLD.id; \
     INSERT INTO asset_tags (organization_id, tag, ip_sort, asset_id) \
     SELECT DISTINCT NEW.organization_id, value, NEW.ip_sort, NEW.id FROM json_each(NEW.tags); END",
    "INSERT INTO asset_tags (organization_id, tag, ip_sort, asset_id) \
     SELECT DISTINCT assets.organization_id, tag.value, assets.ip_sort, assets.id FROM assets, json_each(assets.tags) AS tag",
];

const SQLITE_DOWN: &[&str] =
    &["DROP TRIGGER assets_update_tags", "DROP TRIGGER assets_insert_tags", "DROP TABLE asset_tags"];

// See m20261123_000010_create_invitations for why the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements =
            if manager.get_database_backend() == DatabaseBackend::Postgres { POSTGRES_UP } else { SQLITE_UP };
        for statement in statements {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements =
            if manager.get_database_backend() == DatabaseBackend::Postgres { POSTGRES_DOWN } else { SQLITE_DOWN };
        for statement in statements {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }
}
