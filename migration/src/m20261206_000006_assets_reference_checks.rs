//! Checks, on PostgreSQL, an asset's organization, network and owner once per statement
//! instead of once per row: the three foreign keys of `assets` become triggers that keep
//! their rules, as `m20261206_000003` did for the services' key to their asset. It also
//! drops `uq_assets_id_organization_id`, which only that services' key referenced.
//!
//! PostgreSQL checks a foreign key with a query per inserted row. A scan import's first
//! statement inserts 5,000 assets, and `EXPLAIN ANALYZE` showed the checks at 44 ms
//! (organization), 43 ms (network) and 7 ms (owner, null in an import) of about 300 ms;
//! an import of 10,000 new hosts paid about 190 ms for them (docs/benchmarks.md). The
//! statement-level check reads the statement's new rows (a transition table) once per key,
//! finds each distinct referenced row and locks it as the foreign key would (`FOR KEY
//! SHARE`). Those lookups are planned for each statement (`EXECUTE`), as
//! `m20261206_000007` explains.
//!
//! The rules, as the foreign keys had them:
//! - **Insert** (`assets_check_references`, after each statement): every new row's
//!   organization exists, and its network and owner when set. Each referenced row is
//!   locked `FOR KEY SHARE` until the transaction ends, so that it cannot be deleted under
//!   an asset being added; one deleted by a transaction that committed first is not found
//!   (READ COMMITTED, which every authdb transaction runs at), and the statement fails.
//! - **Update** of an asset's organization, network or owner to another value
//!   (`assets_check_reference_change`, per row, only when an `UPDATE` sets one of them,
//!   which an import never does): the same check for the row.
//! - **Delete** of an organization deletes its assets (`ON DELETE CASCADE`); of a network
//!   is refused while assets are in it (`ON DELETE RESTRICT`); of a user leaves the assets
//!   it owned without an owner (`ON DELETE SET NULL`). These are row triggers on the
//!   referenced tables, which delete a row at a time. They run before the row is deleted,
//!   after its lock is taken (waiting for any transaction that added an asset to it), so
//!   an organization's assets are gone before its networks' rule is checked.
//! - A referenced id never changes while an asset references it (`asset_references_keep_key`).
//!
//! A violation is raised as the foreign key raised it (SQLSTATE 23503, the constraint's
//! name), so callers map it as before. SQLite keeps its foreign keys (see
//! `m20261206_000003`).

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// The `RAISE` of a check on an asset row, as the foreign key `$constraint` raised it.
macro_rules! violation {
    ($constraint:literal) => {
        concat!(
            "RAISE EXCEPTION 'insert or update on table \"assets\" violates foreign key constraint \"",
            $constraint,
            "\"' USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '",
            $constraint,
            "', TABLE = 'assets';"
        )
    };
}

const UP: &[&str] = &[
    "ALTER TABLE assets DROP CONSTRAINT fk_assets_organization_id, DROP CONSTRAINT fk_assets_network_id, \
     DROP CONSTRAINT fk_assets_owner_id",
    "DROP INDEX uq_assets_id_organization_id",
    concat!(
        "CREATE FUNCTION assets_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted bigint;
    found bigint;
BEGIN
    SELECT count(DISTINCT organization_id) INTO wanted FROM inserted;
    EXECUTE 'SELECT count(*) FROM (
        SELECT 1 FROM organizations WHERE id IN (SELECT organization_id FROM inserted) FOR KEY SHARE
    ) AS locked' INTO found;
    IF found <> wanted THEN ",
        violation!("fk_assets_organization_id"),
        " END IF;
    SELECT count(DISTINCT network_id) INTO wanted FROM inserted;
    EXECUTE 'SELECT count(*) FROM (
        SELECT 1 FROM networks WHERE id IN (SELECT network_id FROM inserted) FOR KEY SHARE
    ) AS locked' INTO found;
    IF found <> wanted THEN ",
        violation!("fk_assets_network_id"),
        " END IF;
    SELECT count(DISTINCT owner_id) INTO wanted FROM inserted;
    IF wanted > 0 THEN
        EXECUTE 'SELECT count(*) FROM (
            SELECT 1 FROM users WHERE id IN (SELECT owner_id FROM inserted) FOR KEY SHARE
        ) AS locked' INTO found;
        IF found <> wanted THEN ",
        violation!("fk_assets_owner_id"),
        " END IF;
    END IF;
    RETURN NULL;
