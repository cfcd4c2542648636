//! The signed-in user's sessions: the list (this browser's marked), ending one, every
//! other one, or all of them, each after a confirmation page.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use authdb_domain::SessionId;
use maud::html;

use crate::{
    cookies::{cleared_cookies, set_cookies},
    error::ConsoleError,
    form::{NoFields, Posted},
    layout::{confirm, page, respond, see_other, url, when},
    session::SignedIn,
};

const NAV: &str = "/me/sessions";

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/sessions", web::get().to(list))
        .route("/me/sessions/end-others", web::get().to(confirm_end_others))
        .route("/me/sessions/end-others", web::post().to(end_others))
        .route("/me/sessions/end-all", web::get().to(confirm_end_all))
        .route("/me/sessions/end-all", web::post().to(end_all))
        .route("/me/sessions/{id}/end", web::get().to(confirm_end))
        .route("/me/sessions/{id}/end", web::post().to(end));
}

fn session_id(text: &str) -> Result<SessionId, ConsoleError> {
    text.parse().map_err(|_| ConsoleError::NotFound)
}

async fn list(signed_in: SignedIn) -> Result<HttpResponse, ConsoleError> {
    let sessions = signed_in.console.auth.sessions(&signed_in.principal).await?;
    let current = signed_in.principal.session_id;
    let content = html! {
        p { "Each sign-in on a device is a session. End the ones you do not recognise." }
        table {
            caption class="visually-hidden" { "Your sessions, most recently used first" }
            thead { tr { th scope="col" { "Device" } th scope="col" { "Address" } th scope="col" { "Signed in" } th scope="col" { "Last used" } th scope="col" { "Action" } } }
            tbody {
                @for session in &sessions {
                    tr {
                        td {
                            (session.user_agent.as_deref().unwrap_or("unknown device"))
                            @if session.id == current { " " strong class="tag" { "this browser" } }
                        }
                        td { (session.ip.as_deref().unwrap_or("")) }
                        td { (when(session.created_at)) }
                        td { (when(session.last_used_at)) }
                        td {
                            @if session.id == current {
                                "—"
                            } @else {
                                a href=(url(&format!("/me/sessions/{}/end", session.id))) { "End" span class="visually-hidden" { " the session of " (session.user_agent.as_deref().unwrap_or("unknown device")) } }
                            }
                        }
                    }
                }
            }
        }
        div class="actions" {
            a class="button" href=(url("/me/sessions/end-others")) { "End all other sessions" }
            a class="button danger" href=(url("/me/sessions/end-all")) { "End all sessions" }
        }
    };
    Ok(respond(StatusCode::OK, page("Sessions", Some(&signed_in.chrome(NAV)), content)))
}

async fn confirm_end(signed_in: SignedIn, id: web::Path<String>) -> Result<HttpResponse, ConsoleError> {
    let id = session_id(&id)?;
    let sessions = signed_in.console.auth.sessions(&signed_in.principal).await?;
    let session = sessions.iter().find(|session| session.id == id).ok_or(ConsoleError::NotFound)?;
    let device = session.user_agent.as_deref().unwrap_or("unknown device");
    let question = format!(
        "End the session of {device} (last used from {})? Whoever uses it is signed out at once.",
        session.ip.as_deref().unwrap_or("an unknown address")
    );
    let action = format!("/me/sessions/{id}/end");
    let markup = confirm(&signed_in.chrome(NAV), "End a session", &question, &action, "End the session", NAV);
    Ok(respond(StatusCode::OK, markup))
}

async fn end(req: HttpRequest, id: web::Path<String>, posted: Posted<NoFields>) -> Result<HttpResponse, ConsoleError> {
    let id = session_id(&id)?;
    let signed_in = posted.signed_in;
    signed_in.console.auth.revoke_own_session(&signed_in.principal, id, &signed_in.client).await?;
    if id == signed_in.principal.session_id {
        set_cookies(&req, cleared_cookies(signed_in.secure()));
        return Ok(see_other("/sign-in"));
    }
    Ok(see_other(NAV))
}

async fn confirm_end_others(signed_in: SignedIn) -> Result<HttpResponse, ConsoleError> {
    let question = "End every session except this browser's? Every other device is signed out at once.";
    let markup = confirm(
        &signed_in.chrome(NAV),
        "End all other sessions",
        question,
        "/me/sessions/end-others",
        "End all other sessions",
        NAV,
    );
    Ok(respond(StatusCode::OK, markup))
}

/// Ends each other live session, one revocation each (the service's own rule for ending
/// one of the caller's sessions).
async fn end_others(posted: Posted<NoFields>) -> Result<HttpResponse, ConsoleError> {
    let signed_in = posted.signed_in;
    let auth = &signed_in.console.auth;
    let current = signed_in.principal.session_id;
    for session in auth.sessions(&signed_in.principal).await? {
        if session.id == current {
            continue;
        }
        match auth.revoke_own_session(&signed_in.principal, session.id, &signed_in.client).await {
            // Ended meanwhile (elsewhere, or by its own expiry): what was asked for.
            Ok(()) | Err(authdb_service::ServiceError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(see_other(NAV))
}

async fn confirm_end_all(signed_in: SignedIn) -> Result<HttpResponse, ConsoleError> {
    let question = "End every session, this browser's included? You will have to sign in again everywhere.";
    let markup =
        confirm(&signed_in.chrome(NAV), "End all sessions", question, "/me/sessions/end-all", "End all sessions", NAV);
    Ok(respond(StatusCode::OK, markup))
}

async fn end_all(req: HttpRequest, posted: Posted<NoFields>) -> Result<HttpResponse, ConsoleError> {
    let signed_in = posted.signed_in;
    signed_in.console.auth.logout_all(&signed_in.principal, &signed_in.client).await?;
    set_cookies(&req, cleared_cookies(signed_in.secure()));
    Ok(see_other("/sign-in"))
}
