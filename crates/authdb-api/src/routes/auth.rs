use actix_web::{HttpResponse, http::header, web};
use authdb_domain::{
    AvatarUrl, DomainError, Email, FullName, Login, OrganizationId, Preferences, ProfileChanges, Username, Violation,
};
use authdb_service::{AuthService, LoginAttempt, RefreshAttempt, Registration};
use secrecy::SecretString;

use super::resource;
use crate::{
    ApiError, Authenticated, Client, JsonBody,
    dto::{LoginRequest, RefreshRequest, RegisterRequest, TokenResponse, UpdateProfileRequest, UserResponse},
    problem::Problem,
};

/// The account and session routes, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(register, login, refresh, logout, me, update_me),
    components(schemas(
        RegisterRequest,
        LoginRequest,
        RefreshRequest,
        UpdateProfileRequest,
        TokenResponse,
        UserResponse
    ))
)]
pub(crate) struct AuthApi;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/register").route(web::post().to(register)))
        .service(resource("/auth/login").route(web::post().to(login)))
        .service(resource("/auth/refresh").route(web::post().to(refresh)))
        .service(resource("/auth/logout").route(web::post().to(logout)))
        .service(resource("/auth/me").route(web::get().to(me)).route(web::patch().to(update_me)));
}

/// Longest login (email or username) and password accepted before any work is done.
const MAX_LOGIN_BYTES: usize = 320;
const MAX_PASSWORD_BYTES: usize = 1024;
const MAX_REFRESH_TOKEN_BYTES: usize = 512;

/// Creates an account and signs it in on this device.
#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created and signed in", body = TokenResponse),
        (status = 409, description = "The email or username is already taken", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn register(
    auth: web::Data<AuthService>,
    client: Client,
    body: JsonBody<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let email = Email::parse(&request.email);
    let username = Username::parse(&request.username);
    let password = auth.password_policy().parse(request.password);
    let full_name = request.full_name.as_deref().map(FullName::parse).transpose();
    let registration = match (email, username, password, full_name) {
        (Ok(email), Ok(username), Ok(password), Ok(full_name)) => Registration { email, username, password, full_name },
        (email, username, password, full_name) => {
            return Err(invalid([email.err(), username.err(), password.err(), full_name.err()]));
        }
    };
    let tokens = auth.register(registration, &client.0).await?;
    Ok(no_store(HttpResponse::Created()).json(TokenResponse::from(tokens)))
}

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

/// The caller's account.
#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    tag = "auth",
    responses(
        (status = 200, description = "The caller's account", body = UserResponse),
        (status = 401, description = "Missing, invalid, expired or revoked credentials", body = Problem, content_type = "application/problem+json", headers(("WWW-Authenticate" = String, description = "The Bearer challenge"))),
    ),
    security(("bearer" = []), ("oauth2" = []))
)]
async fn me(caller: Authenticated) -> HttpResponse {
    no_store(HttpResponse::Ok()).json(UserResponse::from(caller.0.user))
}

/// Changes the caller's profile: absent fields are left alone, `null` clears one.
#[utoipa::path(
    patch,
    path = "/api/v1/auth/me",
    tag = "auth",
    request_body = UpdateProfileRequest,
    responses(
        (status = 200, description = "The updated account", body = UserResponse),
        (status = 401, description = "Missing, invalid, expired or revoked credentials", body = Problem, content_type = "application/problem+json", headers(("WWW-Authenticate" = String, description = "The Bearer challenge"))),
    ),
    security(("bearer" = []), ("oauth2" = []))
)]
async fn update_me(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    body: JsonBody<UpdateProfileRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let full_name = request.full_name.map(|name| name.as_deref().map(FullName::parse).transpose()).transpose();
    let avatar_url = request.avatar_url.map(|url| url.as_deref().map(AvatarUrl::parse).transpose()).transpose();
    let preferences =
        request.preferences.map(|value| Preferences::parse(value.unwrap_or(serde_json::Value::Null))).transpose();
    let changes = match (full_name, avatar_url, preferences) {
        (Ok(full_name), Ok(avatar_url), Ok(preferences)) => ProfileChanges { full_name, avatar_url, preferences },
        (full_name, avatar_url, preferences) => {
            return Err(invalid([full_name.err(), avatar_url.err(), preferences.err()]));
        }
    };
    let user = auth.update_profile(&caller.0, changes).await?;
    Ok(no_store(HttpResponse::Ok()).json(UserResponse::from(user)))
}

/// A required string field must be non-empty and at most `max` bytes.
pub(super) fn bounded(field: &'static str, value: &str, max: usize) -> Option<Violation> {
    if value.is_empty() {
        Some(Violation::new(field, "must not be empty"))
    } else if value.len() > max {
        Some(Violation::new(field, format!("must be at most {max} bytes")))
    } else {
        None
    }
}

pub(super) fn invalid<const N: usize>(violations: [Option<Violation>; N]) -> ApiError {
    match DomainError::collect(violations) {
        Err(error) => ApiError::Service(error.into()),
        Ok(()) => ApiError::BadRequest("invalid request".into()),
    }
}

/// Token-bearing responses must not be cached (RFC 6749 section 5.1).
pub(super) fn no_store(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder.insert_header((header::CACHE_CONTROL, "no-store")).insert_header((header::PRAGMA, "no-cache"));
    builder
}
