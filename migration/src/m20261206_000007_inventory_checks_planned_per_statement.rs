//! Plans the set-based queries of the services' statement-level triggers (from
//! `m20261206_000003`) for each statement, on PostgreSQL: the check of new services'
//! assets and the cascade of deleted assets to their services now run their query through
//! `EXECUTE`.
//!
//! A static query in a PL/pgSQL function is planned once per database session and kept
//! until a change to a table it reads (an `ANALYZE`, for one) invalidates the plan. For a
//! query over a transition table that is the wrong plan to keep: it was made for the
//! first statement the session ran, and its row counts. A pooled connection that had
//! first inserted a single service, while the organization had a few assets, planned the
//! check as a nested loop over a sequential scan of `assets`; the same connection then
//! checked a 5,000-row statement of a scan import against 10,000 assets in 1.7 s instead
//! of 54 ms (`psql`, docs/benchmarks.md), and a 10,000-host import took 8-13 s instead of
//! under one until autovacuum's next `ANALYZE`. `EXECUTE` plans with the statement's own
//! row counts, for a fraction of a millisecond. `m20261206_000006` does the same for the
//! assets' own checks. SQLite has no such triggers (see `m20261206_000003`).

use sea_orm_migration::prelude::*;

use crate::m20261206_000003_services_asset_check::{CHECK_ASSETS, DELETE_SERVICES, run};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: &[&str] = &[
    r#"CREATE OR REPLACE FUNCTION services_check_assets() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted bigint;
    found bigint;
BEGIN
    SELECT count(*) INTO wanted FROM (SELECT DISTINCT asset_id, organization_id FROM inserted) AS keys;
    -- Planned for this statement's rows (see m20261206_000007).
    EXECUTE 'SELECT count(*) FROM (
        SELECT 1 FROM assets
        JOIN (SELECT DISTINCT asset_id, organization_id FROM inserted) AS keys
            ON assets.id = keys.asset_id AND assets.organization_id = keys.organization_id
        FOR KEY SHARE OF assets
    ) AS locked' INTO found;
    IF found <> wanted THEN
        RAISE EXCEPTION 'insert or update on table "services" violates foreign key constraint "fk_services_asset_organization"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'fk_services_asset_organization',
                  TABLE = 'services', DETAIL = 'A service''s (asset_id, organization_id) is not an asset''s.';
    END IF;
    RETURN NULL;
END
$$"#,
    r#"CREATE OR REPLACE FUNCTION assets_delete_services() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Planned for this statement's rows (see m20261206_000007).
    EXECUTE 'DELETE FROM services USING removed WHERE services.asset_id = removed.id';
    RETURN NULL;
END
$$"#,
];

const DOWN: &[&str] = &[CHECK_ASSETS, DELETE_SERVICES];

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
