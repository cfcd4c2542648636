//! Signing in and out: the password form, the second step (a TOTP or a recovery code),
//! and signing out. The same `AuthService` calls as `POST /api/v1/auth/login` and
//! `/auth/mfa/verify`, so the same lockout counts a wrong password here; passkeys are
//! not offered here yet.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use authdb_domain::Login;
use authdb_service::{LoginAttempt, MfaVerification, SecondFactorProof, ServiceError};
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;

use crate::{
    config::Console,
    cookies::{MFA_COOKIE, PRESESSION_COOKIE, cookie, random_token, read_cookie, set_cookies, token_cookies},
    error::ConsoleError,
    form::{Posted, PreSession},
    layout::{alert, csrf_field, field, page, respond, see_other, url},
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
struct Empty {}

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
    page(
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
        },
    )
}

fn second_factor_page(token: &str, error: Option<&ConsoleError>) -> Markup {
    page(
        "Second factor",
        None,
        html! {
            @if let Some(error) = error {
                @let problem = error.problem();
                (alert(problem.title, &problem.detail))
            }
            p { "Your password was right. Enter the code your authenticator app shows, or one of your recovery codes." }
            form method="post" action=(url("/sign-in/second-factor")) {
                (csrf_field(token))
                div class="field" {
                    label for="code" { "Authentication code" }
                    input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                        pattern="[0-9]{6}" maxlength="6";
                }
                div class="field" {
                    label for="recovery_code" { "Or a recovery code" }
                    input id="recovery_code" name="recovery_code" type="text" autocomplete="off";
                }
                div class="actions" {
                    button type="submit" { "Continue" }
                    a href=(url("/sign-in")) { "Start again" }
                }
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
        Err(ServiceError::MfaRequired { mfa_token, .. }) => {
            set_cookies(&req, [cookie(MFA_COOKIE, &mfa_token, secure, Some(MFA_COOKIE_SECS))]);
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
    Ok(respond(StatusCode::OK, second_factor_page(&token, None)))
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
            let markup = second_factor_page(&token, Some(&error));
            return Ok(refused(error, markup));
        }
    };
    let verification = MfaVerification { mfa_token: SecretString::from(mfa_token), proof };
    match console.auth.verify_mfa(verification, &client_info(&console, &req)).await {
        Ok(tokens) => {
            let mut cookies = token_cookies(&tokens, secure);
            cookies.push(cookie(MFA_COOKIE, "", secure, Some(0)));
            set_cookies(&req, cookies);
            Ok(see_other("/me"))
        }
        Err(ServiceError::InvalidMfaToken) => {
            set_cookies(&req, [cookie(MFA_COOKIE, "", secure, Some(0))]);
            let error = ConsoleError::Service(ServiceError::InvalidMfaToken);
            let markup = sign_in_page(&token, Some(&error));
            Ok(refused(error, markup))
        }
        Err(error @ (ServiceError::Unavailable(_) | ServiceError::Internal(_))) => Err(error.into()),
        Err(error) => {
            let error = ConsoleError::Service(error);
            let markup = second_factor_page(&token, Some(&error));
            Ok(refused(error, markup))
        }
    }
}

/// Ends the authdb session behind the cookies, then clears them.
async fn sign_out(req: HttpRequest, posted: Posted<Empty>) -> Result<HttpResponse, ConsoleError> {
    let signed_in = posted.signed_in;
    signed_in.console.auth.logout(&signed_in.principal, &signed_in.client).await?;
    set_cookies(&req, crate::cookies::cleared_cookies(signed_in.secure()));
    Ok(see_other("/sign-in"))
}
