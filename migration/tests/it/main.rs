//! Integration tests for the `migration` crate: every migration applies, reverts
//! and re-applies cleanly on SQLite and on PostgreSQL.

mod support;

use authdb_testkit::PostgresDatabase;
use migration::{Alias, Expr, ExprTrait as _, Migrator, MigratorTrait, Query, SchemaManager};
use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement, TransactionTrait};
use time::OffsetDateTime;
use uuid::{Uuid, uuid};

use crate::support::sqlite_test_database;

/// Tables created by the migrations, in creation order.
const TABLES: [&str; 16] = [
    "users",
    "organizations",
    "roles",
    "memberships",
    "sessions",
    "refresh_tokens",
    "audit_events",
    "invitations",
    "login_throttles",
    "networks",
    "assets",
    "services",
    "scans",
    "service_clients",
    "revocation_events",
    "asset_tags",
];

const OWNER_ROLE_ID: Uuid = uuid!("00000000-0000-7000-8000-000000000001");

#[tokio::test]
async fn migrations_round_trip_on_sqlite() {
    let (_dir, db) = sqlite_test_database().await;

    assert_migrations_round_trip(&db).await;
}

#[tokio::test]
async fn migrations_round_trip_on_postgres() {
    let database = PostgresDatabase::create().await;
    let db = Database::connect(database.url()).await.expect("connect to the test database");

    assert_migrations_round_trip(&db).await;

    db.close().await.expect("close the test database connection");
}

#[tokio::test]
async fn email_skeletons_are_filled_in_oldest_first_on_sqlite() {
    let (_dir, db) = sqlite_test_database().await;

    assert_email_skeletons_filled_in_oldest_first(&db).await;
}

#[tokio::test]
async fn email_skeletons_are_filled_in_oldest_first_on_postgres() {
    let database = PostgresDatabase::create().await;
    let db = Database::connect(database.url()).await.expect("connect to the test database");

    assert_email_skeletons_filled_in_oldest_first(&db).await;

    db.close().await.expect("close the test database connection");
}

/// Accounts that exist when `users.email_skeleton` arrives get their skeleton, oldest
/// first; a look-alike of an older account (registered before the check) keeps NULL, so
/// that the unique index can be built; an address not in normalization form C is
/// rewritten in it (logins are looked up in it); `down` removes the column again.
async fn assert_email_skeletons_filled_in_oldest_first(db: &DatabaseConnection) {
    // Found by name, so that migrations added later do not move it.
    let before_skeleton = Migrator::migrations()
        .iter()
        .position(|migration| migration.name() == "m20261130_000090_add_users_email_skeleton")
        .expect("the skeleton's migration is listed");
    let before_skeleton = u32::try_from(before_skeleton).expect("few migrations");
    Migrator::up(db, Some(before_skeleton)).await.expect("apply all migrations up to the skeleton's");
    let start = OffsetDateTime::now_utc().replace_nanosecond(0).expect("whole seconds");
    // Latin `bob`, then a Cyrillic `о` look-alike a minute later, and an unrelated address.
    // Then `josé` typed with a combining accent (stored before addresses were normalized).
    let accounts = [
        ("bob@example.com", "bob", 0),
        ("b\u{43e}b@example.com", "bob2", 60),
        ("ann@example.com", "ann", 120),
        ("jose\u{301}@example.com", "jose", 180),
    ];
    for (email, username, after_secs) in accounts {
        let at = start + time::Duration::seconds(after_secs);
        let insert = Query::insert()
            .into_table(Alias::new("users"))
            .columns(
                [
                    "id",
                    "email",
                    "username",
                    "username_key",
                    "password_hash",
                    "preferences",
                    "password_changed_at",
                    "created_at",
                    "updated_at",
                ]
                .map(Alias::new),
            )
            .values_panic([
                Uuid::now_v7().into(),
                email.into(),
                username.into(),
                username.into(),
                "$2b$04$hash".into(),
                serde_json::json!({}).into(),
                at.into(),
                at.into(),
                at.into(),
            ])
            .to_owned();
        db.execute(&insert).await.expect("insert an account");
    }

    Migrator::up(db, Some(1)).await.expect("apply the skeleton migration");

    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(backend, "SELECT email, email_skeleton FROM users ORDER BY created_at"))
        .await
        .expect("read the skeletons");
    let skeletons: Vec<(String, Option<String>)> = rows
        .iter()
        .map(|row| (row.try_get("", "email").expect("email"), row.try_get("", "email_skeleton").expect("skeleton")))
        .collect();
    let bob = authdb_domain::email_skeleton("bob@example.com");
    assert_eq!(bob, authdb_domain::email_skeleton("b\u{43e}b@example.com"), "the accounts look alike");
    assert_eq!(
        skeletons,
        [
            ("bob@example.com".to_owned(), Some(bob.clone())),
            ("b\u{43e}b@example.com".to_owned(), None),
            ("ann@example.com".to_owned(), Some(authdb_domain::email_skeleton("ann@example.com"))),
            ("jos\u{e9}@example.com".to_owned(), Some(authdb_domain::email_skeleton("jos\u{e9}@example.com"))),
        ]
    );
    let duplicate = Query::update()
        .table(Alias::new("users"))
        .value(Alias::new("email_skeleton"), bob)
        .and_where(Expr::col(Alias::new("email")).eq("ann@example.com"))
        .to_owned();
    assert!(db.execute(&duplicate).await.is_err(), "the skeleton index must be unique");

    Migrator::down(db, Some(1)).await.expect("revert the skeleton migration");
    let manager = SchemaManager::new(db);
    assert!(!manager.has_column("users", "email_skeleton").await.expect("look up the column"));
}

