//! Fresh, isolated databases for each test.

use sea_orm_migration::sea_orm::{Database, DatabaseConnection};
use tempfile::TempDir;

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
