//! `passkeys`: WebAuthn credentials registered by users (the credential in the relying
//! party crate's stored form, as text).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "passkeys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// base64url, no padding; unique over every account.
    #[sea_orm(column_type = "String(StringLen::N(1400))", unique)]
    pub credential_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub name: String,
    /// The credential (public key, sign count, flags) as JSON text.
    #[sea_orm(column_type = "Text")]
    pub passkey: String,
    /// A JSON array of transport names.
    #[sea_orm(column_type = "Text")]
    pub transports: String,
    pub sign_count: i64,
    pub backup_eligible: bool,
    pub created_at: TimeDateTimeWithTimeZone,
    pub last_used_at: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    Users,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
