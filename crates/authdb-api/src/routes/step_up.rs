//! `POST /api/v1/auth/step-up`: the current session authenticates again (the password,
//! and a second factor when the account has one) without a new login.

use actix_web::{HttpResponse, web};
use authdb_service::{AuthService, SecondFactorProof, StepUpAttempt};
use secrecy::SecretString;
use serde::Deserialize;

use crate::endpoint::{no_store, resource};
use crate::{
    ApiError, Authenticated, Client, JsonBody,
    dto::TokenResponse,
    fields::{MAX_CODE_BYTES, MAX_PASSWORD_BYTES, bounded, invalid},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/step-up").route(web::post().to(step_up)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(step_up), components(schemas(StepUpRequest)))]
pub(crate) struct StepUpApi;

/// The proof a step-up takes: the password, and for an account with a TOTP factor exactly
/// one of `code` and `recovery_code`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepUpRequest {
    #[schema(format = Password, min_length = 1, max_length = 1024)]
    password: String,
    #[serde(default)]
    #[schema(example = "123456", max_length = 64)]
    code: Option<String>,
    #[serde(default)]
    #[schema(example = "abcde-fghij", max_length = 64)]
    recovery_code: Option<String>,
}

/// Renews the caller's session's authentication for sensitive actions: answers a new token
/// pair whose access token has `auth_time` now and `amr` `["pwd"]`, or `["pwd","otp","mfa"]`
/// with a second factor. The session's older refresh tokens stop working; refresh keeps the
/// new `amr` and `auth_time`. A user whose only second factor is a passkey steps up by
/// signing in with it (`/api/v1/auth/passkeys/login/start`).
#[utoipa::path(
    post,
    path = "/api/v1/auth/step-up",
    tag = "sessions",
    request_body = StepUpRequest,
    responses(
        (status = 200, description = "Stepped up: a new token pair", body = TokenResponse),
        (status = 400, description = "The password is wrong (`/problems/wrong-password`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or revoked access token; the code is wrong or already used (`/problems/invalid-mfa-code`); or the account's second factors cannot be used here (`/problems/step-up-required`, `methods`: sign in with a passkey)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A code was given but the account has no TOTP factor", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or no code for an account with a TOTP factor (field `code`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords or codes", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []))
)]
async fn step_up(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    client: Client,
    body: JsonBody<StepUpRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let password = bounded("password", &request.password, MAX_PASSWORD_BYTES);
    let proof = match (request.code, request.recovery_code) {
        (None, None) => Ok(None),
        (Some(code), None) => match bounded("code", code.trim(), MAX_CODE_BYTES) {
            None => Ok(Some(SecondFactorProof::Totp(code))),
            Some(violation) => Err(violation),
        },
        (None, Some(code)) => match bounded("recovery_code", code.trim(), MAX_CODE_BYTES) {
            None => Ok(Some(SecondFactorProof::RecoveryCode(SecretString::from(code)))),
            Some(violation) => Err(violation),
        },
        (Some(_), Some(_)) => Err(authdb_domain::Violation::new("code", "give at most one of code and recovery_code")),
    };
    let proof = match (password, proof) {
        (None, Ok(proof)) => proof,
        (password, proof) => return Err(invalid([password, proof.err()])),
    };
    let attempt = StepUpAttempt { password: SecretString::from(request.password), proof };
    let tokens = auth.step_up_session(&caller.0, attempt, &client.0).await?;
    Ok(no_store(HttpResponse::Ok()).json(TokenResponse::from(tokens)))
}
