use authdb_persistence::entities::refresh_tokens;
use authdb_tests::{Backend, TestApp, spawn_app, spawn_app_with};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
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

/// An app where every second presentation of a refresh token is a replay.
async fn without_grace(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| settings.auth.refresh_reuse_grace_secs = 0).await
}

async fn presenting_a_spent_refresh_token_revokes_the_whole_session(backend: Backend) {
    let app = without_grace(backend).await;
    let first = app.register_ok("alice").await;
    let second = app.refresh_ok(&first.refresh_token).await;

    let replay = app.refresh(&first.refresh_token).await;

    assert_eq!(replay.status(), 401);
    assert_eq!(replay.headers()["www-authenticate"], "Bearer");
    assert_eq!(app.refresh(&second.refresh_token).await.status(), 401, "the successor dies with the session");
    assert_eq!(app.me(&second.access_token).await.status(), 401, "the session's access tokens die too");
}

async fn reuse_in_one_session_leaves_other_sessions_alone(backend: Backend) {
    let app = without_grace(backend).await;
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

async fn without_grace_concurrent_refreshes_of_one_token_let_exactly_one_win(backend: Backend) {
    let app = without_grace(backend).await;
    let tokens = app.register_ok("alice").await;

    let attempts = (0..8).map(|_| app.refresh(&tokens.refresh_token));
    let statuses: Vec<u16> =
        futures_util::future::join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();

    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 7, "{statuses:?}");
}

async fn concurrent_refreshes_within_the_grace_window_all_get_one_successor(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;

    let attempts = (0..8).map(|_| app.refresh(&tokens.refresh_token));
    let responses = futures_util::future::join_all(attempts).await;

    let mut successors = Vec::new();
    for response in responses {
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            app.me(body["access_token"].as_str().unwrap()).await.status(),
            200,
            "each gets a working access token"
        );
        successors.push(body["refresh_token"].as_str().unwrap().to_owned());
    }
    assert!(successors.iter().all(|s| *s == successors[0]), "one successor: {successors:?}");
    assert_eq!(app.refresh(&successors[0]).await.status(), 200, "the successor rotates on");
}

async fn a_replay_within_the_window_after_the_successor_moved_on_is_refused_without_revoking(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.register_ok("alice").await;
    let second = app.refresh_ok(&first.refresh_token).await;
    let third = app.refresh_ok(&second.refresh_token).await;

    assert_eq!(app.refresh(&first.refresh_token).await.status(), 401, "the successor is spent: nothing to give");

    assert_eq!(app.me(&third.access_token).await.status(), 200, "an honest late retry does not log anyone out");
    assert_eq!(app.refresh(&third.refresh_token).await.status(), 200);
}

async fn a_replay_after_the_grace_window_revokes_the_session(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.refresh_reuse_grace_secs = 1).await;
    let first = app.register_ok("alice").await;
    let second = app.refresh_ok(&first.refresh_token).await;
    let within = app.refresh_ok(&first.refresh_token).await;
    assert_eq!(within.refresh_token, second.refresh_token, "inside the window: the same successor");

    // Timestamps are whole seconds: two seconds later is surely past a one-second window.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let replay = app.refresh(&first.refresh_token).await;

    assert_eq!(replay.status(), 401);
    assert_eq!(app.refresh(&second.refresh_token).await.status(), 401, "the successor dies with the session");
    assert_eq!(app.me(&second.access_token).await.status(), 401, "so do its access tokens, at once");
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

/// A spent token whose recorded use lies in the future (the instance that spent it has a
/// clock running ahead) is outside the grace window: presenting it again is a replay.
async fn a_use_recorded_in_the_future_is_outside_the_grace_window(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.register_ok("alice").await;
    let second = app.refresh_ok(&first.refresh_token).await;
    let db = app.database().await;
    let ahead = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() + time::Duration::hours(1);
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(Some(ahead)))
        .filter(refresh_tokens::Column::UsedAt.is_not_null())
        .exec(&db)
        .await
        .unwrap();

    let replay = app.refresh(&first.refresh_token).await;

    assert_eq!(replay.status(), 401);
    assert_eq!(app.refresh(&second.refresh_token).await.status(), 401, "the session was revoked");
    assert_eq!(app.me(&second.access_token).await.status(), 401);
}

on_both_backends!(
    refresh_rotates_the_pair,
    logout_racing_refreshes_never_fails_with_5xx,
    without_grace_concurrent_refreshes_of_one_token_let_exactly_one_win,
    concurrent_refreshes_within_the_grace_window_all_get_one_successor,
    a_replay_within_the_window_after_the_successor_moved_on_is_refused_without_revoking,
    a_replay_after_the_grace_window_revokes_the_session,
    presenting_a_spent_refresh_token_revokes_the_whole_session,
    reuse_in_one_session_leaves_other_sessions_alone,
    unknown_or_empty_refresh_tokens_are_refused,
    an_access_token_is_not_a_refresh_token,
    a_use_recorded_in_the_future_is_outside_the_grace_window,
);
