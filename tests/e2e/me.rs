use authdb_tests::{Backend, spawn_app};
use serde_json::{Value, json};

async fn me_returns_the_callers_profile(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;

    let response = app.me(&tokens.access_token).await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    for key in [
        "id",
        "email",
        "username",
        "full_name",
        "avatar_url",
        "preferences",
        "is_active",
        "is_verified",
        "is_superuser",
        "created_at",
        "last_login_at",
        "login_count",
    ] {
        assert!(keys.contains(&key), "missing {key}");
    }
    assert!(!keys.iter().any(|k| k.contains("password")), "{keys:?}");
    assert_eq!(body["id"], tokens.user["id"]);
    assert_eq!(body["email"], "alice@example.com");
    assert_eq!(body["preferences"], json!({}));
}

async fn patch_me_sets_and_clears_profile_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;

    let update = json!({
        "full_name": "Alice Liddell",
        "avatar_url": "https://cdn.example.com/alice.png",
        "preferences": {"theme": "dark", "lang": "es"},
    });
    let response = app.patch_me(&tokens.access_token, &update).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["full_name"], "Alice Liddell");
    assert_eq!(body["avatar_url"], "https://cdn.example.com/alice.png");
    assert_eq!(body["preferences"], json!({"theme": "dark", "lang": "es"}));

    let cleared = app.patch_me(&tokens.access_token, &json!({"full_name": null})).await;
    let body: Value = cleared.json().await.unwrap();
    assert!(body["full_name"].is_null());
    assert_eq!(body["avatar_url"], "https://cdn.example.com/alice.png", "absent fields stay");

    let me: Value = app.me(&tokens.access_token).await.json().await.unwrap();
    assert!(me["full_name"].is_null());
    assert_eq!(me["preferences"], json!({"theme": "dark", "lang": "es"}));
}

async fn patch_me_refuses_invalid_values_naming_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;

    let response = app
        .patch_me(&tokens.access_token, &json!({"avatar_url": "ftp://x", "preferences": [1], "full_name": ""}))
        .await;

    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["full_name", "avatar_url", "preferences"]);
}

async fn patch_me_cannot_touch_privileged_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;

    let response = app.patch_me(&tokens.access_token, &json!({"is_superuser": true})).await;

    assert_eq!(response.status(), 422);
    assert_eq!(response.json::<Value>().await.unwrap()["errors"][0]["field"], "is_superuser");
    let me: Value = app.me(&tokens.access_token).await.json().await.unwrap();
    assert_eq!(me["is_superuser"], false);
}

on_both_backends!(
    me_returns_the_callers_profile,
    patch_me_sets_and_clears_profile_fields,
    patch_me_refuses_invalid_values_naming_them,
    patch_me_cannot_touch_privileged_fields,
);
