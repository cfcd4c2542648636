//! `assets`: the addresses of an organization's inventory.
//!
//! The field types are SQLite's. On PostgreSQL `ip_address` is `inet` and `tags` a
//! `text[]`, which sqlx does not map without extra features: the repository
//! (`crate::assets`) therefore writes those two columns through casts and reads them
//! through `host()` and `to_jsonb()`, and never loads this model whole.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "assets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub network_id: Option<Uuid>,
    /// Canonical text on SQLite, `inet` on PostgreSQL.
    #[sea_orm(column_type = "String(StringLen::N(45))")]
    pub ip_address: String,
    /// `IpAddress::sort_key`: the numeric order of addresses, the same on both backends.
    #[sea_orm(column_type = "Blob")]
    pub ip_sort: Vec<u8>,
    #[sea_orm(nullable)]
    pub hostname: Option<String>,
    #[sea_orm(nullable)]
    pub mac_address: Option<String>,
    #[sea_orm(nullable)]
    pub mac_vendor: Option<String>,
    #[sea_orm(nullable)]
    pub operating_system: Option<String>,
    #[sea_orm(nullable)]
    pub os_version: Option<String>,
    #[sea_orm(nullable)]
    pub os_cpe: Option<String>,
    pub asset_type: String,
    pub criticality: String,
    /// A JSON array on SQLite, `text[]` on PostgreSQL.
    #[sea_orm(column_type = "JsonBinary")]
    pub tags: Json,
    pub status: String,
    pub is_reachable: bool,
    pub risk_score: i16,
    pub vuln_critical: i32,
    pub vuln_high: i32,
    pub vuln_medium: i32,
    pub vuln_low: i32,
    pub vuln_info: i32,
    pub first_seen: TimeDateTimeWithTimeZone,
    pub last_seen: Option<TimeDateTimeWithTimeZone>,
    pub last_scanned: Option<TimeDateTimeWithTimeZone>,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: Json,
    pub owner_id: Option<Uuid>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
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
    #[sea_orm(
        belongs_to = "super::networks::Entity",
        from = "Column::NetworkId",
        to = "super::networks::Column::Id",
        on_delete = "Restrict"
    )]
    Networks,
}

impl Related<super::organizations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organizations.def()
    }
}

impl Related<super::networks::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Networks.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
