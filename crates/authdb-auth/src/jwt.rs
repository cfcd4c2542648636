use std::fmt;

use authdb_domain::{OrganizationId, SessionId, UserId};
use jsonwebtoken::{Header, Validation};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    AuthError, Result,
    signing::{JwtAlgorithm, KeyRing, PublicJwk, SigningKeys},
};

/// What the access-token codec needs; built by the server from its settings.
pub struct JwtConfig {
    /// The pinned algorithm and its keys.
    pub keys: SigningKeys,
    pub issuer: String,
    pub audience: String,
    pub access_ttl: Duration,
    /// Clock skew tolerated when checking `exp`, in seconds.
    pub leeway_secs: u64,
}

/// The claims of an access token. `sub` is the user, `sid` the session (device login).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: Uuid,
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: Uuid,
    /// The organization the token is scoped to, with the caller's role and permissions
    /// in it when the token was issued. For other services to read: authdb itself
    /// resolves membership afresh on every request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perms: Option<Vec<String>>,
}

/// The organization part of an organization-scoped access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationScope {
    pub organization: OrganizationId,
    pub role: String,
    pub permissions: Vec<String>,
}

impl AccessClaims {
    pub fn user_id(&self) -> UserId {
        UserId::from_uuid(self.sub)
    }

    pub fn session_id(&self) -> SessionId {
        SessionId::from_uuid(self.sid)
    }
}

/// A signed access token and its lifetime.
#[derive(Clone)]
pub struct AccessToken {
    pub token: String,
    pub expires_in: u64,
    pub claims: AccessClaims,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken").field("claims", &self.claims).finish_non_exhaustive()
    }
}

/// Issues and verifies access tokens. The algorithm is pinned: a token whose header
/// names any other algorithm (including `none`), or with public keys a `kid` that is not
/// ours, is refused before its signature is read.
pub struct JwtKeys {
    header: Header,
    ring: KeyRing,
    validation: Validation,
    issuer: String,
    audience: String,
    access_ttl: Duration,
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKeys")
            .field("algorithm", &self.header.alg)
            .field("kid", &self.header.kid)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    pub fn new(config: JwtConfig) -> Result<Self> {
        let ring = KeyRing::new(config.keys)?;
        let mut validation = Validation::new(ring.algorithm().jose());
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = config.leeway_secs;
        validation.validate_exp = true;
        Ok(Self {
            header: ring.header(),
            ring,
            validation,
            issuer: config.issuer,
            audience: config.audience,
            access_ttl: config.access_ttl,
        })
    }

    /// The pinned signature algorithm.
    pub fn algorithm(&self) -> JwtAlgorithm {
        self.ring.algorithm()
    }

    /// The `iss` of every token.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The public keys that verify our tokens (the JWK Set), signing key first; empty
    /// for HS256, whose secret is never published.
    pub fn public_keys(&self) -> &[PublicJwk] {
        self.ring.public_keys()
    }

    /// Access-token lifetime in whole seconds, as reported in `expires_in`.
    pub fn access_ttl_secs(&self) -> u64 {
        u64::try_from(self.access_ttl.whole_seconds()).unwrap_or(0)
    }

    /// How long after a session is revoked one of its access tokens can still pass
    /// [`JwtKeys::verify`]: the token lifetime plus the clock leeway.
    pub fn verifiable_for(&self) -> Duration {
        self.access_ttl + Duration::seconds(i64::try_from(self.validation.leeway).unwrap_or(i64::MAX))
    }

    /// Whether claims that [`JwtKeys::verify`] accepted earlier are still within their
    /// lifetime at `now` (Unix seconds), by the same rule: `exp` plus the clock leeway.
    pub fn still_valid(&self, claims: &AccessClaims, now: i64) -> bool {
        let leeway = i64::try_from(self.validation.leeway).unwrap_or(i64::MAX);
        claims.exp.saturating_add(leeway) >= now
    }

    pub fn issue(&self, user: UserId, session: SessionId, now: OffsetDateTime) -> Result<AccessToken> {
        self.issue_scoped(user, session, None, now)
    }

    /// Issues an access token, scoped to an organization when `scope` is given.
    pub fn issue_scoped(
        &self,
        user: UserId,
        session: SessionId,
        scope: Option<&OrganizationScope>,
        now: OffsetDateTime,
    ) -> Result<AccessToken> {
        let iat = now.unix_timestamp();
        let claims = AccessClaims {
            sub: user.as_uuid(),
            sid: session.as_uuid(),
            iat,
            exp: (now + self.access_ttl).unix_timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: Uuid::now_v7(),
            org: scope.map(|scope| scope.organization.as_uuid()),
            role: scope.map(|scope| scope.role.clone()),
            perms: scope.map(|scope| scope.permissions.clone()),
        };
        let token =
            jsonwebtoken::encode(&self.header, &claims, self.ring.encoding_key()).map_err(AuthError::Signing)?;
        Ok(AccessToken { token, expires_in: self.access_ttl_secs(), claims })
    }

    /// Checks signature, algorithm, `exp`, `iss` and `aud`. Whether the user and session
    /// still exist is for the caller to check.
    pub fn verify(&self, token: &str) -> Result<AccessClaims> {
        let refused = |reason: &dyn fmt::Display| {
            tracing::debug!(%reason, "access token refused");
            AuthError::InvalidToken
        };
        // `decode` parses the header again (twice) and checks its algorithm against ours;
        // parse it here only when the key depends on its `kid`.
        let key = match self.ring.sole_key() {
            Some(key) => key,
            None => {
                let header = jsonwebtoken::decode_header(token).map_err(|error| refused(&error))?;
                self.ring.decoding_key(&header).ok_or_else(|| refused(&"algorithm or kid not ours"))?
            }
        };
        jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|error| refused(&error))
    }
}

#[cfg(test)]
mod tests;
