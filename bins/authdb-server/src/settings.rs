//! Settings: built-in defaults, then `authdb.toml` (or `--config FILE`), then the
//! environment (`AUTHDB__SECTION__KEY`, and the conventional `DATABASE_URL`).

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use authdb_auth::{JwtAlgorithm, MIN_HS256_SECRET_BYTES, MfaKey};
use authdb_domain::{BCRYPT_MAX_PASSWORD_BYTES, PasswordPolicy};
use authdb_service::{LoginThrottlePolicy, MfaEncryption};
use config::{Config, ConfigError, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

/// The default configuration file, read when present.
pub const DEFAULT_CONFIG_FILE: &str = "authdb.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    /// Holds the SQLite database and the generated JWT secret.
    pub data_dir: PathBuf,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub log: LogSettings,
    pub rate_limit: RateLimitSettings,
    pub redis: RedisSettings,
    pub metrics: MetricsSettings,
    pub mail: MailSettings,
    pub inventory: InventorySettings,
    pub messaging: MessagingSettings,
}

/// Encrypted messaging (chats).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MessagingSettings {
    /// The largest message ciphertext, in bytes once decoded.
    pub max_message_bytes: usize,
    /// The shortest auto-deletion a chat may ask for, in seconds.
    pub min_auto_delete_secs: u32,
    /// How often expired messages are deleted, in seconds.
    pub sweep_interval_secs: u64,
    /// How many messages one user may post in one chat per minute (besides the API budget).
    pub posts_per_minute_per_user: u32,
    /// How many events a realtime socket may have waiting; one that falls further behind
    /// is closed with 1013.
    pub socket_queue: usize,
    /// How often a realtime socket is pinged, in seconds; two unanswered pings close it.
    pub ping_interval_secs: u64,
    /// How often this instance tells the others it is alive, in seconds; an instance not
    /// heard from for three heartbeats has its users taken for offline.
    pub presence_heartbeat_secs: u64,
}

/// The most `messaging.max_message_bytes` may be: 16 MiB.
pub const MAX_MESSAGE_BYTES_CEILING: usize = 16 * 1024 * 1024;

impl Default for MessagingSettings {
    fn default() -> Self {
        let policy = authdb_service::MessagingPolicy::default();
        Self {
            max_message_bytes: policy.max_message_bytes,
            min_auto_delete_secs: policy.min_auto_delete_secs,
            sweep_interval_secs: policy.sweep_interval.as_secs(),
            posts_per_minute_per_user: 120,
            socket_queue: policy.socket_queue,
            ping_interval_secs: policy.ping_interval.as_secs(),
            presence_heartbeat_secs: policy.presence_heartbeat.as_secs(),
        }
    }
}

impl MessagingSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if self.max_message_bytes == 0 || self.max_message_bytes > MAX_MESSAGE_BYTES_CEILING {
            return Err(invalid(
                "AUTHDB__MESSAGING__MAX_MESSAGE_BYTES",
                format!("must be from 1 to {MAX_MESSAGE_BYTES_CEILING} (16 MiB)"),
            ));
        }
        if self.min_auto_delete_secs == 0 || self.min_auto_delete_secs > authdb_domain::AutoDelete::MAX_SECS {
            return Err(invalid(
                "AUTHDB__MESSAGING__MIN_AUTO_DELETE_SECS",
                format!("must be from 1 to {} (one year)", authdb_domain::AutoDelete::MAX_SECS),
            ));
        }
        if self.sweep_interval_secs == 0 || self.sweep_interval_secs > 3600 {
            return Err(invalid("AUTHDB__MESSAGING__SWEEP_INTERVAL_SECS", "must be from 1 to 3600"));
        }
        if self.posts_per_minute_per_user == 0 || self.posts_per_minute_per_user > 100_000 {
            return Err(invalid("AUTHDB__MESSAGING__POSTS_PER_MINUTE_PER_USER", "must be from 1 to 100000"));
        }
        if self.socket_queue == 0 || self.socket_queue > 65_536 {
            return Err(invalid("AUTHDB__MESSAGING__SOCKET_QUEUE", "must be from 1 to 65536"));
        }
        if self.ping_interval_secs == 0 || self.ping_interval_secs > 3600 {
            return Err(invalid("AUTHDB__MESSAGING__PING_INTERVAL_SECS", "must be from 1 to 3600"));
        }
        if self.presence_heartbeat_secs == 0 || self.presence_heartbeat_secs > 300 {
            return Err(invalid("AUTHDB__MESSAGING__PRESENCE_HEARTBEAT_SECS", "must be from 1 to 300"));
        }
        Ok(())
    }
}

/// The network inventory.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InventorySettings {
    /// The largest scan body accepted by an import, in bytes (every other body keeps the
    /// 64 KiB limit).
    pub max_scan_bytes: usize,
    /// How long one request to a network's agent may take, in milliseconds.
    pub agent_timeout_ms: u64,
    /// How often the expiry sweep of access rules runs, in seconds.
    pub rule_sweep_interval_secs: u64,
}

/// The most `inventory.max_scan_bytes` may be: 1 GiB.
pub const MAX_SCAN_BYTES_CEILING: usize = 1024 * 1024 * 1024;
/// The range of `inventory.agent_timeout_ms`: 100 ms to 2 minutes.
pub const AGENT_TIMEOUT_MS_RANGE: std::ops::RangeInclusive<u64> = 100..=120_000;
/// The range of `inventory.rule_sweep_interval_secs`: 1 s to 1 day.
pub const RULE_SWEEP_INTERVAL_SECS_RANGE: std::ops::RangeInclusive<u64> = 1..=86_400;

impl Default for InventorySettings {
    fn default() -> Self {
        // The service's defaults: one number for the server and for embedders.
        let policy = authdb_service::InventoryPolicy::default();
        Self {
            max_scan_bytes: policy.max_scan_bytes,
            agent_timeout_ms: u64::try_from(policy.agent_timeout.as_millis()).unwrap_or(5000),
            rule_sweep_interval_secs: policy.rule_sweep_interval.as_secs(),
        }
    }
}

