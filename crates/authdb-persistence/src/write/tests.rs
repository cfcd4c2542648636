use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::*;
use crate::{DatabaseConfig, connect};

async fn sqlite(dir: &tempfile::TempDir) -> DatabaseConnection {
    let config = DatabaseConfig {
        url: format!("sqlite://{}", dir.path().join("gate.db").display()),
        max_connections: 5,
        min_connections: 1,
        connect_timeout: Duration::from_secs(5),
        acquire_timeout: Duration::from_secs(5),
        idle_timeout: None,
        max_lifetime: None,
    };
    let db = connect(&config).await.expect("connects");
    db.execute_unprepared("CREATE TABLE names (name TEXT PRIMARY KEY)").await.expect("table");
    db
}

/// One gated write as the use cases do it: read first, then insert; a conflict drops the
/// transaction without committing (the 409 path).
async fn create(gate: &WriteGate, name: &str) -> Result<bool> {
    let txn = gate.begin().await?;
    txn.execute_unprepared("SELECT COUNT(*) FROM names").await?;
    match txn.execute_unprepared(&format!("INSERT INTO names (name) VALUES ('{name}')")).await {
        Ok(_) => {
            txn.commit().await?;
            Ok(true)
        }
        Err(error) => match PersistenceError::from(error) {
            PersistenceError::Conflict { .. } => Ok(false),
            other => Err(other),
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_conflicting_writes_on_sqlite_conflict_and_never_find_the_database_busy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let gate = WriteGate::new(sqlite(&dir).await);
    for round in 0..30 {
        let name = format!("n{round}");
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (gate, name) = (gate.clone(), name.clone());
                tokio::spawn(async move { create(&gate, &name).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.expect("joins"));
        }
        let created = outcomes.iter().filter(|outcome| matches!(outcome, Ok(true))).count();
        let failed: Vec<_> = outcomes.iter().filter_map(|outcome| outcome.as_ref().err()).collect();
        assert!(failed.is_empty(), "round {round}: {failed:?}");
        assert_eq!(created, 1, "round {round}");
    }
}

#[tokio::test]
async fn a_dropped_write_keeps_the_turn_until_it_has_rolled_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let gate = WriteGate::new(sqlite(&dir).await);
    for round in 0..50 {
        let first = gate.begin().await.expect("begins");
        first.execute_unprepared(&format!("INSERT INTO names (name) VALUES ('dropped{round}')")).await.expect("writes");
        drop(first);
        // The next writer reads, then writes: with the first one's write lock still held,
        // SQLite would refuse it at once (SQLITE_BUSY) instead of waiting.
        assert!(create(&gate, &format!("kept{round}")).await.expect("not busy"), "round {round}");
    }
    let rows = gate.db().query_one_raw(sea_orm::Statement::from_string(
        sea_orm::DatabaseBackend::Sqlite,
        "SELECT COUNT(*) AS n FROM names WHERE name LIKE 'dropped%'",
    ));
    let count: i64 = rows.await.expect("counts").expect("a row").try_get("", "n").expect("n");
    assert_eq!(count, 0, "dropped writes were rolled back");
}
