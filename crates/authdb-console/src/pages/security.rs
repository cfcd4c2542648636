//! Second factors and passkeys: what the account has; enrolling an authenticator app
//! (TOTP: the password, then the secret as text, its `otpauth://` URI and a QR code, then
//! a first code, then the recovery codes, shown once) as `POST /api/v1/auth/mfa/totp` and
//! `/totp/confirm`; registering a passkey (the console's script runs the WebAuthn
//! ceremony against two JSON endpoints, as `/api/v1/auth/passkeys/register/start|finish`);
//! removing the TOTP factor (with the password and a current code) or a passkey, each after
//! a confirmation. Removing is a sensitive action (step-up).

use actix_web::{HttpResponse, http::StatusCode, web};
use authdb_domain::{PasskeyId, PasskeyName};
use authdb_service::{PasskeyRegistration, ServiceError, TotpEnrolment};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use maud::{Markup, html};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    error::{ConsoleError, or_step_up},
    form::{NoFields, Posted},
    json::{JsonError, JsonPosted, credential, go_to, public_key_options},
    layout::{alert, confirm, csrf_field, field, page, passkey_ceremony, respond, scripted_page, see_other, url, when},
    session::SignedIn,
};

const NAV: &str = "/me/security";
const MAX_FIELD_BYTES: usize = 1024;
const MAX_CODE_BYTES: usize = 64;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/security", web::get().to(overview))
        .route("/me/totp/enrol", web::get().to(enrol_form))
        .route("/me/totp/enrol", web::post().to(enrol))
        .route("/me/totp/confirm", web::post().to(confirm_enrolment))
        .route("/me/passkeys/register/start", web::post().to(start_registration))
        .route("/me/passkeys/register/finish", web::post().to(finish_registration))
        .route("/me/totp/remove", web::get().to(confirm_remove_totp))
        .route("/me/totp/remove", web::post().to(remove_totp))
        .route("/me/passkeys/{id}/remove", web::get().to(confirm_remove_passkey))
        .route("/me/passkeys/{id}/remove", web::post().to(remove_passkey));
}

#[derive(Deserialize)]
struct PasswordForm {
    password: String,
}

#[derive(Deserialize)]
struct CodeForm {
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    ceremony_id: Uuid,
    name: String,
    credential: serde_json::Value,
}

#[derive(Deserialize)]
struct RemoveTotpForm {
    password: String,
    code: String,
}

fn passkey_id(text: &str) -> Result<PasskeyId, ConsoleError> {
    text.parse().map_err(|_| ConsoleError::NotFound)
}

async fn overview(signed_in: SignedIn) -> Result<HttpResponse, ConsoleError> {
    let auth = &signed_in.console.auth;
    let methods = auth.second_factor_methods(signed_in.principal.user.id).await?;
    let passkeys = auth.passkeys(&signed_in.principal).await?;
    let totp = methods.contains(&"totp");
    let chrome = signed_in.chrome(NAV);
    let content = html! {
        section aria-labelledby="totp-heading" {
            h2 id="totp-heading" { "Authenticator app (TOTP)" }
            @if totp {
                p { "Enabled. Sign-in asks for a code from your authenticator app"
                    @if methods.contains(&"recovery_code") { ", or one of your recovery codes" } "." }
                div class="actions" { a class="button danger" href=(url("/me/totp/remove")) { "Remove the authenticator app" } }
            } @else {
                p { "Not enabled. An authenticator app on your phone shows a new code every 30 seconds; sign-in will then ask for one." }
                div class="actions" { a class="button" href=(url("/me/totp/enrol")) { "Set up an authenticator app" } }
            }
        }
        section aria-labelledby="passkeys-heading" {
            h2 id="passkeys-heading" { "Passkeys" }
            @if passkeys.is_empty() {
                p { "No passkeys. A passkey signs you in with your device's screen lock or a security key, without a password." }
            } @else {
                table {
                    caption class="visually-hidden" { "Your passkeys" }
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Added" } th scope="col" { "Last used" } th scope="col" { "Synced" } th scope="col" { "Action" } } }
                    tbody {
                        @for passkey in &passkeys {
                            tr {
                                td { (passkey.name.as_str()) }
                                td { (when(passkey.created_at)) }
                                td { @if let Some(at) = passkey.last_used_at { (when(at)) } @else { "never" } }
                                td { @if passkey.backup_eligible { "yes" } @else { "no" } }
                                td { a href=(url(&format!("/me/passkeys/{}/remove", passkey.id))) { "Remove" span class="visually-hidden" { " " (passkey.name.as_str()) } } }
                            }
                        }
                    }
                }
            }
            h3 { "Register a passkey" }
            (passkey_ceremony(
                "register",
                "/me/passkeys/register/start",
                "/me/passkeys/register/finish",
                &chrome.form_token,
                "Register a passkey",
                html! {
                    div class="field" {
                        label for="passkey-name" { "Name of the new passkey" }
                        input id="passkey-name" name="name" type="text" maxlength=(PasskeyName::MAX_CHARS) required autocomplete="off";
                    }
                },
            ))
        }
    };
    Ok(respond(StatusCode::OK, scripted_page("Second factors and passkeys", Some(&chrome), content)))
}

