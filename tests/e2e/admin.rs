//! Platform administration: superusers only.

use std::time::{Duration, Instant};

use authdb_server::settings::MailTransport;
use authdb_tests::{Backend, PASSWORD, TestApp, spawn_app, spawn_app_with};
use sea_orm::{ConnectionTrait as _, Statement};
use serde_json::{Value, json};

use crate::mail::free_port;

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
    superusers_read_the_outbox_and_the_transport_without_bodies,
    the_outbox_shows_each_failure_with_its_error_attempts_and_next_attempt,
);

/// `GET /api/v1/admin/outbox` as `token` until `done` holds of the answer (the worker sends
/// shortly after the commit), or twenty seconds passed.
async fn outbox_until(app: &TestApp, token: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = app.get("/api/v1/admin/outbox", token).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        if done(&body) || Instant::now() > deadline {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The message of `kind` to `recipient` in the list `list` of an outbox answer.
fn message<'a>(body: &'a Value, list: &str, kind: &str, recipient: &str) -> Option<&'a Value> {
    body[list].as_array().unwrap().iter().find(|m| m["kind"] == kind && m["recipient"] == recipient)
}

async fn superusers_read_the_outbox_and_the_transport_without_bodies(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    app.register_ok("root").await;
    let root = app.promote_to_superuser("root").await;

    let refused = app.get("/api/v1/admin/outbox", &alice.access_token).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    assert_eq!(app.client.get(app.url("/api/v1/admin/outbox")).send().await.unwrap().status(), 401);

    let sent = |body: &Value| {
        body["pending"] == 0
            && message(body, "recent", "verify_email", "alice@example.com").is_some_and(|m| m["status"] == "sent")
    };
    let body = outbox_until(&app, &root.access_token, sent).await;
    assert!(sent(&body), "alice's verification mail is sent: {body}");
    assert_eq!((body["transport"].as_str(), body["delivers"].as_bool()), (Some("file"), Some(true)), "{body}");
    assert_eq!((body["max_attempts"].as_u64(), body["retry_base_secs"].as_u64()), (Some(8), Some(30)), "{body}");
    assert_eq!((body["failed"].as_u64(), body["failures"].as_array().map(Vec::len)), (Some(0), Some(0)), "{body}");
    assert!(body["oldest_pending_at"].is_null() && body["next_attempt_at"].is_null(), "nothing pending: {body}");
    let recent = body["recent"].as_array().unwrap();
    let listed_sent = recent.iter().filter(|m| m["status"] == "sent").count() as u64;
    assert_eq!(body["sent"].as_u64(), Some(listed_sent), "every message is listed and counted: {body}");
    let verification = message(&body, "recent", "verify_email", "alice@example.com").unwrap();
    assert_eq!(verification["attempts"], 1);
    assert!(verification["finished_at"].is_string() && verification["next_attempt_at"].is_null(), "{verification}");
    assert!(verification["last_error"].is_null());
    let text = body.to_string();
    assert!(!text.contains("token=") && !text.contains("body"), "no body, no link: {text}");
}

async fn the_outbox_shows_each_failure_with_its_error_attempts_and_next_attempt(backend: Backend) {
    // An SMTP transport with nothing listening: every attempt fails transiently.
    let port = free_port();
    let app = spawn_app_with(backend, |settings| {
        settings.mail.transport = MailTransport::Smtp;
        settings.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        settings.mail.smtp_starttls = serde_json::from_value(json!("never")).unwrap();
        settings.mail.smtp_timeout_secs = 2;
        settings.mail.from = "Example <no-reply@example.com>".into();
        settings.mail.max_attempts = 2;
        settings.mail.retry_base_secs = 3600;
    })
    .await;
    app.register_ok("alice").await;
    app.register_ok("root").await;
    let root = app.promote_to_superuser("root").await;

    let retrying = |body: &Value| {
        message(body, "failures", "verify_email", "alice@example.com").is_some_and(|m| m["status"] == "pending")
    };
    let body = outbox_until(&app, &root.access_token, retrying).await;
    assert!(retrying(&body), "the first attempt failed and another is due: {body}");
    assert_eq!((body["transport"].as_str(), body["delivers"].as_bool()), (Some("smtp"), Some(true)), "{body}");
    assert!(body["pending"].as_u64().unwrap() >= 1 && body["failed"] == 0, "{body}");
    assert!(body["oldest_pending_at"].is_string() && body["next_attempt_at"].is_string(), "{body}");
    let failure = message(&body, "failures", "verify_email", "alice@example.com").unwrap();
    assert_eq!(failure["attempts"], 1, "{failure}");
    assert!(!failure["last_error"].as_str().unwrap().is_empty(), "{failure}");
    let next = time::OffsetDateTime::parse(
        failure["next_attempt_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(next > time::OffsetDateTime::now_utc() + time::Duration::minutes(30), "retried an hour later: {failure}");
    assert!(failure["finished_at"].is_null());

    // Made due now (as docs/operations.md tells an operator), the last attempt fails too.
    let db = app.database().await;
    let due = "UPDATE outbox SET next_attempt_at = created_at WHERE status = 'pending'";
    db.execute_raw(Statement::from_string(db.get_database_backend(), due.to_owned())).await.unwrap();
    // The counts and the lists are two reads: wait until both show it.
    let given_up = |body: &Value| {
        message(body, "failures", "verify_email", "alice@example.com").is_some_and(|m| m["status"] == "failed")
            && body["failed"].as_u64().is_some_and(|failed| failed >= 1)
    };
    let body = outbox_until(&app, &root.access_token, given_up).await;
    assert!(given_up(&body), "the second and last attempt gave it up: {body}");
    let failure = message(&body, "failures", "verify_email", "alice@example.com").unwrap();
    assert_eq!(failure["attempts"], 2, "{failure}");
    assert!(failure["finished_at"].is_string() && failure["next_attempt_at"].is_null(), "{failure}");
    assert!(body["failed"].as_u64().unwrap() >= 1, "{body}");
    assert!(!body.to_string().contains("token="), "no body, no link");
}
