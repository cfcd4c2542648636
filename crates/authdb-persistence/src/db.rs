use std::{path::PathBuf, str::FromStr, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{DatabaseConnection, SqlxPostgresConnector, SqlxSqliteConnector};
use sqlx::{
    ConnectOptions as _, Connection as _,
    postgres::{PgConnectOptions, PgConnection, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::{PersistenceError, Result};

/// How to reach the database and size its pool. `Debug` hides the URL's password.
#[derive(Clone)]
pub struct DatabaseConfig {
    /// `sqlite://path/to/file.db` or `postgres://user:pass@host/db`.
    pub url: String,
    pub max_connections: u32,
    pub min_connections: u32,
    pub connect_timeout: Duration,
    pub acquire_timeout: Duration,
    /// Idle connections above `min_connections` are closed after this long (`None`: never).
    pub idle_timeout: Option<Duration>,
    /// Connections are replaced after this long (`None`: never).
    pub max_lifetime: Option<Duration>,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("min_connections", &self.min_connections)
            .field("connect_timeout", &self.connect_timeout)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_lifetime", &self.max_lifetime)
            .finish()
    }
}

/// A database URL with its password, if any, replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl DatabaseConfig {
    pub fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }
}

/// The file a SQLite URL opens (which [`connect`] creates when missing), or `None` for
/// PostgreSQL, an in-memory SQLite database or a URL that does not parse.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    if !url.starts_with("sqlite:") {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    let in_memory = file.to_string_lossy().starts_with("file:sqlx-in-memory-") || url.contains("mode=memory");
    (!in_memory).then(|| file.to_path_buf())
}

/// Opens a pool. SQLite files are created if missing and run in WAL mode with foreign
/// keys on and a busy timeout, so concurrent writers queue instead of failing.
pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection> {
    if config.is_sqlite() {
        return connect_sqlite(config).await;
    }
    if !(config.url.starts_with("postgres:") || config.url.starts_with("postgresql:")) {
        return Err(PersistenceError::UnsupportedUrl(scheme_of(&config.url)));
    }
    connect_postgres(config).await
}

/// A pooled PostgreSQL connection idle for this long is pinged before it is used.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// Opens a PostgreSQL pool after one probe connection, so that a start-up failure names
/// its cause (refused, wrong password, no such database) instead of a pool timeout.
async fn connect_postgres(config: &DatabaseConfig) -> Result<DatabaseConnection> {
    let unavailable = PersistenceError::Connect;
    let options = PgConnectOptions::from_str(&config.url)
        .map_err(|error| unavailable(format!("invalid PostgreSQL URL: {error}")))?
        .disable_statement_logging();
    match tokio::time::timeout(config.connect_timeout, PgConnection::connect_with(&options)).await {
        Ok(Ok(probe)) => {
            // Closing is a courtesy to the server; the pool opens its own connections.
            let _closed = probe.close().await;
        }
        Ok(Err(error)) => return Err(unavailable(error.to_string())),
        Err(_elapsed) => {
            return Err(unavailable(format!(
                "no connection within the connect timeout of {} s",
                config.connect_timeout.as_secs()
            )));
        }
    }
    let pool = PgPoolOptions::new()
        // sqlx pings every connection when it goes back to the pool; pinging it again
        // when it is taken out costs a round trip per query or transaction. Only a
        // connection that sat idle for a while (where a restart or a firewall may have cut
        // it since) is tested before use.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .max_connections(config.max_connections)
        .min_connections(config.min_connections)
        .acquire_timeout(config.acquire_timeout)
        .idle_timeout(config.idle_timeout)
        .max_lifetime(config.max_lifetime)
        .connect_with(options)
        .await
        .map_err(|error| unavailable(error.to_string()))?;
    Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
}

