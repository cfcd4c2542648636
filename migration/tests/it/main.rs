//! Integration tests for the `migration` crate: every migration applies, reverts
//! and re-applies cleanly on SQLite and on PostgreSQL.

mod support;

use authdb_testkit::PostgresDatabase;
use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use time::OffsetDateTime;
use uuid::{Uuid, uuid};

use crate::support::sqlite_test_database;

/// Tables created by the migrations, in creation order.
const TABLES: [&str; 9] = [
    "users",
    "organizations",
    "roles",
    "memberships",
    "sessions",
    "refresh_tokens",
    "audit_events",
    "invitations",
    "login_throttles",
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
    assert_eq!(permissions.as_array().map(Vec::len), Some(9));
    assert!(permissions.as_array().is_some_and(|p| p.contains(&"org:delete".into())));
    assert_eq!(created_at.offset(), time::UtcOffset::UTC);
}
