//! `GET /api/v1/auth/events`: the caller's own security events.

use authdb_tests::{Backend, PASSWORD, TestApp, spawn_app, spawn_app_with};
use reqwest::Response;
use serde_json::{Value, json};

async fn events(app: &TestApp, access_token: &str, query: &str) -> Response {
    app.client.get(app.url(&format!("/api/v1/auth/events{query}"))).bearer_auth(access_token).send().await.unwrap()
}

async fn events_ok(app: &TestApp, access_token: &str, query: &str) -> Value {
    let response = events(app, access_token, query).await;
    assert_eq!(response.status(), 200, "{query}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

fn actions(page: &Value) -> Vec<&str> {
    page["items"].as_array().unwrap().iter().map(|item| item["action"].as_str().unwrap()).collect()
}

async fn the_caller_sees_only_their_own_events_newest_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    app.register_ok("bob").await;
    assert_eq!(app.login("alice", "Wrong1234").await.status(), 401);
    assert_eq!(app.login("bob", "Wrong1234").await.status(), 401);
    let session = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", "events-test/1.0")
        .json(&json!({ "login": "alice", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 200);
    let session: Value = session.json().await.unwrap();
    let session_token = session["access_token"].as_str().unwrap();
    assert_eq!(app.logout(session_token).await.status(), 204);

    let page = events_ok(&app, &alice.access_token, "").await;

    assert_eq!(actions(&page), ["session.logged_out", "login.succeeded", "login.failed", "user.registered"]);
    assert_eq!((page["total"].as_u64(), page["limit"].as_u64(), page["offset"].as_u64()), (Some(4), Some(50), Some(0)));
    let items = page["items"].as_array().unwrap();
    for item in items {
        assert!(item["id"].as_str().unwrap().parse::<uuid::Uuid>().is_ok());
        assert!(
            time::OffsetDateTime::parse(item["time"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
                .is_ok()
        );
        assert_eq!(item["ip"], "127.0.0.1");
    }
    assert_eq!(items[1]["user_agent"], "events-test/1.0");
    assert_eq!(items[1]["outcome"], "success");
    assert_eq!(items[2]["outcome"], "failure");
    assert_eq!(items[2]["details"], json!({ "reason": "invalid_credentials" }));
    assert!(items[0]["session_id"].is_string(), "a logout names its session");
    assert!(items[3]["session_id"].is_null());
    let text = page.to_string();
    assert!(!text.contains("Wrong1234") && !text.contains(PASSWORD), "no secrets in events");
}

async fn events_are_paged_without_overlap(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    for _ in 0..4 {
        app.login_ok("alice").await;
        assert_eq!(app.login("alice", "Wrong1234").await.status(), 401);
    }
    let all = events_ok(&app, &alice.access_token, "?limit=200").await;
    assert_eq!(all["total"], 9);

    let mut paged = Vec::new();
    for offset in [0, 4, 8] {
        let page = events_ok(&app, &alice.access_token, &format!("?limit=4&offset={offset}")).await;
        assert_eq!((page["limit"].as_u64(), page["offset"].as_u64()), (Some(4), Some(offset)));
        assert_eq!(page["total"], 9);
        paged.extend(page["items"].as_array().unwrap().iter().map(|item| item["id"].clone()));
    }
    let ids: Vec<Value> = all["items"].as_array().unwrap().iter().map(|item| item["id"].clone()).collect();
    assert_eq!(paged, ids);
    let past_the_end = events_ok(&app, &alice.access_token, "?offset=100").await;
    assert_eq!(past_the_end["items"], json!([]));
    assert_eq!(past_the_end["total"], 9);
}

async fn a_lockout_shows_in_the_accounts_events(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.lockout_base_delay_secs = 1).await;
    let alice = app.register_ok("alice").await;
    for _ in 0..6 {
        app.login("alice", "Wrong1234").await;
    }

    let page = events_ok(&app, &alice.access_token, "?limit=1").await;

    assert_eq!(actions(&page), ["login.locked_out"]);
    assert_eq!(page["items"][0]["details"], json!({ "scope": "account", "failures": 5, "retry_after_secs": 1 }));
}

async fn paging_parameters_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;

    for (query, fields) in [
        ("?limit=201", vec!["limit"]),
        ("?limit=0", vec!["limit"]),
        ("?limit=ten", vec!["limit"]),
        ("?offset=-1", vec!["offset"]),
        ("?limit=-5&offset=x", vec!["limit", "offset"]),
    ] {
        let response = events(&app, &alice.access_token, query).await;
        assert_eq!(response.status(), 422, "{query}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let body: Value = response.json().await.unwrap();
        let named: Vec<&str> =
            body["errors"].as_array().unwrap().iter().map(|error| error["field"].as_str().unwrap()).collect();
        assert_eq!(named, fields, "{query}");
    }
    assert_eq!(events_ok(&app, &alice.access_token, "?limit=200").await["limit"], 200);
}

async fn events_need_a_valid_access_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;

    let anonymous = app.client.get(app.url("/api/v1/auth/events")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    assert_eq!(events(&app, "not-a-token", "").await.status(), 401);
    assert_eq!(events(&app, "not-a-token", "?limit=999").await.status(), 401, "authentication comes first");
    assert_eq!(app.logout(&alice.access_token).await.status(), 204);
    assert_eq!(events(&app, &alice.access_token, "").await.status(), 401);
    let wrong_method = app.client.post(app.url("/api/v1/auth/events")).bearer_auth("x").send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
}

on_both_backends!(
    the_caller_sees_only_their_own_events_newest_first,
    events_are_paged_without_overlap,
    a_lockout_shows_in_the_accounts_events,
    paging_parameters_are_validated,
    events_need_a_valid_access_token,
);
