//! Creates `chat_members`: who is in a chat, and each member's read pointer (the
//! acceptance order `read_seq` of the last message they marked read, and its id).

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
                    .table(ChatMembers::Table)
                    .col(uuid(ChatMembers::ChatId))
                    .col(uuid(ChatMembers::UserId))
                    .col(uuid(ChatMembers::OrganizationId))
                    .col(timestamp_with_time_zone(ChatMembers::JoinedAt))
                    .col(big_integer_null(ChatMembers::ReadSeq))
                    .col(uuid_null(ChatMembers::ReadMessageId))
                    .col(timestamp_with_time_zone_null(ChatMembers::ReadAt))
                    .primary_key(Index::create().col(ChatMembers::ChatId).col(ChatMembers::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chat_members_chat_id")
                            .from(ChatMembers::Table, ChatMembers::ChatId)
                            .to(Chats::Table, Chats::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chat_members_user_id")
                            .from(ChatMembers::Table, ChatMembers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chat_members_organization_id")
                            .from(ChatMembers::Table, ChatMembers::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A member's chats in an organization.
        manager
            .create_index(
                Index::create()
                    .name("ix_chat_members_organization_id_user_id")
                    .table(ChatMembers::Table)
                    .col(ChatMembers::OrganizationId)
                    .col(ChatMembers::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ChatMembers::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ChatMembers {
    Table,
    ChatId,
    UserId,
    OrganizationId,
    JoinedAt,
    ReadSeq,
    ReadMessageId,
    ReadAt,
}

#[derive(DeriveIden)]
enum Chats {
    Table,
    Id,
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
