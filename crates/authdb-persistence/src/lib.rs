//! authdb's storage: SeaORM entities, repositories and connections for SQLite and
//! PostgreSQL.
//!
//! Repositories are plain async functions over `&impl ConnectionTrait`, so the service
//! layer decides whether they run on the pool or inside one of its transactions. Nothing
//! here knows about HTTP; errors are [`PersistenceError`], with unique violations turned
//! into [`PersistenceError::Conflict`].

pub mod audit;
pub mod change_feed;
mod db;
pub mod entities;
mod error;
pub mod login_throttles;
pub mod memberships;
pub mod sessions;
pub mod users;
mod write;

pub use db::{
    DatabaseConfig, MigrationState, PoolStatus, acquire_wait, connect, migrate_down, migrate_up, migration_states,
    ping, pool_status, redact_url,
};
pub use error::{PersistenceError, Result};
pub use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, TransactionTrait};
pub use write::{WriteGate, WriteTransaction};

/// The current time in UTC, truncated to whole seconds.
///
/// SQLite stores timestamps as RFC 3339 text and compares them as text. That order is the
/// chronological one only while every value has the same shape, and RFC 3339 drops the
/// fraction of a whole second; whole seconds everywhere keep comparisons such as
/// `expires_at > now` correct on both backends.
pub fn now() -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}
