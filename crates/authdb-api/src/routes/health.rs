use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use authdb_service::{DatabaseHealth, HealthService, MigrationHealth};
use serde::Serialize;

use crate::endpoint::resource;
use crate::rate_limit::RateLimiter;

/// Liveness and readiness probes, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(live, ready), components(schemas(LiveResponse, ReadyResponse, Check, CheckStatus)))]
pub(crate) struct HealthApi;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/health/live").route(web::get().to(live)))
        .service(resource("/health/ready").route(web::get().to(ready)));
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct LiveResponse {
    #[schema(example = "ok")]
    status: &'static str,
}

/// `ready` when every check passes; `degraded` when only Redis is down (rate limits then
/// let requests through); `unavailable` (503) when the database is down or lacks migrations.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ReadyResponse {
    #[schema(example = "ready")]
    status: &'static str,
    /// `database` and `migrations` always; `redis` when configured.
    checks: BTreeMap<&'static str, Check>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Check {
    status: CheckStatus,
    /// The database round trip, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    latency_ms: Option<u64>,
    /// Migrations this build has that the database lacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pending: Option<Vec<String>>,
}

#[derive(Serialize, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CheckStatus {
    Up,
    Down,
    Pending,
    Unknown,
}

impl Check {
    fn status(status: CheckStatus) -> Self {
        Self { status, latency_ms: None, pending: None }
    }
}

/// The process is up and serving requests.
#[utoipa::path(get, path = "/health/live", tag = "health", responses((status = 200, description = "The process is up", body = LiveResponse)))]
async fn live() -> HttpResponse {
    HttpResponse::Ok().json(LiveResponse { status: "ok" })
}

/// The process can do its work: the database answers and has every migration this build
/// needs; Redis, when configured, is reported too.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "health",
    responses(
        (status = 200, description = "Ready (or degraded: Redis down, rate limits open)", body = ReadyResponse),
        (status = 503, description = "The database is down or lacks migrations", body = ReadyResponse),
    )
)]
async fn ready(health: web::Data<HealthService>, limiter: Option<web::Data<RateLimiter>>) -> HttpResponse {
    let mut checks = BTreeMap::new();
    let database_up = match health.database().await {
        DatabaseHealth::Up { latency } => {
            let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
            checks.insert("database", Check { latency_ms: Some(latency_ms), ..Check::status(CheckStatus::Up) });
            true
        }
        DatabaseHealth::Down => {
            checks.insert("database", Check::status(CheckStatus::Down));
            false
        }
    };
    let migrations_current = if database_up {
        match health.migrations().await {
            MigrationHealth::Current => {
                checks.insert("migrations", Check { pending: Some(Vec::new()), ..Check::status(CheckStatus::Up) });
                true
            }
            MigrationHealth::Pending(pending) => {
                checks.insert("migrations", Check { pending: Some(pending), ..Check::status(CheckStatus::Pending) });
                false
            }
            MigrationHealth::Unknown => {
                checks.insert("migrations", Check::status(CheckStatus::Unknown));
                false
            }
        }
    } else {
        checks.insert("migrations", Check::status(CheckStatus::Unknown));
        false
    };
    let redis_up = match &limiter {
        Some(limiter) => limiter.redis_up().await,
        None => None,
    };
    if let Some(up) = redis_up {
        checks.insert("redis", Check::status(if up { CheckStatus::Up } else { CheckStatus::Down }));
    }
    if database_up && migrations_current {
        let status = if redis_up == Some(false) { "degraded" } else { "ready" };
        HttpResponse::Ok().json(ReadyResponse { status, checks })
    } else {
        HttpResponse::ServiceUnavailable().json(ReadyResponse { status: "unavailable", checks })
    }
}
