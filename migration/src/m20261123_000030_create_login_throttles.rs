//! Creates `login_throttles`: counts of recent failed logins, per account and client
//! address and per client address, for the brute-force defence.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// The trait elides `SchemaManager`'s lifetime; async_trait rejects an impl that
// names it (`'_` would become an early-bound lifetime), so the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginThrottles::Table)
                    // `account:<sha-256 hex>` (login and address hashed together: no
                    // login text is stored) or `ip:<address or IPv6 /64>`.
                    .col(string_len(LoginThrottles::Key, 128).primary_key())
                    // Failed attempts not yet forgiven, counting attempts in flight.
                    .col(integer(LoginThrottles::Failures))
                    // Milliseconds since the Unix epoch: compared in Rust and by integer
                    // arithmetic in SQL, identically on both backends.
                    .col(big_integer(LoginThrottles::LastFailureAtMs))
                    .col(big_integer(LoginThrottles::LockedUntilMs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_throttles_last_failure_at_ms")
                    .table(LoginThrottles::Table)
                    .col(LoginThrottles::LastFailureAtMs)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(LoginThrottles::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum LoginThrottles {
    Table,
    Key,
    Failures,
    LastFailureAtMs,
    LockedUntilMs,
}
