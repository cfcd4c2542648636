//! `login_attempts`: password attempts in flight, one row per attempt and counter.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The `login_throttles` key the attempt is counted under.
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(128))")]
    pub key: String,
    /// Milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
