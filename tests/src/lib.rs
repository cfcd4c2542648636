//! Test support: start the real authdb application on a random port against a fresh
//! database, and talk to it over HTTP.
//!
//! Every [`TestApp`] gets its own database: a SQLite file in a temporary directory, or a
//! throwaway PostgreSQL database ([`authdb_testkit::PostgresDatabase`]) that is dropped
//! when the app is. Tests therefore run in parallel and leave nothing behind.

#![allow(clippy::unwrap_used, reason = "test support: a failed setup should panic loudly")]

use std::path::PathBuf;

use actix_web::dev::ServerHandle;
use authdb_server::{Application, Settings};
use authdb_testkit::PostgresDatabase;
use reqwest::{Client, Response};
use serde_json::{Value, json};
use tempfile::TempDir;

/// The password every helper registers with; it satisfies the default policy.
pub const PASSWORD: &str = "Secret123";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test.
pub struct TestDatabase {
    url: String,
    /// Holds the SQLite file (and the data directory) until the test ends.
    dir: TempDir,
    postgres: Option<PostgresDatabase>,
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("authdb.db").display());
                Self { url, dir, postgres: None }
            }
            Backend::Postgres => {
                let postgres = PostgresDatabase::create().await;
                Self { url: postgres.url().to_owned(), dir, postgres: Some(postgres) }
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Drops a PostgreSQL database now (connections included), as if the server went away.
    pub async fn drop_postgres_now(&mut self) {
        if let Some(postgres) = &mut self.postgres {
            postgres.drop_now().await;
        }
    }
}

/// Settings for a test server: random port, cheap bcrypt, one worker, the given database.
pub fn test_settings(db: &TestDatabase) -> Settings {
    let mut settings = Settings::default();
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 1;
    settings.server.shutdown_timeout_secs = 1;
    settings.data_dir = db.data_dir();
    settings.database.url = Some(db.url().to_owned());
    settings.database.max_connections = 5;
    settings.auth.bcrypt_cost = 4;
    // Limits stay on (the middleware runs) but out of reach; tests/e2e/rate_limit.rs lowers them.
    settings.rate_limit.auth_per_minute = 100_000;
    settings.rate_limit.api_per_minute = 100_000;
    // Likewise the per-chat posting limit; tests/e2e/chats.rs lowers it.
    settings.messaging.posts_per_minute_per_user = 100_000;
    // An attempt beyond the lockout budget waits for the attempts in flight to be judged.
    // Tests run many servers at once on few cores, where 16 parallel honest attempts can
    // take longer than the 2 s default to be judged one after another: waiting longer
    // keeps the tests about the rules, not the machine's speed. tests/e2e/lockout.rs
    // checks the bound itself with a short one.
    settings.auth.lockout_max_wait_ms = 10_000;
    settings
}

/// The running application and an HTTP client for it.
pub struct TestApp {
    pub address: String,
    /// The separate metrics listener's port, when `settings.metrics.bind` asked for one.
    pub metrics_port: Option<u16>,
    pub client: Client,
    pub settings: Settings,
    server: RunningServer,
    /// Declared last so the server stops before its database is dropped.
    pub db: TestDatabase,
}

/// Stops the server when the test ends.
struct RunningServer(ServerHandle);

