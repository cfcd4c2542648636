use authdb_tests::{Backend, PASSWORD, spawn_app};
use futures_util::future::join_all;
use serde_json::{Value, json};

async fn register_returns_201_with_user_and_tokens(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app.register("  Alice@Example.COM ", "Alice_1", PASSWORD).await;

    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let text = response.text().await.unwrap();
    assert!(!text.contains("$2b$"), "no password hash in responses");
    assert!(!text.contains(PASSWORD), "no password in responses");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["refresh_token"].as_str().unwrap().len(), 43);
    assert_eq!(body["user"]["email"], "alice@example.com");
    assert_eq!(body["user"]["username"], "Alice_1");
    assert_eq!(body["user"]["is_active"], true);
    assert_eq!(body["user"]["is_superuser"], false);
    assert!(body["user"].get("password_hash").is_none());
    let me = app.me(body["access_token"].as_str().unwrap()).await;
    assert_eq!(me.status(), 200);
}

async fn register_stores_an_optional_full_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"email": "b@example.com", "username": "bob", "password": PASSWORD, "full_name": " Bob B "});

    let response = app.post_json("/api/v1/auth/register", &body).await;

    assert_eq!(response.status(), 201);
    assert_eq!(response.json::<Value>().await.unwrap()["user"]["full_name"], "Bob B");
}

async fn register_refuses_a_taken_email_regardless_of_case(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;

    let response = app.register("ALICE@example.com", "someone_else", PASSWORD).await;

    assert_eq!(response.status(), 409);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], 409);
    assert_eq!(conflicting_fields(&body), ["email"], "{body}");
    assert_eq!(body["detail"], "email is already taken");
}

async fn register_refuses_a_taken_username_regardless_of_case(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;

    let response = app.register("other@example.com", "ALICE", PASSWORD).await;

    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert_eq!(conflicting_fields(&body), ["username"], "{body}");
    assert_eq!(body["detail"], "username is already taken");
}

async fn register_names_both_fields_when_the_email_and_the_username_are_taken(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    app.register_ok("bob").await;

    let same_account = app.register("Alice@Example.com", "alice", PASSWORD).await;
    let two_accounts = app.register("bob@example.com", "Alice", PASSWORD).await;

    for response in [same_account, two_accounts] {
        assert_eq!(response.status(), 409);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(conflicting_fields(&body), ["email", "username"], "{body}");
        assert_eq!(body["detail"], "email and username are already taken");
    }
    assert_eq!(app.login("alice@example.com", PASSWORD).await.status(), 200, "nothing was changed");
}

/// The `field` of every entry of a problem's `errors`.
fn conflicting_fields(problem: &Value) -> Vec<&str> {
    problem["errors"].as_array().unwrap().iter().map(|error| error["field"].as_str().unwrap()).collect()
}

async fn register_names_every_invalid_field(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app.register("not-an-email", "ab", "weak").await;

    assert_eq!(response.status(), 422);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: Value = response.json().await.unwrap();
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["email", "username", "password"]);
    for key in ["type", "title", "status", "detail"] {
        assert!(body.get(key).is_some(), "problem has {key}");
    }
}

async fn register_refuses_passwords_over_72_bytes_instead_of_truncating(backend: Backend) {
    let app = spawn_app(backend).await;
    // 38 characters but 73 bytes of UTF-8.
    let password = format!("Aa1{}", "é".repeat(35));

    let response = app.register("long@example.com", "long", &password).await;

    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "password");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("72 bytes"));
}

async fn a_password_of_exactly_72_bytes_registers_and_logs_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let password = format!("Aa1{}x", "é".repeat(34));
    assert_eq!(password.len(), 72);

    assert_eq!(app.register("edge@example.com", "edge", &password).await.status(), 201);

    assert_eq!(app.login("edge", &password).await.status(), 200);
    let mut truncated = password.clone();
    truncated.pop();
    assert_eq!(app.login("edge", &truncated).await.status(), 401);
}

async fn concurrent_registrations_with_one_email_create_exactly_one_account(backend: Backend) {
    let app = spawn_app(backend).await;

    let usernames: Vec<String> = (0..16).map(|i| format!("racer{i}")).collect();
    let attempts = usernames.iter().map(|username| app.register("race@example.com", username, PASSWORD));
    let statuses: Vec<u16> = join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();

    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 15, "{statuses:?}");
}

on_both_backends!(
    register_returns_201_with_user_and_tokens,
    register_stores_an_optional_full_name,
    register_refuses_a_taken_email_regardless_of_case,
    register_refuses_a_taken_username_regardless_of_case,
    register_names_both_fields_when_the_email_and_the_username_are_taken,
    register_names_every_invalid_field,
    register_refuses_passwords_over_72_bytes_instead_of_truncating,
    a_password_of_exactly_72_bytes_registers_and_logs_in,
    concurrent_registrations_with_one_email_create_exactly_one_account,
);
