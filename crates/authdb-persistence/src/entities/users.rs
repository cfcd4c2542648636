//! `users`: accounts with their password hash and login bookkeeping.

use sea_orm::entity::prelude::*;

/// `Debug` is written by hand below so that the password hash never reaches a log.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Stored lower-cased.
    #[sea_orm(column_type = "String(StringLen::N(254))", unique)]
    pub email: String,
    /// The email's confusable skeleton (`Email::skeleton`), unique: no two accounts have
    /// addresses that look alike. NULL only for an account that already had a look-alike
    /// when the column was added (the older account keeps the skeleton).
    #[sea_orm(column_type = "Text", nullable, unique)]
    pub email_skeleton: Option<String>,
    /// As the user typed it, for display.
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub username: String,
    /// `username` lower-cased: usernames are unique regardless of case.
    #[sea_orm(column_type = "String(StringLen::N(50))", unique)]
    pub username_key: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub password_hash: String,
    #[sea_orm(column_type = "String(StringLen::N(200))", nullable)]
    pub full_name: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(2048))", nullable)]
    pub avatar_url: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub preferences: Json,
    pub is_active: bool,
    pub is_verified: bool,
    pub is_superuser: bool,
    pub last_login_at: Option<TimeDateTimeWithTimeZone>,
    pub login_count: i64,
    pub password_changed_at: TimeDateTimeWithTimeZone,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::sessions::Entity")]
    Sessions,
    #[sea_orm(has_many = "super::memberships::Entity")]
    Memberships,
    #[sea_orm(has_many = "super::audit_events::Entity")]
    AuditEvents,
}

impl Related<super::sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sessions.def()
    }
}

impl Related<super::memberships::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Memberships.def()
    }
}

impl Related<super::audit_events::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AuditEvents.def()
    }
}

/// A user's organizations, through their memberships.
impl Related<super::organizations::Entity> for Entity {
    fn to() -> RelationDef {
        super::memberships::Relation::Organizations.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::memberships::Relation::Users.def().rev())
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .field("is_active", &self.is_active)
            .field("is_superuser", &self.is_superuser)
            .finish_non_exhaustive()
    }
}

impl ActiveModelBehavior for ActiveModel {}
