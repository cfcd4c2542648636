//! Bad requests get clear problem+json answers, never a 5xx.

use crate::answers::problem;
use authdb_tests::{Backend, spawn_app};

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

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Bodies are read as sent, never decompressed: a compressed body could inflate far past
/// the 64 KiB limit before anything measured it.
async fn a_compressed_body_is_415_naming_content_encoding(backend: Backend) {
    let app = spawn_app(backend).await;
    let register =
        serde_json::json!({"email": "zip@example.com", "username": "zip", "password": authdb_tests::PASSWORD});
    let form = format!("grant_type=password&username=zip&password={}", authdb_tests::PASSWORD);
    let requests = [
        ("/api/v1/auth/register", "application/json", "gzip", gzip(register.to_string().as_bytes())),
        ("/api/v1/auth/register", "application/json", "br", register.to_string().into_bytes()),
        ("/api/v1/auth/register", "application/json", "identity, gzip", gzip(register.to_string().as_bytes())),
        ("/api/v1/auth/token", "application/x-www-form-urlencoded", "gzip", gzip(form.as_bytes())),
    ];

    for (path, content_type, encoding, body) in requests {
        let response = app
            .client
            .post(app.url(path))
            .header("content-type", content_type)
            .header("content-encoding", encoding)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["accept-encoding"], "identity", "{path} {encoding}");
        let problem = problem(response, 415).await;
        assert_eq!(problem["type"], "/problems/unsupported-content-encoding", "{path} {encoding}");
        assert!(problem["detail"].as_str().unwrap().contains("Content-Encoding"), "{problem}");
    }

    // `identity` is no coding at all.
    let response = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .header("content-encoding", "identity")
        .body(register.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
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

async fn nul_characters_are_422_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;
    let cases = [
        ("/api/v1/auth/login", r#"{"login": "al\u0000ice", "password": "Secret123"}"#, "login"),
        ("/api/v1/auth/login", r#"{"login": "alice", "password": "Sec\u0000ret123"}"#, "password"),
        ("/api/v1/auth/refresh", r#"{"refresh_token": "\u0000"}"#, "refresh_token"),
        (
            "/api/v1/auth/register",
            r#"{"email": "b@x.co", "username": "bob", "password": "Secret123", "full_name": "B\u0000"}"#,
            "full_name",
        ),
    ];
    for (path, body, field) in cases {
        let response =
            app.client.post(app.url(path)).header("content-type", "application/json").body(body).send().await.unwrap();
        assert_eq!(problem(response, 422).await["errors"][0]["field"], field, "{body}");
    }
    let response = app
        .client
        .patch(app.url("/api/v1/auth/me"))
        .bearer_auth(&tokens.access_token)
        .header("content-type", "application/json")
        .body(r#"{"preferences": {"theme": "da\u0000rk"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(response, 422).await["errors"][0]["field"], "preferences.theme");
}

/// A change (`PATCH`) may leave a field out to keep its value, and send `null` to clear a
/// nullable one; `null` for a value that cannot be cleared is a 422 naming the field, and
/// changes nothing (it was once taken as "no change", silently).
async fn a_null_for_a_value_that_cannot_be_cleared_is_422_naming_it(backend: Backend) {
    use serde_json::{Value, json};

    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let token = &alice.access_token;
    let org = app.create_organization_ok(token, "acme").await["id"].as_str().unwrap().to_owned();
    let base = format!("/api/v1/organizations/{org}");
    let created = |path: String, body: Value| {
        let app = &app;
        async move {
            let response = app.post(&path, token, &body).await;
            assert_eq!(response.status(), 201, "{path}");
            let body: Value = response.json().await.unwrap();
            format!("{path}/{}", body["id"].as_str().unwrap())
        }
    };
    let network = created(format!("{base}/networks"), json!({"name": "lan", "cidrs": ["10.0.0.0/8"]})).await;
    let asset = created(format!("{base}/assets"), json!({"ip_address": "10.0.0.1", "tags": ["prod"]})).await;
    let service = created(format!("{asset}/services"), json!({"port": 22, "protocol": "tcp"})).await;
    let role = created(format!("{base}/roles"), json!({"name": "auditor", "permissions": ["org:read"]})).await;
    let cases: [(&str, &[&str]); 5] = [
        (&base, &["name", "slug", "settings", "is_active"]),
        (&network, &["name", "cidrs"]),
        (
            &asset,
            &[
                "ip_address",
                "asset_type",
                "criticality",
                "tags",
                "status",
                "is_reachable",
                "risk_score",
                "vulnerabilities",
                "metadata",
            ],
        ),
        (&service, &["port", "protocol", "state", "ssl_enabled", "http_technologies"]),
        (&role, &["name", "permissions"]),
    ];
    for (path, fields) in cases {
        let before: Value = app.get(path, token).await.json().await.unwrap();
        for field in fields {
            let response = app.patch(path, token, &json!({ *field: null })).await;
            let body = problem(response, 422).await;
            assert_eq!(body["errors"][0]["field"], *field, "{path}");
            assert!(body["errors"][0]["message"].as_str().unwrap().contains("must not be null"), "{body}");
        }
        let after: Value = app.get(path, token).await.json().await.unwrap();
        assert_eq!(after, before, "{path}: a refused change changes nothing");
    }
    // Nullable fields still clear with `null`.
    let cleared = app.patch(&network, token, &json!({"description": null})).await;
    assert_eq!(cleared.status(), 200);
}

on_both_backends!(
    a_null_for_a_value_that_cannot_be_cleared_is_422_naming_it,
    nul_characters_are_422_naming_the_field,
    malformed_json_is_400,
    a_body_over_64_kib_is_413,
    a_body_that_is_not_json_is_415,
    a_compressed_body_is_415_naming_content_encoding,
    wrong_types_and_missing_fields_are_422_naming_the_field,
    unknown_routes_are_404_and_wrong_methods_405,
);
