//! `chat_messages`: opaque messages, in the order the server accepted them (`seq`).

use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub id: Uuid,
    pub chat_id: Uuid,
    pub organization_id: Uuid,
    pub sender_id: Uuid,
    #[sea_orm(column_type = "Blob")]
    pub ciphertext: Vec<u8>,
    #[sea_orm(column_type = "Blob", nullable)]
    pub nonce: Option<Vec<u8>>,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub content_type: String,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub client_id: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub delete_at: Option<TimeDateTimeWithTimeZone>,
}

/// The contents are never printed, only their length.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("seq", &self.seq)
            .field("id", &self.id)
            .field("chat_id", &self.chat_id)
            .field("sender_id", &self.sender_id)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::chats::Entity",
        from = "Column::ChatId",
        to = "super::chats::Column::Id",
        on_delete = "Cascade"
    )]
    Chats,
}

impl Related<super::chats::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Chats.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