impl Drop for RunningServer {
    fn drop(&mut self) {
        // Sends the stop command at once; the returned future only waits for completion.
        drop(self.0.stop(false));
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// A test server with `mail.transport = none`: nothing is delivered, so the answer to an
/// invitation carries its token (the tests that pass tokens around by hand).
pub async fn spawn_app_without_mail(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| settings.mail.transport = authdb_server::settings::MailTransport::None).await
}

pub async fn spawn_app_with(backend: Backend, customize: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDatabase::create(backend).await;
    let mut settings = test_settings(&db);
    customize(&mut settings);
    start(settings, db).await
}

async fn start(settings: Settings, db: TestDatabase) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        authdb_server::telemetry::init(settings.log.format);
    }
    let application = Application::build(settings.clone()).await.unwrap();
    let address = format!("http://127.0.0.1:{}", application.port());
    let metrics_port = application.metrics_port();
    let server = RunningServer(application.handle());
    tokio::spawn(application.run_until_stopped());
    // reqwest's rustls features are unified with authdb-agent's (see
    // `authdb_agent::install_crypto_provider`); the server installed the provider already.
    rustls::crypto::ring::default_provider().install_default().ok();
    // Idle connections are dropped before the server's keep-alive (5 s) closes them, so a
    // request never races the server's close on a reused connection (hyper's
    // `IncompleteMessage`), which a slow, loaded test run would otherwise meet.
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .unwrap();
    TestApp { address, metrics_port, client, settings, server, db }
}

/// The claims of a JWT, read without checking anything.
pub fn claims_of(token: &str) -> Value {
    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The JSON answer of a successful register, login or refresh.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub user: Value,
    pub access_token: String,
    pub refresh_token: String,
}

impl Tokens {
    fn from_json(body: Value) -> Self {
        Self {
            access_token: body["access_token"].as_str().unwrap().to_owned(),
            refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
            user: body["user"].clone(),
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Stops the server gracefully and starts a new one on the same database and data
    /// directory, as a restart of the process would.
    pub async fn restart(self) -> TestApp {
        let TestApp { settings, server, db, .. } = self;
        server.0.stop(true).await;
        start(settings, db).await
    }

    /// [`Self::restart`] with changed settings, as an operator editing the configuration
    /// between two runs would.
    pub async fn restart_with(self, customize: impl FnOnce(&mut Settings)) -> TestApp {
        let TestApp { mut settings, server, db, .. } = self;
        server.0.stop(true).await;
        customize(&mut settings);
        start(settings, db).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).json(body).send().await.unwrap()
    }

    pub async fn register(&self, email: &str, username: &str, password: &str) -> Response {
        self.post_json("/api/v1/auth/register", &json!({ "email": email, "username": username, "password": password }))
            .await
    }

    /// Registers `username` (email `<username>@example.com`) and returns its tokens.
    pub async fn register_ok(&self, username: &str) -> Tokens {
        let response = self.register(&format!("{username}@example.com"), username, PASSWORD).await;
        assert_eq!(response.status(), 201, "registration of {username} failed");
        Tokens::from_json(response.json().await.unwrap())
    }

    pub async fn login(&self, login: &str, password: &str) -> Response {
        self.post_json("/api/v1/auth/login", &json!({ "login": login, "password": password })).await
    }

    pub async fn login_ok(&self, login: &str) -> Tokens {
        let response = self.login(login, PASSWORD).await;
        assert_eq!(response.status(), 200, "login of {login} failed");
        Tokens::from_json(response.json().await.unwrap())
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post_json("/api/v1/auth/refresh", &json!({ "refresh_token": refresh_token })).await
    }

    pub async fn refresh_ok(&self, refresh_token: &str) -> Tokens {
        let response = self.refresh(refresh_token).await;
        assert_eq!(response.status(), 200, "refresh failed");
        Tokens::from_json(response.json().await.unwrap())
    }

    pub async fn get_with(&self, path: &str, access_token: &str) -> Response {
        self.client.get(self.url(path)).bearer_auth(access_token).send().await.unwrap()
    }

    pub async fn post_with(&self, path: &str, access_token: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).bearer_auth(access_token).json(body).send().await.unwrap()
    }

    pub async fn delete_with(&self, path: &str, access_token: &str) -> Response {
        self.client.delete(self.url(path)).bearer_auth(access_token).send().await.unwrap()
    }

