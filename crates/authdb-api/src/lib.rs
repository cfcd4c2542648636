//! authdb's HTTP API: actix-web routes, extractors and RFC 9457 problem responses.
//!
//! `configure` mounts everything on an actix `ServiceConfig`, so the server binary and
//! tests (`actix_web::test::init_service`) build the same application. This crate never
//! builds SQL; it turns requests into domain values, calls `authdb-service`, and maps
//! the answers (and every error) to HTTP.

mod client_ip;
mod dto;
mod extract;
mod fields;
mod guard;
mod json;
mod observe;
pub mod openapi;
mod pagination;
mod problem;
pub mod rate_limit;
mod routes;

use actix_web::{middleware, web};
use authdb_service::{HealthService, Services};
use metrics_exporter_prometheus::PrometheusHandle;
use utoipa::OpenApi as _;

pub use client_ip::TrustedProxies;
pub use extract::{Authenticated, Client};
pub use guard::{OrgMember, RequirePermission, RequiredPermission, perm};
pub use json::{DeferredJson, JsonBody};
pub use observe::{REQUEST_ID_HEADER, RequestId, metrics_handle, observe};
pub use pagination::ListQuery;
pub use problem::{ApiError, FieldError};
pub use rate_limit::{RateLimitConfig, RateLimiter, RedisConfig};

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

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
    move |cfg: &mut web::ServiceConfig| {
        let services = &state.services;
        cfg.app_data(web::Data::new(services.auth.clone()))
            .app_data(web::Data::new(services.health.clone()))
            .app_data(web::Data::new(services.discovery.clone()))
            .app_data(web::Data::new(services.organizations.clone()))
            .app_data(web::Data::new(services.admin.clone()))
            .app_data(web::Data::new(state.rate_limiter.clone()))
            .app_data(web::Data::new(state.trusted_proxies.clone()))
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .configure(|cfg| mount(cfg, Mount::Root));
        if let Some(handle) = &state.metrics {
            cfg.app_data(web::Data::new(handle.clone())).configure(|cfg| mount(cfg, Mount::Metrics));
        }
        cfg.service(
            web::scope("/api/v1").wrap(middleware::from_fn(rate_limit::limit)).configure(|cfg| mount(cfg, Mount::Api)),
        )
        .default_service(web::to(routes::not_found));
    }
}

/// Only `GET /metrics` (and the probes), for a separate metrics listener.
pub fn configure_metrics(
    handle: PrometheusHandle,
    health: HealthService,
) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(web::Data::new(handle.clone()))
            .app_data(web::Data::new(health.clone()))
            .configure(|cfg| mount(cfg, Mount::Metrics))
            .default_service(web::to(routes::not_found));
    }
}

/// Where a route module is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mount {
    /// At the root: probes, discovery, the docs page.
    Root,
    /// Under `/api/v1`, behind the rate limiter.
    Api,
    /// At the root, only when `/metrics` is served by the main application.
    Metrics,
}

/// One route module: where it is mounted, its routes, and its part of the OpenAPI
/// document (`None` for the docs page, which documents nothing itself).
pub(crate) struct RouteModule {
    pub(crate) mount: Mount,
    pub(crate) configure: fn(&mut web::ServiceConfig),
    pub(crate) openapi: Option<fn() -> utoipa::openapi::OpenApi>,
}

/// Every route module, in the order the OpenAPI document lists their paths.
pub(crate) const ROUTES: &[RouteModule] = &[
    route(Mount::Root, routes::health::configure, Some(routes::health::HealthApi::openapi)),
    route(Mount::Metrics, routes::metrics::configure, Some(routes::metrics::MetricsApi::openapi)),
    route(Mount::Api, routes::register::configure, Some(routes::register::RegisterApi::openapi)),
    route(Mount::Api, routes::login::configure, Some(routes::login::LoginApi::openapi)),
    route(Mount::Api, routes::profile::configure, Some(routes::profile::ProfileApi::openapi)),
    route(Mount::Api, routes::sessions::configure, Some(routes::sessions::SessionsApi::openapi)),
    route(Mount::Api, routes::password::configure, Some(routes::password::PasswordApi::openapi)),
    route(Mount::Api, routes::organizations::configure, Some(routes::organizations::OrganizationsApi::openapi)),
    route(Mount::Api, routes::members::configure, Some(routes::members::MembersApi::openapi)),
    route(Mount::Api, routes::roles::configure, Some(routes::roles::RolesApi::openapi)),
    route(Mount::Api, routes::invitations::configure, Some(routes::invitations::InvitationsApi::openapi)),
    route(Mount::Api, routes::admin::configure, Some(routes::admin::AdminApi::openapi)),
    route(Mount::Api, routes::oauth::configure, Some(routes::oauth::OauthApi::openapi)),
    route(Mount::Root, routes::well_known::configure, Some(routes::well_known::WellKnownApi::openapi)),
    route(Mount::Api, routes::events::configure, Some(routes::events::EventsApi::openapi)),
    route(Mount::Root, routes::docs::configure, None),
];

const fn route(
    mount: Mount,
    configure: fn(&mut web::ServiceConfig),
    openapi: Option<fn() -> utoipa::openapi::OpenApi>,
) -> RouteModule {
    RouteModule { mount, configure, openapi }
}

/// Mounts the route modules of `mount`.
fn mount(cfg: &mut web::ServiceConfig, mount: Mount) {
    for module in ROUTES.iter().filter(|module| module.mount == mount) {
        (module.configure)(cfg);
    }
}
