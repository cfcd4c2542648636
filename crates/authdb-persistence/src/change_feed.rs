//! Telling other authdb processes about changes they cache: PostgreSQL `NOTIFY` on one
//! channel, published inside the transaction that makes the change (so it is delivered
//! exactly when, and only if, the change commits), and a listener for the other side.
//!
//! SQLite serves one process, so publishing is a no-op there and there is no listener.
//! Notifications are lost while a listener's connection is down; callers catch up from
//! the tables themselves after [`Received::Reconnected`] (and should poll now and then
//! anyway, since a connection can die without the listener noticing at once).
//!
//! The payload is an opaque string of the service layer's choosing (at most 8000 bytes,
//! PostgreSQL's limit).

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use sqlx::postgres::PgListener;

use crate::{PersistenceError, Result};

/// The one channel authdb publishes on.
pub const CHANNEL: &str = "authdb_changes";

/// Publishes `payload` to the other processes when `conn`'s transaction commits
/// (immediately when `conn` is not a transaction). Does nothing on SQLite.
pub async fn publish(conn: &impl ConnectionTrait, payload: &str) -> Result<()> {
    if conn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    conn.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

/// What a wait on the listener produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A payload published by some process (this one included).
    Change(String),
    /// The connection was lost and has been re-established: anything published in
    /// between was missed.
    Reconnected,
    /// The pool was closed: the process is shutting down.
    Closed,
}

/// A subscription to [`CHANNEL`] on its own connection from the pool.
pub struct ChangeListener {
    listener: PgListener,
}

impl std::fmt::Debug for ChangeListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeListener").finish_non_exhaustive()
    }
}

impl ChangeListener {
    /// Subscribes; `None` on SQLite, which has no other processes to hear from.
    pub async fn connect(db: &DatabaseConnection) -> Result<Option<Self>> {
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(None);
        }
        let mut listener = PgListener::connect_with(db.get_postgres_connection_pool()).await.map_err(unavailable)?;
        listener.listen(CHANNEL).await.map_err(unavailable)?;
        Ok(Some(Self { listener }))
    }

    /// Waits for the next change. On a lost connection it reconnects (retrying every
    /// `retry` while the database is away) and reports [`Received::Reconnected`].
    pub async fn recv(&mut self, retry: Duration) -> Received {
        let mut lost = false;
        loop {
            match self.listener.try_recv().await {
                Ok(Some(_)) if lost => return Received::Reconnected,
                Ok(Some(notification)) => return Received::Change(notification.payload().to_owned()),
                Ok(None) => return Received::Reconnected,
                Err(sqlx::Error::PoolClosed) => return Received::Closed,
                Err(error) => {
                    if !lost {
                        tracing::warn!(%error, "change listener lost its connection; retrying");
                    }
                    lost = true;
                    tokio::time::sleep(retry).await;
                }
            }
        }
    }
}

fn unavailable(error: sqlx::Error) -> PersistenceError {
    PersistenceError::Unavailable(sea_orm::DbErr::Custom(error.to_string()))
}
