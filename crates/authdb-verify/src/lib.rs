//! Verifies authdb access tokens in a downstream service, without embedding authdb.
//!
//! A [`Verifier`] fetches authdb's published key set (`GET /.well-known/jwks.json`), caches
//! it, and checks an access token's signature with the key its `kid` names, plus `iss`,
//! `aud` and `exp` (with a configurable leeway). The algorithm is pinned by configuration:
//! the token's header never chooses it. Only asymmetric keys are supported (EdDSA and
//! RS256, the algorithms for which authdb publishes a JWKS); an HS256 deployment publishes
//! no keys and cannot be verified outside authdb.
//!
//! A token naming a `kid` the cache does not hold makes the verifier fetch the key set
//! again, at most once per refresh floor ([`VerifierConfig::refresh_floor`]), so that a key
//! rotation on authdb is followed without a restart while forged `kid`s cannot make the
//! verifier hammer authdb. The key set is also fetched again when it is older than
//! [`VerifierConfig::max_key_age`], so that a key authdb no longer publishes stops
//! verifying.
//!
//! When authdb is unreachable, tokens signed with cached keys still verify: only the
//! signature, issuer, audience and expiry are checked, locally.
//!
//! ```no_run
//! # async fn run() -> Result<(), authdb_verify::VerifyError> {
//! use authdb_verify::{Algorithm, Verifier, VerifierConfig};
//! let verifier = Verifier::new(VerifierConfig::new(
//!     "https://auth.example.com",
//!     "authdb",
//!     "https://auth.example.com/.well-known/jwks.json",
//!     Algorithm::EdDSA,
//! ))?;
//! let claims = verifier.verify("eyJ...").await?;
//! println!("user {} in session {}", claims.sub, claims.sid);
//! # Ok(()) }
//! ```
//!
//! # Revocations
//!
//! Signature and expiry alone accept a token until it expires, even after its session was
//! logged out. Given a service client's credentials (a client with `revocations:read`,
//! registered with `POST /api/v1/admin/clients`), [`Verifier::with_revocations`] also
//! follows authdb's revocation stream (`GET /api/v1/revocations/stream`, Server-Sent
//! Events) in a background task and refuses the tokens of a revoked session
//! ([`VerifyError::Revoked`]) within milliseconds of the logout, on whichever authdb
//! instance it happened. The task:
//!
//! - obtains a client token by the client credentials grant and renews it before it
//!   expires;
//! - remembers each revoked session for [`RevocationConfig::retention`] (authdb's
//!   access-token lifetime plus leeway, after which the session's tokens are expired
//!   anyway), so the set stays bounded;
//! - reconnects by itself with an exponential backoff (with jitter, honouring
//!   `Retry-After` and the stream's `retry`) and resumes with `Last-Event-ID`, so that a
//!   revocation made while it was away is not missed;
//! - reports how current it is: [`Verifier::health`] (connected, last event, behind
//!   since) and, through the [`metrics`](https://docs.rs/metrics) facade (recorded if the
//!   service installs a recorder, free otherwise), the gauges
//!   `authdb_verify_revocations_connected` (1 or 0),
//!   `authdb_verify_revocations_behind_since_seconds` (Unix time since when it is
//!   disconnected, 0 when connected) and `authdb_verify_revoked_sessions`, and the
//!   counters `authdb_verify_revocation_events_total` and
//!   `authdb_verify_revocation_reconnects_total`.
//!
//! While authdb is unreachable, tokens keep verifying by signature with the cached keys,
//! and the revocation set is as it was when the stream was lost: a logout made meanwhile
//! takes effect when the stream is back (the health says since when it is behind).
//!
//! ```no_run
//! # async fn run() -> Result<(), authdb_verify::VerifyError> {
//! use authdb_verify::{Algorithm, RevocationConfig, Verifier, VerifierConfig};
//! let verifier = Verifier::with_revocations(
//!     VerifierConfig::new(
//!         "https://auth.example.com",
//!         "authdb",
//!         "https://auth.example.com/.well-known/jwks.json",
//!         Algorithm::EdDSA,
//!     ),
//!     RevocationConfig::new("https://auth.example.com", "client-id", "client-secret"),
//! )?;
//! let health = verifier.health().expect("following revocations");
//! println!("connected: {}, behind since: {:?}", health.connected, health.behind_since);
//! # Ok(()) }
//! ```
//!
//! # Extractors
//!
//! With the `actix` feature, [`Authenticated`] is an actix-web extractor; with the `axum`
//! feature, an axum one. Either takes the bearer token of the request, verifies it with
//! the application's [`Verifier`] and hands the handler its [`Claims`]; a missing or
//! refused token is answered 401 (`WWW-Authenticate: Bearer`) with a problem+json body, a
//! key set authdb cannot be asked for 503 with `Retry-After`. Neither feature is on by
//! default.
//!
//! actix-web (register the verifier with `App::app_data(web::Data::new(verifier))`):
//!
//! ```ignore
//! use actix_web::{App, HttpServer, get, web};
//! use authdb_verify::Authenticated;
//!
//! #[get("/notes")]
//! async fn notes(user: Authenticated) -> String {
//!     format!("notes of {}", user.0.sub)
//! }
//!
//! HttpServer::new(move || App::new().app_data(web::Data::new(verifier.clone())).service(notes))
//! ```
//!
//! axum (the router's state, or a part of it through `FromRef`, is the verifier):
//!
//! ```ignore
//! use axum::{Router, routing::get};
//! use authdb_verify::Authenticated;
//!
//! async fn notes(user: Authenticated) -> String {
//!     format!("notes of {}", user.0.sub)
//! }
//!
//! let app = Router::new().route("/notes", get(notes)).with_state(verifier);
//! ```

