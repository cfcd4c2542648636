//! Adds `sessions.amr` and `sessions.auth_time`: how the session's user proved who they
//! were (RFC 8176 method references separated by spaces, e.g. `pwd otp mfa`) and when.
//! Access tokens carry both (`amr`, `auth_time`) and keep them across refreshes; step-up
//! checks read them. Sessions opened before this migration were password logins, at
//! their creation.

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
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(string_len(Sessions::Amr, 64).default("pwd"))
                    .to_owned(),
            )
            .await?;
        // Nullable in the schema (SQLite adds no NOT NULL column without a constant
        // default); every row gets one here and every new session writes it.
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(timestamp_with_time_zone_null(Sessions::AuthTime))
                    .to_owned(),
            )
            .await?;
        let backfill =
            Query::update().table(Sessions::Table).value(Sessions::AuthTime, Expr::col(Sessions::CreatedAt)).to_owned();
        manager.exec_stmt(backfill).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite 3.35+ drops a column that no index or constraint names, as here; one per
        // statement.
        manager.alter_table(Table::alter().table(Sessions::Table).drop_column(Sessions::AuthTime).to_owned()).await?;
        manager.alter_table(Table::alter().table(Sessions::Table).drop_column(Sessions::Amr).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    CreatedAt,
    Amr,
    AuthTime,
}
