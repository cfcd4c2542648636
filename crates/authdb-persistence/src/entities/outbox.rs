//! `outbox`: mail waiting to be sent, written in the transaction of the change that
//! causes it (see the `outbox` repository).

use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(40))")]
    pub kind: String,
    #[sea_orm(column_type = "String(StringLen::N(254))")]
    pub recipient: String,
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    /// Cleared once the message is finished: it carries live links.
    #[sea_orm(column_type = "Text", nullable)]
    pub body_text: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub body_html: Option<String>,
    /// `pending`, `sent` or `failed`.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: TimeDateTimeWithTimeZone,
    pub lease_until: Option<TimeDateTimeWithTimeZone>,
    pub lease_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub finished_at: Option<TimeDateTimeWithTimeZone>,
}

/// The bodies carry single-use links: `Debug` leaves them out.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("outbox::Model")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
