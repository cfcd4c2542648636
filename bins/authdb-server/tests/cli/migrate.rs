//! `authdb migrate up|down|status`.

use authdb_testkit::PostgresDatabase;
use migration::{Migrator, MigratorTrait as _, SchemaManager, sea_orm};

use crate::support::Sandbox;

/// The `applied`/`pending` word of every line of `migrate status`.
fn states(stdout: &str) -> Vec<&str> {
    stdout.lines().map(|line| line.split('\t').next().unwrap_or_default()).collect()
}

#[tokio::test]
async fn migrate_status_up_down() {
    let sandbox = Sandbox::new();
    let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let migrations = names.len();

    let fresh = sandbox.run(&["migrate", "status"], None).await;
    fresh.assert_success();
    assert_eq!(states(&fresh.stdout), vec!["pending"; migrations], "status on a fresh database:\n{}", fresh.stdout);
    let listed: Vec<&str> = fresh.stdout.lines().filter_map(|line| line.split('\t').nth(1)).collect();
    assert_eq!(listed, names, "every migration, in order");

    sandbox.run(&["migrate", "up"], None).await.assert_success();
    let applied = sandbox.run(&["migrate", "status"], None).await;
    applied.assert_success();
    assert_eq!(states(&applied.stdout), vec!["applied"; migrations], "status after up:\n{}", applied.stdout);

    sandbox.run(&["migrate", "down", "--steps", "1"], None).await.assert_success();
    let one_down = sandbox.run(&["migrate", "status"], None).await;
    let mut expected = vec!["applied"; migrations - 1];
    expected.push("pending");
    assert_eq!(states(&one_down.stdout), expected, "status after down --steps 1:\n{}", one_down.stdout);

    sandbox.run(&["migrate", "down", "--steps", &migrations.to_string()], None).await.assert_success();
    let reverted = sandbox.run(&["migrate", "status"], None).await;
    reverted.assert_success();
    assert_eq!(states(&reverted.stdout), vec!["pending"; migrations], "status after down:\n{}", reverted.stdout);
    assert_eq!(
        reverted.stdout.lines().map(|l| l.split('\t').nth(1)).collect::<Vec<_>>(),
        fresh.stdout.lines().map(|l| l.split('\t').nth(1)).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn migrate_status_and_down_without_a_database_create_nothing() {
    let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let sandbox = Sandbox::new();
    let database = sandbox.data_dir().join("authdb.db").display().to_string();

    let status = sandbox.run(&["migrate", "status"], None).await;
    let down = sandbox.run(&["migrate", "down"], None).await;

    status.assert_success();
    assert_eq!(states(&status.stdout), vec!["pending"; names.len()], "{}", status.stdout);
    let listed: Vec<&str> = status.stdout.lines().filter_map(|line| line.split('\t').nth(1)).collect();
    assert_eq!(listed, names);
    assert!(status.stderr.contains(&format!("no database at {database} yet")), "{}", status.stderr);
    assert!(status.stderr.contains("nothing was created"), "{}", status.stderr);
    down.assert_success();
    assert_eq!(down.stdout, "reverted 0 migrations\n");
    assert!(down.stderr.contains("nothing to revert"), "{}", down.stderr);
    assert!(!sandbox.data_dir().exists(), "the data directory was created");

    // A SQLite URL of its own, in directories that do not exist either.
    let elsewhere = tempfile::tempdir().expect("temporary directory");
    let nested = elsewhere.path().join("nested");
    let url = format!("sqlite://{}", nested.join("dir/authdb.db").display());
    let custom = Sandbox::new().with_env("AUTHDB__DATABASE__URL", &url);
    let status = custom.run(&["migrate", "status"], None).await;
    status.assert_success();
    assert!(status.stderr.contains("no database at"), "{}", status.stderr);
    assert!(!nested.exists() && !custom.data_dir().exists(), "files were created");
}

#[tokio::test]
async fn migrate_status_on_an_empty_postgres_database_only_reads() {
    let database = PostgresDatabase::create().await;
    let sandbox = Sandbox::new().with_env("AUTHDB__DATABASE__URL", database.url());

    let status = sandbox.run(&["migrate", "status"], None).await;

    status.assert_success();
    assert_eq!(states(&status.stdout), vec!["pending"; Migrator::migrations().len()], "{}", status.stdout);
    let db = sea_orm::Database::connect(database.url()).await.expect("connect to the test database");
    let migrations_table = SchemaManager::new(&db).has_table("seaql_migrations").await.expect("look for the table");
    db.close().await.expect("close");
    assert!(!migrations_table, "migrate status created the migrations table");
    assert!(!sandbox.data_dir().exists(), "nothing on disk for a PostgreSQL database");
}
