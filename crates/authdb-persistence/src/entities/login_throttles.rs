//! `login_throttles`: recent failed logins per account and address, and per address.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_throttles")]
pub struct Model {
    /// `account:<sha-256 hex>` or `ip:<address>`.
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(128))")]
    pub key: String,
    pub failures: i32,
    /// Milliseconds since the Unix epoch.
    pub last_failure_at_ms: i64,
    /// Milliseconds since the Unix epoch; 0 when never locked.
    pub locked_until_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