impl InventorySettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if self.max_scan_bytes < authdb_api::MAX_BODY_BYTES || self.max_scan_bytes > MAX_SCAN_BYTES_CEILING {
            return Err(invalid(
                "AUTHDB__INVENTORY__MAX_SCAN_BYTES",
                format!(
                    "must be from {} (the body limit) to {MAX_SCAN_BYTES_CEILING} (1 GiB)",
                    authdb_api::MAX_BODY_BYTES
                ),
            ));
        }
        if !AGENT_TIMEOUT_MS_RANGE.contains(&self.agent_timeout_ms) {
            return Err(invalid(
                "AUTHDB__INVENTORY__AGENT_TIMEOUT_MS",
                format!(
                    "must be from {} to {} (milliseconds)",
                    AGENT_TIMEOUT_MS_RANGE.start(),
                    AGENT_TIMEOUT_MS_RANGE.end()
                ),
            ));
        }
        if !RULE_SWEEP_INTERVAL_SECS_RANGE.contains(&self.rule_sweep_interval_secs) {
            return Err(invalid(
                "AUTHDB__INVENTORY__RULE_SWEEP_INTERVAL_SECS",
                format!(
                    "must be from {} to {} (seconds)",
                    RULE_SWEEP_INTERVAL_SECS_RANGE.start(),
                    RULE_SWEEP_INTERVAL_SECS_RANGE.end()
                ),
            ));
        }
        Ok(())
    }

    /// The inventory policy these settings make.
    pub fn policy(&self) -> authdb_service::InventoryPolicy {
        authdb_service::InventoryPolicy {
            max_scan_bytes: self.max_scan_bytes,
            agent_timeout: std::time::Duration::from_millis(self.agent_timeout_ms),
            rule_sweep_interval: std::time::Duration::from_secs(self.rule_sweep_interval_secs),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    /// HTTP worker threads; 0 means one per CPU.
    pub workers: usize,
    /// How long in-flight requests may take to finish after SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is believed. A
    /// comma-separated string in the environment.
    #[serde(deserialize_with = "list")]
    pub trusted_proxies: Vec<String>,
    /// The absolute http(s) URL clients reach this server at, behind any proxy
    /// (`https://auth.example.com`). When set, discovery builds its URLs on it and never on
    /// the request's `Host` header, and it is the token issuer unless `auth.issuer` is set.
    pub public_url: Option<String>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            workers: 0,
            shutdown_timeout_secs: 30,
            trusted_proxies: Vec::new(),
            public_url: None,
        }
    }
}

/// The issuer when neither `auth.issuer` nor `server.public_url` is set.
pub const DEFAULT_ISSUER: &str = "authdb";

/// A list from a TOML array or from a comma-separated string (the environment's form).
fn list<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Text(String),
        Many(Vec<String>),
    }
    let value = OneOrMany::deserialize(deserializer)
        .map_err(|_| serde::de::Error::custom("must be a list or one comma-separated string"))?;
    Ok(match value {
        OneOrMany::Text(text) => text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        OneOrMany::Many(items) => items,
    })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    pub enabled: bool,
    /// Per client IP on register, login, token and refresh.
    pub auth_per_minute: u32,
    /// Per user on the rest of `/api/v1`.
    pub api_per_minute: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self { enabled: true, auth_per_minute: 20, api_per_minute: 100 }
    }
}

/// Redis holds the rate-limit counters when `url` is set, so that instances share them,
/// and carries realtime signals between instances on the pub/sub `channel`.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSettings {
    pub url: Option<SecretString>,
    /// The longest a Redis round trip may take before the request is let through.
    pub timeout_ms: u64,
    pub key_prefix: String,
    /// The pub/sub channel realtime signals travel on (one per deployment).
    pub channel: String,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self { url: None, timeout_ms: 250, key_prefix: "authdb:ratelimit:".into(), channel: "authdb:realtime".into() }
    }
}

impl std::fmt::Debug for RedisSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSettings")
            .field("url", &self.url.as_ref().map(|_| "[set]"))
            .field("timeout_ms", &self.timeout_ms)
            .field("key_prefix", &self.key_prefix)
            .field("channel", &self.channel)
            .finish()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Serve `/metrics` on this separate `IP:PORT` (and not on the main listener).
    pub bind: Option<String>,
}

/// How mail leaves the server. `Debug` is written by hand so that the SMTP password stays
/// out of logs.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// `file` (the default: `.eml` files in `<data_dir>/outbox/`), `none` or `smtp`.
    pub transport: MailTransport,
    /// The `From` of every message: an address, or `Name <address>`.
    pub from: String,
    /// `smtp://host[:port]` (port 587 unless given) or `smtps://host[:port]` (465), for
    /// `transport = "smtp"`; credentials go in `smtp_username` and `smtp_password`.
    pub smtp_url: Option<String>,
    /// For `smtp://`: `required` (the default), `opportunistic` or `never`.
    pub smtp_starttls: StartTlsSetting,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<SecretString>,
    /// How long connecting and each SMTP command may take.
    pub smtp_timeout_secs: u64,
    /// A PEM file of certificate authorities to trust besides the public roots.
    pub smtp_ca_file: Option<PathBuf>,
    /// Attempts before a message that keeps failing transiently is given up.
    pub max_attempts: u32,
    /// The wait after the first failed attempt; it doubles with every further one (at
    /// most six hours).
    pub retry_base_secs: u64,
    /// The product named in every message.
    pub product_name: String,
    /// A directory whose files replace the built-in templates of the same name.
    pub templates_dir: Option<PathBuf>,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            transport: MailTransport::default(),
            from: "authdb <no-reply@localhost>".into(),
            smtp_url: None,
            smtp_starttls: StartTlsSetting::default(),
            smtp_username: None,
            smtp_password: None,
            smtp_timeout_secs: 10,
            smtp_ca_file: None,
            max_attempts: 8,
            retry_base_secs: 30,
            product_name: "authdb".into(),
            templates_dir: None,
        }
    }
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("transport", &self.transport)
            .field("from", &self.from)
            .field("smtp_url", &self.smtp_url)
            .field("smtp_starttls", &self.smtp_starttls)
            .field("smtp_username", &self.smtp_username)
            .field("smtp_password", &self.smtp_password.as_ref().map(|_| "[set]"))
            .field("smtp_timeout_secs", &self.smtp_timeout_secs)
            .field("smtp_ca_file", &self.smtp_ca_file)
            .field("max_attempts", &self.max_attempts)
            .field("retry_base_secs", &self.retry_base_secs)
            .field("product_name", &self.product_name)
            .field("templates_dir", &self.templates_dir)
            .finish()
    }
}

