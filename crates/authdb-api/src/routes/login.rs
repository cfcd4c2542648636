//! Signing in and out: `POST /api/v1/auth/login`, `/auth/refresh` and `/auth/logout`.

use actix_web::{HttpResponse, web};
use authdb_domain::{Login, OrganizationId};
use authdb_service::{AuthService, LoginAttempt, RefreshAttempt};
use secrecy::SecretString;

use crate::endpoint::{no_store, resource};
use crate::{
    ApiError, Authenticated, Client, JsonBody,
    dto::{LoginRequest, RefreshRequest, TokenResponse},
    fields::{MAX_LOGIN_BYTES, MAX_PASSWORD_BYTES, MAX_REFRESH_TOKEN_BYTES, bounded, invalid},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/login").route(web::post().to(login)))
        .service(resource("/auth/refresh").route(web::post().to(refresh)))
        .service(resource("/auth/logout").route(web::post().to(logout)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(login, refresh, logout), components(schemas(LoginRequest, RefreshRequest, TokenResponse)))]
pub(crate) struct LoginApi;

/// Signs in with an email or username and a password; opens a session for this device.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Missing, invalid, expired or revoked credentials", body = Problem, content_type = "application/problem+json", headers(("WWW-Authenticate" = String, description = "The Bearer challenge"))),
        (status = 403, description = "The account is disabled, or not a member of the requested organization", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn login(
    auth: web::Data<AuthService>,
    client: Client,
    body: JsonBody<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    // Spaces around a login are noise; in a password they are characters like any other.
    let login = bounded("login", request.login.trim(), MAX_LOGIN_BYTES);
    let password = bounded("password", &request.password, MAX_PASSWORD_BYTES);
    if login.is_some() || password.is_some() {
        return Err(invalid([login, password]));
    }
    let attempt = LoginAttempt {
        login: Login::parse(&request.login),
        password: SecretString::from(request.password),
        organization_id: request.organization_id.map(OrganizationId::from_uuid),
    };
    let tokens = auth.login(attempt, &client.0).await?;
    Ok(no_store(HttpResponse::Ok()).json(TokenResponse::from(tokens)))
}

/// Exchanges a refresh token for a new access and refresh token (rotation). Presenting a
/// spent refresh token again revokes its whole session.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenResponse),
        (status = 401, description = "Missing, invalid, expired or revoked credentials", body = Problem, content_type = "application/problem+json", headers(("WWW-Authenticate" = String, description = "The Bearer challenge"))),
        (status = 403, description = "The account is disabled, or not a member of the requested organization", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn refresh(
    auth: web::Data<AuthService>,
    client: Client,
    body: JsonBody<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    if let Some(violation) = bounded("refresh_token", &request.refresh_token, MAX_REFRESH_TOKEN_BYTES) {
        return Err(invalid([Some(violation)]));
    }
    let attempt = RefreshAttempt {
        refresh_token: &request.refresh_token,
        organization_id: request.organization_id.map(OrganizationId::from_uuid),
    };
    let tokens = auth.refresh(attempt, &client.0).await?;
    Ok(no_store(HttpResponse::Ok()).json(TokenResponse::from(tokens)))
}

/// Ends the caller's session: its refresh token and access tokens stop working.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Missing, invalid, expired or revoked credentials", body = Problem, content_type = "application/problem+json", headers(("WWW-Authenticate" = String, description = "The Bearer challenge"))),
    ),
    security(("bearer" = []), ("oauth2" = []))
)]
async fn logout(auth: web::Data<AuthService>, caller: Authenticated, client: Client) -> Result<HttpResponse, ApiError> {
    auth.logout(&caller.0, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
