use authdb_tests::{Backend, spawn_app, spawn_app_with};
use serde_json::Value;

async fn live_answers_ok(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.client.get(app.url("/health/live")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), serde_json::json!({"status": "ok"}));
}

async fn ready_reports_the_database_up(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.client.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"]["status"], "up");
    assert!(body["checks"]["database"]["latency_ms"].is_u64());
}

/// The start does not wait for a hash at the configured cost: at bcrypt's highest cost,
/// 31, one hash takes days, and the server is ready all the same (the dummy hash that
/// unknown logins are verified against is derived without computing one).
async fn the_start_does_not_wait_for_a_full_cost_hash(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.bcrypt_cost = 31).await;

    let response = app.client.get(app.url("/health/ready")).send().await.unwrap();

    assert_eq!(response.status(), 200);
}

on_both_backends!(live_answers_ok, ready_reports_the_database_up, the_start_does_not_wait_for_a_full_cost_hash);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_answers_503_when_postgres_is_gone_and_live_stays_up() {
    let mut app = spawn_app(Backend::Postgres).await;
    app.db.drop_postgres_now().await;

    let ready = app.client.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["checks"]["database"]["status"], "down");

    let live = app.client.get(app.url("/health/live")).send().await.unwrap();
    assert_eq!(live.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_answer_503_problem_when_postgres_is_gone() {
    let mut app = spawn_app(Backend::Postgres).await;
    app.db.drop_postgres_now().await;

    let response = app.login("nobody", "Secret123").await;

    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    assert!(response.headers().contains_key("retry-after"));
}
