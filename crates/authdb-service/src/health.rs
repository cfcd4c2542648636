use std::time::{Duration, Instant};

use authdb_persistence::DatabaseConnection;

/// Answers readiness probes.
#[derive(Clone, Debug)]
pub struct HealthService {
    db: DatabaseConnection,
    timeout: Duration,
}

/// Whether the database answered, and how fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseHealth {
    Up { latency: Duration },
    Down,
}

/// Whether every migration this build knows has been applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationHealth {
    Current,
    /// Migrations this build has that the database lacks (another instance may be upgrading).
    Pending(Vec<String>),
    /// The migration table could not be read.
    Unknown,
}

impl HealthService {
    pub fn new(db: DatabaseConnection, timeout: Duration) -> Self {
        Self { db, timeout }
    }

    pub async fn database(&self) -> DatabaseHealth {
        let started = Instant::now();
        match tokio::time::timeout(self.timeout, authdb_persistence::ping(&self.db)).await {
            Ok(Ok(())) => DatabaseHealth::Up { latency: started.elapsed() },
            Ok(Err(error)) => {
                tracing::warn!(error = %error, "database readiness check failed");
                DatabaseHealth::Down
            }
            Err(_) => {
                tracing::warn!(timeout_ms = self.timeout.as_millis(), "database readiness check timed out");
                DatabaseHealth::Down
            }
        }
    }

    /// Compares the applied migrations with the ones this build carries.
    pub async fn migrations(&self) -> MigrationHealth {
        match tokio::time::timeout(self.timeout, authdb_persistence::migration_states(&self.db)).await {
            Ok(Ok(states)) => {
                let pending: Vec<String> =
                    states.into_iter().filter(|state| !state.applied).map(|state| state.name).collect();
                if pending.is_empty() { MigrationHealth::Current } else { MigrationHealth::Pending(pending) }
            }
            Ok(Err(error)) => {
                tracing::warn!(error = %error, "migration readiness check failed");
                MigrationHealth::Unknown
            }
            Err(_) => MigrationHealth::Unknown,
        }
    }

    /// Sets the database pool gauges: open and idle connections, the maximum, and how long
    /// taking a connection takes right now (sampled at each scrape).
    pub async fn record_pool_metrics(&self) {
        let status = authdb_persistence::pool_status(&self.db);
        metrics::gauge!("authdb_db_pool_connections").set(f64::from(status.size));
        metrics::gauge!("authdb_db_pool_idle_connections").set(f64::from(status.idle));
        metrics::gauge!("authdb_db_pool_max_connections").set(f64::from(status.max));
        let wait = match tokio::time::timeout(self.timeout, authdb_persistence::acquire_wait(&self.db)).await {
            Ok(Ok(wait)) => wait,
            // Unavailable or slower than the probe timeout: report the timeout itself.
            Ok(Err(_)) | Err(_) => self.timeout,
        };
        metrics::gauge!("authdb_db_pool_acquire_wait_seconds").set(wait.as_secs_f64());
    }
}
