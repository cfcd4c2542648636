//! Re-authentication before a sensitive action (the step-up rule): the password, and a
//! TOTP or recovery code when the account has one (`AuthService::step_up_session`, as
//! `POST /api/v1/auth/step-up`). The session's cookies are replaced by the new tokens, and
//! the user goes back to the page that asked.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use authdb_service::{SecondFactorProof, StepUpAttempt};
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;

use crate::{
    cookies::{set_cookies, token_cookies},
    error::ConsoleError,
    form::Posted,
    layout::{ConsolePath, alert, csrf_field, field, page, respond, see_other, url},
    session::SignedIn,
};

const MAX_PASSWORD_BYTES: usize = 1024;
const MAX_CODE_BYTES: usize = 64;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/reauthenticate", web::get().to(form)).route("/me/reauthenticate", web::post().to(reauthenticate));
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
    let passkey_only = !methods.is_empty() && !totp;
    let chrome = signed_in.chrome(next.nav_entry());
    Ok(page(
        "Confirm it is you",
        Some(&chrome),
        html! {
            @if let Some(error) = error {
                @let problem = error.problem();
                (alert(problem.title, &problem.detail))
            }
            p { "This action needs a recent sign-in. Enter your password" @if totp { " and a code" } " to continue." }
            @if passkey_only {
                p { "Your second factor is a passkey, which this page cannot check yet: sign out and sign in again, then retry." }
            } @else {
                form method="post" action=(format!("{}?next={}", url("/me/reauthenticate"), next.as_str())) {
                    (csrf_field(&chrome.form_token))
                    (field("Password", "password", "password", "current-password"))
                    @if totp {
                        div class="field" {
                            label for="code" { "Authentication code" }
                            input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="6";
                        }
                        div class="field" {
                            label for="recovery_code" { "Or a recovery code" }
                            input id="recovery_code" name="recovery_code" type="text" autocomplete="off";
                        }
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
