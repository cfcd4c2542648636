//! Bad requests get clear problem+json answers, never a 5xx.

use authdb_tests::{Backend, spawn_app};
use serde_json::Value;

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    body
}

async fn malformed_json_is_400(backend: Backend) {
    let app = spawn_app(backend).await;
    for body in ["{", "{\"email\": }", "", "nonsense"] {
        let response = app
            .client
            .post(app.url("/api/v1/auth/register"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let problem = problem(response, 400).await;
        assert_eq!(problem["type"], "/problems/malformed-json", "{body}");
    }
}

async fn a_body_over_64_kib_is_413(backend: Backend) {
    let app = spawn_app(backend).await;
    let big = format!(r#"{{"email": "{}"}}"#, "a".repeat(70 * 1024));

    let response = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();

    problem(response, 413).await;
}

async fn a_body_that_is_not_json_is_415(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("login=a&password=b")
        .send()
        .await
        .unwrap();

    problem(response, 415).await;
}

async fn wrong_types_and_missing_fields_are_422_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app
        .post_json("/api/v1/auth/register", &serde_json::json!({"email": 42, "username": "abc", "password": "x"}))
        .await;
    let body = problem(response, 422).await;
    assert_eq!(body["errors"][0]["field"], "email");

    let response = app.post_json("/api/v1/auth/register", &serde_json::json!({"email": "a@b.co"})).await;
    let body = problem(response, 422).await;
    assert_eq!(body["errors"][0]["field"], "username");
}

async fn unknown_routes_are_404_and_wrong_methods_405(backend: Backend) {
    let app = spawn_app(backend).await;

    let missing = app.client.get(app.url("/api/v1/nothing-here")).send().await.unwrap();
    problem(missing, 404).await;

    let wrong_method = app.client.get(app.url("/api/v1/auth/login")).send().await.unwrap();
    problem(wrong_method, 405).await;
}

on_both_backends!(
    malformed_json_is_400,
    a_body_over_64_kib_is_413,
    a_body_that_is_not_json_is_415,
    wrong_types_and_missing_fields_are_422_naming_the_field,
    unknown_routes_are_404_and_wrong_methods_405,
);