    /// The caller's live sessions (`GET /auth/sessions`), asserting success.
    pub async fn sessions_ok(&self, access_token: &str) -> Vec<Value> {
        let response = self.get_with("/api/v1/auth/sessions", access_token).await;
        assert_eq!(response.status(), 200, "listing sessions failed");
        response.json::<Value>().await.unwrap()["items"].as_array().unwrap().clone()
    }

    pub async fn logout(&self, access_token: &str) -> Response {
        self.client.post(self.url("/api/v1/auth/logout")).bearer_auth(access_token).send().await.unwrap()
    }

    pub async fn me(&self, access_token: &str) -> Response {
        self.client.get(self.url("/api/v1/auth/me")).bearer_auth(access_token).send().await.unwrap()
    }

    pub async fn patch_me(&self, access_token: &str, body: &Value) -> Response {
        self.client.patch(self.url("/api/v1/auth/me")).bearer_auth(access_token).json(body).send().await.unwrap()
    }

    /// A direct connection to the app's database, for arranging and checking state that
    /// no endpoint exposes yet.
    pub async fn database(&self) -> sea_orm::DatabaseConnection {
        let config = authdb_persistence::DatabaseConfig {
            url: self.db.url().to_owned(),
            max_connections: 2,
            min_connections: 0,
            connect_timeout: std::time::Duration::from_secs(5),
            acquire_timeout: std::time::Duration::from_secs(5),
            idle_timeout: None,
            max_lifetime: None,
        };
        authdb_persistence::connect(&config).await.unwrap()
    }

    /// The JWT secret the server generated into its data directory.
    pub fn jwt_secret(&self) -> String {
        std::fs::read_to_string(self.settings.data_dir.join("jwt_secret")).unwrap().trim().to_owned()
    }
}

/// Organizations, members and administration.
impl TestApp {
    /// Sends `method path` with a bearer token and, when given, a JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        access_token: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path)).bearer_auth(access_token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, access_token: &str) -> Response {
        self.send(reqwest::Method::GET, path, access_token, None).await
    }

    pub async fn post(&self, path: &str, access_token: &str, body: &Value) -> Response {
        self.send(reqwest::Method::POST, path, access_token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, access_token: &str, body: &Value) -> Response {
        self.send(reqwest::Method::PATCH, path, access_token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, access_token: &str) -> Response {
        self.send(reqwest::Method::DELETE, path, access_token, None).await
    }

    /// Creates an organization with this slug (named after it) and returns its body.
    pub async fn create_organization_ok(&self, access_token: &str, slug: &str) -> Value {
        let response = self
            .post("/api/v1/organizations", access_token, &json!({ "name": format!("Org {slug}"), "slug": slug }))
            .await;
        assert_eq!(response.status(), 201, "creating organization {slug} failed");
        response.json().await.unwrap()
    }

    /// Makes `invitee` a member of an organization the way anyone but a superuser does:
    /// invites their address through `POST .../members` (202) and accepts the invitation
    /// as them, with the token from the answer (`mail.transport = none`) or else from the
    /// mail the `file` transport wrote.
    pub async fn add_member_ok(&self, access_token: &str, organization_id: &str, invitee: &Tokens, role: &str) {
        let email = invitee.user["email"].as_str().unwrap();
        let before = self.mail_files();
        let response = self
            .post(
                &format!("/api/v1/organizations/{organization_id}/members"),
                access_token,
                &json!({ "email": email, "role": role }),
            )
            .await;
        assert_eq!(response.status(), 202, "inviting {email} as {role} failed");
        let invitation: Value = response.json().await.unwrap();
        let token = match invitation["token"].as_str() {
            Some(token) => token.to_owned(),
            None => self.mailed_invitation_token(email, &before).await,
        };
        let accepted = self.post("/api/v1/invitations/accept", &invitee.access_token, &json!({ "token": token })).await;
        assert_eq!(accepted.status(), 200, "{email} accepting the invitation as {role} failed");
    }

    /// The `.eml` files the `file` mail transport has written so far.
    pub fn mail_files(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.settings.mail_dir()) else { return Vec::new() };
        entries
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|extension| extension == "eml"))
            .collect()
    }

    /// Waits up to five seconds for the `file` transport to write an invitation to `email`
    /// that is not among `before`, and answers the raw message.
    pub async fn mailed_invitation(&self, email: &str, before: &[PathBuf]) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            for path in self.mail_files().iter().filter(|path| !before.contains(path)) {
                let message = std::fs::read_to_string(path).unwrap();
                let to = message.lines().take_while(|line| !line.is_empty()).any(|line| line == format!("To: {email}"));
                if to && text_body(&message).contains("/accept-invitation?token=") {
                    return message;
                }
            }
            assert!(std::time::Instant::now() < deadline, "no invitation mailed to {email}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The token of the accept link of an invitation mailed to `email` after `before`.
    pub async fn mailed_invitation_token(&self, email: &str, before: &[PathBuf]) -> String {
        invitation_link(&self.mailed_invitation(email, before).await).split_once("?token=").unwrap().1.to_owned()
    }

    /// Makes a user a superuser directly in the database (as `authdb create-superuser`
    /// or another superuser would) and returns fresh tokens from a new login.
    pub async fn promote_to_superuser(&self, username: &str) -> Tokens {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        let db = self.database().await;
        authdb_persistence::entities::users::Entity::update_many()
            .col_expr(authdb_persistence::entities::users::Column::IsSuperuser, Expr::value(true))
            .filter(authdb_persistence::entities::users::Column::UsernameKey.eq(username.to_ascii_lowercase()))
            .exec(&db)
            .await
            .unwrap();
        self.login_ok(username).await
    }
}

