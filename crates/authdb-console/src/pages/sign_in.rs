//! Signing in and out: the password form, the second step (a TOTP or a recovery code, or
//! a passkey), signing in with a passkey, and signing out. The same `AuthService` calls as
//! `POST /api/v1/auth/login`, `/auth/mfa/verify`, `/auth/mfa/webauthn/start|finish` and
//! `/auth/passkeys/login/start|finish`, so the same lockout counts a failure here. The
//! passkey ceremonies are JSON endpoints the console's script calls (`json.rs`).

use actix_web::{HttpRequest, HttpResponse, ResponseError as _, http::StatusCode, web};
use authdb_domain::Login;
use authdb_service::{
    IssuedTokens, LoginAttempt, MfaPasskeyVerification, MfaVerification, PasskeyLogin, SecondFactorProof, ServiceError,
};
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    config::Console,
    cookies::{
        MFA_COOKIE, MFA_METHODS_COOKIE, PRESESSION_COOKIE, cookie, random_token, read_cookie, set_cookies,
        token_cookies,
    },
    error::ConsoleError,
    form::{NoFields, Posted, PreSession},
    json::{JsonError, PreSessionJson, credential, go_to, public_key_options},
    layout::{alert, csrf_field, field, optional_field, passkey_ceremony, respond, scripted_page, see_other, url},
    session::client_info,
};

/// How long the second step may take (the `mfa_token`'s own lifetime).
const MFA_COOKIE_SECS: i64 = 300;
/// The longest login and password read (as the API's limits).
const MAX_LOGIN_BYTES: usize = 320;
const MAX_PASSWORD_BYTES: usize = 1024;
const MAX_CODE_BYTES: usize = 64;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sign-in", web::get().to(form))
        .route("/sign-in", web::post().to(sign_in))
        .route("/sign-in/second-factor", web::get().to(second_factor_form))
        .route("/sign-in/second-factor", web::post().to(second_factor))
        .route("/sign-in/passkey/start", web::post().to(start_passkey))
        .route("/sign-in/passkey/finish", web::post().to(finish_passkey))
        .route("/sign-in/second-factor/passkey/start", web::post().to(start_second_factor_passkey))
        .route("/sign-in/second-factor/passkey/finish", web::post().to(finish_second_factor_passkey))
        .route("/sign-out", web::post().to(sign_out));
}

#[derive(Deserialize)]
struct SignInForm {
    login: String,
    password: String,
}

