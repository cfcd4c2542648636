//! `POST /api/v1/auth/step-up`: the current session authenticates again (the password,
//! and a second factor when the account has one) without a new login; and
//! `POST /api/v1/auth/step-up/webauthn/start|finish`: the same with a passkey.

use actix_web::{HttpResponse, web};
use authdb_service::{AuthService, PasskeyStepUp, StepUpAttempt};
use secrecy::SecretString;
use serde::Deserialize;

use crate::endpoint::{no_store, resource};
use crate::{
    ApiError, Authenticated, Client, JsonBody,
    dto::{PasskeyCeremonyResponse, PasskeyStepUpRequest, TokenResponse},
    fields::{MAX_PASSWORD_BYTES, bounded, invalid, second_factor_proof, webauthn_credential},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/step-up").route(web::post().to(step_up)))
        .service(resource("/auth/step-up/webauthn/start").route(web::post().to(start_passkey_step_up)))
        .service(resource("/auth/step-up/webauthn/finish").route(web::post().to(finish_passkey_step_up)));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(step_up, start_passkey_step_up, finish_passkey_step_up),
    components(schemas(StepUpRequest, PasskeyStepUpRequest))
)]
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
/// new `amr` and `auth_time`. A user whose only second factor is a passkey steps up with
/// it at `POST /api/v1/auth/step-up/webauthn/start`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/step-up",
    tag = "sessions",
    request_body = StepUpRequest,
    responses(
        (status = 200, description = "Stepped up: a new token pair", body = TokenResponse),
        (status = 400, description = "The password is wrong (`/problems/wrong-password`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or revoked access token; the code is wrong or already used (`/problems/invalid-mfa-code`); or the account's second factors cannot be used here (`/problems/step-up-required`, `methods`: step up with a passkey at /api/v1/auth/step-up/webauthn/start)", body = Problem, content_type = "application/problem+json"),
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
    let proof = second_factor_proof(request.code, request.recovery_code);
    let proof = match (password, proof) {
        (None, Ok(proof)) => proof,
        (password, proof) => return Err(invalid([password, proof.err()])),
    };
    let attempt = StepUpAttempt { password: SecretString::from(request.password), proof };
    let tokens = auth.step_up_session(&caller.0, attempt, &client.0).await?;
    Ok(no_store(HttpResponse::Ok()).json(TokenResponse::from(tokens)))
}

/// Starts a step-up with a passkey: the options for `navigator.credentials.get()` offering
/// the caller's passkeys, valid for 5 minutes and one finish.
#[utoipa::path(
    post,
    path = "/api/v1/auth/step-up/webauthn/start",
    tag = "sessions",
    responses(
        (status = 200, description = "The ceremony and its `PublicKeyCredentialRequestOptions`", body = PasskeyCeremonyResponse),
        (status = 401, description = "Missing, invalid or revoked access token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The caller has no passkey", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn start_passkey_step_up(auth: web::Data<AuthService>, caller: Authenticated) -> Result<HttpResponse, ApiError> {
    let ceremony = auth.start_step_up_passkey(&caller.0).await?;
    Ok(no_store(HttpResponse::Ok()).json(PasskeyCeremonyResponse::from_ceremony(ceremony)))
}

/// Finishes a step-up with one of the caller's passkeys: a new token pair whose access
/// token has `auth_time` now and `amr` `["hwk","mfa"]` (`swk` for a synced passkey). The
/// session's older refresh tokens stop working. Failures count toward the second-factor
/// lockout like wrong codes; a sign count that did not go up is refused and audited.
#[utoipa::path(
    post,
    path = "/api/v1/auth/step-up/webauthn/finish",
    tag = "sessions",
    request_body = PasskeyStepUpRequest,
    responses(
        (status = 200, description = "Stepped up: a new token pair", body = TokenResponse),
        (status = 400, description = "The ceremony is unknown, expired, already finished or another user's (`/problems/invalid-ceremony`, field `ceremony_id`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or revoked access token; or the passkey is not the caller's, did not verify or its sign count did not go up (`/problems/invalid-mfa-code`, field `credential`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The credential is not a WebAuthn assertion", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed second factors", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []))
)]
async fn finish_passkey_step_up(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    client: Client,
    body: JsonBody<PasskeyStepUpRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    if let Some(violation) = webauthn_credential(&request.credential) {
        return Err(invalid([Some(violation)]));
    }
    let attempt = PasskeyStepUp { ceremony_id: request.ceremony_id, credential: request.credential };
    let tokens = auth.finish_step_up_passkey(&caller.0, attempt, &client.0).await?;
    Ok(no_store(HttpResponse::Ok()).json(TokenResponse::from(tokens)))
}
