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
//! verifier hammer authdb.
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

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::Mutex;

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
}

impl VerifierConfig {
    /// A configuration with one pinned algorithm, a 30 s leeway, a 60 s refresh floor and a
    /// 10 s fetch timeout.
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
        })
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
        jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| VerifyError::InvalidToken(e.to_string()))
    }

    async fn key(&self, kid: &str) -> Result<(Algorithm, DecodingKey), VerifyError> {
        let mut cache = self.cache.lock().await;
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