async fn assert_migrations_round_trip(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("apply all migrations");
    assert_all_tables_exist(db).await;
    assert_built_in_roles_seeded(db).await;

    Migrator::down(db, None).await.expect("revert all migrations");
    let manager = SchemaManager::new(db);
    for table in TABLES {
        let exists = manager.has_table(table).await.expect("look up table");
        assert!(!exists, "table {table} still exists after down");
    }

    Migrator::up(db, None).await.expect("re-apply all migrations");
    assert_all_tables_exist(db).await;
    assert_built_in_roles_seeded(db).await;
}

async fn assert_all_tables_exist(db: &DatabaseConnection) {
    let manager = SchemaManager::new(db);
    for table in TABLES {
        let exists = manager.has_table(table).await.expect("look up table");
        assert!(exists, "table {table} is missing after up");
    }
}

async fn assert_built_in_roles_seeded(db: &DatabaseConnection) {
    let backend = db.get_database_backend();

    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM roles WHERE organization_id IS NULL \
             AND name IN ('owner', 'admin', 'member', 'viewer')",
        ))
        .await
        .expect("count built-in roles")
        .expect("a count row");
    let count: i64 = row.try_get("", "n").expect("decode count");
    assert_eq!(count, 4);

    // The seeded values must decode into the types the entities use.
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT id, permissions, created_at FROM roles WHERE name = 'owner'",
        ))
        .await
        .expect("select the owner role")
        .expect("an owner row");
    let id: Uuid = row.try_get("", "id").expect("decode id");
    let permissions: serde_json::Value = row.try_get("", "permissions").expect("decode permissions");
    let created_at: OffsetDateTime = row.try_get("", "created_at").expect("decode created_at");
    assert_eq!(id, OWNER_ROLE_ID);
    assert_eq!(permissions.as_array().map(Vec::len), Some(12));
    assert!(permissions.as_array().is_some_and(|p| p.contains(&"audit:read".into())));
    assert!(permissions.as_array().is_some_and(|p| p.contains(&"org:delete".into())));
    assert_eq!(created_at.offset(), time::UtcOffset::UTC);
}

