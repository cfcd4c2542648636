//! Security-relevant actions leave audit events.

use authdb_persistence::entities::audit_events;
use authdb_tests::{Backend, PASSWORD, TestApp, spawn_app_with};
use sea_orm::{EntityTrait, QueryOrder};

async fn events(app: &TestApp) -> Vec<audit_events::Model> {
    let db = app.database().await;
    audit_events::Entity::find().order_by_asc(audit_events::Column::Id).all(&db).await.unwrap()
}

async fn register_login_refresh_reuse_and_logout_are_audited(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.refresh_reuse_grace_secs = 0).await;
    let registered = app.register_ok("alice").await;
    assert_eq!(app.login("alice", "Wrong1234").await.status(), 401);
    assert_eq!(app.login("nobody@example.com", PASSWORD).await.status(), 401);
    assert_eq!(app.login("Typed-A-Password-9", PASSWORD).await.status(), 401);
    let session = app.login_ok("alice").await;
    app.refresh_ok(&registered.refresh_token).await;
    assert_eq!(app.refresh(&registered.refresh_token).await.status(), 401);
    assert_eq!(app.logout(&session.access_token).await.status(), 204);

    let events = events(&app).await;

    let actions: Vec<(&str, &str)> = events.iter().map(|e| (e.action.as_str(), e.outcome.as_str())).collect();
    assert_eq!(
        actions,
        [
            ("user.registered", "success"),
            ("login.failed", "failure"),
            ("login.failed", "failure"),
            ("login.failed", "failure"),
            ("login.succeeded", "success"),
            ("refresh_token.reused", "failure"),
            ("session.logged_out", "success"),
        ]
    );
    let user_id = registered.user["id"].as_str().unwrap();
    assert_eq!(events[0].actor_id.unwrap().to_string(), user_id);
    assert_eq!(events[1].actor_id.unwrap().to_string(), user_id, "a wrong password is attributed to the account");
    assert!(events[1].details["login"].is_null(), "a known account is named by its id only");
    assert!(events[2].actor_id.is_none(), "an unknown login has no actor");
    assert_eq!(events[2].details["login"], "nobody@example.com");
    assert!(events[3].details["login"].is_null(), "a login that is not an email is not stored");
    assert!(events.iter().all(|e| e.ip.as_deref() == Some("127.0.0.1")));
    let stored = serde_json::to_string(&events.iter().map(|e| &e.details).collect::<Vec<_>>()).unwrap();
    for secret in [PASSWORD, "Wrong1234", "Typed-A-Password-9"] {
        assert!(!stored.contains(secret), "no password in audit details");
    }
}

on_both_backends!(register_login_refresh_reuse_and_logout_are_audited);
