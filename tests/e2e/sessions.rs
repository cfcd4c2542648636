//! Sessions per device: list, end one, end all, change the password; every revocation
//! refuses the affected access tokens on the very next request.

use authdb_persistence::entities::{audit_events, sessions};
use authdb_tests::{Backend, PASSWORD, TestApp, Tokens, spawn_app, spawn_app_with};
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

async fn login_from(app: &TestApp, user_agent: &str) -> Tokens {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", user_agent)
        .json(&json!({ "login": "alice", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    Tokens {
        access_token: body["access_token"].as_str().unwrap().to_owned(),
        refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
        user: body["user"].clone(),
    }
}

fn session_of(token: &str) -> String {
    authdb_tests::claims_of(token)["sid"].as_str().unwrap().to_owned()
}

async fn audited_actions(app: &TestApp) -> Vec<String> {
    let db = app.database().await;
    let events = audit_events::Entity::find().order_by_asc(audit_events::Column::Id).all(&db).await.unwrap();
    events.into_iter().map(|event| event.action).collect()
}

async fn the_session_list_shows_each_device_and_marks_the_current_one(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let phone = login_from(&app, "Phone/1.0").await;
    let laptop = login_from(&app, "Laptop/2.0").await;

    let items = app.sessions_ok(&laptop.access_token).await;

    assert_eq!(items.len(), 3, "registration opened a session too: {items:?}");
    let current: Vec<&Value> = items.iter().filter(|item| item["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], session_of(&laptop.access_token));
    assert_eq!(current[0]["user_agent"], "Laptop/2.0");
    assert_eq!(current[0]["ip"], "127.0.0.1");
    let phone_item = items.iter().find(|item| item["id"] == session_of(&phone.access_token)).unwrap();
    assert_eq!(phone_item["user_agent"], "Phone/1.0");
    for field in ["created_at", "last_used_at", "expires_at"] {
        assert!(phone_item[field].is_string(), "{field} in {phone_item}");
    }
    let unauthenticated = app.client.get(app.url("/api/v1/auth/sessions")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
}

async fn ending_a_session_refuses_its_access_token_on_the_next_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let phone = app.register_ok("alice").await;
    let laptop = app.login_ok("alice").await;
    assert_eq!(app.me(&phone.access_token).await.status(), 200, "warm every cache first");

    let path = format!("/api/v1/auth/sessions/{}", session_of(&phone.access_token));
    assert_eq!(app.delete_with(&path, &laptop.access_token).await.status(), 204);

    assert_eq!(app.me(&phone.access_token).await.status(), 401, "refused at once, not at expiry");
    assert_eq!(app.refresh(&phone.refresh_token).await.status(), 401);
    assert_eq!(app.me(&laptop.access_token).await.status(), 200, "the other device is untouched");
    assert_eq!(app.delete_with(&path, &laptop.access_token).await.status(), 404, "already ended");
    assert!(audited_actions(&app).await.contains(&"session.revoked".to_owned()));
}

async fn another_users_session_or_a_malformed_id_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;

    let alices = format!("/api/v1/auth/sessions/{}", session_of(&alice.access_token));
    let response = app.delete_with(&alices, &bob.access_token).await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    assert_eq!(app.delete_with("/api/v1/auth/sessions/not-a-uuid", &bob.access_token).await.status(), 404);
    let unknown = format!("/api/v1/auth/sessions/{}", uuid::Uuid::now_v7());
    assert_eq!(app.delete_with(&unknown, &bob.access_token).await.status(), 404);

    assert_eq!(app.me(&alice.access_token).await.status(), 200, "alice's session lives on");
}

async fn logout_all_ends_every_session_of_the_caller_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let phone = app.register_ok("alice").await;
    let laptop = app.login_ok("alice").await;
    let bob = app.register_ok("bob").await;
    assert_eq!(app.me(&phone.access_token).await.status(), 200);

    let response = app.post_with("/api/v1/auth/logout-all", &laptop.access_token, &json!({})).await;

    assert_eq!(response.status(), 204);
    for tokens in [&phone, &laptop] {
        assert_eq!(app.me(&tokens.access_token).await.status(), 401);
        assert_eq!(app.refresh(&tokens.refresh_token).await.status(), 401);
    }
    assert_eq!(app.me(&bob.access_token).await.status(), 200);
    let fresh = app.login_ok("alice").await;
    assert_eq!(app.sessions_ok(&fresh.access_token).await.len(), 1);
    assert!(audited_actions(&app).await.contains(&"session.logged_out_everywhere".to_owned()));
}

async fn changing_the_password_keeps_this_session_and_ends_the_others(backend: Backend) {
    let app = spawn_app(backend).await;
    let phone = app.register_ok("alice").await;
    let laptop = app.login_ok("alice").await;
    assert_eq!(app.me(&phone.access_token).await.status(), 200);

    let body = json!({ "current_password": PASSWORD, "new_password": "Brand-new-pass-42" });
    let response = app.post_with("/api/v1/auth/change-password", &laptop.access_token, &body).await;

    assert_eq!(response.status(), 204);
    assert_eq!(app.me(&laptop.access_token).await.status(), 200, "the current session keeps working");
    assert_eq!(app.refresh(&laptop.refresh_token).await.status(), 200);
    assert_eq!(app.me(&phone.access_token).await.status(), 401, "other sessions end at once");
    assert_eq!(app.refresh(&phone.refresh_token).await.status(), 401);
    assert_eq!(app.login("alice", PASSWORD).await.status(), 401, "the old password is gone");
    assert_eq!(app.login("alice", "Brand-new-pass-42").await.status(), 200);
    assert!(audited_actions(&app).await.contains(&"password.changed".to_owned()));
}

async fn a_wrong_current_password_or_a_weak_new_one_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let phone = app.register_ok("alice").await;
    let laptop = app.login_ok("alice").await;
    let path = "/api/v1/auth/change-password";

    let wrong = app
        .post_with(
            path,
            &laptop.access_token,
            &json!({ "current_password": "Wrong1234", "new_password": "Brand-new-pass-42" }),
        )
        .await;
    assert_eq!(wrong.status(), 400);
    let problem: Value = wrong.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "current_password");

    let weak = app
        .post_with(path, &laptop.access_token, &json!({ "current_password": PASSWORD, "new_password": "short" }))
        .await;
    assert_eq!(weak.status(), 422);
    let problem: Value = weak.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "new_password");

    let missing = app.post_with(path, &laptop.access_token, &json!({ "new_password": "Brand-new-pass-42" })).await;
    assert_eq!(missing.status(), 422);
    let empty = app
        .post_with(path, &laptop.access_token, &json!({ "current_password": "", "new_password": "Brand-new-pass-42" }))
        .await;
    assert_eq!(empty.status(), 422);
    let unknown_field = app
        .post_with(
            path,
            &laptop.access_token,
            &json!({ "current_password": PASSWORD, "new_password": "Brand-new-pass-42", "user_id": "x" }),
        )
        .await;
    assert_eq!(unknown_field.status(), 422);

    assert_eq!(app.me(&phone.access_token).await.status(), 200, "no session was ended");
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200, "the password is unchanged");
    assert!(audited_actions(&app).await.contains(&"password.change_failed".to_owned()));
}

