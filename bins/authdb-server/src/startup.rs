//! Builds the application from settings: database, migrations, keys, services, listener.

use std::{io, net::TcpListener, sync::Arc, time::Duration};

use actix_web::{
    App, HttpServer,
    dev::{Server, ServerHandle},
    middleware,
};
use authdb_agent::{AgentClientConfig, HttpRouterAgent};
use authdb_api::{ApiState, RateLimitConfig, RateLimiter, RedisConfig};
use authdb_auth::{JwtAlgorithm, JwtConfig, JwtKeys, PasswordHasher, PrivateKeyPem, RotationKey, SigningKeys};
use authdb_console::ConsoleConfig;
use authdb_persistence::{DatabaseBackend, DatabaseConfig, DatabaseConnection};
use authdb_service::{
    AuthPolicy, HealthService, MailSetup, MailTemplates, MailTemplatesConfig, Mailer, MessagingPolicy,
    OrganizationPolicy, OutboxPolicy, PasskeyPolicy, RealtimeRedis, RouterAgent, Services, ServicesConfig,
    TemplateError, error_chain,
};
use secrecy::{ExposeSecret as _, SecretString};

use crate::{Settings, SettingsError, secret};

/// Why the server could not start. Each renders as one line naming what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("cannot create the data directory {path} (AUTHDB__DATA_DIR): {source}")]
    DataDir { path: String, source: io::Error },
    #[error("cannot read or create the JWT secret in the data directory (AUTHDB__DATA_DIR): {0}")]
    Secret(io::Error),
    #[error("cannot connect to the database (AUTHDB__DATABASE__URL): {0}")]
    Database(String),
    #[error("cannot apply database migrations: {0}")]
    Migration(String),
    #[error("invalid setting AUTHDB__AUTH__JWT_SECRET: {0}")]
    Keys(String),
    #[error("invalid setting AUTHDB__AUTH__SIGNING_KEYS: {0}")]
    SigningKeys(String),
    /// The secret or key generated into the data directory (no variable was set) is
    /// unusable, for instance edited by hand.
    #[error(
        "cannot use {file}, generated into the data directory (AUTHDB__DATA_DIR): {message}; remove it to have a \
         new one generated, or set {variable}"
    )]
    Generated { file: String, variable: &'static str, message: String },
    #[error("cannot read the signing key {path} (AUTHDB__AUTH__SIGNING_KEYS): {source}")]
    SigningKeyFile { path: String, source: io::Error },
    #[error("cannot read or create the signing key in the data directory (AUTHDB__DATA_DIR): {0}")]
    GeneratedSigningKey(io::Error),
    #[error(
        "invalid setting AUTHDB__AUTH__MFA_ENCRYPTION_KEY: it opens none of the {stored} TOTP secrets stored in \
         the database, so no enrolled user could finish a login; set it back to the key they were sealed with, or \
         give that key as AUTHDB__AUTH__MFA_ENCRYPTION_KEY_PREVIOUS (secrets sealed while no key was set open only \
         under the same server secret, AUTHDB__AUTH__JWT_SECRET or the one generated into the data directory)"
    )]
    MfaKey { stored: usize },
    #[error("invalid setting AUTHDB__AUTH__BCRYPT_COST: {0}")]
    Hasher(String),
    #[error("cannot listen on {bind} (AUTHDB__SERVER__BIND): {source}")]
    Bind { bind: String, source: io::Error },
    #[error("cannot listen on {bind} (AUTHDB__METRICS__BIND): {source}")]
    MetricsBind { bind: String, source: io::Error },
    #[error("invalid setting AUTHDB__REDIS__URL: {0}")]
    Redis(String),
    #[error(transparent)]
    Mail(#[from] authdb_mail::MailSetupError),
    #[error(transparent)]
    Agent(#[from] authdb_agent::AgentSetupError),
    #[error(transparent)]
    MailTemplates(#[from] TemplateError),
    #[error("cannot listen for SIGTERM and SIGINT: {0}")]
    Signals(io::Error),
}

/// Connects to the database, applies pending migrations and builds the services every
/// entry point (server, CLI commands) needs; also answers the pool, for closing it.
/// With `send_mail` (the server) the mail transport is built too, and the outbox worker
/// sends through it; the one-shot commands run no worker.
pub async fn build_services(
    settings: &Settings,
    send_mail: bool,
) -> Result<(DatabaseConnection, Services, Option<Arc<dyn Mailer>>), StartupError> {
    // Before the database: broken templates refuse the start without touching anything.
    let templates = MailTemplates::load(MailTemplatesConfig {
        dir: settings.mail.templates_dir.clone(),
        product_name: settings.mail.product_name.trim().to_owned(),
        link_base: settings.mail_link_base()?,
    })?;
    let db = connect(settings).await?;
    authdb_persistence::migrate_up(&db).await.map_err(|error| StartupError::Migration(error_chain(&error)))?;
    // Signing keys first: a bad key file stops the start before anything is generated.
    let asymmetric = match settings.auth.jwt_algorithm {
        JwtAlgorithm::Hs256 => None,
        JwtAlgorithm::EdDsa => Some(SigningKeys::EdDsa(load_private_keys(settings)?)),
        JwtAlgorithm::Rs256 => Some(SigningKeys::Rs256(load_private_keys(settings)?)),
    };
    let secret = match &settings.auth.jwt_secret {
        Some(secret) => secret.clone(),
        None => load_generated_secret(settings)?,
    };
    // Refresh-token successors are derived from the same long-term secret (see
    // `RotationKey`), so every instance sharing the secret derives the same ones. With
    // EdDSA or RS256 the secret keys only this derivation; the keys sign the tokens.
    let rotation = RotationKey::derive(&secret);
    let signing = asymmetric.unwrap_or(SigningKeys::Hs256(secret));
    let hs256 = matches!(signing, SigningKeys::Hs256(_));
    let keys = JwtKeys::new(JwtConfig {
        keys: signing,
        issuer: settings.issuer(),
        audience: settings.auth.audience.clone(),
        access_ttl: time::Duration::seconds(to_i64(settings.auth.access_ttl_secs)),
        leeway_secs: 5,
    })
    .map_err(|error| {
        let message = error.to_string();
        let generated = |file: &str, variable| StartupError::Generated {
            file: settings.data_dir.join(file).display().to_string(),
            variable,
            message: message.clone(),
        };
        match (hs256, &settings.auth) {
            (true, auth) if auth.jwt_secret.is_none() => generated(secret::SECRET_FILE, "AUTHDB__AUTH__JWT_SECRET"),
            (true, _) => StartupError::Keys(message),
            (false, auth) if auth.signing_keys.is_empty() => {
                generated(secret::SIGNING_KEY_FILE, "AUTHDB__AUTH__SIGNING_KEYS")
            }
            (false, _) => StartupError::SigningKeys(message),
        }
    })?;
    // An existing directory is left as the operator set it, with a warning if it is open.
    if settings.data_dir.is_dir() {
        secret::warn_if_open_to_others(&settings.data_dir);
    }
    let hasher =
        PasswordHasher::new(settings.auth.bcrypt_cost).map_err(|error| StartupError::Hasher(error.to_string()))?;
    // After the keys: a start refused for a key creates no mail directory.
    let mailer = if send_mail { Some(build_mailer(settings)?) } else { None };
    let config = ServicesConfig {
        hasher,
        keys,
        rotation,
        auth: AuthPolicy {
            refresh_ttl: time::Duration::seconds(to_i64(settings.auth.refresh_ttl_secs)),
            password: settings.auth.password.policy(),
            login_throttle: settings.auth.login_throttle_policy(),
            refresh_reuse_grace: time::Duration::seconds(to_i64(settings.auth.refresh_reuse_grace_secs)),
            max_sessions_per_user: settings.auth.max_sessions_per_user,
            verify_ttl: time::Duration::seconds(to_i64(settings.auth.verify_ttl_secs)),
            reset_ttl: time::Duration::seconds(to_i64(settings.auth.reset_ttl_secs)),
            step_up_max_age: time::Duration::seconds(to_i64(settings.auth.step_up_max_age_secs)),
            require_verified_email: settings.auth.require_verified_email,
            mfa_encryption: settings.auth.mfa_encryption()?,
            passkeys: PasskeyPolicy::new(&settings.relying_party()?).map_err(|error| SettingsError::Invalid {
                setting: "AUTHDB__AUTH__WEBAUTHN_ORIGINS",
                message: error.to_string(),
            })?,
        },
        organizations: OrganizationPolicy {
            // Without delivery the inviter passes the token on; otherwise only the mail does.
            hand_back_invitation_tokens: settings.mail.transport == crate::settings::MailTransport::None,
            ..OrganizationPolicy::default()
        },
        inventory: settings.inventory.policy(),
        agent: build_agent(settings)?,
        messaging: MessagingPolicy {
            max_message_bytes: settings.messaging.max_message_bytes,
            min_auto_delete_secs: settings.messaging.min_auto_delete_secs,
            sweep_interval: Duration::from_secs(settings.messaging.sweep_interval_secs),
            socket_queue: settings.messaging.socket_queue,
            ping_interval: Duration::from_secs(settings.messaging.ping_interval_secs),
            presence_heartbeat: Duration::from_secs(settings.messaging.presence_heartbeat_secs),
        },
        realtime_redis: settings.redis.url.as_ref().map(|url| RealtimeRedis {
            url: url.expose_secret().to_owned(),
            channel: settings.redis.channel.clone(),
            timeout: Duration::from_millis(settings.redis.timeout_ms),
        }),
        public_url: settings.public_url()?,
        cache_ttl: Duration::from_millis(settings.auth.session_cache_ttl_ms),
        health_timeout: Duration::from_secs(2),
        mail: MailSetup {
            mailer: mailer.clone(),
            templates: Arc::new(templates),
            policy: OutboxPolicy {
                max_attempts: settings.mail.max_attempts,
                retry_base: time::Duration::seconds(to_i64(settings.mail.retry_base_secs)),
                ..OutboxPolicy::default()
            },
        },
    };
    let services =
        Services::start(db.clone(), config).await.map_err(|error| StartupError::Database(error_chain(&error)))?;
    check_mfa_keys(&services).await?;
    Ok((db, services, mailer))
}

/// Refuses to start when the configured TOTP keys open none of the stored secrets
/// (`auth.mfa_encryption_key` is plainly not the key they were sealed with: every second
/// factor would fail); warns when only some do not open. Secrets only an older key opens
/// are sealed again under the current key meanwhile (see `AuthService::check_mfa_keys`).
async fn check_mfa_keys(services: &Services) -> Result<(), StartupError> {
    let check = services.auth.check_mfa_keys().await.map_err(|error| StartupError::Database(error_chain(&error)))?;
    if check.checked > 0 && check.unopened == check.checked {
        return Err(StartupError::MfaKey { stored: check.checked });
    }
    if check.unopened > 0 {
        tracing::warn!(
            unopened = check.unopened,
            stored = check.checked,
            "some stored TOTP secrets open with no configured key (AUTHDB__AUTH__MFA_ENCRYPTION_KEY, \
             AUTHDB__AUTH__MFA_ENCRYPTION_KEY_PREVIOUS): their users cannot finish a TOTP login"
        );
    }
    if check.resealed > 0 {
        tracing::info!(resealed = check.resealed, "TOTP secrets sealed again under the current key");
    }
    Ok(())
}

/// Opens the configured database, creating the data directory for a SQLite default.
pub(crate) async fn connect(settings: &Settings) -> Result<DatabaseConnection, StartupError> {
    if settings.uses_sqlite() {
        ensure_data_dir(settings)?;
    }
    let config = DatabaseConfig {
        url: settings.database_url(),
        max_connections: settings.database.max_connections,
        min_connections: settings.database.min_connections,
        connect_timeout: Duration::from_secs(settings.database.connect_timeout_secs),
        acquire_timeout: Duration::from_secs(settings.database.acquire_timeout_secs),
        idle_timeout: nonzero_secs(settings.database.idle_timeout_secs),
        max_lifetime: nonzero_secs(settings.database.max_lifetime_secs),
    };
    authdb_persistence::connect(&config).await.map_err(|error| StartupError::Database(error_chain(&error)))
}

fn nonzero_secs(secs: u64) -> Option<Duration> {
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// The rate limiter the settings describe, shared by every worker.
pub(crate) fn rate_limiter(settings: &Settings) -> Result<RateLimiter, StartupError> {
    let redis = settings.redis.url.as_ref().map(|url| RedisConfig {
        url: url.expose_secret().to_owned(),
        timeout: Duration::from_millis(settings.redis.timeout_ms),
        key_prefix: settings.redis.key_prefix.clone(),
    });
    RateLimiter::new(&RateLimitConfig {
        enabled: settings.rate_limit.enabled,
        auth_per_minute: settings.rate_limit.auth_per_minute,
        api_per_minute: settings.rate_limit.api_per_minute,
        chat_posts_per_minute: settings.messaging.posts_per_minute_per_user,
        redis,
    })
    .map_err(StartupError::Redis)
}

/// Creates the data directory (and any missing parent) accessible to this user only: it
/// holds the database and the token signing secret.
fn ensure_data_dir(settings: &Settings) -> Result<(), StartupError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(&settings.data_dir)
        .map_err(|source| StartupError::DataDir { path: settings.data_dir.display().to_string(), source })
}

fn load_generated_secret(settings: &Settings) -> Result<SecretString, StartupError> {
    ensure_data_dir(settings)?;
    secret::load_or_create(&settings.data_dir).map_err(StartupError::Secret)
}

/// The configured PEM private keys, read in order; with none configured (EdDSA only: the
/// settings refuse RS256 without keys) the key generated into the data directory.
fn load_private_keys(settings: &Settings) -> Result<Vec<PrivateKeyPem>, StartupError> {
    if settings.auth.signing_keys.is_empty() {
        ensure_data_dir(settings)?;
        let (path, pem) =
            secret::load_or_create_signing_key(&settings.data_dir).map_err(StartupError::GeneratedSigningKey)?;
        return Ok(vec![PrivateKeyPem { name: path.display().to_string(), pem }]);
    }
    settings
        .auth
        .signing_keys
        .iter()
        .map(|path| {
            let name = path.display().to_string();
            let pem = std::fs::read_to_string(path)
                .map_err(|source| StartupError::SigningKeyFile { path: name.clone(), source })?;
            secret::warn_if_readable_by_others(path);
            Ok(PrivateKeyPem { name, pem: SecretString::from(pem) })
        })
        .collect()
}

/// Builds the configured mail transport and says at start which one it is, so that an
/// operator who expects mail and set `none` (or forgot `smtp`) sees it in the first lines.
pub fn build_mailer(settings: &Settings) -> Result<Arc<dyn Mailer>, StartupError> {
    let mailer = authdb_mail::build(&settings.mail_config())?;
    match settings.mail.transport {
        crate::settings::MailTransport::None => tracing::warn!(
            transport = "none",
            "AUTHDB__MAIL__TRANSPORT=none: no mail is sent (verification, password reset and notices are dropped; \
             invitation tokens are handed back to the inviter)"
        ),
        crate::settings::MailTransport::File => tracing::info!(
            transport = "file",
            directory = %settings.mail_dir().display(),
            "mail is written as .eml files, not sent; set AUTHDB__MAIL__TRANSPORT=smtp to send it"
        ),
        crate::settings::MailTransport::Smtp => tracing::info!(
            transport = "smtp",
            server = settings.mail.smtp_url.as_deref().unwrap_or_default().trim(),
            starttls = ?settings.mail.smtp_starttls.0,
            "mail is sent over SMTP"
        ),
    }
    Ok(mailer)
}

/// The router agent client (`authdb-agent`), with `inventory.agent_timeout_ms` per
/// request and answers up to `inventory.max_scan_bytes`.
pub fn build_agent(settings: &Settings) -> Result<Arc<dyn RouterAgent>, StartupError> {
    let config = AgentClientConfig {
        timeout: Duration::from_millis(settings.inventory.agent_timeout_ms),
        max_answer_bytes: settings.inventory.max_scan_bytes,
        ..AgentClientConfig::default()
    };
    Ok(Arc::new(HttpRouterAgent::new(config)?))
}

/// Whether the console's cookies carry `Secure`: unless the server listens on a loopback
/// address and is not published over `https` (a developer's machine, where the browser
/// speaks plain HTTP to it).
fn secure_cookies(bind: std::net::SocketAddr, public_url: Option<&str>) -> bool {
    !bind.ip().is_loopback() || public_url.is_some_and(|url| url.starts_with("https://"))
}

fn to_i64(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// A running HTTP server bound to its port.
pub struct Application {
    port: u16,
    server: Server,
    metrics: Option<(u16, Server)>,
    db: DatabaseConnection,
    mailer: Arc<dyn Mailer>,
}

impl Application {
    /// Builds everything and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        settings.validate()?;
        let bind = settings.bind_addr()?;
        let issuer = settings.issuer();
        if settings.public_url()?.is_none() && !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
            tracing::warn!(
                "AUTHDB__SERVER__PUBLIC_URL is not set: discovery builds its URLs from each request's Host header; \
                 set it to the public URL in production"
            );
        }
        if settings.public_url()?.is_none() && settings.mail.transport != crate::settings::MailTransport::None {
            tracing::warn!(
                link_base = %settings.mail_link_base()?,
                "AUTHDB__SERVER__PUBLIC_URL is not set: links in mail (verification, password reset) point at this \
                 machine; set it to the public URL in production"
            );
        }
        // The recorder first: what the services record while they start (the realtime
        // carrier's `authdb_realtime_carrier_up`, set once its subscription is up) would
        // otherwise go to no recorder and never show on /metrics.
        let metrics_handle = authdb_api::metrics_handle();
        let (db, services, mailer) = build_services(&settings, true).await?;
        let mailer = mailer.ok_or_else(|| StartupError::Database("the mail transport was not built".into()))?;
        let listener = TcpListener::bind(bind)
            .map_err(|source| StartupError::Bind { bind: settings.server.bind.clone(), source })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { bind: settings.server.bind.clone(), source })?
            .port();
        let metrics_bind = settings.metrics_bind_addr()?;
        let metrics = match metrics_bind {
            Some(bind) => Some(metrics_server(bind, metrics_handle.clone(), services.health.clone())?),
            None => None,
        };
        let console = authdb_console::configure(
            &services,
            ConsoleConfig {
                secure_cookies: secure_cookies(bind, settings.public_url()?.as_deref()),
                trusted_proxies: settings.trusted_proxies()?,
            },
        );
        let state = ApiState {
            services,
            rate_limiter: rate_limiter(&settings)?,
            trusted_proxies: settings.trusted_proxies()?,
            metrics: metrics.is_none().then_some(metrics_handle),
        };
        let configure = authdb_api::configure(state);
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(middleware::from_fn(authdb_api::observe))
                .configure(console.clone())
                .configure(configure.clone())
        })
        .shutdown_timeout(settings.server.shutdown_timeout_secs)
        .shutdown_signal(stop_requested().map_err(StartupError::Signals)?);
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server =
            server.listen(listener).map_err(|source| StartupError::Bind { bind: settings.server.bind, source })?;
        tracing::info!(
            port,
            metrics_port = metrics.as_ref().map(|(port, _)| *port),
            database = backend_name(&db),
            rate_limits = settings.rate_limit.enabled,
            redis = settings.redis.url.is_some(),
            "authdb is listening"
        );
        Ok(Self { port, server: server.run(), metrics, db, mailer })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The mail transport `mail.transport` chose.
    pub fn mailer(&self) -> &Arc<dyn Mailer> {
        &self.mailer
    }

    /// Stops the server (gracefully with `stop(true)`), as SIGTERM does.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped by a signal or the handle; in-flight requests finish first,
    /// then the database pool is closed (SQLite checkpoints its write-ahead log).
    /// The port of the separate metrics listener (`AUTHDB__METRICS__BIND`), if any.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub async fn run_until_stopped(self) -> io::Result<()> {
        let metrics = self.metrics.map(|(_, server)| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let served = self.server.await;
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        if let Err(error) = self.db.close().await {
            tracing::warn!(error = %error, "the database pool did not close cleanly");
        }
        served
    }
}

