//! Fresh, isolated databases for each test.

use std::env;

use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tempfile::TempDir;
use uuid::Uuid;

const DEFAULT_PG_ADMIN_URL: &str = "postgres://authdb:authdb@127.0.0.1:5432/postgres";

/// Opens an empty SQLite database in a temporary directory.
///
/// The directory is returned so that it lives as long as the test needs the file.
pub(crate) async fn sqlite_test_database() -> (TempDir, DatabaseConnection) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let path = dir.path().join("authdb.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Database::connect(&url).await.expect("open the SQLite database");
    (dir, db)
}

/// A PostgreSQL database with a random name, dropped when this guard is dropped,
/// including when the test panics.
pub(crate) struct PostgresTestDatabase {
    admin_url: String,
    name: String,
}

impl PostgresTestDatabase {
    /// Creates the database through the admin URL in `AUTHDB_TEST_PG_URL`
    /// (default: a local server with role `authdb`, which may create databases).
    pub(crate) async fn create() -> Self {
        let admin_url = env::var("AUTHDB_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_ADMIN_URL.to_owned());
        let name = format!("authdb_test_{}", Uuid::now_v7().simple());

        let admin =
            Database::connect(&admin_url).await.expect("connect to PostgreSQL as admin (set AUTHDB_TEST_PG_URL)");
        admin.execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#)).await.expect("create the test database");
        admin.close().await.expect("close the admin connection");

        Self { admin_url, name }
    }

    /// Connects to the test database.
    pub(crate) async fn connect(&self) -> DatabaseConnection {
        Database::connect(&database_url(&self.admin_url, &self.name)).await.expect("connect to the test database")
    }
}

impl Drop for PostgresTestDatabase {
    fn drop(&mut self) {
        // Drop cannot await, and blocking inside the test's runtime is not allowed,
        // so the cleanup runs on its own thread with its own small runtime.
        let admin_url = self.admin_url.clone();
        let sql = format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name);
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await?;
                admin.execute_unprepared(&sql).await?;
                admin.close().await
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("failed to drop test database {}: {error}", self.name),
            Err(_) => eprintln!("panicked while dropping test database {}", self.name),
        }
    }
}

/// Replaces the database name in a PostgreSQL URL, keeping any query string.
fn database_url(admin_url: &str, database: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}

#[test]
fn database_url_replaces_the_database_and_keeps_the_query() {
    assert_eq!(
        database_url("postgres://u:p@h:5432/postgres?sslmode=disable", "x"),
        "postgres://u:p@h:5432/x?sslmode=disable"
    );
    assert_eq!(database_url("postgres://u@h", "x"), "postgres://u@h/x");
}
