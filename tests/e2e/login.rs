use authdb_persistence::entities::users;
use authdb_tests::{Backend, PASSWORD, TestApp, spawn_app, spawn_app_with};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

/// Deactivates an account directly in the database (no admin endpoint exists yet).
async fn deactivate(app: &TestApp, username: &str) {
    let db = app.database().await;
    users::Entity::update_many()
        .col_expr(users::Column::IsActive, Expr::value(false))
        .filter(users::Column::UsernameKey.eq(username))
        .exec(&db)
        .await
        .unwrap();
}

async fn login_accepts_the_email_or_the_username_in_any_case(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("Alice").await;

    for login in ["alice@example.com", " ALICE@Example.com ", "Alice", "alice"] {
        let response = app.login(login, PASSWORD).await;
        assert_eq!(response.status(), 200, "{login}");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["user"]["username"], "Alice");
        assert_eq!(body["token_type"], "bearer");
    }
}

async fn login_counts_logins_and_records_the_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let registered = app.register_ok("alice").await;
    assert_eq!(registered.user["login_count"], 0);
    assert!(registered.user["last_login_at"].is_null());

    app.login_ok("alice").await;
    let second = app.login_ok("alice").await;

    assert_eq!(second.user["login_count"], 2);
    assert!(second.user["last_login_at"].is_string());
    let me: Value = app.me(&second.access_token).await.json().await.unwrap();
    assert_eq!(me["login_count"], 2);
    assert_eq!(me["last_login_at"], second.user["last_login_at"]);
}

async fn unknown_user_and_wrong_password_get_the_same_401(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;

    let wrong_password = app.login("alice", "Wrong1234").await;
    let unknown_user = app.login("nobody", PASSWORD).await;

    assert_eq!(wrong_password.status(), 401);
    assert_eq!(unknown_user.status(), 401);
    assert_eq!(wrong_password.headers()["www-authenticate"], "Bearer");
    assert_eq!(unknown_user.headers()["www-authenticate"], "Bearer");
    assert_eq!(wrong_password.text().await.unwrap(), unknown_user.text().await.unwrap());
}

async fn a_password_longer_than_72_bytes_never_matches(backend: Backend) {
    let app = spawn_app(backend).await;
    let password = format!("Aa1{}", "x".repeat(69));
    assert_eq!(app.register("long@example.com", "long", &password).await.status(), 201);

    let response = app.login("long", &format!("{password}-and-more")).await;

    assert_eq!(response.status(), 401);
}

async fn an_inactive_account_gets_403_only_with_the_right_password(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    deactivate(&app, "alice").await;

    assert_eq!(app.login("alice", "Wrong1234").await.status(), 401);
    let response = app.login("alice", PASSWORD).await;

    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "/problems/account-disabled");
}

async fn deactivation_makes_existing_access_tokens_fail(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;
    deactivate(&app, "alice").await;

    assert_eq!(app.me(&tokens.access_token).await.status(), 401);
    assert_eq!(app.refresh(&tokens.refresh_token).await.status(), 401);
}

async fn login_validates_its_fields(backend: Backend) {
    let app = spawn_app(backend).await;

    let empty = app.post_json("/api/v1/auth/login", &json!({"login": "  ", "password": ""})).await;
    assert_eq!(empty.status(), 422);
    let body: Value = empty.json().await.unwrap();
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["login", "password"]);

    let spaces = app.login("alice", "        ").await;
    assert_eq!(spaces.status(), 401, "spaces are password characters, not an empty field");

    let missing = app.post_json("/api/v1/auth/login", &json!({"login": "alice"})).await;
    assert_eq!(missing.status(), 422);
    assert_eq!(missing.json::<Value>().await.unwrap()["errors"][0]["field"], "password");

    let bad_org =
        app.post_json("/api/v1/auth/login", &json!({"login": "a", "password": "b", "organization_id": "nope"})).await;
    assert_eq!(bad_org.status(), 422);
    assert_eq!(bad_org.json::<Value>().await.unwrap()["errors"][0]["field"], "organization_id");
}

async fn login_into_an_organization_one_does_not_belong_to_is_403(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;

    let response = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"login": "alice", "password": PASSWORD, "organization_id": uuid::Uuid::now_v7()}),
        )
        .await;

    assert_eq!(response.status(), 403);
    assert_eq!(response.json::<Value>().await.unwrap()["type"], "/problems/not-a-member");
}

async fn stored_hash(app: &TestApp, username: &str) -> String {
    let db = app.database().await;
    let user = users::Entity::find().filter(users::Column::Username.eq(username)).one(&db).await.unwrap().unwrap();
    user.password_hash
}

/// A hash made at another cost than `auth.bcrypt_cost` (the cost was raised or lowered
/// since, or the account was imported) is made again at the configured cost by the next
/// successful login; a failed one changes nothing.
async fn a_login_rehashes_a_password_stored_at_another_cost(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.bcrypt_cost = 5).await;
    app.register_ok("alice").await;
    let at_five = stored_hash(&app, "alice").await;
    assert!(at_five.starts_with("$2b$05$"), "registered at the configured cost");
    let app = app.restart_with(|settings| settings.auth.bcrypt_cost = 4).await;

    assert_eq!(app.login("alice", "Wrong1234").await.status(), 401);
    assert_eq!(stored_hash(&app, "alice").await, at_five, "a wrong password rehashes nothing");
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200);

    let at_four = stored_hash(&app, "alice").await;
    assert!(at_four.starts_with("$2b$04$"), "{}", &at_four[..7]);
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200, "the new hash holds the same password");
    assert_eq!(stored_hash(&app, "alice").await, at_four, "and is not made again");
}

on_both_backends!(
    login_accepts_the_email_or_the_username_in_any_case,
    login_counts_logins_and_records_the_time,
    unknown_user_and_wrong_password_get_the_same_401,
    a_password_longer_than_72_bytes_never_matches,
    an_inactive_account_gets_403_only_with_the_right_password,
    deactivation_makes_existing_access_tokens_fail,
    login_validates_its_fields,
    login_into_an_organization_one_does_not_belong_to_is_403,
    a_login_rehashes_a_password_stored_at_another_cost,
);
