//! authdb's storage: SeaORM entities, repositories and connections for SQLite and
//! PostgreSQL.
//!
//! Repositories are plain async functions over `&impl ConnectionTrait`, so the service
//! layer decides whether they run on the pool or inside one of its transactions. Nothing
//! here knows about HTTP; errors are [`PersistenceError`], with unique violations turned
//! into [`PersistenceError::Conflict`].
//!
//! **Embedding** (docs/embedding.md): an embedding service takes [`connect`] (with a
//! [`DatabaseConfig`]), [`migrate_up`] and [`now`] from here. The repository modules are
//! public only because authdb-service calls them across a crate boundary; they are not a
//! stable interface, and writing authdb's tables outside its services bypasses the cache
//! invalidation and audit of its write path.

pub mod access_rules;
pub mod assets;
pub mod audit;
pub mod change_feed;
pub mod chats;
mod db;
pub mod email_tokens;
pub mod entities;
mod error;
pub mod invitations;
pub mod login_throttles;
pub mod memberships;
pub mod mfa;
pub mod networks;
pub mod organizations;
pub mod outbox;
pub mod passkeys;
pub mod revocation_events;
pub mod roles;
mod row_lock;
mod rows;
pub mod scans;
pub mod service_clients;
pub mod services;
pub mod sessions;
pub mod tenant;
pub mod users;
pub mod webauthn_ceremonies;
mod write;

pub use db::{
    DatabaseConfig, MigrationState, PoolStatus, acquire_wait, connect, migrate_down, migrate_up, migration_names,
    migration_states, ping, pool_status, redact_url, sqlite_file,
};
pub use error::{PersistenceError, Result, describe_conflict};
pub use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, TransactionTrait};
pub use tenant::{SuperuserContext, TenantId};
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

/// A `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\\` in it taken
/// literally (escaped with `\\`).
pub(crate) fn search_pattern(text: &str) -> sea_orm::sea_query::LikeExpr {
    let mut escaped = String::with_capacity(text.len() + 2);
    escaped.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    sea_orm::sea_query::LikeExpr::new(escaped).escape('\\')
}
