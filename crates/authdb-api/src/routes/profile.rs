//! `GET` and `PATCH /api/v1/auth/me`: the caller's own account.

use actix_web::{HttpResponse, web};
use authdb_domain::{AvatarUrl, Email, FullName, Preferences, ProfileChanges};
use authdb_service::AuthService;

use crate::endpoint::{no_store, resource};
use crate::{
    ApiError, Authenticated, Client, JsonBody,
    dto::{UpdateProfileRequest, UserResponse},
    fields::invalid,
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/me").route(web::get().to(me)).route(web::patch().to(update_me)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(me, update_me), components(schemas(UpdateProfileRequest, UserResponse)))]
pub(crate) struct ProfileApi;

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

/// Changes the caller's profile: absent fields are left alone, `null` clears one. A new
/// `email` is not set at once: a confirmation link is mailed to it and a notice to the
/// current address, and the answer still shows the current one.
#[utoipa::path(
    patch,
    path = "/api/v1/auth/me",
    tag = "auth",
    request_body = UpdateProfileRequest,
    responses(
        (status = 200, description = "The updated account", body = UserResponse),
        (status = 409, description = "Another account has the new email address (field `email`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid, expired or revoked credentials; or, for a new `email`, or `/problems/step-up-required` (the session's authentication is older than `auth.step_up_max_age_secs`, or single-factor for a user with a second factor: step up at POST /api/v1/auth/step-up)", body = Problem, content_type = "application/problem+json", headers(("WWW-Authenticate" = String, description = "The Bearer challenge"))),
    ),
    security(("bearer" = []), ("oauth2" = []))
)]
async fn update_me(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    client: Client,
    body: JsonBody<UpdateProfileRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let email = request.email.as_deref().map(Email::parse).transpose();
    let full_name = request.full_name.map(|name| name.as_deref().map(FullName::parse).transpose()).transpose();
    let avatar_url = request.avatar_url.map(|url| url.as_deref().map(AvatarUrl::parse).transpose()).transpose();
    let preferences =
        request.preferences.map(|value| Preferences::parse(value.unwrap_or(serde_json::Value::Null))).transpose();
    let (changes, email) = match (full_name, avatar_url, preferences, email) {
        (Ok(full_name), Ok(avatar_url), Ok(preferences), Ok(email)) => {
            (ProfileChanges { full_name, avatar_url, preferences }, email)
        }
        (full_name, avatar_url, preferences, email) => {
            return Err(invalid([full_name.err(), avatar_url.err(), preferences.err(), email.err()]));
        }
    };
    // The address first: a taken one refuses the whole request before anything changes.
    if let Some(email) = email {
        auth.request_email_change(&caller.0, email, &client.0).await?;
    }
    let user = auth.update_profile(&caller.0, changes).await?;
    Ok(no_store(HttpResponse::Ok()).json(UserResponse::from(user)))
}
