//! End-to-end tests: the real application on a random port, over HTTP, each test on a
//! fresh SQLite database and on a fresh PostgreSQL database.

#![allow(clippy::unwrap_used, reason = "tests: a failed unwrap is a failed test")]

/// Runs each listed `async fn name(backend: Backend)` once per backend, as
/// `name::sqlite` and `name::postgres`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name(authdb_tests::Backend::Sqlite).await;
                }

                #[tokio::test]
                async fn postgres() {
                    super::$name(authdb_tests::Backend::Postgres).await;
                }
            }
        )*
    };
}

mod architecture;
mod audit;
mod errors;
mod events;
mod health;
mod lockout;
mod login;
mod logout;
mod me;
mod refresh;
mod register;
mod restart;
mod sessions;
mod tokens;
