//! The notes routes: one plain authenticated route and two organization-scoped ones.
//!
//! - `GET /me/notes` ([`Authenticated`]): the caller's own notes, in any organization;
//! - `GET /organizations/{id}/notes` (`RequirePermission<perm::OrgRead>`): every member;
//! - `POST /organizations/{id}/notes` (`RequirePermission<perm::ChatsUse>`): owners,
//!   admins and members, not viewers.
//!
//! The guards answer 401, then 404 for a non-member, then 403, as authdb's own routes do;
//! the body of a `POST` is a [`DeferredJson`] so that a non-member gets the 404 whatever
//! they send. Errors are authdb's [`ApiError`] problem documents.

use actix_web::{HttpResponse, web};
use authdb_api::{ApiError, Authenticated, DeferredJson, FieldError, RequirePermission, perm};
use authdb_service::ServiceError;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _, Set,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// The longest note, in characters.
const MAX_BODY_CHARS: usize = 2000;
/// The most notes one list answers, newest first.
const LIST_LIMIT: u64 = 100;

/// `POST /organizations/{id}/notes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    pub body: String,
}

/// A note, as every route answers it.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Note {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub author_id: Uuid,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/me/notes").route(web::get().to(my_notes))).service(
        web::resource("/organizations/{id}/notes")
            .route(web::get().to(organization_notes))
            .route(web::post().to(create_note)),
    );
}

/// Where notes are kept: the same database as authdb's tables.
#[derive(Debug)]
pub(crate) struct Store {
    db: sea_orm::DatabaseConnection,
}

impl Store {
    pub(crate) fn new(db: sea_orm::DatabaseConnection) -> Self {
        Self { db }
    }
}

async fn my_notes(Authenticated(principal): Authenticated, store: web::Data<Store>) -> Result<HttpResponse, ApiError> {
    let rows = entity::Entity::find()
        .filter(entity::Column::AuthorId.eq(principal.user.id.as_uuid()))
        .order_by_desc(entity::Column::CreatedAt)
        .order_by_desc(entity::Column::Id)
        .limit(LIST_LIMIT)
        .all(&store.db)
        .await
        .map_err(internal)?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(Note::from).collect::<Vec<_>>()))
}

async fn organization_notes(
    guard: RequirePermission<perm::OrgRead>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let organization = guard.member.membership.organization_id();
    let rows = entity::Entity::find()
        .filter(entity::Column::OrganizationId.eq(organization.as_uuid()))
        .order_by_desc(entity::Column::CreatedAt)
        .order_by_desc(entity::Column::Id)
        .limit(LIST_LIMIT)
        .all(&store.db)
        .await
        .map_err(internal)?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(Note::from).collect::<Vec<_>>()))
}

async fn create_note(
    guard: RequirePermission<perm::ChatsUse>,
    body: DeferredJson<NoteRequest>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_result()?;
    let text = request.body.trim();
    if text.is_empty() || text.chars().count() > MAX_BODY_CHARS {
        return Err(ApiError::Unprocessable(vec![FieldError {
            field: "body".into(),
            message: format!("must be 1 to {MAX_BODY_CHARS} characters"),
        }]));
    }
    let membership = &guard.member.membership;
    let row = entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(membership.organization_id().as_uuid()),
        author_id: Set(membership.user_id().as_uuid()),
        body: Set(text.to_owned()),
        created_at: Set(authdb_persistence::now()),
    }
    .insert(&store.db)
    .await
    .map_err(internal)?;
    Ok(HttpResponse::Created().json(Note::from(row)))
}

/// A database failure: a 500 with an opaque body, its cause logged by authdb's error path.
fn internal(error: sea_orm::DbErr) -> ApiError {
    ServiceError::Internal(format!("notes: {error}").into()).into()
}

impl From<entity::Model> for Note {
    fn from(row: entity::Model) -> Self {
        Self {
            id: row.id,
            organization_id: row.organization_id,
            author_id: row.author_id,
            body: row.body,
            created_at: row.created_at,
        }
    }
}

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notes")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub(crate) id: Uuid,
        pub(crate) organization_id: Uuid,
        pub(crate) author_id: Uuid,
        #[sea_orm(column_type = "Text")]
        pub(crate) body: String,
        pub(crate) created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
