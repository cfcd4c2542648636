//! The console's pages, one module per page or group of pages. A page module never
//! imports another (what several need lives in `layout`, `session`, `form` or `cookies`);
//! `mount` is the one list of them. Adding a page: a module here, one line in `mount`,
//! and its navigation entry in `nav.rs`.

mod audit;
mod dashboard;
mod events;
mod inventory;
mod organizations;
mod password;
mod platform_organizations;
mod platform_outbox;
mod platform_users;
mod profile;
mod reauthenticate;
mod security;
mod sessions;
mod sign_in;

use actix_web::{HttpResponse, web};

use crate::{assets, error::ConsoleError, layout::see_other};

/// Mounts every page (inside the console's scope).
pub(crate) fn mount(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(home))
        .route("/", web::get().to(home))
        .configure(assets::configure)
        .configure(sign_in::configure)
        .configure(profile::configure)
        .configure(password::configure)
        .configure(reauthenticate::configure)
        .configure(security::configure)
        .configure(sessions::configure)
        .configure(events::configure)
        .configure(dashboard::configure)
        .configure(organizations::configure)
        .configure(platform_users::configure)
        .configure(platform_organizations::configure)
        .configure(platform_outbox::configure)
        .configure(audit::configure)
        .configure(inventory::configure);
}

/// The console's front door: the profile (which sends a visitor without a session on to
/// the sign-in page).
async fn home() -> HttpResponse {
    see_other("/me")
}

/// An unknown console path.
pub(crate) async fn not_found() -> Result<HttpResponse, ConsoleError> {
    Err(ConsoleError::NotFound)
}