async fn guessing_the_current_password_is_locked_out_like_a_login(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let path = "/api/v1/auth/change-password";
    let guess = json!({ "current_password": "Wrong1234", "new_password": "Brand-new-pass-42" });
    for attempt in 1..=5 {
        assert_eq!(app.post_with(path, &alice.access_token, &guess).await.status(), 400, "attempt {attempt}");
    }

    let right = json!({ "current_password": PASSWORD, "new_password": "Brand-new-pass-42" });
    let locked = app.post_with(path, &alice.access_token, &right).await;

    assert_eq!(locked.status(), 429, "even the right password waits out the lock");
    assert!(locked.headers().contains_key("retry-after"));
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200, "logins have counters of their own");
}

async fn organization_scoped_tokens_carry_org_role_and_permissions(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let carol = app.register_ok("carol").await;
    let org = app.create_organization_ok(&carol.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&carol.access_token, &org, &alice, "viewer").await;
    let bob = app.register_ok("bob").await;
    let other = app.create_organization_ok(&bob.access_token, "globex").await["id"].as_str().unwrap().to_owned();

    let response = app
        .post_json("/api/v1/auth/login", &json!({ "login": "alice", "password": PASSWORD, "organization_id": org }))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let claims = authdb_tests::claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(claims["org"], org.as_str());
    assert_eq!(claims["role"], "viewer");
    assert_eq!(claims["perms"], json!(["org:read", "members:read", "assets:read"]));
    let refresh_token = body["refresh_token"].as_str().unwrap();

    // Refresh keeps the session's organization...
    let refreshed = app.refresh_ok(refresh_token).await;
    assert_eq!(authdb_tests::claims_of(&refreshed.access_token)["org"], org.as_str());
    // ...and can switch only to an organization the caller belongs to.
    let switch = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": refreshed.refresh_token, "organization_id": other }),
        )
        .await;
    assert_eq!(switch.status(), 403);

    let outsider = app
        .post_json("/api/v1/auth/login", &json!({ "login": "alice", "password": PASSWORD, "organization_id": other }))
        .await;
    assert_eq!(outsider.status(), 403);
    let unscoped = authdb_tests::claims_of(&alice.access_token);
    assert!(unscoped.get("org").is_none() && unscoped.get("perms").is_none(), "{unscoped}");
}

