//! `services`: what listens on a port and protocol of an asset.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "services")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub asset_id: Uuid,
    pub port: i32,
    #[sea_orm(column_type = "String(StringLen::N(8))")]
    pub protocol: String,
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub state: String,
    #[sea_orm(nullable)]
    pub service_name: Option<String>,
    #[sea_orm(nullable)]
    pub product: Option<String>,
    #[sea_orm(nullable)]
    pub version: Option<String>,
    #[sea_orm(nullable)]
    pub cpe: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub banner: Option<String>,
    #[sea_orm(nullable)]
    pub detection_method: Option<String>,
    #[sea_orm(nullable)]
    pub confidence: Option<i16>,
    pub ssl_enabled: bool,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub ssl_info: Option<Json>,
    #[sea_orm(nullable)]
    pub http_title: Option<String>,
    /// A JSON array of labels.
    #[sea_orm(column_type = "JsonBinary")]
    pub http_technologies: Json,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub extra_info: Option<Json>,
    pub first_seen: TimeDateTimeWithTimeZone,
    #[sea_orm(nullable)]
    pub last_seen: Option<TimeDateTimeWithTimeZone>,
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
        belongs_to = "super::assets::Entity",
        from = "Column::AssetId",
        to = "super::assets::Column::Id",
        on_delete = "Cascade"
    )]
    Assets,
}

impl Related<super::organizations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organizations.def()
    }
}

impl Related<super::assets::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Assets.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
