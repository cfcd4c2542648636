//! Downstream services built on authdb-verify, run in the test: an axum service that
//! follows the revocation stream refuses a logged-out session within a second (the logout
//! made on another authdb instance than the one it follows), keeps verifying signatures
//! while authdb is stopped and catches up when it returns; an actix-web service follows a
//! key rotation A -> [B, A] -> [B] without a restart.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use authdb_tests::{Backend, TestApp, Tokens, spawn_app_with};
use authdb_verify::{Algorithm, Authenticated, RevocationConfig, Verifier, VerifierConfig};
use serde_json::{Value, json};

fn test_key(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/authdb-auth/src/jwt/testdata").join(name)
}

/// A registered service client's id and secret.
async fn client_credentials(app: &TestApp) -> (String, String) {
    app.register_ok("root").await;
    let admin = app.promote_to_superuser("root").await;
    let response = app
        .post("/api/v1/admin/clients", &admin.access_token, &json!({ "name": "notes", "scopes": ["revocations:read"] }))
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    (body["client_id"].as_str().unwrap().to_owned(), body["client_secret"].as_str().unwrap().to_owned())
}

fn verifier_config(base: &str) -> VerifierConfig {
    VerifierConfig::new("authdb", "authdb", format!("{base}/.well-known/jwks.json"), Algorithm::EdDSA)
}

/// The downstream service's one route: who the token's holder is.
async fn whoami(user: Authenticated) -> String {
    user.0.sub
}

/// Starts the axum service; answers its base URL.
async fn spawn_axum(verifier: Verifier) -> String {
    let app = axum::Router::new().route("/whoami", axum::routing::get(whoami)).with_state(verifier);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Starts the actix-web service; answers its base URL.
fn spawn_actix(verifier: Verifier) -> String {
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(actix_web::web::Data::new(verifier.clone()))
            .route("/whoami", actix_web::web::get().to(whoami))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());
    url
}

async fn whoami_status(client: &reqwest::Client, service: &str, tokens: &Tokens) -> u16 {
    client.get(format!("{service}/whoami")).bearer_auth(&tokens.access_token).send().await.unwrap().status().as_u16()
}

