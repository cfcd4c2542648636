use authdb_server::{Application, StartupError};
use authdb_tests::{Backend, TestDatabase, spawn_app, test_settings};
use serde_json::Value;

/// A JWT secret one byte too short.
const SHORT_SECRET: &str = "0123456789abcdef0123456789abcde";

async fn data_and_tokens_survive_a_restart(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;

    let app = app.restart().await;

    let me = app.me(&tokens.access_token).await;
    assert_eq!(me.status(), 200, "the access token is still valid");
    assert_eq!(me.json::<Value>().await.unwrap()["username"], "alice");
    assert_eq!(app.refresh(&tokens.refresh_token).await.status(), 200, "the refresh token still works");
    assert_eq!(app.login_ok("alice").await.user["username"], "alice");
}

async fn a_short_jwt_secret_refuses_to_start(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let mut settings = test_settings(&db);
    settings.auth.jwt_secret = Some(SHORT_SECRET.to_owned().into());

    let error = Application::build(settings).await.err().expect("must refuse to start");

    assert!(matches!(error, StartupError::Settings(_) | StartupError::Keys(_)), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("AUTHDB__AUTH__JWT_SECRET"), "{message}");
    assert!(!message.contains(SHORT_SECRET), "{message}");
}

on_both_backends!(data_and_tokens_survive_a_restart, a_short_jwt_secret_refuses_to_start);
