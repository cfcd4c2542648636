//! End-to-end tests: the real application on a random port, over HTTP, each test on a
//! fresh SQLite database and on a fresh PostgreSQL database.

#![allow(clippy::unwrap_used, reason = "tests: a failed unwrap is a failed test")]

/// Runs each listed `async fn name(backend: Backend)` once per backend, as
/// `name::sqlite` and `name::postgres`.
///
/// The runtime has worker threads of its own: when a test ends, its database is dropped
/// from the test's thread, which blocks; the server's background tasks must go on
/// meanwhile. A connection they had half-opened would otherwise sit in PostgreSQL's
/// authentication phase, where it cannot acknowledge `DROP DATABASE`'s barrier, and stall
/// every `DROP DATABASE` on the cluster for `authentication_timeout` (60 s).
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(authdb_tests::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(authdb_tests::Backend::Postgres).await;
                }
            }
        )*
    };
}

mod access_rules;
mod admin;
mod answers;
mod architecture;
mod assets;
mod audit;
mod audit_log;
mod chats;
mod chats_msgpack;
mod clients;
mod console;
mod deployment;
mod downstream;
mod email;
mod errors;
mod events;
// File modes are a Unix notion.
#[cfg(unix)]
mod files;
mod health;
mod insights;
mod invitations;
mod isolation;
mod jwks;
mod licence;
mod lockout;
mod login;
mod logout;
mod mail;
mod me;
mod members;
mod mfa;
mod mfa_passkeys;
mod module_graph;
mod networks;
mod nmap;
mod oauth;
mod observability;
mod openapi;
mod organizations;
mod passkeys;
mod python;
mod rate_limit;
mod readme;
mod realtime;
mod realtime_msgpack;
mod refresh;
mod register;
mod restart;
mod revocations;
mod roles;
mod scans;
mod services;
mod sessions;
mod soft_passkey;
mod step_up;
mod tokens;
mod verify;
