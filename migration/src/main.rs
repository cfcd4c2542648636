//! Command-line front end for the authdb migrations.
//!
//! Reads `DATABASE_URL` (or `-u`) and runs `up`, `down`, `status`, `fresh`, ... as
//! provided by sea-orm-migration's CLI.

#[tokio::main]
async fn main() {
    sea_orm_migration::cli::run_cli(migration::Migrator).await;
}
