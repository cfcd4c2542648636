//! Re-authentication before a sensitive action (the step-up rule): the password, and a
//! TOTP or recovery code when the account has one (`AuthService::step_up_session`, as
//! `POST /api/v1/auth/step-up`), or a passkey (`start_step_up_passkey` and
//! `finish_step_up_passkey`, as `/api/v1/auth/step-up/webauthn/start|finish`, through the
//! console's script). The session's cookies are replaced by the new tokens, and the user
//! goes back to the page that asked.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use authdb_service::{PasskeyStepUp, SecondFactorProof, StepUpAttempt};
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    cookies::{set_cookies, token_cookies},
    error::ConsoleError,
    form::Posted,
    json::{JsonError, JsonPosted, credential, go_to, public_key_options},
    layout::{
        ConsolePath, alert, csrf_field, field, optional_field, passkey_ceremony, respond, scripted_page, see_other, url,
    },
    session::SignedIn,
};

const MAX_PASSWORD_BYTES: usize = 1024;
const MAX_CODE_BYTES: usize = 64;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/reauthenticate", web::get().to(form))
        .route("/me/reauthenticate", web::post().to(reauthenticate))
        .route("/me/reauthenticate/passkey/start", web::post().to(start_passkey))
        .route("/me/reauthenticate/passkey/finish", web::post().to(finish_passkey));
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

#[derive(Deserialize)]
struct ReauthenticateForm {
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    recovery_code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasskeyStart {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasskeyFinish {
    ceremony_id: Uuid,
    credential: serde_json::Value,
}

/// Where to go back to: a console path, else the profile.
fn next_page(next: Option<&str>) -> ConsolePath {
    ConsolePath::or_home(next.unwrap_or_default())
}

async fn reauthentication_page(
    signed_in: &SignedIn,
    next: &ConsolePath,
    error: Option<&ConsoleError>,
) -> Result<Markup, ConsoleError> {
    let methods = signed_in.console.auth.second_factor_methods(signed_in.principal.user.id).await?;
    let totp = methods.contains(&"totp");
    let passkey = methods.contains(&"webauthn");
    let passkey_only = passkey && !totp;
    let chrome = signed_in.chrome(next.nav_entry());
    let finish = format!("/me/reauthenticate/passkey/finish?next={}", next.as_str());
    Ok(scripted_page(
        "Confirm it is you",
        Some(&chrome),
        html! {
            @if let Some(error) = error {
                @let problem = error.problem();
                (alert(problem.title, &problem.detail))
            }
            @if passkey {
                p { "This action needs a recent sign-in. Confirm it is you with your passkey"
                    @if totp { ", or with your password and a code" } "." }
                (passkey_ceremony("step-up", "/me/reauthenticate/passkey/start", &finish, &chrome.form_token, "Use a passkey", html! {}))
            } @else {
                p { "This action needs a recent sign-in. Enter your password" @if totp { " and a code" } " to continue." }
            }
            @if passkey_only {
                p { a href=(url(next.as_str())) { "Cancel" } }
            } @else {
                form method="post" action=(format!("{}?next={}", url("/me/reauthenticate"), next.as_str())) {
                    (csrf_field(&chrome.form_token))
                    (field("Password", "password", "password", "current-password"))
                    @if totp {
                        div class="field" {
                            label for="code" { "Authentication code" }
                            input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="6";
                        }
                        (optional_field("Or a recovery code", "recovery_code", "text", "off"))
                    }
                    div class="actions" {
                        button type="submit" { "Confirm" }
                        a href=(url(next.as_str())) { "Cancel" }
                    }
                }
            }
        },
    ))
}

async fn form(signed_in: SignedIn, query: web::Query<Next>) -> Result<HttpResponse, ConsoleError> {
    let next = next_page(query.next.as_deref());
    Ok(respond(StatusCode::OK, reauthentication_page(&signed_in, &next, None).await?))
}

async fn reauthenticate(
    req: HttpRequest,
    query: web::Query<Next>,
    posted: Posted<ReauthenticateForm>,
) -> Result<HttpResponse, ConsoleError> {
    let next = next_page(query.next.as_deref());
    let Posted { signed_in, form } = posted;
    let (code, recovery_code) = (form.code.trim().to_owned(), form.recovery_code.trim().to_owned());
    if form.password.len() > MAX_PASSWORD_BYTES || code.len() > MAX_CODE_BYTES || recovery_code.len() > MAX_CODE_BYTES {
        return Err(ConsoleError::BadForm("a field is too long".into()));
    }
    let proof = match (code.is_empty(), recovery_code.is_empty()) {
        (true, true) => None,
        (false, _) => Some(SecondFactorProof::Totp(code)),
        (true, false) => Some(SecondFactorProof::RecoveryCode(SecretString::from(recovery_code))),
    };
    let attempt = StepUpAttempt { password: SecretString::from(form.password), proof };
    match signed_in.console.auth.step_up_session(&signed_in.principal, attempt, &signed_in.client).await {
        Ok(tokens) => {
            set_cookies(&req, token_cookies(&tokens, signed_in.secure()));
            Ok(see_other(next.as_str()))
        }
        Err(error @ (authdb_service::ServiceError::Unavailable(_) | authdb_service::ServiceError::Internal(_))) => {
            Err(error.into())
        }
        Err(error) => {
            let error = ConsoleError::Service(error);
            Ok(error.with_page(reauthentication_page(&signed_in, &next, Some(&error)).await?))
        }
    }
}

/// Starts a step-up with a passkey: the options offering the caller's passkeys.
async fn start_passkey(posted: JsonPosted<PasskeyStart>) -> Result<HttpResponse, JsonError> {
    let signed_in = posted.signed_in;
    let ceremony = signed_in.console.auth.start_step_up_passkey(&signed_in.principal).await?;
    let body =
        serde_json::json!({ "ceremony_id": ceremony.ceremony_id, "public_key": public_key_options(ceremony.options) });
    Ok(HttpResponse::Ok().json(body))
}

/// Finishes a step-up with a passkey: the new cookies, and the page that asked next.
async fn finish_passkey(
    req: HttpRequest,
    query: web::Query<Next>,
    posted: JsonPosted<PasskeyFinish>,
) -> Result<HttpResponse, JsonError> {
    let next = next_page(query.next.as_deref());
    let JsonPosted { signed_in, body } = posted;
    credential(&body.credential)?;
    let attempt = PasskeyStepUp { ceremony_id: body.ceremony_id, credential: body.credential };
    let tokens =
        signed_in.console.auth.finish_step_up_passkey(&signed_in.principal, attempt, &signed_in.client).await?;
    set_cookies(&req, token_cookies(&tokens, signed_in.secure()));
    Ok(go_to(StatusCode::OK, next.as_str()))
}
