//! The caller's own sessions (one per device login): list them, end one, end all.

use actix_web::{HttpResponse, web};
use authdb_domain::SessionId;
use authdb_service::AuthService;
use uuid::Uuid;

use crate::endpoint::{no_store, resource};
use crate::{
    ApiError, Authenticated, Client,
    dto::{SessionList, SessionResponse},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/sessions").route(web::get().to(list_sessions)))
        .service(resource("/auth/sessions/{id}").route(web::delete().to(revoke_session)))
        .service(resource("/auth/logout-all").route(web::post().to(logout_all)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list_sessions, revoke_session, logout_all), components(schemas(SessionList, SessionResponse)))]
pub(crate) struct SessionsApi;

/// The caller's live sessions, most recently used first; `current` marks the one the
/// access token belongs to.
#[utoipa::path(
    get,
    path = "/api/v1/auth/sessions",
    tag = "sessions",
    responses(
        (status = 200, description = "The caller's live sessions, most recently used first; at most `auth.max_sessions_per_user` (a login past the cap ends the least recently used one)", body = SessionList),
        (status = 401, description = "Missing, invalid or revoked access token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn list_sessions(auth: web::Data<AuthService>, caller: Authenticated) -> Result<HttpResponse, ApiError> {
    let current = caller.0.session_id;
    let items =
        auth.sessions(&caller.0).await?.into_iter().map(|session| SessionResponse::new(session, current)).collect();
    Ok(no_store(HttpResponse::Ok()).json(SessionList { items }))
}

/// Ends one of the caller's sessions: its refresh token and access tokens stop working at
/// once. Another user's session, or one already ended, is not found.
#[utoipa::path(
    delete,
    path = "/api/v1/auth/sessions/{id}",
    tag = "sessions",
    params(("id" = Uuid, Path, description = "The session id")),
    responses(
        (status = 204, description = "The session is ended"),
        (status = 401, description = "Missing, invalid or revoked access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live session of the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn revoke_session(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    client: Client,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // A malformed id names no session; it is as absent as someone else's.
    let session = Uuid::parse_str(&id).map(SessionId::from_uuid).map_err(|_| ApiError::NotFound)?;
    auth.revoke_own_session(&caller.0, session, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every session of the caller, this one included.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout-all",
    tag = "sessions",
    responses(
        (status = 204, description = "Every session of the caller is ended"),
        (status = 401, description = "Missing, invalid or revoked access token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn logout_all(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    auth.logout_all(&caller.0, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
