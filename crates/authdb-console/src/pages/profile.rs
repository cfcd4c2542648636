//! The profile: who the signed-in user is.

use actix_web::{HttpResponse, http::StatusCode, web};
use maud::html;

use crate::{
    error::ConsoleError,
    layout::{page, respond, when},
    session::SignedIn,
};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/me", web::get().to(profile));
}

async fn profile(signed_in: SignedIn) -> Result<HttpResponse, ConsoleError> {
    let user = &signed_in.principal.user;
    let content = html! {
        dl class="facts" {
            dt { "Username" } dd { (user.username) }
            dt { "Email" } dd { (user.email) }
            dt { "Email verified" } dd { @if user.is_verified { "Yes" } @else { "No" } }
            @if let Some(name) = &user.full_name { dt { "Full name" } dd { (name) } }
            dt { "Account created" } dd { (when(user.created_at)) }
            dt { "Password changed" } dd { (when(user.password_changed_at)) }
            @if user.is_superuser { dt { "Role" } dd { "Superuser" } }
        }
    };
    Ok(respond(StatusCode::OK, page("Profile", Some(&signed_in.chrome("/me")), content)))
}