impl Tokens {
    /// The user's id, from the registration or login answer.
    pub fn user_id(&self) -> String {
        self.user["id"].as_str().unwrap().to_owned()
    }
}

/// The accept link in the text of an invitation mail.
pub fn invitation_link(message: &str) -> String {
    let text = text_body(message);
    text.split_whitespace()
        .find(|word| word.contains("/accept-invitation?token="))
        .unwrap_or_else(|| panic!("no accept link in:\n{text}"))
        .to_owned()
}

/// The plain-text part of a mailed message, decoded from whatever transfer encoding it has.
pub fn text_body(message: &str) -> String {
    use base64::Engine as _;
    let message = message.replace("\r\n", "\n");
    let start = message.find("Content-Type: text/plain").unwrap_or_else(|| panic!("no text part in {message}"));
    let part = &message[start..];
    let (headers, rest) = part.split_once("\n\n").unwrap();
    let body = &rest[..rest.find("\n--").unwrap_or(rest.len())];
    if headers.contains("quoted-printable") {
        let joined = body.replace("=\n", "");
        let (mut decoded, mut bytes) = (Vec::new(), joined.bytes());
        while let Some(byte) = bytes.next() {
            if byte == b'=' {
                // A `=` that ends the part is the soft line break before its boundary (the
                // line break itself belongs to the boundary, RFC 2046).
                let (Some(high), Some(low)) = (bytes.next(), bytes.next()) else { break };
                decoded.push(u8::from_str_radix(std::str::from_utf8(&[high, low]).unwrap(), 16).unwrap());
            } else {
                decoded.push(byte);
            }
        }
        String::from_utf8(decoded).unwrap()
    } else if headers.contains("base64") {
        let compact: String = body.split_whitespace().collect();
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(compact).unwrap()).unwrap()
    } else {
        body.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::text_body;

    #[test]
    fn a_quoted_printable_part_may_end_with_a_soft_line_break() {
        let message = "Content-Type: multipart/alternative; boundary=\"b\"\n\n--b\n\
                       Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n\
                       token=3Dabc=\ndef=\n--b--\n";
        assert_eq!(text_body(message), "token=abcdef");
    }
}
