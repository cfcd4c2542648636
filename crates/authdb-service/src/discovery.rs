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
    algorithm: &'static str,
    public_keys: Vec<PublicJwk>,
}

impl Discovery {
    pub fn new(keys: &JwtKeys) -> Self {
        Self {
            inner: Arc::new(Inner {
                issuer: keys.issuer().to_owned(),
                algorithm: keys.algorithm().as_str(),
                public_keys: keys.public_keys().to_vec(),
            }),
        }
    }

    /// The `iss` of our tokens.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
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
