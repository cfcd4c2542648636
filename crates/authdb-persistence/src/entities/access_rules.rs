//! `access_rules`: the entries of a network's allow and deny lists.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub network_id: Uuid,
    /// `allow` or `deny`.
    #[sea_orm(column_type = "String(StringLen::N(8))")]
    pub list: String,
    /// The canonical text of an address, a block or a MAC address.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub target: String,
    #[sea_orm(column_type = "String(StringLen::N(2000))", nullable)]
    pub comment: Option<String>,
    #[sea_orm(nullable)]
    pub expires_at: Option<TimeDateTimeWithTimeZone>,
    /// `applied`, `recorded` or `expired`.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub status: String,
    #[sea_orm(nullable)]
    pub created_by: Option<Uuid>,
    /// The expiry sweep's lease on the row: another pass leaves it alone until then.
    #[sea_orm(nullable)]
    pub sweep_claimed_until: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
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
