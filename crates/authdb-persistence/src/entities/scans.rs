//! `scans`: one row per import of a scan into a network.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub network_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub source: String,
    pub hosts_up: i64,
    pub hosts_down: i64,
    pub assets_created: i64,
    pub assets_updated: i64,
    pub services_created: i64,
    pub services_updated: i64,
    #[sea_orm(nullable)]
    pub started_at: Option<TimeDateTimeWithTimeZone>,
    #[sea_orm(nullable)]
    pub finished_at: Option<TimeDateTimeWithTimeZone>,
    #[sea_orm(nullable)]
    pub created_by: Option<Uuid>,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::networks::Entity",
        from = "Column::NetworkId",
        to = "super::networks::Column::Id",
        on_delete = "Cascade"
    )]
    Networks,
}

impl Related<super::networks::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Networks.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
