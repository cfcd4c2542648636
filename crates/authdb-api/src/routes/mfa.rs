//! Second factors: `POST/DELETE /api/v1/auth/mfa/totp`, `/auth/mfa/totp/confirm`,
//! `/auth/mfa/recovery-codes`, the login's second step `/auth/mfa/verify` (a code) or
//! `/auth/mfa/webauthn/start|finish` (a passkey), and the superuser's
//! `/admin/users/{id}/mfa/reset`.

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::{UserId, Violation};
use authdb_service::{AuthService, MfaPasskeyVerification, MfaVerification};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::endpoint::{no_store, resource};
use crate::{
    ApiError, Authenticated, Client, JsonBody,
    dto::{
        MfaPasskeyFinishRequest, MfaPasskeyOptionsResponse, MfaPasskeyStartRequest, TokenResponse, public_key_options,
    },
    fields::{
        MAX_PASSWORD_BYTES, MAX_REFRESH_TOKEN_BYTES, bounded, invalid, one_time_code, second_factor_proof,
        webauthn_credential,
    },
    guard::path_uuid,
    problem::{FieldError, Problem},
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/mfa/totp").route(web::post().to(start_totp)).route(web::delete().to(disable_totp)))
        .service(resource("/auth/mfa/totp/confirm").route(web::post().to(confirm_totp)))
        .service(resource("/auth/mfa/recovery-codes").route(web::post().to(regenerate_recovery_codes)))
        .service(resource("/auth/mfa/verify").route(web::post().to(verify)))
        .service(resource("/auth/mfa/webauthn/start").route(web::post().to(start_webauthn)))
        .service(resource("/auth/mfa/webauthn/finish").route(web::post().to(finish_webauthn)))
        .service(resource("/admin/users/{id}/mfa/reset").route(web::post().to(reset)));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        start_totp,
        confirm_totp,
        disable_totp,
        regenerate_recovery_codes,
        verify,
        start_webauthn,
        finish_webauthn,
        reset
    ),
    components(schemas(
        MfaPasskeyStartRequest,
        MfaPasskeyOptionsResponse,
        MfaPasskeyFinishRequest,
        PasswordRequest,
        TotpEnrolmentResponse,
        CodeRequest,
        DisableTotpRequest,
        RecoveryCodesResponse,
        MfaVerifyRequest
    ))
)]
pub(crate) struct MfaApi;

/// The caller's current password.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordRequest {
    #[schema(format = Password, min_length = 1, max_length = 1024)]
    password: String,
}

/// A started TOTP enrolment: shown once.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TotpEnrolmentResponse {
    /// The shared secret, base32 without padding.
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    secret: String,
    /// The `otpauth://totp/...` URI for authenticator apps.
    otpauth_uri: String,
    /// The same URI as an SVG QR code.
    qr_svg: String,
}

/// A TOTP code from the authenticator app.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeRequest {
    #[schema(example = "123456", max_length = 64)]
    code: String,
}

/// Removing the TOTP factor: the password and a current code.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DisableTotpRequest {
    #[schema(format = Password, min_length = 1, max_length = 1024)]
    password: String,
    #[schema(example = "123456", max_length = 64)]
    code: String,
}

/// Ten single-use recovery codes: shown once, stored hashed.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RecoveryCodesResponse {
    recovery_codes: Vec<String>,
}

/// The login's second step: the `mfa_token` of `/problems/mfa-required` and exactly one
/// of `code` (TOTP) and `recovery_code`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MfaVerifyRequest {
    mfa_token: String,
    #[serde(default)]
    #[schema(example = "123456", max_length = 64)]
    code: Option<String>,
    #[serde(default)]
    #[schema(example = "abcde-fghij", max_length = 64)]
    recovery_code: Option<String>,
}

fn password_field(password: &str) -> Result<SecretString, ApiError> {
    if password.is_empty() {
        return Err(ApiError::Unprocessable(vec![FieldError {
            field: "password".into(),
            message: "is required".into(),
        }]));
    }
    if let Some(violation) = bounded("password", password, MAX_PASSWORD_BYTES) {
        return Err(invalid([Some(violation)]));
    }
    Ok(SecretString::from(password.to_owned()))
}

