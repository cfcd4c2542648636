use std::time::Duration;

use authdb_persistence::entities::sessions;
use authdb_tests::{Backend, TestApp, spawn_app, spawn_app_with};
use sea_orm::{EntityTrait, sea_query::Expr};

async fn logout_ends_the_session_and_its_refresh_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;

    let response = app.logout(&tokens.access_token).await;

    assert_eq!(response.status(), 204);
    assert_eq!(app.refresh(&tokens.refresh_token).await.status(), 401);
    assert_eq!(app.me(&tokens.access_token).await.status(), 401);
    assert_eq!(app.logout(&tokens.access_token).await.status(), 401);
}

async fn logout_leaves_the_other_devices_signed_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let phone = app.register_ok("alice").await;
    let laptop = app.login_ok("alice").await;

    assert_eq!(app.logout(&phone.access_token).await.status(), 204);

    assert_eq!(app.me(&laptop.access_token).await.status(), 200);
    assert_eq!(app.refresh(&laptop.refresh_token).await.status(), 200);
}

async fn logout_without_a_token_is_401_with_a_bearer_challenge(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app.client.post(app.url("/api/v1/auth/logout")).send().await.unwrap();

    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(response.headers()["content-type"], "application/problem+json");
}

/// Revokes every session in the database directly, as another instance would.
async fn revoke_all_sessions_elsewhere(app: &TestApp) {
    let db = app.database().await;
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(Some(time::OffsetDateTime::now_utc())))
        .exec(&db)
        .await
        .unwrap();
}

async fn a_revocation_by_another_instance_is_honoured_within_the_cache_ttl(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.session_cache_ttl_ms = 300).await;
    let tokens = app.register_ok("alice").await;
    assert_eq!(app.me(&tokens.access_token).await.status(), 200);

    revoke_all_sessions_elsewhere(&app).await;
    tokio::time::sleep(Duration::from_millis(400)).await;

    assert_eq!(app.me(&tokens.access_token).await.status(), 401);
}

async fn without_the_cache_a_revocation_elsewhere_applies_at_once(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.session_cache_ttl_ms = 0).await;
    let tokens = app.register_ok("alice").await;
    assert_eq!(app.me(&tokens.access_token).await.status(), 200);

    revoke_all_sessions_elsewhere(&app).await;

    assert_eq!(app.me(&tokens.access_token).await.status(), 401);
}

on_both_backends!(
    a_revocation_by_another_instance_is_honoured_within_the_cache_ttl,
    without_the_cache_a_revocation_elsewhere_applies_at_once,
    logout_ends_the_session_and_its_refresh_token,
    logout_leaves_the_other_devices_signed_in,
    logout_without_a_token_is_401_with_a_bearer_challenge,
);
