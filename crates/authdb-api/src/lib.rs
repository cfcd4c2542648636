//! authdb's HTTP API: actix-web routes, extractors and RFC 9457 problem responses.
//!
//! `configure` mounts everything on an actix `ServiceConfig`, so the server binary and
//! tests (`actix_web::test::init_service`) build the same application. This crate never
//! builds SQL; it turns requests into domain values, calls `authdb-service`, and maps
//! the answers (and every error) to HTTP.
//!
//! **Embedding** (docs/embedding.md): mount [`configure`] at the root or in a scope of your
//! application (`web::scope("/auth")`), and register [`configure_extractors`] where your own
//! routes are, so that they can take [`Authenticated`], [`OrgMember`] and
//! [`RequirePermission`]. Errors are [`ApiError`] problem documents, which your handlers
//! may return too.

mod client_ip;
mod dto;
mod encoding;
mod endpoint;
mod extract;
mod fields;
mod guard;
mod json;
mod limits;
mod msgpack;
mod observe;
pub mod openapi;
mod pagination;
mod problem;
mod rate_limit;
mod routes;
mod socket;

use actix_web::{middleware, web};
use authdb_service::{HealthService, Services};
use endpoint::AllowedMethods;
use metrics_exporter_prometheus::PrometheusHandle;
use routes::Mount;

pub use client_ip::TrustedProxies;
pub use extract::{Authenticated, Client};
pub use guard::{OrgMember, RequirePermission, RequiredPermission, perm};
pub use json::{DeferredJson, JsonBody};
pub use limits::MAX_BODY_BYTES;
pub use observe::{REQUEST_ID_HEADER, RequestId, metrics_handle, observe};
pub use pagination::ListQuery;
pub use problem::{ApiError, FieldError};
pub use rate_limit::{RateLimitConfig, RateLimiter, RedisConfig};

/// The services and shared state the routes use. Build it once per process: the rate
/// limiter's counters are shared by every worker through it.
#[derive(Clone, Debug)]
pub struct ApiState {
    pub services: Services,
    pub rate_limiter: RateLimiter,
    pub trusted_proxies: TrustedProxies,
    /// Where `/metrics` is served: on the main application (`Some`), or elsewhere
    /// ([`configure_metrics`] on a separate listener) or nowhere (`None`).
    pub metrics: Option<PrometheusHandle>,
}

impl ApiState {
    /// Defaults for embedding and tests: no rate limits, no trusted proxies, metrics on.
    pub fn new(services: Services) -> Self {
        Self {
            services,
            rate_limiter: RateLimiter::disabled(),
            trusted_proxies: TrustedProxies::none(),
            metrics: Some(metrics_handle()),
        }
    }
}

/// Mounts every route, the body limit and the problem+json fallbacks. Wrap the app in
/// [`observe`] (`App::new().wrap(actix_web::middleware::from_fn(authdb_api::observe))`) for
/// request ids, access logs and HTTP metrics.
pub fn configure(state: ApiState) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    let document = openapi::document();
    let allowed = web::Data::new(AllowedMethods::from_document(&document));
    let docs = openapi::ServedDocument::new(&document);
    drop(document);
    move |cfg: &mut web::ServiceConfig| {
        let services = &state.services;
        cfg.app_data(allowed.clone())
            .app_data(web::Data::new(services.auth.clone()))
            .app_data(web::Data::new(services.health.clone()))
            .app_data(web::Data::new(services.discovery.clone()))
            .app_data(web::Data::new(services.organizations.clone()))
            .app_data(web::Data::new(services.admin.clone()))
            .app_data(web::Data::new(services.inventory.clone()))
            .app_data(web::Data::new(services.messaging.clone()))
            .app_data(web::Data::new(services.realtime.clone()))
            .app_data(web::Data::new(state.rate_limiter.clone()))
            .app_data(web::Data::new(state.trusted_proxies.clone()))
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .configure(|cfg| routes::mount(cfg, Mount::Root))
            .configure(|cfg| docs.configure(cfg));
        if let Some(handle) = &state.metrics {
            cfg.app_data(web::Data::new(handle.clone())).configure(|cfg| routes::mount(cfg, Mount::Metrics));
        }
        cfg.service(
            web::scope("/api/v1")
                // The last `wrap` runs first: the rate limit counts every request, then a
                // compressed body is refused before anything reads it.
                .wrap(middleware::from_fn(encoding::refuse_encoded_bodies))
                .wrap(middleware::from_fn(rate_limit::limit))
                .configure(|cfg| routes::mount(cfg, Mount::Api)),
        )
        .default_service(web::to(endpoint::not_found));
    }
}

/// What authdb's extractors ([`Authenticated`], [`Client`], [`OrgMember`],
/// [`RequirePermission`]) read from the application, for an embedding service's own
/// routes mounted outside [`configure`] (which registers the same for authdb's routes):
/// `App::new().configure(authdb_api::configure_extractors(&state))`.
pub fn configure_extractors(state: &ApiState) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + use<> {
    let auth = web::Data::new(state.services.auth.clone());
    let organizations = web::Data::new(state.services.organizations.clone());
    let trusted_proxies = web::Data::new(state.trusted_proxies.clone());
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(auth.clone()).app_data(organizations.clone()).app_data(trusted_proxies.clone());
    }
}

/// Only `GET /metrics` (and the probes), for a separate metrics listener.
pub fn configure_metrics(
    handle: PrometheusHandle,
    health: HealthService,
) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    let allowed = web::Data::new(AllowedMethods::from_document(&openapi::document()));
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(allowed.clone())
            .app_data(web::Data::new(handle.clone()))
            .app_data(web::Data::new(health.clone()))
            .configure(|cfg| routes::mount(cfg, Mount::Metrics))
            .default_service(web::to(endpoint::not_found));
    }
}
