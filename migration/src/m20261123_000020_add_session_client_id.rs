//! Adds `sessions.client_id`: the OAuth2 client (RFC 6749 public client) a session was
//! opened for through the token endpoint, or NULL for the JSON login.

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
                Table::alter().table(Sessions::Table).add_column(string_len_null(Sessions::ClientId, 128)).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite 3.35+ drops a column that no index or constraint names, as here.
        manager.alter_table(Table::alter().table(Sessions::Table).drop_column(Sessions::ClientId).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    ClientId,
}
