//! Passkeys (WebAuthn Level 2): `POST /api/v1/auth/passkeys/register/start|finish`,
//! `GET /api/v1/auth/passkeys[/{id}]`, `DELETE /api/v1/auth/passkeys/{id}` and the
//! sign-in, `POST /api/v1/auth/passkeys/login/start|finish`.

use actix_web::{HttpResponse, web};
use authdb_domain::{OrganizationId, PasskeyId, PasskeyName};
use authdb_service::{AuthService, PasskeyLogin, PasskeyRegistration};
use uuid::Uuid;

use crate::endpoint::{no_store, resource};
use crate::{
    ApiError, Authenticated, Client, JsonBody,
    dto::{
        PasskeyCeremonyResponse, PasskeyList, PasskeyLoginRequest, PasskeyLoginStartRequest, PasskeyResponse,
        RegisterPasskeyRequest, TokenResponse,
    },
    fields::{MAX_LOGIN_BYTES, bounded, invalid, webauthn_credential},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/passkeys").route(web::get().to(list_passkeys)))
        .service(resource("/auth/passkeys/register/start").route(web::post().to(start_registration)))
        .service(resource("/auth/passkeys/register/finish").route(web::post().to(finish_registration)))
        .service(resource("/auth/passkeys/login/start").route(web::post().to(start_login)))
        .service(resource("/auth/passkeys/login/finish").route(web::post().to(finish_login)))
        .service(
            resource("/auth/passkeys/{id}").route(web::get().to(get_passkey)).route(web::delete().to(remove_passkey)),
        );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list_passkeys,
        get_passkey,
        remove_passkey,
        start_registration,
        finish_registration,
        start_login,
        finish_login
    ),
    components(schemas(
        PasskeyCeremonyResponse,
        PasskeyList,
        PasskeyLoginRequest,
        PasskeyLoginStartRequest,
        PasskeyResponse,
        RegisterPasskeyRequest
    ))
)]
pub(crate) struct PasskeysApi;