fn codes(codes: Vec<SecretString>) -> RecoveryCodesResponse {
    RecoveryCodesResponse { recovery_codes: codes.iter().map(|code| code.expose_secret().to_owned()).collect() }
}

/// Starts a TOTP enrolment (after the current password): the secret, its `otpauth://`
/// URI and a QR code of it. Nothing changes at login until it is confirmed; starting again
/// replaces a pending enrolment.
#[utoipa::path(
    post,
    path = "/api/v1/auth/mfa/totp",
    tag = "mfa",
    request_body = PasswordRequest,
    responses(
        (status = 200, description = "The pending enrolment", body = TotpEnrolmentResponse),
        (status = 400, description = "The password is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A TOTP factor is already enabled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []))
)]
async fn start_totp(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    client: Client,
    body: JsonBody<PasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let password = password_field(&body.into_inner().password)?;
    let enrolment = auth.start_totp(&caller.0, password, &client.0).await?;
    let response = TotpEnrolmentResponse {
        secret: enrolment.secret.expose_secret().to_owned(),
        otpauth_uri: enrolment.otpauth_uri.expose_secret().to_owned(),
        qr_svg: enrolment.qr_svg,
    };
    Ok(no_store(HttpResponse::Ok()).json(response))
}

/// Confirms the pending TOTP enrolment with a first code; answers 10 recovery codes,
/// shown once.
#[utoipa::path(
    post,
    path = "/api/v1/auth/mfa/totp/confirm",
    tag = "mfa",
    request_body = CodeRequest,
    responses(
        (status = 200, description = "Enabled; the recovery codes", body = RecoveryCodesResponse),
        (status = 401, description = "Not signed in, or the code is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No pending enrolment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong codes", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []))
)]
async fn confirm_totp(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    client: Client,
    body: JsonBody<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let code = body.into_inner().code;
    if let Some(violation) = one_time_code("code", &code) {
        return Err(invalid([Some(violation)]));
    }
    let recovery = auth.confirm_totp(&caller.0, &code, &client.0).await?;
    Ok(no_store(HttpResponse::Ok()).json(codes(recovery)))
}

