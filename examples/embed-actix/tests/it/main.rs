//! The notes service end to end, in process (`actix_web::test`), on SQLite and on
//! PostgreSQL: authdb's routes under `/auth`, the notes routes behind authdb's extractors,
//! and the two migrators side by side.

#![allow(clippy::unwrap_used, reason = "tests: a failed unwrap is a failed test")]

use actix_web::{App, HttpServer};
use authdb_api::RateLimitConfig;
use authdb_testkit::PostgresDatabase;
use embed_actix::{NotesApp, NotesConfig, migrations};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A started service and what keeps its database alive.
struct Started {
    app: NotesApp,
    /// `http://127.0.0.1:<port>`, where the service listens.
    base: String,
    http: reqwest::Client,
    _sqlite: Option<tempfile::TempDir>,
    _postgres: Option<PostgresDatabase>,
}

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

async fn start(backend: Backend) -> Started {
    start_limited(
        backend,
        RateLimitConfig {
            enabled: false,
            auth_per_minute: 1,
            api_per_minute: 1,
            chat_posts_per_minute: 120,
            redis: None,
        },
    )
    .await
}

async fn start_limited(backend: Backend, rate_limit: RateLimitConfig) -> Started {
    let (url, sqlite, postgres) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("notes.db").display());
            (url, Some(dir), None)
        }
        Backend::Postgres => {
            let database = PostgresDatabase::create().await;
            (database.url().to_owned(), None, Some(database))
        }
    };
    let config = NotesConfig {
        database_url: url,
        jwt_secret: "an example secret of at least thirty-two bytes".to_owned().into(),
        issuer: "embed-actix-tests".into(),
        bcrypt_cost: 4,
        rate_limit,
    };
    let app = NotesApp::start(config).await.unwrap();
    let configure = app.configure();
    let server =
        HttpServer::new(move || App::new().configure(configure.clone())).workers(1).bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());
    // In a workspace build reqwest's rustls features are unified with authdb-agent's, and
    // reqwest then needs a process default crypto provider.
    rustls::crypto::ring::default_provider().install_default().ok();
    Started { app, base, http: reqwest::Client::new(), _sqlite: sqlite, _postgres: postgres }
}

/// Runs each listed `async fn name(backend: Backend)` once per backend, as `name::sqlite`
/// and `name::postgres`. The runtime has worker threads of its own so that the server's
/// background tasks go on while a test's PostgreSQL database is dropped (a blocking call).
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(super::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(super::Backend::Postgres).await;
                }
            }
        )*
    };
}

on_both_backends!(
    notes_routes_use_authdb_accounts_organizations_and_guards,
    notes_refuse_a_missing_or_bad_token_and_an_invalid_body,
    authdb_routes_answer_under_auth,
    sign_in_routes_under_auth_are_limited_per_address,
    migrations_of_both_migrators_apply_and_revert,
);