END
$$"
    ),
    "CREATE TRIGGER assets_check_references AFTER INSERT ON assets REFERENCING NEW TABLE AS inserted \
     FOR EACH STATEMENT EXECUTE FUNCTION assets_check_references()",
    concat!(
        "CREATE FUNCTION assets_check_reference_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.organization_id IS DISTINCT FROM OLD.organization_id THEN
        PERFORM 1 FROM organizations WHERE id = NEW.organization_id FOR KEY SHARE;
        IF NOT FOUND THEN ",
        violation!("fk_assets_organization_id"),
        " END IF;
    END IF;
    IF NEW.network_id IS NOT NULL AND NEW.network_id IS DISTINCT FROM OLD.network_id THEN
        PERFORM 1 FROM networks WHERE id = NEW.network_id FOR KEY SHARE;
        IF NOT FOUND THEN ",
        violation!("fk_assets_network_id"),
        " END IF;
    END IF;
    IF NEW.owner_id IS NOT NULL AND NEW.owner_id IS DISTINCT FROM OLD.owner_id THEN
        PERFORM 1 FROM users WHERE id = NEW.owner_id FOR KEY SHARE;
        IF NOT FOUND THEN ",
        violation!("fk_assets_owner_id"),
        " END IF;
    END IF;
    RETURN NULL;
END
$$"
    ),
    "CREATE TRIGGER assets_check_reference_change AFTER UPDATE OF organization_id, network_id, owner_id ON assets \
     FOR EACH ROW EXECUTE FUNCTION assets_check_reference_change()",
    r#"CREATE FUNCTION organizations_delete_assets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM assets WHERE organization_id = OLD.id;
    RETURN OLD;
END
$$"#,
    "CREATE TRIGGER organizations_delete_assets BEFORE DELETE ON organizations \
     FOR EACH ROW EXECUTE FUNCTION organizations_delete_assets()",
    r#"CREATE FUNCTION networks_keep_assets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM assets WHERE network_id = OLD.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'update or delete on table "networks" violates foreign key constraint "fk_assets_network_id" on table "assets"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'fk_assets_network_id', TABLE = 'assets';
    END IF;
    RETURN OLD;
END
$$"#,
    "CREATE TRIGGER networks_keep_assets BEFORE DELETE ON networks \
     FOR EACH ROW EXECUTE FUNCTION networks_keep_assets()",
    r#"CREATE FUNCTION users_disown_assets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assets SET owner_id = NULL WHERE owner_id = OLD.id;
    RETURN OLD;
END
$$"#,
    "CREATE TRIGGER users_disown_assets BEFORE DELETE ON users FOR EACH ROW EXECUTE FUNCTION users_disown_assets()",
    // TG_ARGV: the referencing column of `assets`, the constraint's name.
    r#"CREATE FUNCTION asset_references_keep_key() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    referenced boolean;
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM assets WHERE %I = $1)', TG_ARGV[0]) INTO referenced USING OLD.id;
        IF referenced THEN
            RAISE EXCEPTION 'update or delete on table "%" violates foreign key constraint "%" on table "assets"',
                TG_TABLE_NAME, TG_ARGV[1]
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[1], TABLE = 'assets';
        END IF;
    END IF;
    RETURN NEW;
END
$$"#,
    "CREATE TRIGGER organizations_keep_asset_key BEFORE UPDATE OF id ON organizations FOR EACH ROW \
     EXECUTE FUNCTION asset_references_keep_key('organization_id', 'fk_assets_organization_id')",
    "CREATE TRIGGER networks_keep_asset_key BEFORE UPDATE OF id ON networks FOR EACH ROW \
     EXECUTE FUNCTION asset_references_keep_key('network_id', 'fk_assets_network_id')",
    "CREATE TRIGGER users_keep_asset_key BEFORE UPDATE OF id ON users FOR EACH ROW \
     EXECUTE FUNCTION asset_references_keep_key('owner_id', 'fk_assets_owner_id')",
];

const DOWN: &[&str] = &[
    "DROP TRIGGER users_keep_asset_key ON users",
    "DROP TRIGGER networks_keep_asset_key ON networks",
    "DROP TRIGGER organizations_keep_asset_key ON organizations",
    "DROP FUNCTION asset_references_keep_key()",
    "DROP TRIGGER users_disown_assets ON users",
    "DROP FUNCTION users_disown_assets()",
    "DROP TRIGGER networks_keep_assets ON networks",
    "DROP FUNCTION networks_keep_assets()",
    "DROP TRIGGER organizations_delete_assets ON organizations",
    "DROP FUNCTION organizations_delete_assets()",
    "DROP TRIGGER assets_check_reference_change ON assets",
    "DROP FUNCTION assets_check_reference_change()",
    "DROP TRIGGER assets_check_references ON assets",
    "DROP FUNCTION assets_check_references()",
    "CREATE UNIQUE INDEX uq_assets_id_organization_id ON assets (id, organization_id)",
    "ALTER TABLE assets \
     ADD CONSTRAINT fk_assets_organization_id FOREIGN KEY (organization_id) REFERENCES organizations (id) \
     ON DELETE CASCADE, \
     ADD CONSTRAINT fk_assets_network_id FOREIGN KEY (network_id) REFERENCES networks (id) ON DELETE RESTRICT, \
     ADD CONSTRAINT fk_assets_owner_id FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE SET NULL",
];

// See m20261123_000010_create_invitations for why the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            for statement in UP {
                manager.get_connection().execute_unprepared(statement).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            for statement in DOWN {
                manager.get_connection().execute_unprepared(statement).await?;
            }
        }
        Ok(())
    }
}
