//! `webauthn_ceremonies`: the state of a passkey registration or sign-in between its start
//! and its finish; single use, expiring.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webauthn_ceremonies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `register` or `login`.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub purpose: String,
    /// The user a registration is bound to; for a sign-in, the account its login named.
    pub user_id: Option<Uuid>,
    /// The login name a sign-in was started with, as typed (for the throttle).
    #[sea_orm(column_type = "String(StringLen::N(320))", nullable)]
    pub login: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub state: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub expires_at: TimeDateTimeWithTimeZone,
    pub used_at: Option<TimeDateTimeWithTimeZone>,
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
