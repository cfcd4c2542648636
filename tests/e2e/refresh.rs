use authdb_tests::{Backend, spawn_app};
use serde_json::{Value, json};

async fn refresh_rotates_the_pair(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.register_ok("alice").await;

    let response = app.refresh(&first.refresh_token).await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["user"]["username"], "alice");
    let next_refresh = body["refresh_token"].as_str().unwrap();
    assert_ne!(next_refresh, first.refresh_token);
    assert_eq!(app.me(body["access_token"].as_str().unwrap()).await.status(), 200);
    assert_eq!(app.refresh(next_refresh).await.status(), 200);
}

async fn presenting_a_spent_refresh_token_revokes_the_whole_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.register_ok("alice").await;
    let second = app.refresh_ok(&first.refresh_token).await;

    let replay = app.refresh(&first.refresh_token).await;

    assert_eq!(replay.status(), 401);
    assert_eq!(replay.headers()["www-authenticate"], "Bearer");
    assert_eq!(app.refresh(&second.refresh_token).await.status(), 401, "the successor dies with the session");
    assert_eq!(app.me(&second.access_token).await.status(), 401, "the session's access tokens die too");
}

async fn reuse_in_one_session_leaves_other_sessions_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    let phone = app.register_ok("alice").await;
    let laptop = app.login_ok("alice").await;
    app.refresh_ok(&phone.refresh_token).await;

    assert_eq!(app.refresh(&phone.refresh_token).await.status(), 401);

    assert_eq!(app.me(&laptop.access_token).await.status(), 200);
    assert_eq!(app.refresh(&laptop.refresh_token).await.status(), 200);
}

async fn unknown_or_empty_refresh_tokens_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;

    assert_eq!(app.refresh("not-a-token").await.status(), 401);
    let empty = app.refresh("").await;
    assert_eq!(empty.status(), 422);
    assert_eq!(empty.json::<Value>().await.unwrap()["errors"][0]["field"], "refresh_token");
    let huge = app.refresh(&"x".repeat(600)).await;
    assert_eq!(huge.status(), 422);
    let missing = app.post_json("/api/v1/auth/refresh", &json!({})).await;
    assert_eq!(missing.status(), 422);
}

async fn an_access_token_is_not_a_refresh_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;

    assert_eq!(app.refresh(&tokens.access_token).await.status(), 401);
}

async fn concurrent_refreshes_of_one_token_let_exactly_one_win(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;

    let attempts = (0..8).map(|_| app.refresh(&tokens.refresh_token));
    let statuses: Vec<u16> =
        futures_util::future::join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();

    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 7, "{statuses:?}");
}

async fn logout_racing_refreshes_never_fails_with_5xx(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;

    let refreshes = futures_util::future::join_all((0..6).map(|_| app.refresh(&tokens.refresh_token)));
    let (refreshes, logout) = tokio::join!(refreshes, app.logout(&tokens.access_token));

    assert!(logout.status() == 204 || logout.status() == 401, "{}", logout.status());
    for response in refreshes {
        assert!(response.status() == 200 || response.status() == 401, "{}", response.status());
    }
    assert_eq!(app.me(&tokens.access_token).await.status(), 401);
}

on_both_backends!(
    refresh_rotates_the_pair,
    logout_racing_refreshes_never_fails_with_5xx,
    concurrent_refreshes_of_one_token_let_exactly_one_win,
    presenting_a_spent_refresh_token_revokes_the_whole_session,
    reuse_in_one_session_leaves_other_sessions_alone,
    unknown_or_empty_refresh_tokens_are_refused,
    an_access_token_is_not_a_refresh_token,
);