/// Polls until the service refuses `tokens`; answers how long that took.
async fn refused_within(client: &reqwest::Client, service: &str, tokens: &Tokens, deadline: Duration) -> Duration {
    let started = Instant::now();
    while whoami_status(client, service, tokens).await != 401 {
        assert!(started.elapsed() < deadline, "still accepted after {deadline:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

async fn wait_connected(verifier: &Verifier, connected: bool) {
    let started = Instant::now();
    while verifier.health().unwrap().connected != connected {
        assert!(started.elapsed() < Duration::from_secs(15), "not connected={connected}: {:?}", verifier.health());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Starts a second authdb instance on `settings` (the same database and keys); answers its
/// handle and base URL.
async fn instance(settings: &authdb_server::settings::Settings) -> (actix_web::dev::ServerHandle, String) {
    let application = authdb_server::Application::build(settings.clone()).await.unwrap();
    let url = format!("http://127.0.0.1:{}", application.port());
    let handle = application.handle();
    tokio::spawn(application.run_until_stopped());
    (handle, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_downstream_service_refuses_revoked_sessions_and_catches_up_after_authdb_returns() {
    // Two instances on one PostgreSQL database (SQLite has one process per database): the
    // downstream service follows `followed`; the logouts are made on `app`.
    let app = spawn_app_with(Backend::Postgres, |settings| {
        settings.auth.jwt_algorithm = "EdDSA".parse().unwrap();
        settings.auth.signing_keys = vec![test_key("ed25519-a.pem")];
    })
    .await;
    let (followed_handle, followed) = instance(&app.settings).await;
    let (id, secret) = client_credentials(&app).await;
    let mut follow = RevocationConfig::new(&followed, id, secret);
    follow.min_backoff = Duration::from_millis(100);
    follow.max_backoff = Duration::from_millis(400);
    let verifier = Verifier::with_revocations(verifier_config(&followed), follow).unwrap();
    let service = spawn_axum(verifier.clone()).await;
    wait_connected(&verifier, true).await;
    let client = reqwest::Client::new();

    let alice = app.register_ok("alice").await;
    let answer = client.get(format!("{service}/whoami")).bearer_auth(&alice.access_token).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), alice.user_id());

    assert_eq!(app.logout(&alice.access_token).await.status(), 204);
    let took = refused_within(&client, &service, &alice, Duration::from_secs(5)).await;
    assert!(took < Duration::from_secs(1), "a logout on the other instance took {took:?} to reach the service");
    let refused = client.get(format!("{service}/whoami")).bearer_auth(&alice.access_token).send().await.unwrap();
    assert_eq!(refused.headers()["www-authenticate"], r#"Bearer error="invalid_token""#);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["detail"], "the session was revoked");
    let health = verifier.health().unwrap();
    assert!(health.connected && health.behind_since.is_none() && health.last_event_at.is_some(), "{health:?}");
    assert_eq!(health.revoked_sessions, 1);
    assert_eq!(client.get(format!("{service}/whoami")).send().await.unwrap().status(), 401, "no token");

    // The followed instance stops: tokens still verify by signature, with the cached key.
    let bob = app.register_ok("bob").await;
    let port = followed.rsplit(':').next().unwrap().to_owned();
    followed_handle.stop(true).await;
    wait_connected(&verifier, false).await;
    assert_eq!(whoami_status(&client, &service, &bob).await, 200, "verified by signature while authdb is away");
    // A logout meanwhile cannot be seen yet, and the health says since when.
    assert_eq!(app.logout(&bob.access_token).await.status(), 204);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(whoami_status(&client, &service, &bob).await, 200);
    let behind = verifier.health().unwrap();
    assert!(!behind.connected && behind.behind_since.is_some() && behind.last_error.is_some(), "{behind:?}");

    // It returns on the same address: the service reconnects by itself, resumes after its
    // last event and sees the logout it missed.
    let mut settings = app.settings.clone();
    settings.server.bind = format!("127.0.0.1:{port}");
    let (returned, _) = instance(&settings).await;
    refused_within(&client, &service, &bob, Duration::from_secs(15)).await;
    assert_eq!(whoami_status(&client, &service, &alice).await, 401, "what it knew is kept");
    wait_connected(&verifier, true).await;
    assert_eq!(verifier.health().unwrap().revoked_sessions, 2);
    returned.stop(false).await;
}

async fn a_downstream_service_follows_a_key_rotation_without_a_restart(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.auth.jwt_algorithm = "EdDSA".parse().unwrap();
        settings.auth.signing_keys = vec![test_key("ed25519-a.pem")];
    })
    .await;
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let mut config = verifier_config(&app.address);
    config.refresh_floor = Duration::from_millis(100);
    config.max_key_age = Duration::from_millis(500);
    let service = spawn_actix(Verifier::new(config).unwrap());
    let client = reqwest::Client::new();
    let signed_by_a = app.register_ok("alice").await;
    assert_eq!(whoami_status(&client, &service, &signed_by_a).await, 200);

    // A -> [B, A]: B signs, A still verifies.
    let app = app
        .restart_with(|settings| {
            settings.server.bind = format!("127.0.0.1:{port}");
            settings.auth.signing_keys = vec![test_key("ed25519-b.pem"), test_key("ed25519-a.pem")];
        })
        .await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let signed_by_b = app.login_ok("alice").await;
    assert_eq!(whoami_status(&client, &service, &signed_by_b).await, 200, "B is fetched on its unknown kid");
    assert_eq!(whoami_status(&client, &service, &signed_by_a).await, 200);

    // [B, A] -> [B]: A stops verifying once the key set is older than its age.
    let app = app
        .restart_with(|settings| {
            settings.server.bind = format!("127.0.0.1:{port}");
            settings.auth.signing_keys = vec![test_key("ed25519-b.pem")];
        })
        .await;
    refused_within(&client, &service, &signed_by_a, Duration::from_secs(5)).await;
    assert_eq!(whoami_status(&client, &service, &signed_by_b).await, 200);
    drop(app);
}

/// With 3 s access tokens the client token is renewed (at four fifths of its lifetime)
/// and the stream reopened before authdb ends it; revocations keep arriving throughout.
async fn the_client_token_is_renewed_and_the_stream_resumed_before_it_expires(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.auth.jwt_algorithm = "EdDSA".parse().unwrap();
        settings.auth.signing_keys = vec![test_key("ed25519-a.pem")];
        settings.auth.access_ttl_secs = 3;
    })
    .await;
    let (id, secret) = client_credentials(&app).await;
    let mut follow = RevocationConfig::new(&app.address, id, secret);
    follow.retention = Duration::from_secs(60);
    let verifier = Verifier::with_revocations(verifier_config(&app.address), follow).unwrap();
    let service = spawn_axum(verifier.clone()).await;
    wait_connected(&verifier, true).await;
    let client = reqwest::Client::new();
    for round in 0..3 {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let user = app.login_ok("root").await;
        assert_eq!(whoami_status(&client, &service, &user).await, 200);
        assert_eq!(app.logout(&user.access_token).await.status(), 204);
        let took = refused_within(&client, &service, &user, Duration::from_secs(5)).await;
        assert!(took < Duration::from_secs(1), "round {round}: {took:?}");
    }
    let health = verifier.health().unwrap();
    assert_eq!(health.revoked_sessions, 3);
    assert_eq!(health.last_error, None, "no connection failed: {health:?}");
}

on_both_backends!(
    a_downstream_service_follows_a_key_rotation_without_a_restart,
    the_client_token_is_renewed_and_the_stream_resumed_before_it_expires,
);