async fn call(
    app: &Started,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.http.request(method, format!("{}{path}", app.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    let value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
    (status, value)
}

/// Registers `name` through authdb's routes and answers an access token.
async fn sign_up(app: &Started, name: &str) -> String {
    let password = "Notebook1234";
    let body = json!({"email": format!("{name}@example.com"), "username": name, "password": password});
    let (status, answer) = call(app, Method::POST, "/auth/api/v1/auth/register", None, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let body = json!({"login": name, "password": password});
    let (status, answer) = call(app, Method::POST, "/auth/api/v1/auth/login", None, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["access_token"].as_str().unwrap().to_owned()
}

async fn notes_routes_use_authdb_accounts_organizations_and_guards(backend: Backend) {
    let app = start(backend).await;
    let ada = sign_up(&app, "ada").await;
    let charles = sign_up(&app, "charles").await;
    let eve = sign_up(&app, "eve").await;

    // Ada makes an organization through authdb's routes, and Charles joins it as a viewer.
    let body = json!({"name": "Analytical Engines", "slug": "engines"});
    let (status, organization) = call(&app, Method::POST, "/auth/api/v1/organizations", Some(&ada), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{organization}");
    let id = organization["id"].as_str().unwrap().to_owned();
    let invite = json!({"email": "charles@example.com", "role": "viewer"});
    let path = format!("/auth/api/v1/organizations/{id}/invitations");
    let (status, invitation) = call(&app, Method::POST, &path, Some(&ada), Some(invite)).await;
    assert_eq!(status, StatusCode::CREATED, "{invitation}");
    let accept = json!({"token": invitation["token"]});
    let (status, answer) =
        call(&app, Method::POST, "/auth/api/v1/invitations/accept", Some(&charles), Some(accept)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    // Ada (the owner) writes a note; its author is her user.
    let notes = format!("/organizations/{id}/notes");
    let (status, note) =
        call(&app, Method::POST, &notes, Some(&ada), Some(json!({"body": "  the engine weaves  "}))).await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    assert_eq!(note["body"], "the engine weaves");
    assert_eq!(note["organization_id"], id.as_str());
    let (_, me) = call(&app, Method::GET, "/auth/api/v1/auth/me", Some(&ada), None).await;
    assert_eq!(note["author_id"], me["id"]);

    // Charles, a viewer, reads the organization's notes (org:read) but may not write
    // (chats:use): 403. Eve, who is no member, gets 404 for both, whatever she sends.
    let (status, list) = call(&app, Method::GET, &notes, Some(&charles), None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0], note);
    let (status, problem) = call(&app, Method::POST, &notes, Some(&charles), Some(json!({"body": "hi"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, _) = call(&app, Method::GET, &notes, Some(&eve), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) = call(&app, Method::POST, &notes, Some(&eve), Some(json!({"nonsense": 1}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let unknown = format!("/organizations/{}/notes", uuid::Uuid::now_v7());
    let (status, _) = call(&app, Method::GET, &unknown, Some(&ada), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The plain authenticated route: each caller's own notes only.
    let (status, mine) = call(&app, Method::GET, "/me/notes", Some(&ada), None).await;
    assert_eq!((status, mine), (StatusCode::OK, json!([note])));
    let (status, mine) = call(&app, Method::GET, "/me/notes", Some(&charles), None).await;
    assert_eq!((status, mine), (StatusCode::OK, json!([])));

    // A logout through authdb's routes ends Ada's token for the notes routes at once.
    let (status, _) = call(&app, Method::POST, "/auth/api/v1/auth/logout", Some(&ada), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&app, Method::GET, "/me/notes", Some(&ada), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Deleting the organization (authdb's route) takes its notes with it.
    let ada = {
        let body = json!({"login": "ada", "password": "Notebook1234"});
        let (_, answer) = call(&app, Method::POST, "/auth/api/v1/auth/login", None, Some(body)).await;
        answer["access_token"].as_str().unwrap().to_owned()
    };
    let path = format!("/auth/api/v1/organizations/{id}");
    let (status, answer) = call(&app, Method::DELETE, &path, Some(&ada), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let (status, mine) = call(&app, Method::GET, "/me/notes", Some(&ada), None).await;
    assert_eq!((status, mine), (StatusCode::OK, json!([])));
}

async fn notes_refuse_a_missing_or_bad_token_and_an_invalid_body(backend: Backend) {
    let app = start(backend).await;
    let ada = sign_up(&app, "ada").await;
    let (_, organization) = call(
        &app,
        Method::POST,
        "/auth/api/v1/organizations",
        Some(&ada),
        Some(json!({"name": "Engines", "slug": "engines"})),
    )
    .await;
    let notes = format!("/organizations/{}/notes", organization["id"].as_str().unwrap());

    for path in ["/me/notes", notes.as_str()] {
        let (status, problem) = call(&app, Method::GET, path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {problem}");
        assert!(problem["type"].as_str().unwrap().starts_with("/problems/"), "{problem}");
        let (status, _) = call(&app, Method::GET, path, Some("not.a.token"), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    for body in [json!({"body": "   "}), json!({"body": "x".repeat(2001)})] {
        let (status, problem) = call(&app, Method::POST, &notes, Some(&ada), Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "body", "{problem}");
    }
    let (status, problem) = call(&app, Method::POST, &notes, Some(&ada), Some(json!({}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = call(&app, Method::POST, &notes, Some(&ada), Some(json!({"body": "x".repeat(2000)}))).await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn authdb_routes_answer_under_auth(backend: Backend) {
    let app = start(backend).await;
    let (status, _) = call(&app, Method::GET, "/auth/health/ready", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, jwks) = call(&app, Method::GET, "/auth/.well-known/jwks.json", None, None).await;
    assert_eq!(status, StatusCode::OK, "{jwks}");
    // Discovery built from the request names the endpoints under the prefix, and they answer.
    let (status, discovery) = call(&app, Method::GET, "/auth/.well-known/openid-configuration", None, None).await;
    assert_eq!(status, StatusCode::OK, "{discovery}");
    assert_eq!(discovery["jwks_uri"], format!("{}/auth/.well-known/jwks.json", app.base));
    assert_eq!(discovery["token_endpoint"], format!("{}/auth/api/v1/auth/token", app.base));
    let response = app.http.get(discovery["jwks_uri"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (status, problem) = call(&app, Method::GET, "/auth/api/v1/nothing-here", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    // An unrouted method gets authdb's 405 with the methods of the path, prefix or not.
    let response = app.http.put(format!("{}/auth/api/v1/auth/me", app.base)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("PATCH"), "{allow}");
    // authdb's routes are not mounted at the root as well.
    let (status, _) = call(&app, Method::GET, "/api/v1/auth/me", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn sign_in_routes_under_auth_are_limited_per_address(backend: Backend) {
    let config = RateLimitConfig {
        enabled: true,
        auth_per_minute: 3,
        api_per_minute: 100,
        chat_posts_per_minute: 120,
        redis: None,
    };
    let app = start_limited(backend, config).await;
    let body = json!({"login": "nobody", "password": "Notebook1234"});
    for _ in 0..3 {
        let (status, _) = call(&app, Method::POST, "/auth/api/v1/auth/login", None, Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, problem) = call(&app, Method::POST, "/auth/api/v1/auth/login", None, Some(body)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{problem}");
}

async fn migrations_of_both_migrators_apply_and_revert(backend: Backend) {
    use sea_orm::ConnectionTrait as _;
    use sea_orm_migration::MigratorTrait as _;

    let started = start(backend).await;
    let db = started.app.database();
    // Both histories, each in its own table.
    let authdb = migration::Migrator::get_applied_migrations(db).await.unwrap();
    assert_eq!(authdb.len(), migration::Migrator::migrations().len());
    let notes = migrations::NotesMigrator::get_applied_migrations(db).await.unwrap();
    assert_eq!(notes.len(), 1);
    // Applying again is a no-op; reverting removes every table, theirs and ours.
    migrations::up(db).await.unwrap();
    migrations::down(db).await.unwrap();
    let count = |table: &str| {
        let sql = match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => format!(
                "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = '{table}'"
            ),
            _ => format!("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
        };
        async move {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get::<i64>("", "n").unwrap()
        }
    };
    assert_eq!(count("notes").await, 0);
    assert_eq!(count("users").await, 0);
    migrations::up(db).await.unwrap();
    assert_eq!(count("notes").await, 1);
}