/// `mail.transport`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MailTransport {
    #[default]
    File,
    None,
    Smtp,
}

impl<'de> Deserialize<'de> for MailTransport {
    /// `file`, `none` or `smtp`, in any case.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        match value.trim().to_ascii_lowercase().as_str() {
            "file" => Ok(Self::File),
            "none" => Ok(Self::None),
            "smtp" => Ok(Self::Smtp),
            _ => Err(serde::de::Error::custom(format!("must be file, none or smtp, got {value:?}"))),
        }
    }
}

/// `mail.smtp_starttls`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StartTlsSetting(pub authdb_mail::StartTls);

impl<'de> Deserialize<'de> for StartTlsSetting {
    /// `required`, `opportunistic` or `never`, in any case.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use authdb_mail::StartTls;
        let value = String::deserialize(deserializer)?;
        match value.trim().to_ascii_lowercase().as_str() {
            "required" => Ok(Self(StartTls::Required)),
            "opportunistic" => Ok(Self(StartTls::Opportunistic)),
            "never" => Ok(Self(StartTls::Never)),
            _ => Err(serde::de::Error::custom(format!("must be required, opportunistic or never, got {value:?}"))),
        }
    }
}

/// `Debug` is written by hand so that the URL's password stays out of logs.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://...` or `postgres://...`; unset means `sqlite://<data_dir>/authdb.db`.
    pub url: Option<String>,
    pub max_connections: u32,
    pub min_connections: u32,
    pub connect_timeout_secs: u64,
    pub acquire_timeout_secs: u64,
    /// Idle connections above the minimum are closed after this long; 0 never closes them.
    pub idle_timeout_secs: u64,
    /// Connections are replaced after this long; 0 keeps them forever.
    pub max_lifetime_secs: u64,
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &self.url.as_deref().map(authdb_persistence::redact_url))
            .field("max_connections", &self.max_connections)
            .field("min_connections", &self.min_connections)
            .field("connect_timeout_secs", &self.connect_timeout_secs)
            .field("acquire_timeout_secs", &self.acquire_timeout_secs)
            .field("idle_timeout_secs", &self.idle_timeout_secs)
            .field("max_lifetime_secs", &self.max_lifetime_secs)
            .finish()
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 10,
            min_connections: 1,
            connect_timeout_secs: 5,
            acquire_timeout_secs: 5,
            idle_timeout_secs: 600,
            max_lifetime_secs: 1800,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// HS256 secret, at least 32 bytes; unset means one generated into the data directory.
    pub jwt_secret: Option<SecretString>,
    /// `HS256` (default), `EdDSA` or `RS256`; tokens naming another algorithm are refused.
    pub jwt_algorithm: JwtAlgorithm,
    /// PEM private keys for EdDSA or RS256, a list or one comma-separated string: the
    /// first signs, all verify. Empty with EdDSA means a key generated into the data
    /// directory; RS256 needs at least one.
    #[serde(deserialize_with = "path_list")]
    pub signing_keys: Vec<PathBuf>,
    /// The `iss` claim issued and required; unset means `server.public_url`, or
    /// [`DEFAULT_ISSUER`] without one (see [`Settings::issuer`]).
    pub issuer: Option<String>,
    pub audience: String,
    pub access_ttl_secs: u64,
    pub refresh_ttl_secs: u64,
    pub bcrypt_cost: u32,
    /// The refresh-token reuse grace window: a spent refresh token presented again
    /// within this many seconds of being spent gets the same successor token again (a
    /// client that lost the answer, or two requests racing), unless that successor has
    /// been spent in turn (then 401); presented after the window, it revokes its whole
    /// session. 0 turns the window off: every reuse revokes. At most 3600.
    pub refresh_reuse_grace_secs: u64,
    /// How long an authenticated session is trusted without a database round trip; also
    /// the longest another instance may take to notice a revocation. 0 disables the cache.
    pub session_cache_ttl_ms: u64,
    /// Failed logins of one login from one address after which further attempts are
    /// refused (429) for a while.
    pub lockout_threshold: u32,
    /// Failed logins from one address, over all logins, after which it is refused for a
    /// while; 0 turns this budget off (needed when a proxy hides client addresses).
    pub lockout_ip_threshold: u32,
    /// The first lockout's length; each further failure doubles it.
    pub lockout_base_delay_secs: u64,
    /// The longest lockout.
    pub lockout_max_delay_secs: u64,
    /// One failure is forgiven per this many seconds without failures.
    pub lockout_decay_secs: u64,
    /// The longest a login attempt beyond the budget waits for the attempts in flight
    /// (whose passwords are being checked) to be judged before it is refused (429).
    pub lockout_max_wait_ms: u64,
    /// Failed logins of one existing account over all addresses whose crossing is
    /// reported (audit event `login.account_under_attack`, a warning, a metric); nothing
    /// is refused for it. 0 turns the report off.
    pub lockout_account_alert_threshold: u32,
    /// Live sessions one user may have; a login past the cap ends the least recently
    /// used one.
    pub max_sessions_per_user: u32,
    /// How long an email verification link works.
    pub verify_ttl_secs: u64,
    /// How long a password-reset link works.
    pub reset_ttl_secs: u64,
    /// How recent a session's authentication must be for a sensitive action (changing the
    /// password or email, removing a factor, deleting an organization, granting or taking
    /// away `owner`); older sessions step up at `POST /auth/step-up`.
    pub step_up_max_age_secs: u64,
    /// Refuse sign-in (403) until the account has verified its address; registration then
    /// signs nobody in and answers the same whether the address has an account or not.
    pub require_verified_email: bool,
    /// The WebAuthn relying party id passkeys are bound to: a registrable domain such as
    /// `example.com` (no scheme, no port). Unset: the host of `server.public_url`, or
    /// `localhost` without one.
    pub webauthn_rp_id: Option<String>,
    /// The web origins allowed to run passkey ceremonies (`https://app.example.com`), a
    /// list or one comma-separated string; each on the relying party id or a subdomain of
    /// it, https except on `localhost`. Empty: `server.public_url`, or `https://<rp id>`,
    /// or `http://localhost` on any port without either.
    #[serde(deserialize_with = "list")]
    pub webauthn_origins: Vec<String>,
    /// The key TOTP secrets are sealed with at rest: base64 (standard alphabet, padding
    /// optional) of 32 random bytes, e.g. `openssl rand -base64 32`. Unset: a key derived
    /// from the server secret under its own label. Never logged.
    pub mfa_encryption_key: Option<SecretString>,
    /// The key secrets were sealed with before `mfa_encryption_key` changed (same form):
    /// still opens them, and each is sealed again under the current key at its next use.
    pub mfa_encryption_key_previous: Option<SecretString>,
    pub password: PasswordSettings,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            jwt_algorithm: JwtAlgorithm::default(),
            signing_keys: Vec::new(),
            issuer: None,
            audience: "authdb".into(),
            access_ttl_secs: 900,
            refresh_ttl_secs: 30 * 24 * 3600,
            bcrypt_cost: 12,
            refresh_reuse_grace_secs: 10,
            session_cache_ttl_ms: 1000,
            lockout_threshold: 5,
            lockout_ip_threshold: 50,
            lockout_base_delay_secs: 5,
            lockout_max_delay_secs: 900,
            lockout_decay_secs: 300,
            lockout_max_wait_ms: 2000,
            lockout_account_alert_threshold: 20,
            max_sessions_per_user: 100,
            verify_ttl_secs: 24 * 3600,
            reset_ttl_secs: 3600,
            step_up_max_age_secs: 600,
            require_verified_email: false,
            webauthn_rp_id: None,
            webauthn_origins: Vec::new(),
            mfa_encryption_key: None,
            mfa_encryption_key_previous: None,
            password: PasswordSettings::default(),
        }
    }
}

