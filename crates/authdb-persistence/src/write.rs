//! Write transactions, one at a time on SQLite.
//!
//! SQLite allows one writer per database. When several connections of the pool try to
//! write at once, all but one wait in SQLite's busy handler, which sleeps on a fixed
//! back-off schedule (1, 2, 5, 10, ... ms): measured, that put an 80 ms tail on refreshes
//! at 8 concurrent clients. Queueing writers in-process instead hands the lock over the
//! moment it is free. PostgreSQL locks rows, not the database, so there is no gate there.

use std::{ops::Deref, sync::Arc, time::Duration};

use sea_orm::{DatabaseBackend, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::{PersistenceError, Result};

/// Longest a write waits for its turn before the caller is told to retry later (503).
const MAX_WAIT: Duration = Duration::from_secs(10);

/// Hands out write transactions; on SQLite, one at a time.
#[derive(Debug, Clone)]
pub struct WriteGate {
    db: DatabaseConnection,
    sqlite_writer: Option<Arc<Mutex<()>>>,
}

impl WriteGate {
    pub fn new(db: DatabaseConnection) -> Self {
        let sqlite_writer = (db.get_database_backend() == DatabaseBackend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Self { db, sqlite_writer }
    }

    /// Begins a transaction that will write; on SQLite it waits for the previous writer.
    pub async fn begin(&self) -> Result<WriteTransaction> {
        let turn = self.turn().await?;
        let transaction = self.db.begin().await?;
        Ok(WriteTransaction { transaction, _turn: turn })
    }

    /// Waits for the write turn on SQLite (`None` on PostgreSQL, which needs none), for a
    /// write that manages its own transaction (see `sessions::rotate_refresh_token`).
    pub(crate) async fn turn(&self) -> Result<Option<OwnedMutexGuard<()>>> {
        let Some(writer) = &self.sqlite_writer else { return Ok(None) };
        let turn = tokio::time::timeout(MAX_WAIT, Arc::clone(writer).lock_owned()).await.map_err(|_elapsed| {
            PersistenceError::Unavailable(sea_orm::DbErr::Custom(format!(
                "no write turn within {} s",
                MAX_WAIT.as_secs()
            )))
        })?;
        Ok(Some(turn))
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}

/// A transaction that holds the write turn until it is committed or dropped (which rolls
/// it back).
pub struct WriteTransaction {
    transaction: DatabaseTransaction,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTransaction {
    pub async fn commit(self) -> Result<()> {
        Ok(self.transaction.commit().await?)
    }
}

impl Deref for WriteTransaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.transaction
    }
}
