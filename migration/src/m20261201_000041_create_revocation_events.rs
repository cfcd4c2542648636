//! Creates `revocation_events`: one row per revoked session, numbered in commit order, for
//! services that follow revocations (`GET /api/v1/revocations`).
//!
//! `id` only grows, and every transaction that adds a row holds a lock until it commits
//! (SQLite's single writer; a transaction-scoped advisory lock on PostgreSQL), so rows
//! become visible in `id` order and a reader that resumes after an id never skips one.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// See m20261123_000010_create_invitations for why the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RevocationEvents::Table)
                    .col(ColumnDef::new(RevocationEvents::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(uuid(RevocationEvents::SessionId))
                    .col(uuid(RevocationEvents::UserId))
                    .col(timestamp_with_time_zone(RevocationEvents::RevokedAt))
                    .to_owned(),
            )
            .await?;
        // Pollers that resume from a time find their first event by it.
        manager
            .create_index(
                Index::create()
                    .name("ix_revocation_events_revoked_at")
                    .table(RevocationEvents::Table)
                    .col(RevocationEvents::RevokedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RevocationEvents::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum RevocationEvents {
    Table,
    Id,
    SessionId,
    UserId,
    RevokedAt,
}
