//! Creates `chats`: direct chats (two members, unique per pair in an organization through
//! `direct_key`, NULL for groups) and named groups. `last_activity_at` moves with every
//! message. A member's chat list is ordered by `activity_seq`: the `seq` of the chat's
//! last message, or at creation the highest `seq` yet (timestamps are whole seconds and
//! would tie).

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
                    .table(Chats::Table)
                    .col(pk_uuid(Chats::Id))
                    .col(uuid(Chats::OrganizationId))
                    .col(string_len(Chats::Kind, 10))
                    .col(string_len_null(Chats::Name, 100))
                    .col(string_len_null(Chats::EncryptionType, 64))
                    .col(big_integer_null(Chats::AutoDeleteSecs))
                    .col(string_len_null(Chats::DirectKey, 80))
                    .col(uuid(Chats::CreatedBy))
                    .col(timestamp_with_time_zone(Chats::CreatedAt))
                    .col(timestamp_with_time_zone(Chats::UpdatedAt))
                    .col(timestamp_with_time_zone(Chats::LastActivityAt))
                    .col(big_integer(Chats::ActivitySeq))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chats_organization_id")
                            .from(Chats::Table, Chats::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chats_created_by")
                            .from(Chats::Table, Chats::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One direct chat per pair (NULLs, the groups, are distinct on both backends).
        manager
            .create_index(
                Index::create()
                    .name("uq_chats_organization_id_direct_key")
                    .table(Chats::Table)
                    .col(Chats::OrganizationId)
                    .col(Chats::DirectKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Chats::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Chats {
    Table,
    Id,
    OrganizationId,
    Kind,
    Name,
    EncryptionType,
    AutoDeleteSecs,
    DirectKey,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    LastActivityAt,
    ActivitySeq,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
