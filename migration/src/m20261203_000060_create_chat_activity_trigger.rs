//! Creates the trigger that moves a chat's last activity with each message stored in it:
//! `chats.activity_seq` becomes the new message's `seq` and `last_activity_at` its
//! `created_at`, inside the `INSERT` that stores the message.
//!
//! Posting used to do this with a second statement after the insert; every post is a
//! write transaction (on SQLite one at a time, behind the write gate), so that statement
//! was a fifth of a post's round trips to the database. The update only moves forward
//! (`activity_seq < NEW.seq`): on PostgreSQL two posts into one chat may commit in the
//! other order than their `seq`s were taken, and the older one must not win.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const POSTGRES_UP: &[&str] = &[
    "CREATE FUNCTION chat_messages_touch_chat() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
         UPDATE chats SET activity_seq = NEW.seq, last_activity_at = NEW.created_at
         WHERE id = NEW.chat_id AND activity_seq < NEW.seq;
         RETURN NULL;
     END
     $$",
    "CREATE TRIGGER chat_messages_touch_chat AFTER INSERT ON chat_messages
     FOR EACH ROW EXECUTE FUNCTION chat_messages_touch_chat()",
];

const POSTGRES_DOWN: &[&str] =
    &["DROP TRIGGER chat_messages_touch_chat ON chat_messages", "DROP FUNCTION chat_messages_touch_chat()"];

const SQLITE_UP: &[&str] = &["CREATE TRIGGER chat_messages_touch_chat AFTER INSERT ON chat_messages
     FOR EACH ROW BEGIN
         UPDATE chats SET activity_seq = NEW.seq, last_activity_at = NEW.created_at
         WHERE id = NEW.chat_id AND activity_seq < NEW.seq;
     END"];

const SQLITE_DOWN: &[&str] = &["DROP TRIGGER chat_messages_touch_chat"];

// See m20261123_000010_create_invitations for why the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements =
            if manager.get_database_backend() == DatabaseBackend::Postgres { POSTGRES_UP } else { SQLITE_UP };
        run(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements =
            if manager.get_database_backend() == DatabaseBackend::Postgres { POSTGRES_DOWN } else { SQLITE_DOWN };
        run(manager, statements).await
    }
}

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    for statement in statements {
        conn.execute_unprepared(statement).await?;
    }
    Ok(())
}
