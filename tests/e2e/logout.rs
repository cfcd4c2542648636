use authdb_tests::{Backend, spawn_app};

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

on_both_backends!(
    logout_ends_the_session_and_its_refresh_token,
    logout_leaves_the_other_devices_signed_in,
    logout_without_a_token_is_401_with_a_bearer_challenge,
);
