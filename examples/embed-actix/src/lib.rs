//! An example of embedding authdb in a service of one's own: a small notes API.
//!
//! It shows the three things docs/embedding.md describes:
//!
//! - **one database, two migrators**: [`migrations::up`] applies authdb's migrations
//!   (`migration::Migrator`, history in `seaql_migrations`) and then this service's own
//!   ([`migrations::NotesMigrator`], history in a table of its own), so neither migrator
//!   ever sees the other's history;
//! - **one core**: [`NotesApp::start`] connects, migrates and builds authdb's
//!   [`Services`] with [`Services::start`]; the same services answer authdb's routes and
//!   authenticate this service's callers;
//! - **authdb's routes and extractors**: [`NotesApp::configure`] mounts authdb's HTTP API
//!   under `/auth` (`/auth/api/v1/login`, ...) and this service's routes beside it,
//!   protected by [`authdb_api::Authenticated`] (`GET /me/notes`) and by
//!   [`authdb_api::OrgMember`] and [`authdb_api::RequirePermission`]
//!   (`/organizations/{id}/notes`).

pub mod migrations;
mod notes;

use std::{sync::Arc, time::Duration};

use actix_web::web;
use authdb_api::{ApiState, RateLimitConfig, RateLimiter};
use authdb_auth::{JwtConfig, JwtKeys, PasswordHasher, RotationKey, SigningKeys};
use authdb_persistence::{DatabaseConfig, DatabaseConnection};
use authdb_service::{
    AuthPolicy, InventoryPolicy, MailSetup, MailTemplates, MailTemplatesConfig, MessagingPolicy, NoRouterAgent,
    OrganizationPolicy, OutboxPolicy, Services, ServicesConfig, error_chain,
};
use secrecy::SecretString;

pub use notes::{Note, NoteRequest};

/// What the notes service is started with.
#[derive(Debug)]
pub struct NotesConfig {
    /// `sqlite://path/to/notes.db` or `postgres://user:pass@host/db`.
    pub database_url: String,
    /// Signs access tokens (HS256) and derives refresh-token successors: at least 32 bytes.
    pub jwt_secret: SecretString,
    /// The `iss` and `aud` of the access tokens.
    pub issuer: String,
    /// bcrypt cost of new password hashes (12 in production; 4 in tests).
    pub bcrypt_cost: u32,
    /// Request budgets of authdb's routes (`/auth/api/v1/...`), per address on the
    /// sign-in routes and per user elsewhere.
    pub rate_limit: RateLimitConfig,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot connect to the database: {0}")]
    Database(String),
    #[error("cannot apply the migrations: {0}")]
    Migration(String),
    #[error("invalid key or bcrypt cost: {0}")]
    Keys(String),
    #[error("invalid rate limit: {0}")]
    RateLimit(String),
}

/// The started service: the database and authdb's services around one core. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct NotesApp {
    db: DatabaseConnection,
    services: Services,
    /// Built once, outside the per-worker factory, so that every worker shares its counters.
    rate_limiter: RateLimiter,
}

impl NotesApp {
    /// Connects, applies authdb's migrations and then this service's, and starts authdb's
    /// services. Must run inside a Tokio runtime.
    pub async fn start(config: NotesConfig) -> Result<Self, StartError> {
        let db = authdb_persistence::connect(&DatabaseConfig {
            url: config.database_url,
            max_connections: 10,
            min_connections: 1,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(5),
            idle_timeout: None,
            max_lifetime: None,
        })
        .await
        .map_err(|error| StartError::Database(error_chain(&error)))?;
        migrations::up(&db).await.map_err(|error| StartError::Migration(error.to_string()))?;
        let keys = JwtKeys::new(JwtConfig {
            keys: SigningKeys::Hs256(config.jwt_secret.clone()),
            issuer: config.issuer.clone(),
            audience: config.issuer,
            access_ttl: time::Duration::minutes(15),
            leeway_secs: 5,
        })
        .map_err(|error| StartError::Keys(error.to_string()))?;
        let rate_limiter = RateLimiter::new(&config.rate_limit).map_err(StartError::RateLimit)?;
        let hasher = PasswordHasher::new(config.bcrypt_cost).map_err(|error| StartError::Keys(error.to_string()))?;
        let services = Services::start(
            db.clone(),
            ServicesConfig {
                hasher,
                keys,
                rotation: RotationKey::derive(&config.jwt_secret),
                auth: AuthPolicy::default(),
                // The notes service delivers no mail (below), so an inviter gets the
                // invitation's token back to pass on; an embedder that delivers mail says
                // `false` and the token reaches only the invitee's mailbox.
                organizations: OrganizationPolicy {
                    hand_back_invitation_tokens: true,
                    ..OrganizationPolicy::default()
                },
                inventory: InventoryPolicy::default(),
                // The notes service talks to no router agent; `authdb_agent::HttpRouterAgent`
                // (or a client of one's own) goes here to manage networks' access rules.
                agent: Arc::new(NoRouterAgent),
                messaging: MessagingPolicy::default(),
                realtime_redis: None,
                cache_ttl: Duration::from_secs(1),
                health_timeout: Duration::from_secs(2),
                public_url: None,
                // The notes service sends no mail: what authdb's use cases mail (the
                // verification link of a registration) waits in the outbox. An embedder
                // that mails builds a transport with `authdb_mail::build` and passes it here.
                mail: MailSetup {
                    mailer: None,
                    templates: Arc::new(
                        MailTemplates::load(MailTemplatesConfig {
                            dir: None,
                            product_name: "notes".into(),
                            link_base: "http://localhost".into(),
                        })
                        .map_err(|error| StartError::Keys(error.to_string()))?,
                    ),
                    policy: OutboxPolicy::default(),
                },
            },
        )
        .await
        .map_err(|error| StartError::Database(error_chain(&error)))?;
        Ok(Self { db, services, rate_limiter })
    }

    /// The connection pool authdb's services and the notes share.
    pub fn database(&self) -> &DatabaseConnection {
        &self.db
    }

    /// authdb's services, for calling its use cases directly.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Mounts authdb's API under `/auth` and the notes routes at the root:
    /// `App::new().configure(app.configure())`.
    pub fn configure(&self) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
        // No `/metrics` here: an embedding service usually has its own.
        let state =
            ApiState { metrics: None, rate_limiter: self.rate_limiter.clone(), ..ApiState::new(self.services.clone()) };
        let authdb = authdb_api::configure(state.clone());
        let extractors = authdb_api::configure_extractors(&state);
        let store = web::Data::new(notes::Store::new(self.db.clone()));
        move |cfg: &mut web::ServiceConfig| {
            cfg.service(web::scope("/auth").configure(authdb.clone()))
                .configure(extractors.clone())
                .app_data(store.clone())
                .configure(notes::configure);
        }
    }
}
