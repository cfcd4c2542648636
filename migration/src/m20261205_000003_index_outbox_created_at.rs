//! An index for the outbox's newest messages (`GET /api/v1/admin/outbox`, the console's
//! outbox page): `(created_at, id)`.
//!
//! The outbox keeps every message it sent or gave up on, so listing the newest twenty by
//! `created_at` without an index read and sorted the whole table on every look. With it,
//! the list is a backward range read that stops after the page.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const INDEX: &str = "idx_outbox_created_at";

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create().name(INDEX).table(Outbox::Table).col(Outbox::CreatedAt).col(Outbox::Id).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(INDEX).table(Outbox::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    CreatedAt,
}