impl AuthSettings {
    /// `mfa_encryption_key` and `mfa_encryption_key_previous`, parsed; an invalid one is
    /// refused naming its variable (never its value).
    pub fn mfa_encryption(&self) -> Result<MfaEncryption, SettingsError> {
        let parse = |value: &Option<SecretString>, setting: &'static str| {
            value
                .as_ref()
                .map(|key| {
                    MfaKey::from_base64(key.expose_secret()).map_err(|error| invalid(setting, error.to_string()))
                })
                .transpose()
        };
        Ok(MfaEncryption {
            key: parse(&self.mfa_encryption_key, "AUTHDB__AUTH__MFA_ENCRYPTION_KEY")?,
            previous: parse(&self.mfa_encryption_key_previous, "AUTHDB__AUTH__MFA_ENCRYPTION_KEY_PREVIOUS")?,
        })
    }

    pub fn login_throttle_policy(&self) -> LoginThrottlePolicy {
        LoginThrottlePolicy {
            threshold: self.lockout_threshold,
            ip_threshold: self.lockout_ip_threshold,
            base_delay: Duration::from_secs(self.lockout_base_delay_secs),
            max_delay: Duration::from_secs(self.lockout_max_delay_secs),
            decay: Duration::from_secs(self.lockout_decay_secs),
            max_wait: Duration::from_millis(self.lockout_max_wait_ms),
            account_alert_threshold: self.lockout_account_alert_threshold,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordSettings {
    pub min_bytes: usize,
    pub max_bytes: usize,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_digit: bool,
}

impl Default for PasswordSettings {
    fn default() -> Self {
        let policy = PasswordPolicy::default();
        Self {
            min_bytes: policy.min_bytes,
            max_bytes: policy.max_bytes,
            require_uppercase: policy.require_uppercase,
            require_lowercase: policy.require_lowercase,
            require_digit: policy.require_digit,
        }
    }
}

impl PasswordSettings {
    pub fn policy(&self) -> PasswordPolicy {
        PasswordPolicy {
            min_bytes: self.min_bytes,
            max_bytes: self.max_bytes,
            require_uppercase: self.require_uppercase,
            require_lowercase: self.require_lowercase,
            require_digit: self.require_digit,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

impl<'de> Deserialize<'de> for LogFormat {
    /// `human` or `json`, in any case.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        match value.trim().to_ascii_lowercase().as_str() {
            "human" => Ok(Self::Human),
            "json" => Ok(Self::Json),
            _ => Err(serde::de::Error::custom(format!("must be human or json, got {value:?}"))),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            server: ServerSettings::default(),
            data_dir: PathBuf::from("data"),
            database: DatabaseSettings::default(),
            auth: AuthSettings::default(),
            log: LogSettings::default(),
            rate_limit: RateLimitSettings::default(),
            redis: RedisSettings::default(),
            metrics: MetricsSettings::default(),
            mail: MailSettings::default(),
            inventory: InventorySettings::default(),
            messaging: MessagingSettings::default(),
        }
    }
}

/// Why settings could not be used. Each renders as one line naming the setting by its
/// environment variable.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The configuration file is missing or is not TOML.
    #[error("invalid configuration: {0}")]
    Load(String),
    /// A value that is not of its setting's type, or a key that names no setting. `key`
    /// is the TOML name (and the file, when the value came from one).
    #[error("invalid setting {variable} ({key}): {message}")]
    Unreadable { variable: String, key: String, message: String },
    #[error("invalid setting {setting}: {message}")]
    Invalid { setting: &'static str, message: String },
}

fn invalid(setting: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError::Invalid { setting, message: message.into() }
}

impl Settings {
    /// Loads and validates settings from `file` (or `authdb.toml` if present) and the
    /// process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::load_from(file, std::env::vars().collect())
    }

    /// Like [`Settings::load`] with an explicit environment (for tests and embedding).
    pub fn load_from(file: Option<&Path>, env: HashMap<String, String>) -> Result<Self, SettingsError> {
        // Errors name the file as it was given: the `config` crate names it relative to
        // the working directory, which reads as `../../../tmp/x.toml`.
        let file_name = file.map_or_else(|| DEFAULT_CONFIG_FILE.to_owned(), |path| path.display().to_string());
        let mut builder = Config::builder();
        builder = match file {
            Some(path) => builder.add_source(File::from(path).format(FileFormat::Toml).required(true)),
            None => builder.add_source(File::new(DEFAULT_CONFIG_FILE, FileFormat::Toml).required(false)),
        };
        builder = builder.add_source(
            Environment::with_prefix("AUTHDB")
                .prefix_separator("__")
                .separator("__")
                // Values stay strings and are parsed by the type of their setting: with
                // `try_parsing(true)` a numeric JWT secret would turn into a (rounded) number.
                .try_parsing(false)
                .ignore_empty(true)
                .source(Some(env.clone())),
        );
        let mut url_from = "AUTHDB__DATABASE__URL";
        if !env.contains_key("AUTHDB__DATABASE__URL")
            && let Some(url) = env.get("DATABASE_URL").filter(|url| !url.is_empty())
        {
            builder =
                builder.set_override("database.url", url.as_str()).map_err(|error| load_error(error, &file_name))?;
            url_from = "DATABASE_URL";
        }
        let settings: Self =
            builder.build().and_then(Config::try_deserialize).map_err(|error| load_error(error, &file_name))?;
        settings.validate().map_err(|error| match error {
            // Name the variable the URL really came from.
            SettingsError::Invalid { setting: "AUTHDB__DATABASE__URL", message } => invalid(url_from, message),
            other => other,
        })?;
        Ok(settings)
    }

    /// Checks every value a type alone cannot, section by section.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.server.validate()?;
        self.database.validate()?;
        self.auth.validate()?;
        self.rate_limit.validate()?;
        self.redis.validate()?;
        self.metrics.validate()?;
        self.mail.validate()?;
        self.inventory.validate()?;
        self.messaging.validate()?;
        self.relying_party()?;
        Ok(())
    }

    /// The WebAuthn relying party: `auth.webauthn_rp_id` and `auth.webauthn_origins`, or
    /// their defaults from `server.public_url`, or `localhost` on any port.
    pub fn relying_party(&self) -> Result<authdb_auth::RelyingPartyConfig, SettingsError> {
        const RP_ID: &str = "AUTHDB__AUTH__WEBAUTHN_RP_ID";
        const ORIGINS: &str = "AUTHDB__AUTH__WEBAUTHN_ORIGINS";
        let public_url = self.public_url()?.and_then(|url| url::Url::parse(&url).ok());
        let configured = self.auth.webauthn_rp_id.as_deref().map(str::trim).filter(|id| !id.is_empty());
        let rp_id = match configured {
            Some(id) => {
                let valid = id.len() <= 253
                    && id.split('.').all(|label| {
                        !label.is_empty()
                            && label.len() <= 63
                            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    })
                    && id.parse::<std::net::IpAddr>().is_err()
                    && !id.bytes().all(|b| b.is_ascii_digit() || b == b'.');
                if !valid {
                    return Err(invalid(
                        RP_ID,
                        format!(
                            "must be a lower-case domain name such as example.com (no scheme, port or IP address), got {id:?}"
                        ),
                    ));
                }
                id.to_owned()
            }
            None => match public_url.as_ref().and_then(|url| url.domain()) {
                Some(domain) => domain.to_owned(),
                None => "localhost".to_owned(),
            },
        };
        let on_rp =
            |url: &url::Url| url.host_str().is_some_and(|host| host == rp_id || host.ends_with(&format!(".{rp_id}")));
        let mut allow_any_port = false;
        let origins = if self.auth.webauthn_origins.is_empty() {
            match public_url.filter(|url| on_rp(url)) {
                Some(url) => vec![
                    url::Url::parse(&url.origin().ascii_serialization())
                        .map_err(|_| invalid(ORIGINS, "the public URL has no origin"))?,
                ],
                None if rp_id == "localhost" => {
                    allow_any_port = true;
                    vec![url::Url::parse("http://localhost").map_err(|_| invalid(ORIGINS, "unreachable"))?]
                }
                None => {
                    vec![url::Url::parse(&format!("https://{rp_id}")).map_err(|_| invalid(ORIGINS, "unreachable"))?]
                }
            }
        } else {
            let mut origins = Vec::new();
            for raw in &self.auth.webauthn_origins {
                let refuse = |why: &str| invalid(ORIGINS, format!("{why}, got {raw:?}"));
                let url = url::Url::parse(raw)
                    .map_err(|_| refuse("each must be an origin such as https://app.example.com"))?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    return Err(refuse("each must be an http:// or https:// origin"));
                }
                if url.path() != "/" || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty()
                {
                    return Err(refuse("each must be an origin only: scheme, host and port, no path"));
                }
                if url.scheme() == "http" && url.host_str() != Some("localhost") {
                    return Err(refuse("must be https:// (http:// only on localhost)"));
                }
                if !on_rp(&url) {
                    return Err(refuse(&format!("must be on the relying party id {rp_id} or a subdomain of it")));
                }
                origins.push(url);
            }
            origins
        };
        Ok(authdb_auth::RelyingPartyConfig { rp_id, origins, rp_name: "authdb".into(), allow_any_port })
    }

    pub fn bind_addr(&self) -> Result<SocketAddr, SettingsError> {
        self.server.bind_addr()
    }

    pub fn trusted_proxies(&self) -> Result<authdb_api::TrustedProxies, SettingsError> {
        self.server.trusted_proxies()
    }

    pub fn metrics_bind_addr(&self) -> Result<Option<SocketAddr>, SettingsError> {
        self.metrics.bind_addr()
    }

    /// `server.public_url` without its trailing slash, when set.
    pub fn public_url(&self) -> Result<Option<String>, SettingsError> {
        self.server.public_url()
    }

    /// The `iss` of our tokens: `auth.issuer` when set, else the public URL (as OpenID
    /// discovery expects: the issuer is the URL the metadata lives under), else `authdb`.
    pub fn issuer(&self) -> String {
        let configured = self.auth.issuer.as_deref().map(str::trim).filter(|issuer| !issuer.is_empty());
        match (configured, self.public_url().ok().flatten()) {
            (Some(issuer), _) => issuer.to_owned(),
            (None, Some(public_url)) => public_url,
            (None, None) => DEFAULT_ISSUER.to_owned(),
        }
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("authdb.db").display()),
        }
    }

    /// The base URL of the links in mail: `server.public_url`, or without it
    /// `http://localhost:<port>` from `server.bind` (right for a server tried out on this
    /// machine, wrong anywhere else: the start warns).
    pub fn mail_link_base(&self) -> Result<String, SettingsError> {
        if let Some(public_url) = self.public_url()? {
            return Ok(public_url);
        }
        let bind = self.bind_addr()?;
        let host = if bind.ip().is_unspecified() || bind.ip().is_loopback() {
            "localhost".to_owned()
        } else if bind.is_ipv6() {
            format!("[{}]", bind.ip())
        } else {
            bind.ip().to_string()
        };
        Ok(format!("http://{host}:{}", bind.port()))
    }

    /// The directory the `file` mail transport writes into.
    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// The mail transport's configuration (checked further when it is built).
    pub fn mail_config(&self) -> authdb_mail::MailConfig {
        let mail = &self.mail;
        let transport = match mail.transport {
            MailTransport::File => authdb_mail::TransportConfig::File { dir: self.mail_dir() },
            MailTransport::None => authdb_mail::TransportConfig::None,
            MailTransport::Smtp => authdb_mail::TransportConfig::Smtp(authdb_mail::SmtpConfig {
                url: mail.smtp_url.clone().unwrap_or_default(),
                starttls: mail.smtp_starttls.0,
                username: mail.smtp_username.clone(),
                password: mail.smtp_password.clone(),
                timeout: Duration::from_secs(mail.smtp_timeout_secs),
                ca_file: mail.smtp_ca_file.clone(),
            }),
        };
        authdb_mail::MailConfig { from: mail.from.clone(), transport }
    }

    pub fn uses_sqlite(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }
}

