//! Request ids, the per-request tracing span, the access log line and the HTTP metrics.

use std::{
    sync::OnceLock,
    time::{Duration, Instant},
};

use actix_web::{
    HttpMessage as _,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{
        Method,
        header::{HeaderName, HeaderValue},
    },
    middleware::Next,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::Instrument as _;

/// The request id header, read from the client (or proxy) and echoed in every response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// A client-supplied id longer than this, or with other than visible ASCII, is replaced.
const MAX_REQUEST_ID_LEN: usize = 128;

/// The id of the request being served; in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Latency buckets in seconds, from a cache hit to a slow bcrypt.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process-wide Prometheus recorder, installed on first use. Every application in the
/// process (tests start many) reports to it.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (an embedding application's); this
            // handle then renders only what it records itself.
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics shows authdb's own only");
            }
            describe();
            let upkeep = handle.clone();
            // Histograms are drained into the registry by upkeep; without it they grow.
            let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            });
            if let Err(error) = spawned {
                tracing::warn!(error = %error, "could not start the metrics upkeep thread");
            }
            handle
        })
        .clone()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!("authdb_http_requests_total", "HTTP requests by method, route template and status");
    describe_histogram!(
        "authdb_http_request_duration_seconds",
        Unit::Seconds,
        "HTTP request latency by method, route template and status"
    );
    describe_gauge!("authdb_http_requests_in_flight", "HTTP requests being served");
    describe_counter!("authdb_logins_total", "Password logins by outcome (success, failure)");
    describe_counter!(
        "authdb_login_accounts_under_attack_total",
        "Accounts whose failed logins over all addresses crossed auth.lockout_account_alert_threshold"
    );
    describe_counter!("authdb_refreshes_total", "Successful refresh-token rotations");
    describe_counter!("authdb_refresh_token_reuse_detected_total", "Spent refresh tokens presented again");
    describe_counter!("authdb_rate_limit_rejections_total", "Requests refused with 429, by policy");
    describe_counter!(
        "authdb_rate_limit_store_errors_total",
        "Rate-limit store (Redis) failures; requests let through"
    );
    describe_gauge!("authdb_db_pool_connections", "Open database connections (idle or in use)");
    describe_gauge!("authdb_db_pool_idle_connections", "Idle database connections");
    describe_gauge!("authdb_db_pool_max_connections", "The pool's maximum size");
    describe_gauge!(
        "authdb_db_pool_acquire_wait_seconds",
        Unit::Seconds,
        "Time to take a connection from the pool, sampled at each scrape"
    );
}

/// The `route` label of a request no route matched: its path is the client's to choose.
const UNMATCHED_ROUTE: &str = "unmatched";

/// The `method` label: a method RFC 9110 (or RFC 5789, PATCH) defines, else `other`. Any
/// token is a valid method, and a label value the client chooses is a new time series each
/// time: label values come from a fixed set, never from the request.
fn method_label(method: &Method) -> String {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::CONNECT,
        Method::OPTIONS,
        Method::TRACE,
        Method::PATCH,
    ];
    if STANDARD.contains(method) { method.as_str().to_owned() } else { "other".to_owned() }
}

/// Takes the request id from `X-Request-Id` when it is sane, else makes one (UUID v7).
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= MAX_REQUEST_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned)
}

/// Decrements the in-flight gauge even when the request future is dropped.
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        metrics::gauge!("authdb_http_requests_in_flight").increment(1.0);
        Self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!("authdb_http_requests_in_flight").decrement(1.0);
    }
}

/// Wraps the whole application: gives the request an id and a span that every log line
/// of the request carries, counts and times it, and writes one access log line.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = req.path());
    async move {
        let _in_flight = InFlight::enter();
        let started = Instant::now();
        let outcome = next.call(req).await;
        let elapsed = started.elapsed();
        let mut response = match outcome {
            Ok(response) => response,
            Err(error) => {
                tracing::info!(elapsed_ms = elapsed.as_millis(), error = %error, "request failed before a response");
                return Err(error);
            }
        };
        let status = response.status().as_u16();
        let route = response.request().match_pattern().unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
        let labels = [("method", method_label(&method)), ("route", route), ("status", status.to_string())];
        metrics::counter!("authdb_http_requests_total", &labels).increment(1);
        metrics::histogram!("authdb_http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
        }
        tracing::info!(status, elapsed_ms = elapsed.as_millis(), "request");
        Ok(response)
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_methods_are_their_own_label_and_others_are_other() {
        for method in ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"] {
            assert_eq!(method_label(&Method::from_bytes(method.as_bytes()).expect("method")), method);
        }
        for invented in ["FOO", "get", "PROPFIND", "X-1"] {
            assert_eq!(method_label(&Method::from_bytes(invented.as_bytes()).expect("method")), "other", "{invented}");
        }
    }
}
