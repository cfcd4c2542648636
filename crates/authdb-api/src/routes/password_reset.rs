//! `POST /api/v1/auth/password-reset` and `/password-reset/confirm`: a forgotten password,
//! replaced through a link mailed to the account's address.

use actix_web::{HttpResponse, web};
use authdb_domain::{Email, Violation};
use authdb_service::AuthService;

use crate::endpoint::{no_store, resource};
use crate::{
    ApiError, Client, JsonBody,
    dto::{AcceptedResponse, PasswordResetConfirmRequest, PasswordResetRequest},
    fields::{MAX_EMAIL_TOKEN_BYTES, invalid},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/password-reset").route(web::post().to(request_reset)))
        .service(resource("/auth/password-reset/confirm").route(web::post().to(confirm_reset)));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(request_reset, confirm_reset),
    components(schemas(PasswordResetRequest, PasswordResetConfirmRequest, AcceptedResponse))
)]
pub(crate) struct PasswordResetApi;

/// Mails a link that sets a new password, if the address has an active account. The
/// answer is the same, in about the same time, whether it has one or not. Throttled like
/// logins (per address and client IP) besides the rate limit.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset",
    tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "If the address has an account, a link is on its way", body = AcceptedResponse),
        (status = 422, description = "The email is not an address (field `email`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests for this address from this client (see `Retry-After`)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until a retry may succeed"))),
    )
)]
async fn request_reset(
    auth: web::Data<AuthService>,
    client: Client,
    body: JsonBody<PasswordResetRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::parse(&body.into_inner().email).map_err(|violation| invalid([Some(violation)]))?;
    auth.request_password_reset(&email, &client.0).await?;
    Ok(no_store(HttpResponse::Accepted()).json(AcceptedResponse::reset_requested()))
}

/// Sets a new password with the token of a reset link. The link works once, until it
/// expires (`auth.reset_ttl_secs`); a newer link or a password change retires it. The
/// address is verified by the same stroke, and every session of the account ends, on
/// every instance.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset/confirm",
    tag = "auth",
    request_body = PasswordResetConfirmRequest,
    responses(
        (status = 204, description = "The password is set; every session has ended"),
        (status = 422, description = "The token is invalid, expired or already used (field `token`), or the new password breaks the password policy (field `new_password`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn confirm_reset(
    auth: web::Data<AuthService>,
    client: Client,
    body: JsonBody<PasswordResetConfirmRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let token = (request.token.is_empty() || request.token.len() > MAX_EMAIL_TOKEN_BYTES)
        .then(|| Violation::new("token", "is invalid, expired or already used"));
    let new_password = auth.password_policy().parse_field(request.new_password, "new_password");
    let new_password = match (token, new_password) {
        (None, Ok(new_password)) => new_password,
        (token, new_password) => return Err(invalid([token, new_password.err()])),
    };
    auth.reset_password(&request.token, new_password, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