impl ServerSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        self.bind_addr()?;
        if self.workers > 1024 {
            return Err(invalid("AUTHDB__SERVER__WORKERS", "must be at most 1024 (0 means one per CPU)"));
        }
        self.trusted_proxies()?;
        self.public_url()?;
        Ok(())
    }

    /// The validated public URL: absolute, http or https, a host, no user name or
    /// password, no query or fragment; normalised (lower-case scheme and host, no trailing
    /// slash), so that `https://Auth.example.com/` and `https://auth.example.com` are one.
    fn public_url(&self) -> Result<Option<String>, SettingsError> {
        let Some(raw) = self.public_url.as_deref().map(str::trim).filter(|raw| !raw.is_empty()) else {
            return Ok(None);
        };
        let refuse = |why: &str| invalid("AUTHDB__SERVER__PUBLIC_URL", format!("{why}, got {raw:?}"));
        const ABSOLUTE: &str = "must be an absolute http:// or https:// URL such as https://auth.example.com";
        let url = url::Url::parse(raw).map_err(|_| refuse(ABSOLUTE))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(refuse(ABSOLUTE));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(refuse("must not have a query (?) or a fragment (#)"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("must not hold a user name or password"));
        }
        Ok(Some(url.as_str().trim_end_matches('/').to_owned()))
    }

    fn bind_addr(&self) -> Result<SocketAddr, SettingsError> {
        self.bind.parse().map_err(|_| {
            invalid("AUTHDB__SERVER__BIND", format!("must be IP:PORT such as 127.0.0.1:8080, got {:?}", self.bind))
        })
    }

    fn trusted_proxies(&self) -> Result<authdb_api::TrustedProxies, SettingsError> {
        authdb_api::TrustedProxies::parse(self.trusted_proxies.iter().map(String::as_str)).map_err(|entry| {
            invalid("AUTHDB__SERVER__TRUSTED_PROXIES", format!("{entry:?} is not an IP address or CIDR range"))
        })
    }
}

