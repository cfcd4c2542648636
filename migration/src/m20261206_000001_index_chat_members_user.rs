//! An index for a user's chats across organizations: `chat_members (user_id, chat_id)`.
//!
//! Presence asks which users share a chat with a user who came online or went offline
//! (every first socket, every last one closing), and a new socket asks the same for its
//! user. Without this index that lookup read the whole `chat_members` table; the existing
//! index starts with the organization, which presence does not know.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const INDEX: &str = "idx_chat_members_user_id";

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(ChatMembers::Table)
                    .col(ChatMembers::UserId)
                    .col(ChatMembers::ChatId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(INDEX).table(ChatMembers::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ChatMembers {
    Table,
    UserId,
    ChatId,
}
