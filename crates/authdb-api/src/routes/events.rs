//! `GET /api/v1/auth/events`: the caller's own security events.

use actix_web::{HttpResponse, http::header, web};
use authdb_service::AuthService;

use crate::endpoint::resource;
use crate::{
    ApiError, Authenticated,
    dto::{SecurityEventPage, SecurityEventResponse},
    pagination::{ListQuery, PageParams},
    problem::{FieldError, Problem},
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/events").route(web::get().to(list_events)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list_events), components(schemas(SecurityEventPage, SecurityEventResponse, Problem, FieldError)))]
pub(crate) struct EventsApi;

/// The caller's own security events, newest first: registration, logins and failed
/// logins, lockouts, logouts, revoked sessions, password changes, refresh-token reuse.
#[utoipa::path(
    get,
    path = "/api/v1/auth/events",
    tag = "auth",
    params(PageParams),
    responses(
        (status = 200, description = "A page of events", body = SecurityEventPage),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` or `offset` out of range", body = Problem,
            content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_events(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let page = query.page;
    let events = auth.security_events(&caller.0, page.limit(), page.offset()).await?;
    let body = SecurityEventPage {
        items: events.items.into_iter().map(SecurityEventResponse::from).collect(),
        total: events.total,
        limit: page.limit(),
        offset: page.offset(),
    };
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(body))
}