impl DatabaseSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if self.max_connections == 0 {
            return Err(invalid("AUTHDB__DATABASE__MAX_CONNECTIONS", "must be at least 1"));
        }
        if self.min_connections > self.max_connections {
            return Err(invalid(
                "AUTHDB__DATABASE__MIN_CONNECTIONS",
                format!("must not exceed AUTHDB__DATABASE__MAX_CONNECTIONS ({})", self.max_connections),
            ));
        }
        if self.connect_timeout_secs == 0 {
            return Err(invalid("AUTHDB__DATABASE__CONNECT_TIMEOUT_SECS", "must be at least 1"));
        }
        if !(1..=300).contains(&self.acquire_timeout_secs) {
            return Err(invalid("AUTHDB__DATABASE__ACQUIRE_TIMEOUT_SECS", "must be between 1 and 300"));
        }
        // Unset means the SQLite file in the data directory.
        if let Some(url) = &self.url {
            let supported = ["sqlite:", "postgres:", "postgresql:"];
            if !supported.iter().any(|scheme| url.starts_with(scheme)) {
                return Err(invalid("AUTHDB__DATABASE__URL", "must start with sqlite:, postgres: or postgresql:"));
            }
        }
        Ok(())
    }
}

impl AuthSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        self.mfa_encryption()?;
        if let Some(secret) = &self.jwt_secret {
            let length = secret.expose_secret().len();
            if length < MIN_HS256_SECRET_BYTES {
                return Err(invalid(
                    "AUTHDB__AUTH__JWT_SECRET",
                    format!("must be at least {MIN_HS256_SECRET_BYTES} bytes, got {length}"),
                ));
            }
        }
        match (self.jwt_algorithm, self.signing_keys.is_empty()) {
            (JwtAlgorithm::Hs256, false) => {
                return Err(invalid(
                    "AUTHDB__AUTH__SIGNING_KEYS",
                    "is only used with AUTHDB__AUTH__JWT_ALGORITHM=EdDSA or RS256 (HS256 signs with AUTHDB__AUTH__JWT_SECRET)",
                ));
            }
            (JwtAlgorithm::Rs256, true) => {
                return Err(invalid(
                    "AUTHDB__AUTH__SIGNING_KEYS",
                    "RS256 needs at least one PEM private key path (only Ed25519 keys are generated)",
                ));
            }
            _ => {}
        }
        if self.issuer.as_deref().is_some_and(|issuer| issuer.trim().is_empty()) {
            return Err(invalid("AUTHDB__AUTH__ISSUER", "must not be empty"));
        }
        if self.audience.trim().is_empty() {
            return Err(invalid("AUTHDB__AUTH__AUDIENCE", "must not be empty"));
        }
        if !(1..=86_400).contains(&self.access_ttl_secs) {
            return Err(invalid("AUTHDB__AUTH__ACCESS_TTL_SECS", "must be between 1 and 86400 seconds"));
        }
        if self.refresh_ttl_secs < self.access_ttl_secs || self.refresh_ttl_secs > 366 * 86_400 {
            return Err(invalid(
                "AUTHDB__AUTH__REFRESH_TTL_SECS",
                format!(
                    "must be at least AUTHDB__AUTH__ACCESS_TTL_SECS ({}) and at most 366 days",
                    self.access_ttl_secs
                ),
            ));
        }
        if self.refresh_reuse_grace_secs > 3600 {
            return Err(invalid("AUTHDB__AUTH__REFRESH_REUSE_GRACE_SECS", "must be at most 3600"));
        }
        if self.session_cache_ttl_ms > 60_000 {
            return Err(invalid("AUTHDB__AUTH__SESSION_CACHE_TTL_MS", "must be at most 60000 (one minute)"));
        }
        self.validate_lockout()?;
        if !(1..=10_000).contains(&self.max_sessions_per_user) {
            return Err(invalid("AUTHDB__AUTH__MAX_SESSIONS_PER_USER", "must be between 1 and 10000"));
        }
        if !(4..=31).contains(&self.bcrypt_cost) {
            return Err(invalid("AUTHDB__AUTH__BCRYPT_COST", "must be between 4 and 31"));
        }
        if !(60..=30 * 86_400).contains(&self.verify_ttl_secs) {
            return Err(invalid("AUTHDB__AUTH__VERIFY_TTL_SECS", "must be between 60 seconds and 30 days"));
        }
        if !(60..=86_400).contains(&self.reset_ttl_secs) {
            return Err(invalid("AUTHDB__AUTH__RESET_TTL_SECS", "must be between 60 seconds and one day"));
        }
        if !(1..=86_400).contains(&self.step_up_max_age_secs) {
            return Err(invalid("AUTHDB__AUTH__STEP_UP_MAX_AGE_SECS", "must be between 1 second and one day"));
        }
        self.password.validate()
    }

    fn validate_lockout(&self) -> Result<(), SettingsError> {
        if !(1..=1000).contains(&self.lockout_threshold) {
            return Err(invalid("AUTHDB__AUTH__LOCKOUT_THRESHOLD", "must be between 1 and 1000"));
        }
        if self.lockout_ip_threshold != 0 && !(self.lockout_threshold..=1_000_000).contains(&self.lockout_ip_threshold)
        {
            return Err(invalid(
                "AUTHDB__AUTH__LOCKOUT_IP_THRESHOLD",
                format!(
                    "must be 0 (off) or between AUTHDB__AUTH__LOCKOUT_THRESHOLD ({}) and 1000000",
                    self.lockout_threshold
                ),
            ));
        }
        if !(1..=3600).contains(&self.lockout_base_delay_secs) {
            return Err(invalid("AUTHDB__AUTH__LOCKOUT_BASE_DELAY_SECS", "must be between 1 and 3600"));
        }
        if !(self.lockout_base_delay_secs..=86_400).contains(&self.lockout_max_delay_secs) {
            return Err(invalid(
                "AUTHDB__AUTH__LOCKOUT_MAX_DELAY_SECS",
                format!(
                    "must be at least AUTHDB__AUTH__LOCKOUT_BASE_DELAY_SECS ({}) and at most 86400",
                    self.lockout_base_delay_secs
                ),
            ));
        }
        if !(1..=86_400).contains(&self.lockout_decay_secs) {
            return Err(invalid("AUTHDB__AUTH__LOCKOUT_DECAY_SECS", "must be between 1 and 86400"));
        }
        if !(100..=30_000).contains(&self.lockout_max_wait_ms) {
            return Err(invalid("AUTHDB__AUTH__LOCKOUT_MAX_WAIT_MS", "must be between 100 and 30000"));
        }
        if self.lockout_account_alert_threshold > 1_000_000 {
            return Err(invalid("AUTHDB__AUTH__LOCKOUT_ACCOUNT_ALERT_THRESHOLD", "must be 0 (off) or at most 1000000"));
        }
        Ok(())
    }
}

