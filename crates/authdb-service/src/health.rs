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
}