/// The caller's passkeys, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/auth/passkeys",
    tag = "passkeys",
    responses(
        (status = 200, description = "The caller's passkeys", body = PasskeyList),
        (status = 401, description = "Missing, invalid or revoked access token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn list_passkeys(auth: web::Data<AuthService>, caller: Authenticated) -> Result<HttpResponse, ApiError> {
    let items = auth.passkeys(&caller.0).await?.into_iter().map(PasskeyResponse::from).collect();
    Ok(no_store(HttpResponse::Ok()).json(PasskeyList { items }))
}

/// One of the caller's passkeys; another user's is not found.
#[utoipa::path(
    get,
    path = "/api/v1/auth/passkeys/{id}",
    tag = "passkeys",
    params(("id" = Uuid, Path, description = "The passkey id")),
    responses(
        (status = 200, description = "The passkey", body = PasskeyResponse),
        (status = 401, description = "Missing, invalid or revoked access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such passkey of the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn get_passkey(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let passkey = auth.passkey(&caller.0, passkey_id(&id)?).await?;
    Ok(no_store(HttpResponse::Ok()).json(PasskeyResponse::from(passkey)))
}

/// Removes one of the caller's passkeys: it can no longer sign in. Another user's is not
/// found.
#[utoipa::path(
    delete,
    path = "/api/v1/auth/passkeys/{id}",
    tag = "passkeys",
    params(("id" = Uuid, Path, description = "The passkey id")),
    responses(
        (status = 204, description = "The passkey is removed"),
        (status = 401, description = "Missing, invalid or revoked access token, or `/problems/step-up-required` (the session's authentication is older than `auth.step_up_max_age_secs`, or single-factor for a user with a second factor: step up at POST /api/v1/auth/step-up)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such passkey of the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn remove_passkey(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    client: Client,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.remove_passkey(&caller.0, passkey_id(&id)?, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Starts registering a passkey for the caller: the options for
/// `navigator.credentials.create()`, valid for 5 minutes and one finish.
#[utoipa::path(
    post,
    path = "/api/v1/auth/passkeys/register/start",
    tag = "passkeys",
    responses(
        (status = 200, description = "The ceremony and its `PublicKeyCredentialCreationOptions`", body = PasskeyCeremonyResponse),
        (status = 401, description = "Missing, invalid or revoked access token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn start_registration(auth: web::Data<AuthService>, caller: Authenticated) -> Result<HttpResponse, ApiError> {
    let ceremony = auth.start_passkey_registration(&caller.0).await?;
    Ok(no_store(HttpResponse::Ok()).json(PasskeyCeremonyResponse::from_ceremony(ceremony)))
}

/// Verifies the browser's answer to a registration the caller started and stores the
/// passkey.
#[utoipa::path(
    post,
    path = "/api/v1/auth/passkeys/register/finish",
    tag = "passkeys",
    request_body = RegisterPasskeyRequest,
    responses(
        (status = 201, description = "The passkey is registered", body = PasskeyResponse),
        (status = 400, description = "The ceremony is unknown, expired, already finished or another user's (`/problems/invalid-ceremony`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or revoked access token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This credential is already registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The name is invalid, or the credential is malformed or did not verify", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn finish_registration(
    auth: web::Data<AuthService>,
    caller: Authenticated,
    client: Client,
    body: JsonBody<RegisterPasskeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let name = PasskeyName::parse(&request.name, "name");
    let credential = webauthn_credential(&request.credential);
    let name = match (name, credential) {
        (Ok(name), None) => name,
        (name, credential) => return Err(invalid([name.err(), credential])),
    };
    let registration = PasskeyRegistration { ceremony_id: request.ceremony_id, name, credential: request.credential };
    let passkey = auth.finish_passkey_registration(&caller.0, registration, &client.0).await?;
    Ok(no_store(HttpResponse::Created()).json(PasskeyResponse::from(passkey)))
}

/// Starts a passkey sign-in: the options for `navigator.credentials.get()`, valid for 5
/// minutes and one finish. With a `login`, that account's passkeys are offered; without
/// one, any discoverable credential for this site may answer.
#[utoipa::path(
    post,
    path = "/api/v1/auth/passkeys/login/start",
    tag = "passkeys",
    request_body = PasskeyLoginStartRequest,
    responses(
        (status = 200, description = "The ceremony and its `PublicKeyCredentialRequestOptions`", body = PasskeyCeremonyResponse),
    )
)]
async fn start_login(
    auth: web::Data<AuthService>,
    body: JsonBody<PasskeyLoginStartRequest>,
) -> Result<HttpResponse, ApiError> {
    let login = body.into_inner().login;
    let login = login.as_deref().map(str::trim);
    if let Some(violation) = login.and_then(|login| bounded("login", login, MAX_LOGIN_BYTES)) {
        return Err(invalid([Some(violation)]));
    }
    let ceremony = auth.start_passkey_login(login).await?;
    Ok(no_store(HttpResponse::Ok()).json(PasskeyCeremonyResponse::from_ceremony(ceremony)))
}

/// Finishes a passkey sign-in with the browser's assertion: the usual token pair. A
/// passkey is a second factor by itself. Failures count toward the login lockout like
/// wrong passwords; a sign count that did not go up is refused (a possible clone) and
/// audited. With `organization_id` the access token is scoped to that organization, as
/// a password login's.
#[utoipa::path(
    post,
    path = "/api/v1/auth/passkeys/login/finish",
    tag = "passkeys",
    request_body = PasskeyLoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, description = "The ceremony is unknown, expired or already finished (`/problems/invalid-ceremony`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The passkey is unknown, not the named account's, did not verify, or its sign count went backwards", body = Problem, content_type = "application/problem+json", headers(("WWW-Authenticate" = String, description = "The Bearer challenge"))),
        (status = 403, description = "The account is disabled, its address not verified while that is required, or not a member of the requested organization (`/problems/not-a-member`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The credential is not a WebAuthn assertion", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn finish_login(
    auth: web::Data<AuthService>,
    client: Client,
    body: JsonBody<PasskeyLoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    if let Some(violation) = webauthn_credential(&request.credential) {
        return Err(invalid([Some(violation)]));
    }
    let attempt = PasskeyLogin {
        ceremony_id: request.ceremony_id,
        credential: request.credential,
        organization_id: request.organization_id.map(OrganizationId::from_uuid),
    };
    let tokens = auth.finish_passkey_login(attempt, &client.0).await?;
    Ok(no_store(HttpResponse::Ok()).json(TokenResponse::from(tokens)))
}

/// A malformed id names no passkey; it is as absent as someone else's.
fn passkey_id(raw: &str) -> Result<PasskeyId, ApiError> {
    Uuid::parse_str(raw).map(PasskeyId::from_uuid).map_err(|_| ApiError::NotFound)
}
