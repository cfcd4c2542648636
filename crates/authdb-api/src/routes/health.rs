use actix_web::{HttpResponse, web};
use authdb_service::{DatabaseHealth, HealthService};
use serde_json::json;

use super::resource;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/health/live").route(web::get().to(live)))
        .service(resource("/health/ready").route(web::get().to(ready)));
}

/// The process is up and serving requests.
async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The process can do its work: the database answers.
async fn ready(health: web::Data<HealthService>) -> HttpResponse {
    match health.database().await {
        DatabaseHealth::Up { latency } => HttpResponse::Ok().json(json!({
            "status": "ready",
            "checks": { "database": { "status": "up", "latency_ms": latency.as_millis() } },
        })),
        DatabaseHealth::Down => HttpResponse::ServiceUnavailable().json(json!({
            "status": "unavailable",
            "checks": { "database": { "status": "down" } },
        })),
    }
}
