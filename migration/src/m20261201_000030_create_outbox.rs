//! Creates `outbox`: mail waiting to be sent, written in the transaction of the change
//! that causes it and sent afterwards by a worker (the transactional outbox).
//!
//! A message is `pending` until it is `sent` or `failed`. A worker claims pending
//! messages that are due (`next_attempt_at`) and not leased by another worker
//! (`lease_until`), stamping its own `lease_id`; only the holder of the lease may finish
//! the message. The bodies are cleared once it is finished: they carry live links.

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
                    .table(Outbox::Table)
                    .col(pk_uuid(Outbox::Id))
                    // What the message is (`verify_email`, ...), for operators.
                    .col(string_len(Outbox::Kind, 40))
                    .col(string_len(Outbox::Recipient, 254))
                    .col(text(Outbox::Subject))
                    // NULL once the message is sent or has failed.
                    .col(text_null(Outbox::BodyText))
                    .col(text_null(Outbox::BodyHtml))
                    // `pending`, `sent` or `failed`.
                    .col(string_len(Outbox::Status, 16))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Outbox::LeaseUntil))
                    .col(uuid_null(Outbox::LeaseId))
                    .col(text_null(Outbox::LastError))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::FinishedAt))
                    .to_owned(),
            )
            .await?;
        // The worker's claim: pending messages by due time.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_status_next_attempt_at")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Outbox::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Kind,
    Recipient,
    Subject,
    BodyText,
    BodyHtml,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LeaseId,
    LastError,
    CreatedAt,
    FinishedAt,
}
