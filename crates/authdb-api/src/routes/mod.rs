//! The routes, one module per resource, and [`ROUTES`], the one table that mounts them
//! (`crate::configure`) and assembles the OpenAPI document from them
//! (`crate::openapi::document`): a new resource is a new module and one line in the table.
//!
//! Route modules never import each other, nor this module: what several need lives in
//! `crate::endpoint`, `crate::dto`, `crate::fields` or another shared module
//! (`tests/e2e/architecture.rs` checks).

mod access_rules;
mod admin;
mod assets;
mod audit_events;
mod chats;
mod clients;
mod events;
mod health;
mod invitations;
mod login;
mod members;
mod metrics;
mod mfa;
mod networks;
mod oauth;
mod organizations;
mod passkeys;
mod password;
mod password_reset;
mod profile;
mod realtime;
mod register;
mod revocations;
mod roles;
mod scans;
mod services;
mod sessions;
mod step_up;
mod verification;
mod well_known;

use actix_web::web;
use utoipa::OpenApi as _;

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
/// document.
pub(crate) struct RouteModule {
    pub(crate) mount: Mount,
    pub(crate) configure: fn(&mut web::ServiceConfig),
    pub(crate) openapi: fn() -> utoipa::openapi::OpenApi,
}

/// Every route module, in the order the OpenAPI document lists their paths.
pub(crate) const ROUTES: &[RouteModule] = &[
    route(Mount::Root, health::configure, health::HealthApi::openapi),
    route(Mount::Metrics, metrics::configure, metrics::MetricsApi::openapi),
    route(Mount::Api, register::configure, register::RegisterApi::openapi),
    route(Mount::Api, login::configure, login::LoginApi::openapi),
    route(Mount::Api, mfa::configure, mfa::MfaApi::openapi),
    route(Mount::Api, profile::configure, profile::ProfileApi::openapi),
    route(Mount::Api, sessions::configure, sessions::SessionsApi::openapi),
    route(Mount::Api, passkeys::configure, passkeys::PasskeysApi::openapi),
    route(Mount::Api, password::configure, password::PasswordApi::openapi),
    route(Mount::Api, step_up::configure, step_up::StepUpApi::openapi),
    route(Mount::Api, verification::configure, verification::VerificationApi::openapi),
    route(Mount::Api, password_reset::configure, password_reset::PasswordResetApi::openapi),
    route(Mount::Api, organizations::configure, organizations::OrganizationsApi::openapi),
    route(Mount::Api, members::configure, members::MembersApi::openapi),
    route(Mount::Api, roles::configure, roles::RolesApi::openapi),
    route(Mount::Api, invitations::configure, invitations::InvitationsApi::openapi),
    route(Mount::Api, audit_events::configure, audit_events::AuditEventsApi::openapi),
    route(Mount::Api, networks::configure, networks::NetworksApi::openapi),
    route(Mount::Api, assets::configure, assets::AssetsApi::openapi),
    route(Mount::Api, services::configure, services::ServicesApi::openapi),
    route(Mount::Api, scans::configure, scans::ScansApi::openapi),
    route(Mount::Api, access_rules::configure, access_rules::AccessRulesApi::openapi),
    route(Mount::Api, chats::configure, chats::ChatsApi::openapi),
    route(Mount::Api, realtime::configure, realtime::RealtimeApi::openapi),
    route(Mount::Api, admin::configure, admin::AdminApi::openapi),
    route(Mount::Api, clients::configure, clients::ClientsApi::openapi),
    route(Mount::Api, oauth::configure, oauth::OauthApi::openapi),
    route(Mount::Api, revocations::configure, revocations::RevocationsApi::openapi),
    route(Mount::Root, well_known::configure, well_known::WellKnownApi::openapi),
    route(Mount::Api, events::configure, events::EventsApi::openapi),
];

const fn route(
    mount: Mount,
    configure: fn(&mut web::ServiceConfig),
    openapi: fn() -> utoipa::openapi::OpenApi,
) -> RouteModule {
    RouteModule { mount, configure, openapi }
}

/// Mounts the route modules of `mount`.
pub(crate) fn mount(cfg: &mut web::ServiceConfig, mount: Mount) {
    for module in ROUTES.iter().filter(|module| module.mount == mount) {
        (module.configure)(cfg);
    }
}
