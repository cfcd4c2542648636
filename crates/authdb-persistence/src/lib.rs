//! authdb's storage: SeaORM entities, repositories and connections for SQLite and
//! PostgreSQL.
//!
//! Repositories are plain async functions over `&impl ConnectionTrait`, so the service
//! layer decides whether they run on the pool or inside one of its transactions. Nothing
//! here knows about HTTP; errors are [`PersistenceError`], with unique violations turned
//! into [`PersistenceError::Conflict`].

pub mod audit;
mod db;
pub mod entities;
mod error;
pub mod memberships;
pub mod sessions;
pub mod users;

pub use db::{DatabaseConfig, MigrationState, connect, migrate_down, migrate_up, migration_states, ping};
pub use error::{PersistenceError, Result};
pub use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};

/// The current time at the precision both backends store (microseconds), so a value
/// written and read back compares equal.
pub fn now() -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
}
