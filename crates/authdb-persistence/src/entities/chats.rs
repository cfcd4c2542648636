//! `chats`: direct chats and groups of an organization.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chats")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(10))")]
    pub kind: String,
    #[sea_orm(column_type = "String(StringLen::N(100))", nullable)]
    pub name: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub encryption_type: Option<String>,
    pub auto_delete_secs: Option<i64>,
    /// `<lower user id>:<higher user id>` for a direct chat, NULL for a group.
    #[sea_orm(column_type = "String(StringLen::N(80))", nullable)]
    pub direct_key: Option<String>,
    pub created_by: Uuid,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub last_activity_at: TimeDateTimeWithTimeZone,
    /// The `seq` of the last message, or the highest `seq` when the chat was created:
    /// what a member's chat list is ordered by.
    pub activity_seq: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organizations::Entity",
        from = "Column::OrganizationId",
        to = "super::organizations::Column::Id",
        on_delete = "Cascade"
    )]
    Organizations,
}

impl Related<super::organizations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organizations.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