/// A login past `auth.max_sessions_per_user` (100 by default) ends the least recently
/// used session, which stops working at once; the list never grows past the cap.
async fn a_login_past_the_session_cap_ends_the_least_recently_used_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.register_ok("alice").await;
    let mut latest = None;
    for _ in 0..100 {
        latest = Some(app.login_ok("alice").await);
    }
    let latest = latest.unwrap();

    assert_eq!(app.me(&first.access_token).await.status(), 401, "the oldest session ended");
    assert_eq!(app.refresh(&first.refresh_token).await.status(), 401);
    let listed = app.sessions_ok(&latest.access_token).await;
    assert_eq!(listed.len(), 100);
    assert!(listed.iter().all(|session| session["id"] != session_of(&first.access_token).as_str()));
    let db = app.database().await;
    let evicted =
        audit_events::Entity::find().filter(audit_events::Column::Action.eq("session.evicted")).all(&db).await.unwrap();
    assert_eq!(evicted.len(), 1);
    assert_eq!(evicted[0].target.as_deref(), Some(format!("session:{}", session_of(&first.access_token)).as_str()));
    assert_eq!(evicted[0].outcome, "success");
    let reasons: Vec<Option<String>> = sessions::Entity::find()
        .filter(sessions::Column::RevokedAt.is_not_null())
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|session| session.revoked_reason)
        .collect();
    assert_eq!(reasons, [Some("evicted".to_owned())]);
}

async fn the_session_cap_counts_use_not_age_and_holds_under_parallel_logins(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.max_sessions_per_user = 3).await;
    let first = app.register_ok("alice").await;
    let second = app.login_ok("alice").await;
    let third = app.login_ok("alice").await;
    // Timestamps are whole seconds: the refresh must land in a later one.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let first = app.refresh_ok(&first.refresh_token).await;

    let fourth = app.login_ok("alice").await;

    assert_eq!(app.me(&second.access_token).await.status(), 401, "the least recently used one ended");
    assert_eq!(app.me(&first.access_token).await.status(), 200, "used most recently, the oldest stays");
    assert_eq!(app.me(&third.access_token).await.status(), 200);
    assert_eq!(app.sessions_ok(&fourth.access_token).await.len(), 3);

    let parallel = join_all((0..12).map(|_| app.login("alice", PASSWORD))).await;
    assert!(parallel.iter().all(|response| response.status() == 200));
    let db = app.database().await;
    let live = sessions::Entity::find().filter(sessions::Column::RevokedAt.is_null()).all(&db).await.unwrap();
    assert_eq!(live.len(), 3, "exactly the cap, however the logins interleave");
}

on_both_backends!(
    the_session_list_shows_each_device_and_marks_the_current_one,
    ending_a_session_refuses_its_access_token_on_the_next_request,
    another_users_session_or_a_malformed_id_is_not_found,
    logout_all_ends_every_session_of_the_caller_only,
    changing_the_password_keeps_this_session_and_ends_the_others,
    a_wrong_current_password_or_a_weak_new_one_changes_nothing,
    organization_scoped_tokens_carry_org_role_and_permissions,
    guessing_the_current_password_is_locked_out_like_a_login,
    a_login_past_the_session_cap_ends_the_least_recently_used_session,
    the_session_cap_counts_use_not_age_and_holds_under_parallel_logins,
);
