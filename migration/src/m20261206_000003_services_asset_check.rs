//! Checks, on PostgreSQL, that a service's asset exists once per statement instead of once
//! per row: the foreign key `fk_services_asset_organization` (`(asset_id, organization_id)`
//! to `assets (id, organization_id)`, deleting with the asset) becomes three triggers that
//! keep the same rule.
//!
//! PostgreSQL checks a foreign key with a trigger per inserted row, each a query that
//! finds and locks the referenced row. A scan import inserts 50,000 services for 10,000
//! assets, and those checks took 622 ms of the 1,144 ms that inserting them took (`psql`,
//! `EXPLAIN ANALYZE`, see docs/benchmarks.md). The statement-level check below reads the
//! statement's new rows once (a transition table), joins them with their assets and locks
//! those as the foreign key would (`FOR KEY SHARE`): 62 ms for the same 50,000 rows.
//!
//! The rule, as the foreign key had it:
//! - **Insert** (`services_check_assets`, after each statement): every new row's (asset,
//!   organization) is an asset's (id, organization). Each distinct pair must find its
//!   asset, locked `FOR KEY SHARE` until the transaction ends, so that an asset cannot be
//!   deleted under a service being added; an asset deleted by a transaction that committed
//!   first is not found (READ COMMITTED, which every authdb transaction runs at), and the
//!   statement fails.
//! - **Update** of a service's asset or organization (`services_check_asset_change`, per
//!   row, only when an `UPDATE` sets one of the two columns; authdb never does): the same
//!   check for the row.
//! - **Delete** of assets (`assets_delete_services`, after each statement): their services
//!   go with them, as `ON DELETE CASCADE` did. An asset's id and organization never change
//!   while services reference them (`assets_keep_key`).
//!
//! A violation is raised as the foreign key raised it (SQLSTATE 23503, the constraint's
//! name), so callers map it as before. SQLite keeps its foreign keys: it checks a row in
//! the index lookup its insert makes anyway, and its imports do not pay for it.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// The statement-level check of new services' assets, as this migration made it
/// (`m20261206_000007` plans its lookup per statement, and its `down` restores this).
pub(crate) const CHECK_ASSETS: &str = r#"CREATE OR REPLACE FUNCTION services_check_assets() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted bigint;
    found bigint;
BEGIN
    SELECT count(*) INTO wanted FROM (SELECT DISTINCT asset_id, organization_id FROM inserted) AS keys;
    SELECT count(*) INTO found FROM (
        SELECT 1 FROM assets
        JOIN (SELECT DISTINCT asset_id, organization_id FROM inserted) AS keys
            ON assets.id = keys.asset_id AND assets.organization_id = keys.organization_id
        FOR KEY SHARE OF assets
    ) AS locked;
    IF found <> wanted THEN
        RAISE EXCEPTION 'insert or update on table "services" violates foreign key constraint "fk_services_asset_organization"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'fk_services_asset_organization',
                  TABLE = 'services', DETAIL = 'A service''s (asset_id, organization_id) is not an asset''s.';
    END IF;
    RETURN NULL;
END
$$"#;

/// The statement-level cascade of deleted assets to their services, as this migration
/// made it (see [`CHECK_ASSETS`]).
pub(crate) const DELETE_SERVICES: &str = r#"CREATE OR REPLACE FUNCTION assets_delete_services() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM services USING removed WHERE services.asset_id = removed.id;
    RETURN NULL;
END
$$"#;

const UP: &[&str] = &[
    "ALTER TABLE services DROP CONSTRAINT fk_services_asset_organization",
    CHECK_ASSETS,
    "CREATE TRIGGER services_check_assets AFTER INSERT ON services REFERENCING NEW TABLE AS inserted \
     FOR EACH STATEMENT EXECUTE FUNCTION services_check_assets()",
    r#"CREATE FUNCTION services_check_asset_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM assets WHERE id = NEW.asset_id AND organization_id = NEW.organization_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insert or update on table "services" violates foreign key constraint "fk_services_asset_organization"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'fk_services_asset_organization',
                  TABLE = 'services', DETAIL = 'A service''s (asset_id, organization_id) is not an asset''s.';
    END IF;
    RETURN NULL;
END
$$"#,
    "CREATE TRIGGER services_check_asset_change AFTER UPDATE OF asset_id, organization_id ON services \
     FOR EACH ROW EXECUTE FUNCTION services_check_asset_change()",
    DELETE_SERVICES,
    "CREATE TRIGGER assets_delete_services AFTER DELETE ON assets REFERENCING OLD TABLE AS removed \
     FOR EACH STATEMENT EXECUTE FUNCTION assets_delete_services()",
    r#"CREATE FUNCTION assets_keep_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.id, NEW.organization_id) IS DISTINCT FROM (OLD.id, OLD.organization_id)
        AND EXISTS (SELECT 1 FROM services WHERE asset_id = OLD.id) THEN
        RAISE EXCEPTION 'update on table "assets" violates foreign key constraint "fk_services_asset_organization" on table "services"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'fk_services_asset_organization',
                  TABLE = 'assets', DETAIL = 'Services still reference the asset.';
    END IF;
    RETURN NEW;
END
$$"#,
    "CREATE TRIGGER assets_keep_key BEFORE UPDATE OF id, organization_id ON assets \
     FOR EACH ROW EXECUTE FUNCTION assets_keep_key()",
];

const DOWN: &[&str] = &[
    "DROP TRIGGER assets_keep_key ON assets",
    "DROP FUNCTION assets_keep_key()",
    "DROP TRIGGER assets_delete_services ON assets",
    "DROP FUNCTION assets_delete_services()",
    "DROP TRIGGER services_check_asset_change ON services",
    "DROP FUNCTION services_check_asset_change()",
    "DROP TRIGGER services_check_assets ON services",
    "DROP FUNCTION services_check_assets()",
    "ALTER TABLE services ADD CONSTRAINT fk_services_asset_organization FOREIGN KEY (asset_id, organization_id) \
     REFERENCES assets (id, organization_id) ON DELETE CASCADE",
];

// See m20261123_000010_create_invitations for why the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, DOWN).await
    }
}

/// Runs `statements` in order on PostgreSQL; nothing on SQLite.
pub(crate) async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    for statement in statements {
        manager.get_connection().execute_unprepared(statement).await?;
    }
    Ok(())
}