impl PasswordSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if self.max_bytes > BCRYPT_MAX_PASSWORD_BYTES {
            return Err(invalid(
                "AUTHDB__AUTH__PASSWORD__MAX_BYTES",
                format!("must be at most {BCRYPT_MAX_PASSWORD_BYTES}: bcrypt reads no more"),
            ));
        }
        if self.min_bytes == 0 {
            return Err(invalid("AUTHDB__AUTH__PASSWORD__MIN_BYTES", "must be at least 1"));
        }
        if self.min_bytes > self.max_bytes {
            return Err(invalid(
                "AUTHDB__AUTH__PASSWORD__MIN_BYTES",
                format!("must not exceed AUTHDB__AUTH__PASSWORD__MAX_BYTES ({})", self.max_bytes),
            ));
        }
        // The policy's own check, should it ever know a rule the lines above do not.
        self.policy().validate().map_err(|message| invalid("AUTHDB__AUTH__PASSWORD__MIN_BYTES", message))
    }
}

impl RateLimitSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        const OFF: &str = "must be at least 1 (AUTHDB__RATE_LIMIT__ENABLED=false switches rate limits off)";
        if self.auth_per_minute == 0 {
            return Err(invalid("AUTHDB__RATE_LIMIT__AUTH_PER_MINUTE", OFF));
        }
        if self.api_per_minute == 0 {
            return Err(invalid("AUTHDB__RATE_LIMIT__API_PER_MINUTE", OFF));
        }
        Ok(())
    }
}

impl RedisSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if let Some(url) = &self.url {
            let url = url.expose_secret();
            if !(url.starts_with("redis://") || url.starts_with("rediss://") || url.starts_with("redis+unix://")) {
                return Err(invalid("AUTHDB__REDIS__URL", "must start with redis://, rediss:// or redis+unix://"));
            }
        }
        if !(1..=10_000).contains(&self.timeout_ms) {
            return Err(invalid("AUTHDB__REDIS__TIMEOUT_MS", "must be between 1 and 10000"));
        }
        if self.channel.is_empty()
            || self.channel.len() > 200
            || self.channel.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid("AUTHDB__REDIS__CHANNEL", "must be 1 to 200 characters without spaces"));
        }
        Ok(())
    }
}

