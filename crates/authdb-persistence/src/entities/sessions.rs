//! `sessions`: one row per device login.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// The organization the session is currently acting in, if any.
    pub organization_id: Option<Uuid>,
    #[sea_orm(column_type = "String(StringLen::N(512))", nullable)]
    pub user_agent: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(45))", nullable)]
    pub ip: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub last_used_at: TimeDateTimeWithTimeZone,
    pub expires_at: TimeDateTimeWithTimeZone,
    pub revoked_at: Option<TimeDateTimeWithTimeZone>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub revoked_reason: Option<String>,
    /// The OAuth2 client the session was opened for (token endpoint), if any.
    #[sea_orm(column_type = "String(StringLen::N(128))", nullable)]
    pub client_id: Option<String>,
    /// How the user authenticated: RFC 8176 method names separated by spaces
    /// (`AuthMethods::to_column`).
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub amr: String,
    /// When the user authenticated; set on every row (NULL only in the schema).
    pub auth_time: Option<TimeDateTimeWithTimeZone>,
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
    #[sea_orm(
        belongs_to = "super::organizations::Entity",
        from = "Column::OrganizationId",
        to = "super::organizations::Column::Id",
        on_delete = "SetNull"
    )]
    Organizations,
    #[sea_orm(has_many = "super::refresh_tokens::Entity")]
    RefreshTokens,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl Related<super::organizations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organizations.def()
    }
}

impl Related<super::refresh_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RefreshTokens.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
