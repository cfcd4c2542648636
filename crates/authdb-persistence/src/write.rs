//! Write transactions, one at a time on SQLite.
//!
//! SQLite allows one writer per database. When several connections of the pool try to
//! write at once, all but one wait in SQLite's busy handler, which sleeps on a fixed
//! back-off schedule (1, 2, 5, 10, ... ms): measured, that put an 80 ms tail on refreshes
//! at 8 concurrent clients. Queueing writers in-process instead hands the lock over the
//! moment it is free. PostgreSQL locks rows, not the database, so there is no gate there.
//!
//! **The turn covers the whole transaction, its end included.** A transaction dropped
//! without a commit (every error path: a unique violation answered 409, a refusal) is
//! rolled back by sqlx *later*, on the connection's worker thread, while the drop returns
//! at once. Had the turn been released with the drop, the next writer could begin while
//! the dropped one still held SQLite's write lock; its first write would then fail with
//! `SQLITE_BUSY` at once, without waiting in the busy handler, because SQLite never waits
//! for a transaction that has already read (it could deadlock), and the caller would get
//! a 503. Under load, with 16 concurrent creates of one name (15 of them conflicts), that
//! happened (issue 11). So a dropped [`WriteTransaction`] rolls back on a task that keeps
//! the turn until the rollback is done, and on SQLite every write transaction begins with
//! `BEGIN IMMEDIATE`: the write lock is taken at the start, where SQLite's busy handler
//! does wait, so a writer outside the gate (a background sweep) delays a gated write
//! instead of failing it.

use std::{ops::Deref, sync::Arc, time::Duration};

use sea_orm::{
    DatabaseBackend, DatabaseConnection, DatabaseTransaction, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
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

    /// Begins a transaction that will write; on SQLite it waits for the previous writer
    /// (its commit or its rollback) and takes the write lock at once (`BEGIN IMMEDIATE`).
    pub async fn begin(&self) -> Result<WriteTransaction> {
        let turn = self.turn().await?;
        let transaction = if turn.is_some() {
            let immediate = TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            };
            self.db.begin_with_options(immediate).await?
        } else {
            self.db.begin().await?
        };
        Ok(WriteTransaction { transaction: Some(transaction), turn })
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

/// A transaction that holds the write turn until it is committed or rolled back. Dropping
/// it rolls it back, and the turn is released only once the rollback is done.
pub struct WriteTransaction {
    /// `Some` until committed or dropped.
    transaction: Option<DatabaseTransaction>,
    turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTransaction {
    pub async fn commit(mut self) -> Result<()> {
        let transaction = self.transaction.take().ok_or_else(ended)?;
        let committed = transaction.commit().await;
        // On failure sqlx has rolled back (or dropped) the connection's transaction by now.
        drop(self.turn.take());
        Ok(committed?)
    }

    /// Rolls back now, then releases the turn.
    pub async fn rollback(mut self) -> Result<()> {
        let transaction = self.transaction.take().ok_or_else(ended)?;
        let rolled_back = transaction.rollback().await;
        drop(self.turn.take());
        Ok(rolled_back?)
    }
}

fn ended() -> PersistenceError {
    PersistenceError::Database(sea_orm::DbErr::Custom("the write transaction has already ended".into()))
}

impl Drop for WriteTransaction {
    fn drop(&mut self) {
        let (Some(transaction), Some(turn)) = (self.transaction.take(), self.turn.take()) else {
            // PostgreSQL (no turn: sqlx rolls back before the connection is reused), or ended.
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(error) = transaction.rollback().await {
                        tracing::warn!(%error, "rolling back a dropped write transaction failed");
                    }
                    drop(turn);
                });
            }
            // No runtime: the process is going away; sqlx rolls back when it can.
            Err(_) => drop((transaction, turn)),
        }
    }
}

impl Deref for WriteTransaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        self.transaction.as_ref().expect("a write transaction is open until it is consumed")
    }
}

#[cfg(test)]
mod tests;