mod extract;
mod revocations;
mod sse;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::Mutex;

pub use crate::extract::{Authenticated, Rejection};
use crate::revocations::{FollowerTask, Revocations};
pub use crate::revocations::{Health, RevocationConfig};

/// What a [`Verifier`] checks tokens against.
#[derive(Clone, Debug)]
pub struct VerifierConfig {
    /// The `iss` every token must carry (authdb's `jwt.issuer`).
    pub issuer: String,
    /// The `aud` every token must carry (authdb's `jwt.audience`).
    pub audience: String,
    /// Where authdb publishes its keys, e.g. `https://auth.example.com/.well-known/jwks.json`.
    pub jwks_url: String,
    /// The only algorithms accepted; EdDSA and RS256 are supported.
    pub algorithms: Vec<Algorithm>,
    /// Clock skew tolerated on `exp`.
    pub leeway: Duration,
    /// The shortest interval between two key set fetches caused by an unknown `kid`.
    pub refresh_floor: Duration,
    /// Timeout of one key set fetch.
    pub fetch_timeout: Duration,
    /// How long a fetched key set is used before the next verification fetches it again,
    /// so that a key authdb stopped publishing (the end of a rotation) stops verifying.
    /// When the fetch fails, the cached keys stay in use.
    pub max_key_age: Duration,
}

impl VerifierConfig {
    /// A configuration with one pinned algorithm, a 30 s leeway, a 60 s refresh floor, a
    /// 10 s fetch timeout and a 5 min key set age.
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        jwks_url: impl Into<String>,
        algorithm: Algorithm,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks_url: jwks_url.into(),
            algorithms: vec![algorithm],
            leeway: Duration::from_secs(30),
            refresh_floor: Duration::from_secs(60),
            fetch_timeout: Duration::from_secs(10),
            max_key_age: Duration::from_secs(300),
        }
    }
}

/// The claims of a verified access token.
#[derive(Clone, Debug, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The session id (what a logout revokes).
    pub sid: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// The organization the token is scoped to, if any, as authdb wrote it.
    #[serde(default)]
    pub org: Option<serde_json::Value>,
    /// The caller's role in that organization, if any.
    #[serde(default)]
    pub role: Option<serde_json::Value>,
    /// The caller's permissions in that organization, if any.
    #[serde(default)]
    pub permissions: Option<serde_json::Value>,
}

/// Why a token or the verifier's setup was refused.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The configuration names no algorithm, or a symmetric one.
    #[error("unsupported configuration: {0}")]
    Config(String),
    /// The token is malformed, forged, expired or for another issuer or audience.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The token names a key authdb does not publish (after a refresh, or within the floor).
    #[error("unknown signing key")]
    UnknownKey,
    /// The key set could not be fetched and no key is cached.
    #[error("key set unavailable: {0}")]
    KeySet(String),
    /// The token is valid but its session was revoked (a logout) on authdb.
    #[error("the session was revoked")]
    Revoked,
}

struct Cache {
    keys: HashMap<String, (Algorithm, DecodingKey)>,
    last_fetch: Option<Instant>,
}

/// Verifies authdb access tokens; cheap to clone (the key cache is shared).
#[derive(Clone)]
pub struct Verifier {
    config: Arc<VerifierConfig>,
    http: reqwest::Client,
    cache: Arc<Mutex<Cache>>,
    revocations: Option<Arc<Revocations>>,
    _follower: Option<Arc<FollowerTask>>,
}