/// The PostgreSQL triggers that stand for the services' foreign key to their asset
/// (`m20261206_000003`) keep its rule: a service needs its asset in its organization,
/// an asset's key stays while services reference it, services go with their asset, and
/// an insert racing a delete of its asset either fails or is deleted with it.
#[tokio::test]
async fn a_service_needs_its_asset_and_goes_with_it_on_postgres() {
    let database = PostgresDatabase::create().await;
    let db = Database::connect(database.url()).await.expect("connect to the test database");
    Migrator::up(&db, None).await.expect("apply all migrations");
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, slug) in [(first, "first"), (second, "second")] {
        exec(&db, &format!("INSERT INTO organizations (id, name, slug, settings, created_at, updated_at) VALUES ('{id}', '{slug}', '{slug}', '{{}}', now(), now())")).await.expect("an organization");
    }
    let [kept, deleted, raced, taken] = [(); 4].map(|()| Uuid::now_v7().to_string());
    for (asset, octet) in [(&kept, 1), (&deleted, 2), (&raced, 3), (&taken, 4)] {
        exec(&db, &asset_insert(asset, first, octet)).await.expect("an asset");
    }

    exec(&db, &service_insert(&[(&kept, first, 22), (&kept, first, 80), (&deleted, first, 22)]))
        .await
        .expect("services of existing assets");
    let missing = Uuid::now_v7().to_string();
    for rows in [
        vec![(kept.as_str(), second, 443)],
        vec![(missing.as_str(), first, 443)],
        vec![(kept.as_str(), first, 443), (missing.as_str(), first, 443)],
    ] {
        let refused = exec(&db, &service_insert(&rows)).await.expect_err("a service without its asset");
        assert!(refused.contains("fk_services_asset_organization"), "{refused}");
    }
    assert_eq!(count(&db, &format!("asset_id = '{kept}'")).await, 2, "a refused statement stores none of its rows");

    let moved = exec(&db, &format!("UPDATE services SET organization_id = '{second}' WHERE asset_id = '{kept}'")).await;
    assert!(
        moved.expect_err("a service moved out of its asset's organization").contains("fk_services_asset_organization")
    );
    let rekeyed = exec(&db, &format!("UPDATE assets SET organization_id = '{second}' WHERE id = '{kept}'")).await;
    assert!(rekeyed.expect_err("an asset's key changed under its services").contains("fk_services_asset_organization"));
    exec(&db, &format!("UPDATE services SET state = 'closed' WHERE asset_id = '{kept}'")).await.expect("other changes");

    exec(&db, &format!("DELETE FROM assets WHERE id = '{deleted}'")).await.expect("delete an asset");
    assert_eq!(count(&db, &format!("asset_id = '{deleted}'")).await, 0, "its services go with it");

    // A delete first: the insert waits for it, then finds no asset.
    let other = Database::connect(database.url()).await.expect("a second connection");
    let deleting = other.begin().await.expect("begin");
    exec(&deleting, &format!("DELETE FROM assets WHERE id = '{raced}'")).await.expect("delete, not committed yet");
    let insert = tokio::spawn({
        let db = db.clone();
        let rows = service_insert(&[(&raced, first, 22)]);
        async move { exec(&db, &rows).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    deleting.commit().await.expect("commit the delete");
    let refused = insert.await.expect("the insert's task").expect_err("the asset was deleted first");
    assert!(refused.contains("fk_services_asset_organization"), "{refused}");

    // An insert first: the delete waits for it, then deletes its service too.
    let inserting = other.begin().await.expect("begin");
    exec(&inserting, &service_insert(&[(&taken, first, 22)])).await.expect("insert, not committed yet");
    let delete = tokio::spawn({
        let db = db.clone();
        let statement = format!("DELETE FROM assets WHERE id = '{taken}'");
        async move { exec(&db, &statement).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    inserting.commit().await.expect("commit the insert");
    delete.await.expect("the delete's task").expect("the delete, after the insert");
    assert_eq!(
        count(&db, &format!("asset_id = '{taken}'")).await,
        0,
        "the service committed first goes with its asset"
    );

    other.close().await.expect("close the second connection");
    db.close().await.expect("close the test database connection");
}

/// The PostgreSQL triggers that stand for the assets' foreign keys (`m20261206_000006`)
/// keep their rules: an asset needs its organization, and its network and owner when set,
/// in a multi-row insert and in an update; deleting an organization deletes its assets, a
/// network in use is kept, a deleted owner leaves its assets unowned; referenced ids stay;
/// and an insert racing a delete of its network either fails or keeps the network.
#[tokio::test]
async fn an_asset_needs_what_it_references_on_postgres() {
    let database = PostgresDatabase::create().await;
    let db = Database::connect(database.url()).await.expect("connect to the test database");
    Migrator::up(&db, None).await.expect("apply all migrations");
    let (organization, gone) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, slug) in [(organization, "first"), (gone, "gone")] {
        exec(&db, &format!("INSERT INTO organizations (id, name, slug, settings, created_at, updated_at) VALUES ('{id}', '{slug}', '{slug}', '{{}}', now(), now())")).await.expect("an organization");
    }
    let [lan, lab, gone_lan] = [(); 3].map(|()| Uuid::now_v7());
    for (id, owner, name) in [(lan, organization, "lan"), (lab, organization, "lab"), (gone_lan, gone, "lan")] {
        exec(&db, &format!("INSERT INTO networks (id, organization_id, name, cidrs, created_at, updated_at) VALUES ('{id}', '{owner}', '{name}', '[]', now(), now())")).await.expect("a network");
    }
    let user = Uuid::now_v7();
    exec(&db, &format!("INSERT INTO users (id, email, username, username_key, password_hash, preferences, password_changed_at, created_at, updated_at) VALUES ('{user}', 'u@example.com', 'u', 'u', 'x', '{{}}', now(), now(), now())")).await.expect("a user");
    let asset = || Uuid::now_v7().to_string();
    let assets = |condition: &str| {
        let db = &db;
        let condition = condition.to_owned();
        async move {
            let statement = format!("SELECT COUNT(*) AS n FROM assets WHERE {condition}");
            let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), statement)).await;
            row.expect("count assets").expect("a row").try_get::<i64>("", "n").expect("decode count")
        }
    };

    let owned = asset();
    exec(&db, &asset_insert_with(&owned, organization, Some(lan), Some(user), 1)).await.expect("an asset");
    let missing = Uuid::now_v7();
    for (statement, constraint) in [
        (asset_insert(&asset(), missing, 2), "fk_assets_organization_id"),
        (asset_insert_with(&asset(), organization, Some(missing), None, 2), "fk_assets_network_id"),
        (asset_insert_with(&asset(), organization, None, Some(missing), 2), "fk_assets_owner_id"),
        // One bad row of several: the statement stores none of them.
        (
            format!(
                "{}; {}",
                asset_insert_with(&asset(), organization, Some(lab), None, 3),
                asset_insert_with(&asset(), organization, Some(missing), None, 4)
            ),
            "fk_assets_network_id",
        ),
    ] {
        // Several statements in one query run in one implicit transaction.
        let refused = exec(&db, &statement).await.expect_err("a missing reference");
        assert!(refused.contains(constraint), "{refused}");
    }
    assert_eq!(assets("true").await, 1, "refused statements store nothing");

    for (change, constraint) in [
        (format!("network_id = '{missing}'"), "fk_assets_network_id"),
        (format!("owner_id = '{missing}'"), "fk_assets_owner_id"),
        (format!("organization_id = '{missing}'"), "fk_assets_organization_id"),
    ] {
        let refused = exec(&db, &format!("UPDATE assets SET {change} WHERE id = '{owned}'")).await;
        let refused = refused.expect_err(&change);
        assert!(refused.contains(constraint), "{change}: {refused}");
    }
    exec(
        &db,
        &format!("UPDATE assets SET network_id = '{lab}', owner_id = '{user}', hostname = 'h' WHERE id = '{owned}'"),
    )
    .await
    .expect("a change to existing rows");

    let in_use = exec(&db, &format!("DELETE FROM networks WHERE id = '{lab}'")).await;
    assert!(in_use.expect_err("a network in use").contains("fk_assets_network_id"));
    exec(&db, &format!("DELETE FROM networks WHERE id = '{lan}'")).await.expect("a network no asset is in");
    for (table, id, constraint) in [
        ("organizations", organization, "fk_assets_organization_id"),
        ("networks", lab, "fk_assets_network_id"),
        ("users", user, "fk_assets_owner_id"),
    ] {
        let rekeyed = exec(&db, &format!("UPDATE {table} SET id = '{}' WHERE id = '{id}'", Uuid::now_v7())).await;
        assert!(rekeyed.expect_err(table).contains(constraint));
    }
    exec(&db, &format!("DELETE FROM users WHERE id = '{user}'")).await.expect("delete the owner");
    assert_eq!(assets(&format!("id = '{owned}' AND owner_id IS NULL")).await, 1, "the asset is left unowned");

    // A delete of the network first: the insert waits for it, then finds no network.
    let other = Database::connect(database.url()).await.expect("a second connection");
    let deleting = other.begin().await.expect("begin");
    exec(&deleting, &format!("DELETE FROM networks WHERE id = '{gone_lan}'")).await.expect("delete, not committed yet");
    let insert = tokio::spawn({
        let db = db.clone();
        let statement = asset_insert_with(&asset(), gone, Some(gone_lan), None, 5);
        async move { exec(&db, &statement).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    deleting.commit().await.expect("commit the delete");
    let refused = insert.await.expect("the insert's task").expect_err("the network was deleted first");
    assert!(refused.contains("fk_assets_network_id"), "{refused}");

    // An insert first: the network's delete waits for it, then finds the network in use.
    exec(&db, &format!("INSERT INTO networks (id, organization_id, name, cidrs, created_at, updated_at) VALUES ('{gone_lan}', '{gone}', 'lan', '[]', now(), now())")).await.expect("the network again");
    let inserting = other.begin().await.expect("begin");
    exec(&inserting, &asset_insert_with(&asset(), gone, Some(gone_lan), None, 6)).await.expect("insert, not committed");
    let delete = tokio::spawn({
        let db = db.clone();
        let statement = format!("DELETE FROM networks WHERE id = '{gone_lan}'");
        async move { exec(&db, &statement).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    inserting.commit().await.expect("commit the insert");
    let refused = delete.await.expect("the delete's task").expect_err("the network is in use now");
    assert!(refused.contains("fk_assets_network_id"), "{refused}");

    // Deleting an organization deletes its assets first, then its networks.
    exec(&db, &format!("DELETE FROM organizations WHERE id = '{gone}'")).await.expect("delete an organization");
    assert_eq!(assets(&format!("organization_id = '{gone}'")).await, 0, "its assets go with it");
    assert_eq!(assets("true").await, 1);

    other.close().await.expect("close the second connection");
    db.close().await.expect("close the test database connection");
}

async fn exec(db: &impl ConnectionTrait, sql: &str) -> Result<(), String> {
    db.execute_unprepared(sql).await.map(drop).map_err(|error| error.to_string())
}

async fn count(db: &DatabaseConnection, condition: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM services WHERE {condition}"),
        ))
        .await
        .expect("count services")
        .expect("a count row");
    row.try_get("", "n").expect("decode count")
}

fn asset_insert(id: &str, organization: Uuid, octet: u8) -> String {
    asset_insert_with(id, organization, None, None, octet)
}

/// An asset in a network and with an owner, when given (SQL `NULL` otherwise).
fn asset_insert_with(id: &str, organization: Uuid, network: Option<Uuid>, owner: Option<Uuid>, octet: u8) -> String {
    let or_null = |id: Option<Uuid>| id.map_or("NULL".to_owned(), |id| format!("'{id}'"));
    let (network, owner) = (or_null(network), or_null(owner));
    format!(
        "INSERT INTO assets (id, organization_id, network_id, owner_id, ip_address, ip_sort, asset_type, criticality, \
         tags, status, is_reachable, risk_score, vuln_critical, vuln_high, vuln_medium, vuln_low, vuln_info, \
         first_seen, metadata, created_at, updated_at) VALUES ('{id}', '{organization}', {network}, {owner}, \
         '10.0.0.{octet}', '\\x040a0000{octet:02x}', 'server', 'medium', '{{}}', 'active', TRUE, 0, 0, 0, 0, 0, 0, \
         now(), '{{}}', now(), now())"
    )
}

fn service_insert(rows: &[(&str, Uuid, u16)]) -> String {
    let values: Vec<String> = rows
        .iter()
        .map(|(asset, organization, port)| {
            format!(
                "('{}', '{organization}', '{asset}', {port}, 'tcp', 'open', FALSE, '[]', now(), now(), now())",
                Uuid::now_v7()
            )
        })
        .collect();
    format!(
        "INSERT INTO services (id, organization_id, asset_id, port, protocol, state, ssl_enabled, http_technologies, \
         first_seen, created_at, updated_at) VALUES {}",
        values.join(", ")
    )
}
