//! `POST /api/v1/auth/change-password`: a new password; every other session ends.

use actix_web::{HttpResponse, web};
use authdb_service::{AuthService, PasswordChange};
use secrecy::SecretString;

use crate::endpoint::resource;
use crate::{
    ApiError, Authenticated, Client, JsonBody,
    dto::ChangePasswordRequest,
    fields::{MAX_PASSWORD_BYTES, bounded, invalid},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/change-password").route(web::post().to(change_password)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(change_password), components(schemas(ChangePasswordRequest)))]
pub(crate) struct PasswordApi;

/// Changes the caller's password. Every other session of the caller is ended; this one
/// keeps working.
#[utoipa::path(
    post,
    path = "/api/v1/auth/change-password",
    tag = "sessions",
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "The password is changed"),
        (status = 400, description = "The current password is wrong (field `current_password`), or the body is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or revoked access token, or `/problems/step-up-required` (the session's authentication is older than `auth.step_up_max_age_secs`, or single-factor for a user with a second factor: step up at POST /api/v1/auth/step-up)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The new password breaks the password policy", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn change_password(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    client: Client,
    body: JsonBody<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let current = bounded("current_password", &request.current_password, MAX_PASSWORD_BYTES);
    let new_password = auth.password_policy().parse_field(request.new_password, "new_password");
    let change = match (current, new_password) {
        (None, Ok(new_password)) => {
            PasswordChange { current_password: SecretString::from(request.current_password), new_password }
        }
        (current, new_password) => return Err(invalid([current, new_password.err()])),
    };
    auth.change_password(&caller.0, change, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