/// Installs rustls' ring provider as the process default, which reqwest needs here.
fn install_crypto_provider() {
    // An error only says a default is installed already: nothing to do.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Verifier {
    /// A verifier; keys are fetched on the first verification.
    pub fn new(config: VerifierConfig) -> Result<Self, VerifyError> {
        if config.algorithms.is_empty() {
            return Err(VerifyError::Config("no algorithm allowed".into()));
        }
        if let Some(a) = config.algorithms.iter().find(|a| !matches!(a, Algorithm::EdDSA | Algorithm::RS256)) {
            return Err(VerifyError::Config(format!("algorithm {a:?} is not supported (EdDSA and RS256 are)")));
        }
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(config.fetch_timeout)
            .build()
            .map_err(|e| VerifyError::Config(e.to_string()))?;
        Ok(Self {
            config: Arc::new(config),
            http,
            cache: Arc::new(Mutex::new(Cache { keys: HashMap::new(), last_fetch: None })),
            revocations: None,
            _follower: None,
        })
    }

    /// A verifier that also follows authdb's revocation stream as the given service client
    /// (see the crate documentation), in a task on the current Tokio runtime that stops
    /// when the last clone of the verifier is dropped. Must be called inside a Tokio
    /// runtime.
    pub fn with_revocations(config: VerifierConfig, revocations: RevocationConfig) -> Result<Self, VerifyError> {
        let mut verifier = Self::new(config)?;
        if revocations.min_backoff.is_zero() || revocations.max_backoff < revocations.min_backoff {
            return Err(VerifyError::Config("the backoff must be positive, its maximum at least its minimum".into()));
        }
        // No overall timeout: the stream stays open; the follower bounds each wait itself.
        let http = reqwest::Client::builder()
            .connect_timeout(verifier.config.fetch_timeout)
            .build()
            .map_err(|e| VerifyError::Config(e.to_string()))?;
        let state = Arc::new(Revocations::new(revocations.retention));
        let task = tokio::spawn(crate::revocations::follow(revocations, http, Arc::clone(&state)));
        verifier.revocations = Some(state);
        verifier._follower = Some(Arc::new(FollowerTask(task)));
        Ok(verifier)
    }

    /// How current the revocation set is; `None` for a verifier that does not follow
    /// revocations ([`Verifier::new`]).
    pub fn health(&self) -> Option<Health> {
        self.revocations.as_ref().map(|revocations| revocations.health())
    }

    /// Checks `token` and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| VerifyError::InvalidToken(e.to_string()))?;
        if !self.config.algorithms.contains(&header.alg) {
            return Err(VerifyError::InvalidToken(format!("algorithm {:?} not allowed", header.alg)));
        }
        let kid = header.kid.ok_or_else(|| VerifyError::InvalidToken("no kid in the header".into()))?;
        let (alg, key) = self.key(&kid).await?;
        if alg != header.alg {
            return Err(VerifyError::InvalidToken("algorithm does not match the key".into()));
        }
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = self.config.leeway.as_secs();
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| VerifyError::InvalidToken(e.to_string()))?;
        if self.revocations.as_ref().is_some_and(|revocations| revocations.is_revoked(&claims.sid)) {
            return Err(VerifyError::Revoked);
        }
        Ok(claims)
    }

    async fn key(&self, kid: &str) -> Result<(Algorithm, DecodingKey), VerifyError> {
        let mut cache = self.cache.lock().await;
        if cache.last_fetch.is_some_and(|at| at.elapsed() >= self.config.max_key_age) {
            cache.last_fetch = Some(Instant::now());
            if let Ok(set) = self.fetch().await {
                cache.keys = self.usable_keys(&set);
            }
        }
        if let Some(found) = cache.keys.get(kid) {
            return Ok(found.clone());
        }
        let due = cache.last_fetch.is_none_or(|at| at.elapsed() >= self.config.refresh_floor);
        if !due {
            return Err(VerifyError::UnknownKey);
        }
        cache.last_fetch = Some(Instant::now());
        let set = self.fetch().await;
        let set = match set {
            Ok(set) => set,
            Err(e) if cache.keys.is_empty() => return Err(e),
            Err(_) => return Err(VerifyError::UnknownKey),
        };
        cache.keys = self.usable_keys(&set);
        cache.keys.get(kid).cloned().ok_or(VerifyError::UnknownKey)
    }

    async fn fetch(&self) -> Result<JwkSet, VerifyError> {
        let response = self
            .http
            .get(&self.config.jwks_url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| VerifyError::KeySet(e.to_string()))?;
        response.json::<JwkSet>().await.map_err(|e| VerifyError::KeySet(e.to_string()))
    }

    /// The keys of `set` with a `kid` whose algorithm is allowed; others are ignored.
    fn usable_keys(&self, set: &JwkSet) -> HashMap<String, (Algorithm, DecodingKey)> {
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else { continue };
            let alg = match &jwk.algorithm {
                jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
                jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                _ => continue,
            };
            if !self.config.algorithms.contains(&alg) {
                continue;
            }
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                keys.insert(kid, (alg, key));
            }
        }
        keys
    }
}