impl MetricsSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        self.bind_addr().map(drop)
    }

    fn bind_addr(&self) -> Result<Option<SocketAddr>, SettingsError> {
        self.bind
            .as_deref()
            .filter(|bind| !bind.trim().is_empty())
            .map(|bind| {
                bind.parse().map_err(|_| {
                    invalid("AUTHDB__METRICS__BIND", format!("must be IP:PORT such as 127.0.0.1:9090, got {bind:?}"))
                })
            })
            .transpose()
    }
}

impl MailSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        authdb_mail::check_from(&self.from).map_err(|reason| invalid("AUTHDB__MAIL__FROM", reason))?;
        let smtp_url = self.smtp_url.as_deref().map(str::trim).filter(|url| !url.is_empty());
        match (self.transport, smtp_url) {
            (MailTransport::Smtp, None) => {
                return Err(invalid("AUTHDB__MAIL__SMTP_URL", "must be set with AUTHDB__MAIL__TRANSPORT=smtp"));
            }
            (MailTransport::File | MailTransport::None, Some(_)) => {
                return Err(invalid("AUTHDB__MAIL__SMTP_URL", "is only used with AUTHDB__MAIL__TRANSPORT=smtp"));
            }
            _ => {}
        }
        if self.smtp_username.is_some() != self.smtp_password.is_some() {
            return Err(invalid(
                "AUTHDB__MAIL__SMTP_USERNAME",
                "goes with AUTHDB__MAIL__SMTP_PASSWORD: set both or neither",
            ));
        }
        if !(1..=300).contains(&self.smtp_timeout_secs) {
            return Err(invalid("AUTHDB__MAIL__SMTP_TIMEOUT_SECS", "must be between 1 and 300"));
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(invalid("AUTHDB__MAIL__MAX_ATTEMPTS", "must be between 1 and 100"));
        }
        if !(1..=3600).contains(&self.retry_base_secs) {
            return Err(invalid("AUTHDB__MAIL__RETRY_BASE_SECS", "must be between 1 and 3600 seconds"));
        }
        let product_name = self.product_name.trim();
        if product_name.is_empty() || product_name.len() > 100 || product_name.chars().any(char::is_control) {
            return Err(invalid(
                "AUTHDB__MAIL__PRODUCT_NAME",
                "must be 1 to 100 bytes of text without control characters",
            ));
        }
        Ok(())
    }
}

/// A list of paths from a TOML array or one comma-separated string (as environment
/// variables give it). An empty string is an empty list; an empty entry is an error.
fn path_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<PathBuf>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Paths {
        One(String),
        Many(Vec<String>),
    }
    let paths = Paths::deserialize(deserializer)
        .map_err(|_| serde::de::Error::custom("must be a list of paths or one comma-separated string"))?;
    let entries = match paths {
        Paths::One(joined) if joined.trim().is_empty() => return Ok(Vec::new()),
        Paths::One(joined) => joined.split(',').map(|entry| entry.trim().to_owned()).collect(),
        Paths::Many(entries) => entries,
    };
    if entries.iter().any(String::is_empty) {
        return Err(serde::de::Error::custom("has an empty path"));
    }
    Ok(entries.into_iter().map(PathBuf::from).collect())
}

/// The environment variable of a TOML key: `auth.bcrypt_cost` is
/// `AUTHDB__AUTH__BCRYPT_COST`; an entry of a list (`auth.signing_keys[1]`) is its list's.
fn variable(key: &str) -> String {
    let key = key.split('[').next().unwrap_or_default();
    format!("AUTHDB__{}", key.replace('.', "__").to_uppercase())
}

/// A configuration error as one line naming the setting's environment variable, when the
/// error concerns a setting (and not the file as a whole); `file` is the configuration file
/// as the user named it (the only source besides the environment).
fn load_error(error: ConfigError, file: &str) -> SettingsError {
    let (key, origin, message) = match error {
        ConfigError::Type { origin, unexpected, expected, key: Some(key) } => {
            (key, origin, reword(&format!("invalid type: {unexpected}, expected {expected}")))
        }
        ConfigError::At { error, origin, key } => (key.unwrap_or_default(), origin, reword(&error.to_string())),
        ConfigError::Message(message) => (String::new(), None, reword(&message)),
        ConfigError::FileParse { cause, .. } => {
            return SettingsError::Load(format!("{file}: {}", one_line(&cause.to_string())));
        }
        other => return SettingsError::Load(one_line(&other.to_string())),
    };
    // serde names an unknown key in its message, and the error's key is its section.
    let (key, message) = match message.strip_prefix("unknown field `").and_then(|rest| rest.split_once('`')) {
        Some((field, rest)) if key.is_empty() => (field.to_owned(), format!("no such setting{rest}")),
        Some((field, rest)) => (format!("{key}.{field}"), format!("no such setting{rest}")),
        None => (key, message),
    };
    if key.is_empty() {
        return SettingsError::Load(one_line(&message));
    }
    let variable = variable(&key);
    // Values from the environment need no more than the variable; a file's are placed.
    let key = match origin.filter(|origin| origin != "the environment") {
        Some(_) => format!("{key} in {file}"),
        None => key,
    };
    SettingsError::Unreadable { variable, key, message: one_line(&message) }
}

/// serde's `invalid type: string "1", expected an integer` as `expected an integer, got
/// string "1"`, the value last like the other settings errors; a whole section given one
/// value (as `AUTHDB__AUTH=1` does) expects "a section of settings", not a Rust type.
fn reword(message: &str) -> String {
    match message.strip_prefix("invalid type: ").and_then(|rest| rest.rsplit_once(", expected ")) {
        Some((got, expected)) => {
            let expected = if expected.starts_with("struct ") { "a section of settings" } else { expected };
            format!("expected {expected}, got {got}")
        }
        None => message.to_owned(),
    }
}

/// A multi-line message (a TOML parse error draws the offending line) as one line: the
/// drawing is left out, the remaining lines are joined.
fn one_line(message: &str) -> String {
    message.lines().map(str::trim).filter(|line| !line.is_empty() && !line.contains('|')).collect::<Vec<_>>().join(": ")
}

#[cfg(test)]
mod tests;
