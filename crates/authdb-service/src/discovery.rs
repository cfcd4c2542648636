//! What other services need to verify our access tokens on their own: the issuer, the
//! pinned algorithm and the public keys (served as a JWK Set and OpenID discovery).

use std::sync::Arc;

use authdb_auth::{JwtKeys, PublicJwk};

/// A snapshot of the public side of the token keys, taken at start (keys change only with
/// a restart). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Discovery {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    issuer: String,
    public_url: Option<String>,
    algorithm: &'static str,
    public_keys: Vec<PublicJwk>,
}

impl Discovery {
    /// `public_url` is the configured public base URL, without a trailing slash.
    pub fn new(keys: &JwtKeys, public_url: Option<String>) -> Self {
        Self {
            inner: Arc::new(Inner {
                issuer: keys.issuer().to_owned(),
                public_url,
                algorithm: keys.algorithm().as_str(),
                public_keys: keys.public_keys().to_vec(),
            }),
        }
    }

    /// The `iss` of our tokens.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The configured public base URL (no trailing slash): when set, discovery builds
    /// every URL on it and ignores the request's `Host` header.
    pub fn public_url(&self) -> Option<&str> {
        self.inner.public_url.as_deref()
    }

    /// The JOSE name of the signing algorithm (`HS256`, `EdDSA` or `RS256`).
    pub fn signing_algorithm(&self) -> &'static str {
        self.inner.algorithm
    }

    /// The public keys, signing key first; empty with HS256, whose secret is never
    /// published.
    pub fn public_keys(&self) -> &[PublicJwk] {
        &self.inner.public_keys
    }
}
