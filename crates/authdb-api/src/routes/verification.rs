//! `POST /api/v1/auth/verify-email` and `/verify-email/resend`: proving the address of an
//! account with the link mailed to it; `POST /api/v1/auth/confirm-email-change`: proving a
//! new one.

use actix_web::{HttpResponse, web};
use authdb_domain::Violation;
use authdb_service::AuthService;

use crate::endpoint::resource;
use crate::{
    ApiError, Authenticated, Client, JsonBody,
    dto::EmailTokenRequest,
    fields::{MAX_EMAIL_TOKEN_BYTES, invalid},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/verify-email").route(web::post().to(verify_email)))
        .service(resource("/auth/verify-email/resend").route(web::post().to(resend)))
        .service(resource("/auth/confirm-email-change").route(web::post().to(confirm_email_change)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(verify_email, resend, confirm_email_change), components(schemas(EmailTokenRequest)))]
pub(crate) struct VerificationApi;

/// Proves the account's address with the token of the link mailed to it (at registration
/// or on request). A token works once, until it expires (`auth.verify_ttl_secs`), and only
/// while the account still has the address it was mailed to.
#[utoipa::path(
    post,
    path = "/api/v1/auth/verify-email",
    tag = "auth",
    request_body = EmailTokenRequest,
    responses(
        (status = 204, description = "The address is verified"),
        (status = 422, description = "The token is invalid, expired or already used (field `token`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn verify_email(
    auth: web::Data<AuthService>,
    client: Client,
    body: JsonBody<EmailTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body.into_inner().token;
    if token.is_empty() || token.len() > MAX_EMAIL_TOKEN_BYTES {
        return Err(invalid([Some(Violation::new("token", "is invalid, expired or already used"))]));
    }
    auth.verify_email(&token, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mails the caller a new verification link; the older ones stop working. At most one
/// a minute.
#[utoipa::path(
    post,
    path = "/api/v1/auth/verify-email/resend",
    tag = "auth",
    responses(
        (status = 202, description = "A new link is on its way"),
        (status = 401, description = "Missing, invalid or revoked access token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The address is already verified", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "A link was mailed less than a minute ago (see `Retry-After`)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until a retry may succeed"))),
    ),
    security(("bearer" = []))
)]
async fn resend(auth: web::Data<AuthService>, caller: Authenticated, client: Client) -> Result<HttpResponse, ApiError> {
    auth.resend_verification(&caller.0, &client.0).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Switches the account to the new address a change link was mailed to (asked for with
/// `PATCH /auth/me {email}`), verified. The link works once, until it expires
/// (`auth.verify_ttl_secs`); a newer request, a password change or a reset retires it.
#[utoipa::path(
    post,
    path = "/api/v1/auth/confirm-email-change",
    tag = "auth",
    request_body = EmailTokenRequest,
    responses(
        (status = 204, description = "The account has the new address"),
        (status = 409, description = "Another account took the address meanwhile (field `email`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The token is invalid, expired or already used (field `token`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn confirm_email_change(
    auth: web::Data<AuthService>,
    client: Client,
    body: JsonBody<EmailTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body.into_inner().token;
    if token.is_empty() || token.len() > MAX_EMAIL_TOKEN_BYTES {
        return Err(invalid([Some(Violation::new("token", "is invalid, expired or already used"))]));
    }
    auth.confirm_email_change(&token, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
