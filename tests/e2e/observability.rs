use authdb_tests::{Backend, spawn_app, spawn_app_with};
use serde_json::Value;

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_sane_one_is_echoed() {
    let app = spawn_app(Backend::Sqlite).await;

    let generated = app.client.get(app.url("/health/live")).send().await.unwrap();
    let id = generated.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");

    let echoed = app.client.get(app.url("/nowhere")).header("X-Request-Id", "trace-abc.123").send().await.unwrap();
    assert_eq!(echoed.status(), 404);
    assert_eq!(echoed.headers()["x-request-id"], "trace-abc.123");

    // Ids with spaces or of absurd length are replaced, not echoed.
    let replaced = app.client.get(app.url("/health/live")).header("X-Request-Id", "a b").send().await.unwrap();
    assert_ne!(replaced.headers()["x-request-id"], "a b");
    let long = "x".repeat(200);
    let replaced = app.client.get(app.url("/health/live")).header("X-Request-Id", &long).send().await.unwrap();
    assert_ne!(replaced.headers()["x-request-id"].to_str().unwrap(), long);
}

async fn metrics_count_requests_by_route_template_logins_and_the_pool(backend: Backend) {
    // Without a grace window a spent refresh token presented again is a replay at once.
    let app = spawn_app_with(backend, |settings| settings.auth.refresh_reuse_grace_secs = 0).await;
    let tokens = app.register_ok("ada").await;
    app.login_ok("ada").await;
    assert_eq!(app.login("ada", "wrong-Password1").await.status(), 401);
    app.refresh_ok(&tokens.refresh_token).await;
    // Reuse of the spent token.
    assert_eq!(app.refresh(&tokens.refresh_token).await.status(), 401);

    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    for expected in [
        r#"authdb_http_requests_total{method="POST",route="/api/v1/auth/login",status="200"}"#,
        r#"authdb_http_request_duration_seconds_bucket{method="POST",route="/api/v1/auth/login",status="401",le="#,
        "authdb_http_requests_in_flight",
        r#"authdb_logins_total{outcome="success"}"#,
        r#"authdb_logins_total{outcome="failure"}"#,
        "authdb_refreshes_total",
        "authdb_refresh_token_reuse_detected_total",
        "authdb_db_pool_connections",
        "authdb_db_pool_idle_connections",
        "authdb_db_pool_acquire_wait_seconds",
        // The replay revoked a session: the revocation set holds it.
        "authdb_revocation_set_size",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
}

/// The value of `label` in one Prometheus sample line.
fn label<'a>(line: &'a str, label: &str) -> &'a str {
    let start = line.find(&format!("{label}=\"")).unwrap_or_else(|| panic!("no {label} in {line}")) + label.len() + 2;
    let end = line[start..].find('"').unwrap();
    &line[start..start + end]
}

/// No label value comes from the client: invented methods and paths fall into `other` and
/// `unmatched`, so the number of series cannot grow with what clients send.
async fn invented_methods_and_paths_add_no_metric_series(backend: Backend) {
    let app = spawn_app(backend).await;
    for n in 0..150 {
        let invented = reqwest::Method::from_bytes(format!("INVENTED{n}").as_bytes()).unwrap();
        let response = app.client.request(invented.clone(), app.url("/api/v1/auth/me")).send().await.unwrap();
        assert_eq!(response.status(), 405);
        let response = app.client.request(invented, app.url(&format!("/invented-{n}"))).send().await.unwrap();
        assert_eq!(response.status(), 404);
        let response = app.client.get(app.url(&format!("/api/v1/invented-{n}/x"))).send().await.unwrap();
        assert_eq!(response.status(), 404);
    }

    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(!text.to_lowercase().contains("invented"), "a client-chosen value became a label:\n{text}");
    let series: Vec<&str> = text
        .lines()
        .filter(|line| {
            line.starts_with("authdb_http_requests_total{")
                || line.starts_with("authdb_http_request_duration_seconds_count{")
        })
        .collect();
    let standard = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "other"];
    for line in &series {
        assert!(standard.contains(&label(line, "method")), "{line}");
        let route = label(line, "route");
        assert!(route == "unmatched" || route.starts_with('/'), "{line}");
    }
    for expected in [
        r#"authdb_http_requests_total{method="other",route="/api/v1/auth/me",status="405"}"#,
        r#"authdb_http_requests_total{method="other",route="unmatched",status="404"}"#,
        r#"authdb_http_requests_total{method="GET",route="unmatched",status="404"}"#,
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
}

on_both_backends!(
    metrics_count_requests_by_route_template_logins_and_the_pool,
    invented_methods_and_paths_add_no_metric_series,
);

#[tokio::test]
async fn rate_limit_rejections_are_counted() {
    let app = spawn_app_with(Backend::Sqlite, |settings| settings.rate_limit.auth_per_minute = 1).await;
    app.login("nobody", "x").await;
    assert_eq!(app.login("nobody", "x").await.status(), 429);
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains(r#"authdb_rate_limit_rejections_total{policy="auth"}"#), "{text}");
}

#[tokio::test]
async fn metrics_can_move_to_their_own_listener() {
    let app = spawn_app_with(Backend::Sqlite, |settings| settings.metrics.bind = Some("127.0.0.1:0".into())).await;
    let main = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(main.status(), 404);
    let port = app.metrics_port.expect("a metrics listener");
    let separate = app.client.get(format!("http://127.0.0.1:{port}/metrics")).send().await.unwrap();
    assert_eq!(separate.status(), 200);
    assert!(separate.text().await.unwrap().contains("authdb_db_pool_connections"));
}

async fn ready_reports_migrations_current(backend: Backend) {
    let app = spawn_app(backend).await;
    let body: Value = app.client.get(app.url("/health/ready")).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["checks"]["migrations"]["status"], "up");
    assert_eq!(body["checks"]["migrations"]["pending"], serde_json::json!([]));
    assert!(body["checks"].get("redis").is_none());
}

on_both_backends!(ready_reports_migrations_current);

#[tokio::test]
async fn ready_reports_pending_migrations_with_503() {
    let app = spawn_app(Backend::Sqlite).await;
    let db = app.database().await;
    authdb_persistence::migrate_down(&db, Some(1)).await.unwrap();

    let response = app.client.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"]["migrations"]["status"], "pending");
    assert_eq!(body["checks"]["migrations"]["pending"].as_array().unwrap().len(), 1);
}
