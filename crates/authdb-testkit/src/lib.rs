//! Test support shared by authdb's test suites (a dev-dependency only).
//!
//! [`PostgresDatabase`] is a PostgreSQL database with a random name, created through
//! `AUTHDB_TEST_PG_URL` (default `postgres://authdb:authdb@127.0.0.1:5432/postgres`, a
//! role that may create databases; `scripts/test.sh` sets it up) and dropped, connections
//! and all, when the guard is dropped, also when the test panics. Tests therefore run in
//! parallel and leave nothing behind.

use sqlx::{Connection as _, PgConnection};

/// The admin URL used when `AUTHDB_TEST_PG_URL` is not set.
pub const DEFAULT_PG_ADMIN_URL: &str = "postgres://authdb:authdb@127.0.0.1:5432/postgres";

/// The URL of a PostgreSQL server and role that may create databases.
pub fn pg_admin_url() -> String {
    std::env::var("AUTHDB_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_ADMIN_URL.to_owned())
}

/// A throwaway PostgreSQL database.
#[derive(Debug)]
pub struct PostgresDatabase {
    name: String,
    url: String,
    dropped: bool,
}

impl PostgresDatabase {
    /// Creates `authdb_test_<uuid>`; panics with a hint when PostgreSQL is not reachable.
    pub async fn create() -> Self {
        let admin_url = pg_admin_url();
        let name = format!("authdb_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|error| {
            panic!("PostgreSQL is required for the tests (run ./scripts/test.sh or set AUTHDB_TEST_PG_URL): {error}")
        });
        sqlx::query(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|error| panic!("cannot create the test database {name}: {error}"));
        let _closed = admin.close().await;
        let url = replace_database(&admin_url, &name);
        Self { name, url, dropped: false }
    }

    /// The URL of this database, for the code under test.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database now, terminating its connections, as if the server lost it.
    pub async fn drop_now(&mut self) {
        drop_database(&self.name).await;
        self.dropped = true;
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let name = self.name.clone();
        // Drop may run inside the test's runtime, which cannot block on itself, so the
        // cleanup gets a thread and a small runtime of its own.
        let outcome =
            std::thread::spawn(move || match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime.block_on(drop_database(&name)),
                Err(error) => eprintln!("cannot build a runtime to drop {name}: {error}"),
            })
            .join();
        if outcome.is_err() {
            eprintln!("dropping the test database {} panicked", self.name);
        }
    }
}

/// How many times a drop is tried before the database is given up (and reported).
const DROP_ATTEMPTS: u64 = 8;

/// Drops the database, terminating its connections (`WITH (FORCE)`).
///
/// PostgreSQL refuses the forced drop when one of the database's processes is one the role
/// may not signal, and an autovacuum worker visiting the fresh database is such a process
/// ("must be a member of the role whose process is being terminated or member of
/// pg_signal_backend"): 7 of 352 PostgreSQL e2e tests left theirs behind in one run. The worker
/// is done with a test's small tables within moments, so the drop is tried again, after
/// 100 ms, then 200 ms, and so on (2.8 s in all).
async fn drop_database(name: &str) {
    let try_drop = || async {
        let mut admin = PgConnection::connect(&pg_admin_url()).await?;
        let dropped = sqlx::query(sqlx::AssertSqlSafe(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#)))
            .execute(&mut admin)
            .await;
        let _closed = admin.close().await;
        dropped.map(|_| ())
    };
    for attempt in 1..=DROP_ATTEMPTS {
        match try_drop().await {
            Ok(()) => return,
            Err(error) if attempt == DROP_ATTEMPTS => {
                eprintln!("cannot drop the test database {name} after {DROP_ATTEMPTS} attempts: {error}");
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await,
        }
    }
}

/// `postgres://u:p@h:5432/postgres?x=y` with the database part replaced by `name`.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(base, query)| (base, Some(query)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = base[authority_start..].find('/').map_or(base, |slash| &base[..authority_start + slash]);
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_database_keeps_server_and_query() {
        assert_eq!(
            replace_database("postgres://u:p@h:5432/postgres?sslmode=disable", "x"),
            "postgres://u:p@h:5432/x?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://u@h", "x"), "postgres://u@h/x");
        assert_eq!(replace_database("postgres://u@h/db", "x"), "postgres://u@h/x");
    }
}