/// Resolves on the first SIGTERM or SIGINT; the server then stops gracefully. Both
/// signals must finish the requests in flight, but actix-web's own handler treats
/// SIGINT as a forced stop that drops them, so the signals are handled here instead.
#[cfg(unix)]
fn stop_requested() -> io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    // Registered now, not when first polled, so a signal right after start is not missed.
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        let received = tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        };
        tracing::info!(signal = received, "stopping: finishing the requests in flight");
    })
}

#[cfg(not(unix))]
fn stop_requested() -> io::Result<impl Future<Output = ()> + Send + 'static> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!(signal = "ctrl-c", "stopping: finishing the requests in flight");
        }
    })
}

/// A second, minimal server for `/metrics` only, stopped with the main one.
fn metrics_server(
    bind: std::net::SocketAddr,
    handle: metrics_exporter_prometheus::PrometheusHandle,
    health: HealthService,
) -> Result<(u16, Server), StartupError> {
    let error = |source| StartupError::MetricsBind { bind: bind.to_string(), source };
    let listener = TcpListener::bind(bind).map_err(error)?;
    let port = listener.local_addr().map_err(error)?.port();
    let configure = authdb_api::configure_metrics(handle, health);
    let server = HttpServer::new(move || App::new().configure(configure.clone()))
        .workers(1)
        .disable_signals()
        .listen(listener)
        .map_err(error)?
        .run();
    Ok((port, server))
}

fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => "sqlite",
        DatabaseBackend::Postgres => "postgres",
        _ => "other",
    }
}
