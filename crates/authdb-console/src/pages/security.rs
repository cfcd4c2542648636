//! Second factors and passkeys: what the account has, removing the TOTP factor (with the
//! password and a current code) or a passkey, each after a confirmation. Both are
//! sensitive actions (step-up). Enrolling TOTP or a passkey is done through the API for
//! now.

use actix_web::{HttpResponse, http::StatusCode, web};
use authdb_domain::PasskeyId;
use maud::html;
use secrecy::SecretString;
use serde::Deserialize;

use crate::{
    error::{ConsoleError, or_step_up},
    form::Posted,
    layout::{confirm, csrf_field, field, page, respond, see_other, url, when},
    session::SignedIn,
};

const NAV: &str = "/me/security";
const MAX_FIELD_BYTES: usize = 1024;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/security", web::get().to(overview))
        .route("/me/totp/remove", web::get().to(confirm_remove_totp))
        .route("/me/totp/remove", web::post().to(remove_totp))
        .route("/me/passkeys/{id}/remove", web::get().to(confirm_remove_passkey))
        .route("/me/passkeys/{id}/remove", web::post().to(remove_passkey));
}

#[derive(Deserialize)]
struct Empty {}

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
    let content = html! {
        section aria-labelledby="totp-heading" {
            h2 id="totp-heading" { "Authenticator app (TOTP)" }
            @if totp {
                p { "Enabled. Sign-in asks for a code from your authenticator app"
                    @if methods.contains(&"recovery_code") { ", or one of your recovery codes" } "." }
                div class="actions" { a class="button danger" href=(url("/me/totp/remove")) { "Remove the authenticator app" } }
            } @else {
                p { "Not enabled. You can enrol an authenticator app through the API (" code { "POST /api/v1/auth/mfa/totp" } ")." }
            }
        }
        section aria-labelledby="passkeys-heading" {
            h2 id="passkeys-heading" { "Passkeys" }
            @if passkeys.is_empty() {
                p { "No passkeys. You can register one through the API (" code { "POST /api/v1/auth/passkeys/register/start" } ")." }
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
        }
    };
    Ok(respond(StatusCode::OK, page("Second factors and passkeys", Some(&signed_in.chrome(NAV)), content)))
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

async fn remove_passkey(id: web::Path<String>, posted: Posted<Empty>) -> Result<HttpResponse, ConsoleError> {
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
