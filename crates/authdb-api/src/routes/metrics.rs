use actix_web::{HttpResponse, http::header, web};
use authdb_service::HealthService;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::endpoint::resource;

/// The Prometheus scrape endpoint, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(metrics))]
pub(crate) struct MetricsApi;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/metrics").route(web::get().to(metrics)));
}

/// Metrics in the Prometheus text format: HTTP requests and latencies by route template,
/// logins, refreshes, reuse detections, rate-limit rejections and the database pool.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain"))
)]
async fn metrics(handle: web::Data<PrometheusHandle>, health: web::Data<HealthService>) -> HttpResponse {
    health.record_pool_metrics().await;
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"))
        .body(handle.render())
}