async fn confirm_remove_totp(signed_in: SignedIn) -> Result<HttpResponse, ConsoleError> {
    let chrome = signed_in.chrome(NAV);
    let content = html! {
        p { "Remove your authenticator app and your recovery codes? Sign-in will then ask for your password only. Confirm with your password and a current code." }
        form method="post" action=(url("/me/totp/remove")) {
            (csrf_field(&chrome.form_token))
            (field("Password", "password", "password", "current-password"))
            (field("Authentication code", "code", "text", "one-time-code"))
            div class="actions" {
                button type="submit" class="danger" { "Remove the authenticator app" }
                a href=(url(NAV)) { "Cancel" }
            }
        }
    };
    Ok(respond(StatusCode::OK, page("Remove the authenticator app", Some(&chrome), content)))
}

async fn remove_totp(posted: Posted<RemoveTotpForm>) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed_in, form } = posted;
    if form.password.len() > MAX_FIELD_BYTES || form.code.len() > MAX_FIELD_BYTES {
        return Err(ConsoleError::BadForm("a field is too long".into()));
    }
    let auth = &signed_in.console.auth;
    auth.disable_totp(&signed_in.principal, SecretString::from(form.password), form.code.trim(), &signed_in.client)
        .await
        .map_err(|error| or_step_up(error, NAV))?;
    Ok(see_other(NAV))
}

async fn confirm_remove_passkey(signed_in: SignedIn, id: web::Path<String>) -> Result<HttpResponse, ConsoleError> {
    let id = passkey_id(&id)?;
    let passkey = signed_in.console.auth.passkey(&signed_in.principal, id).await?;
    let question = format!("Remove the passkey “{}”? It will no longer sign you in.", passkey.name.as_str());
    let action = format!("/me/passkeys/{id}/remove");
    let markup = confirm(&signed_in.chrome(NAV), "Remove a passkey", &question, &action, "Remove the passkey", NAV);
    Ok(respond(StatusCode::OK, markup))
}

async fn remove_passkey(id: web::Path<String>, posted: Posted<NoFields>) -> Result<HttpResponse, ConsoleError> {
    let id = passkey_id(&id)?;
    let signed_in = posted.signed_in;
    signed_in
        .console
        .auth
        .remove_passkey(&signed_in.principal, id, &signed_in.client)
        .await
        .map_err(|error| or_step_up(error, NAV))?;
    Ok(see_other(NAV))
}

fn bounded(name: &str, value: &str, max: usize) -> Result<(), ConsoleError> {
    if value.len() > max {
        return Err(ConsoleError::BadForm(format!("{name}: at most {max} bytes")));
    }
    Ok(())
}

/// The first step of an enrolment: the password.
fn enrol_page(signed_in: &SignedIn, error: Option<&ConsoleError>) -> Markup {
    let chrome = signed_in.chrome(NAV);
    page(
        "Set up an authenticator app",
        Some(&chrome),
        html! {
            @if let Some(error) = error {
                @let problem = error.problem();
                (alert(problem.title, &problem.detail))
            }
            p { "Confirm your password to get a new secret for your authenticator app. Nothing changes at sign-in until you confirm it with a first code." }
            form method="post" action=(url("/me/totp/enrol")) {
                (csrf_field(&chrome.form_token))
                (field("Password", "password", "password", "current-password"))
                div class="actions" {
                    button type="submit" { "Continue" }
                    a href=(url(NAV)) { "Cancel" }
                }
            }
        },
    )
}

/// The form of the first code.
fn code_form(token: &str) -> Markup {
    html! {
        form method="post" action=(url("/me/totp/confirm")) {
            (csrf_field(token))
            div class="field" {
                label for="code" { "Code from the app" }
                input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                    pattern="[0-9]{6}" maxlength="6" required;
            }
            div class="actions" {
                button type="submit" { "Turn on" }
                a href=(url(NAV)) { "Cancel" }
            }
        }
    }
}

/// The second step: the secret (text, URI and QR code) and the form of the first code.
fn secret_page(signed_in: &SignedIn, enrolment: &TotpEnrolment) -> Markup {
    let chrome = signed_in.chrome(NAV);
    // An `img` of the SVG (presentation attributes only: no style for the CSP to refuse).
    let qr = format!("data:image/svg+xml;base64,{}", STANDARD.encode(enrolment.qr_svg.as_bytes()));
    page(
        "Set up an authenticator app",
        Some(&chrome),
        html! {
            ol {
                li {
                    p { "Scan this QR code with your authenticator app:" }
                    div class="qr" { img src=(qr) alt="QR code of the authenticator app's setup link (the same as the secret below)" width="200" height="200"; }
                }
                li {
                    p { "or enter this secret by hand: " code class="secret" id="totp-secret" { (enrolment.secret.expose_secret()) } }
                    p { "Its setup link: " code class="secret" id="totp-uri" { (enrolment.otpauth_uri.expose_secret()) } }
                }
                li { p { "Then enter the 6-digit code the app shows." } (code_form(&chrome.form_token)) }
            }
        },
    )
}

