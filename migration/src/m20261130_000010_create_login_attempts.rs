//! Creates `login_attempts`: the password attempts in flight, one row per attempt and
//! counter it is counted under, so that the brute-force defence can tell attempts whose
//! password is still being checked from attempts that failed.

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
                    .table(LoginAttempts::Table)
                    // One attempt is counted under its login counter and, usually, its
                    // address counter: one row for each, under the attempt's id.
                    .col(uuid(LoginAttempts::Id))
                    // A `login_throttles` key.
                    .col(string_len(LoginAttempts::Key, 128))
                    // Milliseconds since the Unix epoch: an attempt that was never judged
                    // (its instance stopped) stops counting then.
                    .col(big_integer(LoginAttempts::ExpiresAtMs))
                    .primary_key(Index::create().col(LoginAttempts::Id).col(LoginAttempts::Key))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_attempts_key_expires_at_ms")
                    .table(LoginAttempts::Table)
                    .col(LoginAttempts::Key)
                    .col(LoginAttempts::ExpiresAtMs)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_attempts_expires_at_ms")
                    .table(LoginAttempts::Table)
                    .col(LoginAttempts::ExpiresAtMs)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(LoginAttempts::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    Id,
    Key,
    ExpiresAtMs,
}
