//! Creates `chat_messages`: opaque messages (ciphertext and nonce as bytes, `bytea` on
//! PostgreSQL, `blob` on SQLite). `seq` is an autoincrement key (`bigserial` on
//! PostgreSQL, `INTEGER PRIMARY KEY AUTOINCREMENT` on SQLite): the order the server
//! accepted the messages, which pages and read pointers follow. `id` is what the API
//! shows. A (chat, sender, client_id) is unique, so concurrent retries of one post store
//! one message; `delete_at` is indexed for the auto-deletion sweep.

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
                    .table(ChatMessages::Table)
                    .col(big_pk_auto(ChatMessages::Seq))
                    .col(uuid_uniq(ChatMessages::Id))
                    .col(uuid(ChatMessages::ChatId))
                    .col(uuid(ChatMessages::OrganizationId))
                    .col(uuid(ChatMessages::SenderId))
                    .col(blob(ChatMessages::Ciphertext))
                    .col(blob_null(ChatMessages::Nonce))
                    .col(string_len(ChatMessages::ContentType, 100))
                    .col(string_len_null(ChatMessages::ClientId, 64))
                    .col(timestamp_with_time_zone(ChatMessages::CreatedAt))
                    .col(timestamp_with_time_zone_null(ChatMessages::DeleteAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chat_messages_chat_id")
                            .from(ChatMessages::Table, ChatMessages::ChatId)
                            .to(Chats::Table, Chats::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chat_messages_sender_id")
                            .from(ChatMessages::Table, ChatMessages::SenderId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chat_messages_organization_id")
                            .from(ChatMessages::Table, ChatMessages::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_chat_messages_chat_id_seq")
                    .table(ChatMessages::Table)
                    .col(ChatMessages::ChatId)
                    .col(ChatMessages::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_chat_messages_chat_id_sender_id_client_id")
                    .table(ChatMessages::Table)
                    .col(ChatMessages::ChatId)
                    .col(ChatMessages::SenderId)
                    .col(ChatMessages::ClientId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_chat_messages_delete_at")
                    .table(ChatMessages::Table)
                    .col(ChatMessages::DeleteAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ChatMessages::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ChatMessages {
    Table,
    Seq,
    Id,
    ChatId,
    OrganizationId,
    SenderId,
    Ciphertext,
    Nonce,
    ContentType,
    ClientId,
    CreatedAt,
    DeleteAt,
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