/// Removes the caller's TOTP factor and recovery codes (the password and a current code).
#[utoipa::path(
    delete,
    path = "/api/v1/auth/mfa/totp",
    tag = "mfa",
    request_body = DisableTotpRequest,
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "The password is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in, or the code is wrong, or `/problems/step-up-required` (the session's authentication is older than `auth.step_up_max_age_secs`, or single-factor for a user with a second factor: step up at POST /api/v1/auth/step-up)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No TOTP factor is enabled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords or codes", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []))
)]
async fn disable_totp(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    client: Client,
    body: JsonBody<DisableTotpRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let password = password_field(&request.password)?;
    if let Some(violation) = one_time_code("code", &request.code) {
        return Err(invalid([Some(violation)]));
    }
    auth.disable_totp(&caller.0, password, &request.code, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replaces the recovery codes with 10 new ones (after the password); the old ones stop
/// working.
#[utoipa::path(
    post,
    path = "/api/v1/auth/mfa/recovery-codes",
    tag = "mfa",
    request_body = PasswordRequest,
    responses(
        (status = 200, description = "The new recovery codes", body = RecoveryCodesResponse),
        (status = 400, description = "The password is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in, or `/problems/step-up-required` (the session's authentication is older than `auth.step_up_max_age_secs`, or single-factor for a user with a second factor: step up at POST /api/v1/auth/step-up)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No TOTP factor is enabled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []))
)]
async fn regenerate_recovery_codes(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    client: Client,
    body: JsonBody<PasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let password = password_field(&body.into_inner().password)?;
    let recovery = auth.regenerate_recovery_codes(&caller.0, password, &client.0).await?;
    Ok(no_store(HttpResponse::Ok()).json(codes(recovery)))
}

/// Completes a login that answered `/problems/mfa-required`: its `mfa_token` (single use,
/// five minutes, from the same address) and a TOTP `code` or a `recovery_code`. Answers the
/// usual token pair; the access token's `amr` is `["pwd","otp","mfa"]`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/mfa/verify",
    tag = "mfa",
    request_body = MfaVerifyRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "The mfa_token is invalid, spent or expired (`/problems/invalid-mfa-token`), or the code is wrong or already used (`/problems/invalid-mfa-code`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is disabled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong codes", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
async fn verify(
    auth: web::Data<AuthService>,
    client: Client,
    body: JsonBody<MfaVerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    if let Some(violation) = bounded("mfa_token", &request.mfa_token, MAX_REFRESH_TOKEN_BYTES) {
        return Err(invalid([Some(violation)]));
    }
    let proof = match second_factor_proof(request.code, request.recovery_code) {
        Ok(Some(proof)) => proof,
        Ok(None) => return Err(invalid([Some(Violation::new("code", "give exactly one of code and recovery_code"))])),
        Err(violation) => return Err(invalid([Some(violation)])),
    };
    let verification = MfaVerification { mfa_token: SecretString::from(request.mfa_token), proof };
    let tokens = auth.verify_mfa(verification, &client.0).await?;
    Ok(no_store(HttpResponse::Ok()).json(TokenResponse::from(tokens)))
}

/// Starts the second step of a login that answered `/problems/mfa-required` with
/// `webauthn` among its methods: the options for `navigator.credentials.get()`, offering
/// only that user's passkeys. The `mfa_token` is not spent; starting again replaces the
/// ceremony.
#[utoipa::path(
    post,
    path = "/api/v1/auth/mfa/webauthn/start",
    tag = "mfa",
    request_body = MfaPasskeyStartRequest,
    responses(
        (status = 200, description = "The `PublicKeyCredentialRequestOptions`", body = MfaPasskeyOptionsResponse),
        (status = 401, description = "The mfa_token is invalid, spent or expired (`/problems/invalid-mfa-token`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The account has no passkey (finish with a TOTP or recovery code)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn start_webauthn(
    auth: web::Data<AuthService>,
    client: Client,
    body: JsonBody<MfaPasskeyStartRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    if let Some(violation) = bounded("mfa_token", &request.mfa_token, MAX_REFRESH_TOKEN_BYTES) {
        return Err(invalid([Some(violation)]));
    }
    let options = auth.start_mfa_passkey(&SecretString::from(request.mfa_token), &client.0).await?;
    Ok(no_store(HttpResponse::Ok()).json(MfaPasskeyOptionsResponse { public_key: public_key_options(options) }))
}

/// Completes a login that answered `/problems/mfa-required` with a passkey: the same
/// `mfa_token` (single use, five minutes, from the same address) and the browser's
/// assertion for the ceremony `/auth/mfa/webauthn/start` began. Answers the usual token
/// pair; the access token's `amr` is `["pwd","hwk","mfa"]` (`swk` for a synced passkey).
/// A failure counts toward the lockout like a wrong code; a sign count that did not go up
/// is refused and audited as a possible clone.
#[utoipa::path(
    post,
    path = "/api/v1/auth/mfa/webauthn/finish",
    tag = "mfa",
    request_body = MfaPasskeyFinishRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, description = "No passkey ceremony in progress for this mfa_token (none started, or already finished): start again (`/problems/invalid-ceremony`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The mfa_token is invalid, spent or expired (`/problems/invalid-mfa-token`), or the passkey is not this user's, did not verify or its sign count went backwards (`/problems/invalid-mfa-code`, field `credential`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is disabled, or not a member of the organization the login asked for", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (the credential is not a WebAuthn assertion)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed second steps", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
async fn finish_webauthn(
    auth: web::Data<AuthService>,
    client: Client,
    body: JsonBody<MfaPasskeyFinishRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let token = bounded("mfa_token", &request.mfa_token, MAX_REFRESH_TOKEN_BYTES);
    let credential = webauthn_credential(&request.credential);
    if token.is_some() || credential.is_some() {
        return Err(invalid([token, credential]));
    }
    let verification =
        MfaPasskeyVerification { mfa_token: SecretString::from(request.mfa_token), credential: request.credential };
    let tokens = auth.finish_mfa_passkey(verification, &client.0).await?;
    Ok(no_store(HttpResponse::Ok()).json(TokenResponse::from(tokens)))
}

/// Removes every second factor of a user (superusers only; audited as `mfa.reset`).
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/mfa/reset",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "The user has no second factor any more"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a superuser", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn reset(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    req: HttpRequest,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    let id = UserId::from_uuid(path_uuid(&req, "id")?);
    auth.reset_mfa(&caller.0, id, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
