//! authdb's HTTP API: actix-web routes, extractors and RFC 9457 problem responses.
//!
//! `configure` mounts everything on an actix `ServiceConfig`, so the server binary and
//! tests (`actix_web::test::init_service`) build the same application. This crate never
//! builds SQL; it turns requests into domain values, calls `authdb-service`, and maps
//! the answers (and every error) to HTTP.

mod dto;
mod extract;
mod json;
pub mod openapi;
mod pagination;
mod problem;
mod routes;

use actix_web::web;
use authdb_service::{AuthService, HealthService};

pub use extract::{Authenticated, Client};
pub use json::JsonBody;
pub use problem::{ApiError, FieldError};

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The services the routes call.
#[derive(Clone, Debug)]
pub struct ApiState {
    pub auth: AuthService,
    pub health: HealthService,
}

/// Mounts every route, the body limit and the problem+json fallbacks.
pub fn configure(state: ApiState) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(web::Data::new(state.auth.clone()))
            .app_data(web::Data::new(state.health.clone()))
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .configure(routes::health::configure)
            .service(
                web::scope("/api/v1")
                    .configure(routes::auth::configure)
                    .configure(routes::sessions::configure)
                    .configure(routes::events::configure),
            )
            .default_service(web::to(routes::not_found));
    }
}
