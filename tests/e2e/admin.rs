//! Platform administration: superusers only.

use authdb_tests::{Backend, PASSWORD, spawn_app};
use serde_json::{Value, json};

async fn admin_routes_answer_403_to_everyone_but_superusers(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let user = format!("/api/v1/admin/users/{}", alice.user_id());

    for path in ["/api/v1/admin/users", user.as_str(), "/api/v1/admin/organizations"] {
        let response = app.get(path, &alice.access_token).await;
        assert_eq!(response.status(), 403, "{path}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
    assert_eq!(app.patch(&user, &alice.access_token, &json!({"is_superuser": true})).await.status(), 403);
    assert_eq!(app.client.get(app.url("/api/v1/admin/users")).send().await.unwrap().status(), 401);
    let me: Value = app.me(&alice.access_token).await.json().await.unwrap();
    assert_eq!(me["is_superuser"], false);
}

async fn superusers_search_sort_and_page_users(backend: Backend) {
    let app = spawn_app(backend).await;
    for name in ["alice", "bob", "carol", "root"] {
        app.register_ok(name).await;
    }
    let root = app.promote_to_superuser("root").await;

    let all: Value = app.get("/api/v1/admin/users", &root.access_token).await.json().await.unwrap();
    assert_eq!(all["total"], 4);
    let names = |body: &Value| -> Vec<String> {
        body["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(names(&all), ["alice", "bob", "carol", "root"], "created_at, then id");
    let found: Value = app.get("/api/v1/admin/users?q=CAR", &root.access_token).await.json().await.unwrap();
    assert_eq!(names(&found), ["carol"]);
    let sorted: Value =
        app.get("/api/v1/admin/users?sort=-email&limit=2&offset=1", &root.access_token).await.json().await.unwrap();
    assert_eq!(names(&sorted), ["carol", "bob"]);
    assert_eq!((sorted["total"].as_u64(), sorted["limit"].as_u64()), (Some(4), Some(2)));
    let bad = app.get("/api/v1/admin/users?limit=500", &root.access_token).await;
    assert_eq!(bad.status(), 422);
    assert_eq!(bad.json::<Value>().await.unwrap()["errors"][0]["field"], "limit");
    let bad_sort = app.get("/api/v1/admin/users?sort=password", &root.access_token).await;
    assert_eq!(bad_sort.json::<Value>().await.unwrap()["errors"][0]["field"], "sort");
    let missing = app.get(&format!("/api/v1/admin/users/{}", uuid::Uuid::now_v7()), &root.access_token).await;
    assert_eq!(missing.status(), 404);
    let one: Value =
        app.get(&format!("/api/v1/admin/users/{}", root.user_id()), &root.access_token).await.json().await.unwrap();
    assert_eq!(one["is_superuser"], true);
    assert!(one.get("password_hash").is_none());
}

async fn deactivation_revokes_sessions_at_once_and_blocks_login(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let phone = app.login_ok("alice").await;
    app.register_ok("root").await;
    let root = app.promote_to_superuser("root").await;
    // Both of alice's sessions are authenticated (and cached) before the change.
    assert_eq!(app.me(&alice.access_token).await.status(), 200);
    assert_eq!(app.me(&phone.access_token).await.status(), 200);

    let path = format!("/api/v1/admin/users/{}", alice.user_id());
    let response = app.patch(&path, &root.access_token, &json!({"is_active": false, "is_verified": true})).await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!((body["is_active"].as_bool(), body["is_verified"].as_bool()), (Some(false), Some(true)));
    assert_eq!(app.me(&alice.access_token).await.status(), 401);
    assert_eq!(app.me(&phone.access_token).await.status(), 401);
    assert_eq!(app.refresh(&phone.refresh_token).await.status(), 401);
    let login = app.login("alice", PASSWORD).await;
    assert_eq!(login.status(), 403);
    assert_eq!(login.json::<Value>().await.unwrap()["type"], "/problems/account-disabled");

    let reactivated = app.patch(&path, &root.access_token, &json!({"is_active": true})).await;
    assert_eq!(reactivated.status(), 200);
    assert_eq!(app.me(&alice.access_token).await.status(), 401, "revoked sessions stay revoked");
    app.login_ok("alice").await;
    let unknown = app.patch(&path, &root.access_token, &json!({"is_admin": true})).await;
    assert_eq!(unknown.status(), 422);
    assert_eq!(unknown.json::<Value>().await.unwrap()["errors"][0]["field"], "is_admin");
}

async fn losing_superuser_applies_on_the_next_request(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("root").await;
    app.register_ok("other").await;
    let root = app.promote_to_superuser("root").await;
    let other = app.promote_to_superuser("other").await;
    assert_eq!(app.get("/api/v1/admin/users", &other.access_token).await.status(), 200);

    let path = format!("/api/v1/admin/users/{}", other.user_id());
    assert_eq!(app.patch(&path, &root.access_token, &json!({"is_superuser": false})).await.status(), 200);

    assert_eq!(app.get("/api/v1/admin/users", &other.access_token).await.status(), 403);
}

async fn superusers_list_every_organization(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    app.create_organization_ok(&alice.access_token, "acme").await;
    app.create_organization_ok(&bob.access_token, "globex").await;
    app.register_ok("root").await;
    let root = app.promote_to_superuser("root").await;

    let all: Value = app.get("/api/v1/admin/organizations", &root.access_token).await.json().await.unwrap();
    assert_eq!(all["total"], 2);
    let slugs: Vec<&str> = all["items"].as_array().unwrap().iter().map(|o| o["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["acme", "globex"]);
    let found: Value = app.get("/api/v1/admin/organizations?q=GLOB", &root.access_token).await.json().await.unwrap();
    assert_eq!(found["total"], 1);
}

on_both_backends!(
    admin_routes_answer_403_to_everyone_but_superusers,
    superusers_search_sort_and_page_users,
    deactivation_revokes_sessions_at_once_and_blocks_login,
    losing_superuser_applies_on_the_next_request,
    superusers_list_every_organization,
);