#[derive(Deserialize)]
struct SecondFactorForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    recovery_code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasskeyStart {
    #[serde(default)]
    login: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasskeyFinish {
    ceremony_id: Uuid,
    credential: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecondFactorStart {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecondFactorFinish {
    credential: serde_json::Value,
}

/// The second-factor methods the waiting sign-in may finish with (all of them when the
/// cookie is missing: the page then offers both).
#[derive(Debug, Clone, Copy)]
struct Methods {
    code: bool,
    passkey: bool,
}

impl Methods {
    fn of(req: &HttpRequest) -> Self {
        match read_cookie(req, MFA_METHODS_COOKIE) {
            Some(methods) => {
                let has = |name: &str| methods.split('.').any(|method| method == name);
                Self { code: has("totp") || has("recovery_code"), passkey: has("webauthn") }
            }
            None => Self { code: true, passkey: true },
        }
    }
}

/// The cookies of a second step that is over (won, or its token spent or expired).
fn cleared_mfa_cookies(secure: bool) -> [String; 2] {
    [cookie(MFA_COOKIE, "", secure, Some(0)), cookie(MFA_METHODS_COOKIE, "", secure, Some(0))]
}

/// The pre-session token of this browser, set when it has none.
fn presession(console: &Console, req: &HttpRequest) -> Result<String, ConsoleError> {
    if let Some(token) = read_cookie(req, PRESESSION_COOKIE) {
        return Ok(token);
    }
    let token = random_token()?;
    set_cookies(req, [cookie(PRESESSION_COOKIE, &token, console.config.secure_cookies, None)]);
    Ok(token)
}

fn sign_in_page(token: &str, error: Option<&ConsoleError>) -> Markup {
    scripted_page(
        "Sign in",
        None,
        html! {
            @if let Some(error) = error {
                @let problem = error.problem();
                (alert(problem.title, &problem.detail))
            }
            form method="post" action=(url("/sign-in")) {
                (csrf_field(token))
                (field("Email or username", "login", "text", "username"))
                (field("Password", "password", "password", "current-password"))
                div class="actions" { button type="submit" { "Sign in" } }
            }
            h2 { "Or sign in with a passkey" }
            p { "With the email or username above filled in, that account's passkeys are offered; without, any passkey of yours for this site." }
            (passkey_ceremony("sign-in", "/sign-in/passkey/start", "/sign-in/passkey/finish", token, "Use a passkey", html! {}))
        },
    )
}

fn second_factor_page(token: &str, methods: Methods, error: Option<&ConsoleError>) -> Markup {
    scripted_page(
        "Second factor",
        None,
        html! {
            @if let Some(error) = error {
                @let problem = error.problem();
                (alert(problem.title, &problem.detail))
            }
            @if methods.passkey {
                p { "Your password was right. Confirm it is you with your passkey"
                    @if methods.code { ", or with a code from your authenticator app or one of your recovery codes" } "." }
                (passkey_ceremony(
                    "second-factor",
                    "/sign-in/second-factor/passkey/start",
                    "/sign-in/second-factor/passkey/finish",
                    token,
                    "Use a passkey",
                    html! {},
                ))
            } @else {
                p { "Your password was right. Enter the code your authenticator app shows, or one of your recovery codes." }
            }
            @if methods.code {
            form method="post" action=(url("/sign-in/second-factor")) {
                (csrf_field(token))
                div class="field" {
                    label for="code" { "Authentication code" }
                    input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                        pattern="[0-9]{6}" maxlength="6";
                }
                (optional_field("Or a recovery code", "recovery_code", "text", "off"))
                div class="actions" {
                    button type="submit" { "Continue" }
                    a href=(url("/sign-in")) { "Start again" }
                }
            }
            } @else {
                p { a href=(url("/sign-in")) { "Start again" } }
            }
        },
    )
}

/// The answer to a failed step: the page again, with the problem and its status.
fn refused(error: ConsoleError, markup: Markup) -> HttpResponse {
    error.with_page(markup)
}

async fn form(console: web::Data<Console>, req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    let token = presession(&console, &req)?;
    Ok(respond(StatusCode::OK, sign_in_page(&token, None)))
}

async fn sign_in(
    console: web::Data<Console>,
    req: HttpRequest,
    posted: PreSession<SignInForm>,
) -> Result<HttpResponse, ConsoleError> {
    let PreSession(SignInForm { login, password }) = posted;
    let token = presession(&console, &req)?;
    let secure = console.config.secure_cookies;
    if login.trim().is_empty() || login.len() > MAX_LOGIN_BYTES || password.len() > MAX_PASSWORD_BYTES {
        let error = ConsoleError::BadForm(format!(
            "login: 1 to {MAX_LOGIN_BYTES} bytes; password: at most {MAX_PASSWORD_BYTES} bytes"
        ));
        let markup = sign_in_page(&token, Some(&error));
        return Ok(refused(error, markup));
    }
    let attempt =
        LoginAttempt { login: Login::parse(&login), password: SecretString::from(password), organization_id: None };
    match console.auth.login(attempt, &client_info(&console, &req)).await {
        Ok(tokens) => {
            set_cookies(&req, token_cookies(&tokens, secure));
            Ok(see_other("/me"))
        }
        Err(ServiceError::MfaRequired { mfa_token, methods }) => {
            set_cookies(
                &req,
                [
                    cookie(MFA_COOKIE, &mfa_token, secure, Some(MFA_COOKIE_SECS)),
                    cookie(MFA_METHODS_COOKIE, &methods.join("."), secure, Some(MFA_COOKIE_SECS)),
                ],
            );
            Ok(see_other("/sign-in/second-factor"))
        }
        Err(error @ (ServiceError::Unavailable(_) | ServiceError::Internal(_))) => Err(error.into()),
        Err(error) => {
            let error = ConsoleError::Service(error);
            let markup = sign_in_page(&token, Some(&error));
            Ok(refused(error, markup))
        }
    }
}

async fn second_factor_form(console: web::Data<Console>, req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    if read_cookie(&req, MFA_COOKIE).is_none() {
        return Ok(see_other("/sign-in"));
    }
    let token = presession(&console, &req)?;
    Ok(respond(StatusCode::OK, second_factor_page(&token, Methods::of(&req), None)))
}

async fn second_factor(
    console: web::Data<Console>,
    req: HttpRequest,
    posted: PreSession<SecondFactorForm>,
) -> Result<HttpResponse, ConsoleError> {
    let PreSession(SecondFactorForm { code, recovery_code }) = posted;
    let token = presession(&console, &req)?;
    let secure = console.config.secure_cookies;
    let Some(mfa_token) = read_cookie(&req, MFA_COOKIE) else {
        return Ok(see_other("/sign-in"));
    };
    let (code, recovery_code) = (code.trim().to_owned(), recovery_code.trim().to_owned());
    let proof = match (code.is_empty(), recovery_code.is_empty()) {
        (false, true) if code.len() <= MAX_CODE_BYTES => SecondFactorProof::Totp(code),
        (true, false) if recovery_code.len() <= MAX_CODE_BYTES => {
            SecondFactorProof::RecoveryCode(SecretString::from(recovery_code))
        }
        _ => {
            let error = ConsoleError::BadForm("enter either the authentication code or a recovery code".into());
            let markup = second_factor_page(&token, Methods::of(&req), Some(&error));
            return Ok(refused(error, markup));
        }
    };
    let verification = MfaVerification { mfa_token: SecretString::from(mfa_token), proof };
    match console.auth.verify_mfa(verification, &client_info(&console, &req)).await {
        Ok(tokens) => {
            signed_in_with(&req, &tokens, secure);
            Ok(see_other("/me"))
        }
        Err(ServiceError::InvalidMfaToken) => {
            set_cookies(&req, cleared_mfa_cookies(secure));
            let error = ConsoleError::Service(ServiceError::InvalidMfaToken);
            let markup = sign_in_page(&token, Some(&error));
            Ok(refused(error, markup))
        }
        Err(error @ (ServiceError::Unavailable(_) | ServiceError::Internal(_))) => Err(error.into()),
        Err(error) => {
            let error = ConsoleError::Service(error);
            let markup = second_factor_page(&token, Methods::of(&req), Some(&error));
            Ok(refused(error, markup))
        }
    }
}

/// The session's cookies on the answer, the second step's cleared.
fn signed_in_with(req: &HttpRequest, tokens: &IssuedTokens, secure: bool) {
    let mut cookies = token_cookies(tokens, secure);
    cookies.extend(cleared_mfa_cookies(secure));
    set_cookies(req, cookies);
}

/// Starts a passkey sign-in (as `POST /api/v1/auth/passkeys/login/start`): the options for
/// `navigator.credentials.get()`, for the typed login's passkeys or any discoverable one.
async fn start_passkey(
    console: web::Data<Console>,
    posted: PreSessionJson<PasskeyStart>,
) -> Result<HttpResponse, JsonError> {
    let login = posted.0.login;
    let login = login.as_deref().map(str::trim).filter(|login| !login.is_empty());
    if login.is_some_and(|login| login.len() > MAX_LOGIN_BYTES) {
        return Err(ConsoleError::BadForm(format!("login: at most {MAX_LOGIN_BYTES} bytes")).into());
    }
    let ceremony = console.auth.start_passkey_login(login).await?;
    let body =
        serde_json::json!({ "ceremony_id": ceremony.ceremony_id, "public_key": public_key_options(ceremony.options) });
    Ok(HttpResponse::Ok().json(body))
}

/// Finishes a passkey sign-in: the session's cookies, and the profile next.
async fn finish_passkey(
    console: web::Data<Console>,
    req: HttpRequest,
    posted: PreSessionJson<PasskeyFinish>,
) -> Result<HttpResponse, JsonError> {
    let PasskeyFinish { ceremony_id, credential: answer } = posted.0;
    credential(&answer)?;
    let attempt = PasskeyLogin { ceremony_id, credential: answer, organization_id: None };
    let tokens = console.auth.finish_passkey_login(attempt, &client_info(&console, &req)).await?;
    signed_in_with(&req, &tokens, console.config.secure_cookies);
    Ok(go_to(StatusCode::OK, "/me"))
}

/// The `mfa_token` of the waiting sign-in; none is an expired sign-in.
fn mfa_token(req: &HttpRequest) -> Result<SecretString, JsonError> {
    read_cookie(req, MFA_COOKIE).map(SecretString::from).ok_or_else(|| ServiceError::InvalidMfaToken.into())
}

/// A failed second step with a passkey; a spent or expired sign-in also clears its cookies.
fn second_step_refused(req: &HttpRequest, error: ServiceError, secure: bool) -> HttpResponse {
    if matches!(error, ServiceError::InvalidMfaToken) {
        set_cookies(req, cleared_mfa_cookies(secure));
    }
    JsonError::from(error).error_response()
}

/// Starts the second step with a passkey (as `POST /api/v1/auth/mfa/webauthn/start`): the
/// options offering that account's passkeys.
async fn start_second_factor_passkey(
    console: web::Data<Console>,
    req: HttpRequest,
    _: PreSessionJson<SecondFactorStart>,
) -> Result<HttpResponse, JsonError> {
    let token = mfa_token(&req)?;
    match console.auth.start_mfa_passkey(&token, &client_info(&console, &req)).await {
        Ok(options) => Ok(HttpResponse::Ok().json(serde_json::json!({ "public_key": public_key_options(options) }))),
        Err(error) => Ok(second_step_refused(&req, error, console.config.secure_cookies)),
    }
}

/// Finishes the second step with a passkey: the session's cookies, and the profile next.
async fn finish_second_factor_passkey(
    console: web::Data<Console>,
    req: HttpRequest,
    posted: PreSessionJson<SecondFactorFinish>,
) -> Result<HttpResponse, JsonError> {
    let answer = posted.0.credential;
    credential(&answer)?;
    let token = mfa_token(&req)?;
    let secure = console.config.secure_cookies;
    let verification = MfaPasskeyVerification { mfa_token: token, credential: answer };
    match console.auth.finish_mfa_passkey(verification, &client_info(&console, &req)).await {
        Ok(tokens) => {
            signed_in_with(&req, &tokens, secure);
            Ok(go_to(StatusCode::OK, "/me"))
        }
        Err(error) => Ok(second_step_refused(&req, error, secure)),
    }
}

/// Ends the authdb session behind the cookies, then clears them.
async fn sign_out(req: HttpRequest, posted: Posted<NoFields>) -> Result<HttpResponse, ConsoleError> {
    let signed_in = posted.signed_in;
    signed_in.console.auth.logout(&signed_in.principal, &signed_in.client).await?;
    set_cookies(&req, crate::cookies::cleared_cookies(signed_in.secure()));
    Ok(see_other("/sign-in"))
}