async fn connect_sqlite(config: &DatabaseConfig) -> Result<DatabaseConnection> {
    if let Some(file) = sqlite_file(&config.url) {
        create_private_file(&file).map_err(|error| {
            PersistenceError::Connect(format!("cannot create the SQLite database {}: {error}", file.display()))
        })?;
    }
    let options = SqliteConnectOptions::from_str(&config.url)
        .map_err(|error| PersistenceError::Connect(error.to_string()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        .disable_statement_logging();
    let pool = SqlitePoolOptions::new()
        // No ping before handing out a connection: a SQLite connection is a file handle
        // on a thread of this process, with no server that could have hung up, and the
        // ping is a round trip to that thread on every transaction and every query.
        .test_before_acquire(false)
        .max_connections(config.max_connections)
        .min_connections(config.min_connections)
        .acquire_timeout(config.acquire_timeout)
        .idle_timeout(config.idle_timeout)
        .max_lifetime(config.max_lifetime)
        .connect_with(options)
        .await
        .map_err(|error| PersistenceError::Connect(error.to_string()))?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Creates an empty database file readable and writable by this user only, unless it
/// exists. Left to SQLite, the file would follow the umask (usually readable by every
/// local user); SQLite gives the write-ahead log and shared-memory files it creates
/// beside the database the database file's mode, so they are private too.
fn create_private_file(path: &std::path::Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

/// The URL's scheme only: the rest may hold a password.
fn scheme_of(url: &str) -> String {
    url.split_once(':').map_or("(none)", |(scheme, _)| scheme).to_owned()
}

/// Round trip to the database; used by readiness checks.
pub async fn ping(db: &DatabaseConnection) -> Result<()> {
    db.ping().await.map_err(PersistenceError::Unavailable)
}

/// The pool's connections right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Open connections, idle or in use.
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// Counts the pool's connections.
pub fn pool_status(db: &DatabaseConnection) -> PoolStatus {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            PoolStatus { size: pool.size(), idle: to_u32(pool.num_idle()), max: pool.options().get_max_connections() }
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            PoolStatus { size: pool.size(), idle: to_u32(pool.num_idle()), max: pool.options().get_max_connections() }
        }
    }
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// How long taking a connection from the pool takes now: the wait a query would see.
pub async fn acquire_wait(db: &DatabaseConnection) -> Result<Duration> {
    let started = std::time::Instant::now();
    let acquired = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => db.get_postgres_connection_pool().acquire().await.map(drop),
        _ => db.get_sqlite_connection_pool().acquire().await.map(drop),
    };
    acquired.map_err(|error| {
        PersistenceError::Unavailable(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(error))))
    })?;
    Ok(started.elapsed())
}

/// Applies every pending migration.
pub async fn migrate_up(db: &DatabaseConnection) -> Result<()> {
    Migrator::up(db, None).await.map_err(PersistenceError::from)
}

/// Reverts the last `steps` migrations (all of them when `None`).
pub async fn migrate_down(db: &DatabaseConnection, steps: Option<u32>) -> Result<()> {
    Migrator::down(db, steps).await.map_err(PersistenceError::from)
}

/// One migration and whether it has been applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    pub name: String,
    pub applied: bool,
}

/// The name of every migration, in the order they apply.
pub fn migration_names() -> Vec<String> {
    Migrator::migrations().iter().map(|migration| migration.name().to_owned()).collect()
}

/// Every migration and whether it is applied. Only reads: a database that was never
/// migrated is left without the migrations table.
pub async fn migration_states(db: &DatabaseConnection) -> Result<Vec<MigrationState>> {
    let migrations = Migrator::get_migration_with_status_read_only(db).await?;
    Ok(migrations
        .iter()
        .map(|migration| MigrationState {
            name: migration.name().to_owned(),
            applied: migration.status() == migration::MigrationStatus::Applied,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password_and_keep_the_rest() {
        assert_eq!(redact_url("postgres://u:hunter2@h:5432/db?x=1"), "postgres://u:***@h:5432/db?x=1");
        assert_eq!(redact_url("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://data/authdb.db"), "sqlite://data/authdb.db");
        let config = DatabaseConfig {
            url: "postgres://u:hunter2@h/db".into(),
            max_connections: 1,
            min_connections: 0,
            connect_timeout: Duration::from_secs(1),
            acquire_timeout: Duration::from_secs(1),
            idle_timeout: None,
            max_lifetime: None,
        };
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn sqlite_urls_name_their_file_and_nothing_else_does() {
        assert_eq!(sqlite_file("sqlite://data/authdb.db"), Some(PathBuf::from("data/authdb.db")));
        assert_eq!(sqlite_file("sqlite:///var/lib/authdb/a.db?mode=rwc"), Some(PathBuf::from("/var/lib/authdb/a.db")));
        assert_eq!(sqlite_file("sqlite:a.db"), Some(PathBuf::from("a.db")));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite://a.db?mode=memory"), None);
        assert_eq!(sqlite_file("postgres://u:p@h/db"), None);
    }
}
