//! Process-level tests of the real `authdb` binary: each test starts it with a clean
//! environment, its own temporary data directory and a free port, talks to it over HTTP
//! or reads its exit code and output, and kills it when the test ends.
//!
//! PostgreSQL tests create a database with a random name through `AUTHDB_TEST_PG_URL`
//! (default `postgres://authdb:authdb@127.0.0.1:5432/postgres`) and drop it afterwards.

mod agent_tokens;
mod config_file;
mod create_superuser;
mod fanout;
mod hostile_xml;
mod mail;
mod memberships;
mod migrate;
mod production;
mod quiet;
mod refused_starts;
mod request_bodies;
mod revocation;
mod serve;
mod services;
mod shutdown;
mod support;