/// A wrong first code: the form again, with the problem (the secret is not shown again:
/// start over if it is lost).
fn code_again_page(signed_in: &SignedIn, error: &ConsoleError) -> Markup {
    let chrome = signed_in.chrome(NAV);
    let problem = error.problem();
    page(
        "Set up an authenticator app",
        Some(&chrome),
        html! {
            (alert(problem.title, &problem.detail))
            p { "Enter the code your authenticator app shows now. Lost the secret? " a href=(url("/me/totp/enrol")) { "Start again" } "." }
            (code_form(&chrome.form_token))
        },
    )
}

/// A page with the problem of a failed step, or the error itself when it is no user's
/// mistake (a 5xx) or a redirect (step-up, sign-in).
fn page_or_error(
    error: ServiceError,
    markup: impl FnOnce(&ConsoleError) -> Markup,
) -> Result<HttpResponse, ConsoleError> {
    match error {
        error @ (ServiceError::Unavailable(_) | ServiceError::Internal(_)) => Err(error.into()),
        error => {
            let error = ConsoleError::Service(error);
            let markup = markup(&error);
            Ok(error.with_page(markup))
        }
    }
}

async fn enrol_form(signed_in: SignedIn) -> Result<HttpResponse, ConsoleError> {
    Ok(respond(StatusCode::OK, enrol_page(&signed_in, None)))
}

async fn enrol(posted: Posted<PasswordForm>) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed_in, form } = posted;
    bounded("password", &form.password, MAX_FIELD_BYTES)?;
    let auth = &signed_in.console.auth;
    match auth.start_totp(&signed_in.principal, SecretString::from(form.password), &signed_in.client).await {
        Ok(enrolment) => Ok(respond(StatusCode::OK, secret_page(&signed_in, &enrolment))),
        Err(error) => page_or_error(error, |error| enrol_page(&signed_in, Some(error))),
    }
}

async fn confirm_enrolment(posted: Posted<CodeForm>) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed_in, form } = posted;
    let code = form.code.trim();
    if code.is_empty() {
        return Err(ConsoleError::BadForm("code: enter the code your authenticator app shows".into()));
    }
    bounded("code", code, MAX_CODE_BYTES)?;
    let auth = &signed_in.console.auth;
    let codes = match auth.confirm_totp(&signed_in.principal, code, &signed_in.client).await {
        Ok(codes) => codes,
        Err(error) => return page_or_error(error, |error| code_again_page(&signed_in, error)),
    };
    let content = html! {
        (crate::layout::notice("Your authenticator app is on: sign-in will ask for one of its codes."))
        h2 { "Your recovery codes" }
        p { "Each one signs you in once if you lose your phone. Keep them somewhere safe: this page is the only time they are shown." }
        ol class="codes" id="recovery-codes" {
            @for code in &codes { li { code { (code.expose_secret()) } } }
        }
        p { a href=(url(NAV)) { "Done" } }
    };
    Ok(respond(StatusCode::OK, page("Authenticator app on", Some(&signed_in.chrome(NAV)), content)))
}

/// Starts registering a passkey: the options for `navigator.credentials.create()`.
async fn start_registration(posted: JsonPosted<StartBody>) -> Result<HttpResponse, JsonError> {
    let signed_in = posted.signed_in;
    let ceremony = signed_in.console.auth.start_passkey_registration(&signed_in.principal).await?;
    let body =
        serde_json::json!({ "ceremony_id": ceremony.ceremony_id, "public_key": public_key_options(ceremony.options) });
    Ok(HttpResponse::Ok().json(body))
}

/// Verifies the browser's answer and stores the passkey under its name; the script goes
/// back to the overview.
async fn finish_registration(posted: JsonPosted<RegisterBody>) -> Result<HttpResponse, JsonError> {
    let JsonPosted { signed_in, body } = posted;
    let name = PasskeyName::parse(&body.name, "name");
    let checked = credential(&body.credential);
    let name = match (name, checked) {
        (Ok(name), Ok(())) => name,
        (Err(violation), _) => return Err(ServiceError::Invalid(vec![violation]).into()),
        (_, Err(error)) => return Err(error),
    };
    let registration = PasskeyRegistration { ceremony_id: body.ceremony_id, name, credential: body.credential };
    signed_in.console.auth.finish_passkey_registration(&signed_in.principal, registration, &signed_in.client).await?;
    Ok(go_to(StatusCode::CREATED, NAV))
}
