use std::fmt;

use authdb_domain::{AuthMethods, ClientId, ClientScopes, OrganizationId, SessionAuthentication, SessionId, UserId};
use jsonwebtoken::{Header, Validation};
use serde::{Deserialize, Serialize, de::IgnoredAny};
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
///
/// `sid` is required: a service client's token ([`ClientClaims`]) has none, so it can
/// never be read as a user's token, and no user extractor can take a client for a user.
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
    /// How the user authenticated (RFC 8176 method references, e.g. `["pwd","otp","mfa"]`),
    /// the session's, kept across refreshes. Always issued; optional only when decoding
    /// (tokens of an older authdb have none, and count as a password login at `iat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<AuthMethods>,
    /// When the user authenticated (OpenID Connect `auth_time`, a NumericDate): the
    /// session's login, not this token's issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
}

/// The claims of a service client's access token (client credentials grant): `sub` and
/// `client_id` are the client, `scope` its granted scopes separated by spaces. It has no
/// session: it is not revocable by logout and lives until `exp`. It cannot be read as
/// [`AccessClaims`] (no `sid`), nor can a user's token be read as this (no `client_id`
/// nor `scope`, and a `sid` is refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientClaims {
    pub sub: Uuid,
    pub client_id: Uuid,
    pub scope: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: Uuid,
}

/// [`ClientClaims`] as decoded, with any `sid` noticed so that it can be refused.
#[derive(Deserialize)]
struct DecodedClientClaims {
    sub: Uuid,
    client_id: Uuid,
    scope: String,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
    jti: Uuid,
    #[serde(default)]
    sid: Option<IgnoredAny>,
}

impl ClientClaims {
    pub fn client_id(&self) -> ClientId {
        ClientId::from_uuid(self.client_id)
    }

    /// The granted scopes; `None` if the claim names a scope outside the catalogue (a
    /// token from a newer authdb), which is then treated as granting nothing.
    pub fn scopes(&self) -> Option<ClientScopes> {
        ClientScopes::parse_oauth(&self.scope)
    }
}

/// A signed service-client access token and its lifetime.
#[derive(Clone)]
pub struct ClientAccessToken {
    pub token: String,
    pub expires_in: u64,
    pub claims: ClientClaims,
}

impl fmt::Debug for ClientAccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAccessToken").field("claims", &self.claims).finish_non_exhaustive()
    }
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

    /// The methods the session's user authenticated with (`amr`); a password alone for a
    /// token that names none.
    pub fn methods(&self) -> AuthMethods {
        self.amr.clone().unwrap_or_else(AuthMethods::password)
    }

    /// When the session's user authenticated (`auth_time`, Unix seconds); the token's
    /// `iat` for a token that names none.
    pub fn auth_time(&self) -> i64 {
        self.auth_time.unwrap_or(self.iat)
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

    /// Issues an unscoped access token for a session opened by a password at `now`.
    pub fn issue(&self, user: UserId, session: SessionId, now: OffsetDateTime) -> Result<AccessToken> {
        let authentication = SessionAuthentication { methods: AuthMethods::password(), auth_time: now };
        self.issue_scoped(user, session, None, &authentication, now)
    }

    /// Issues an access token, scoped to an organization when `scope` is given, saying how
    /// and when the session's user authenticated (`amr`, `auth_time`).
    pub fn issue_scoped(
        &self,
        user: UserId,
        session: SessionId,
        scope: Option<&OrganizationScope>,
        authentication: &SessionAuthentication,
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
            amr: Some(authentication.methods.clone()),
            auth_time: Some(authentication.auth_time.unix_timestamp()),
        };
        let token =
            jsonwebtoken::encode(&self.header, &claims, self.ring.encoding_key()).map_err(AuthError::Signing)?;
        Ok(AccessToken { token, expires_in: self.access_ttl_secs(), claims })
    }

    /// Issues a service client's access token for `scopes` (no session: see
    /// [`ClientClaims`]).
    pub fn issue_client(
        &self,
        client: ClientId,
        scopes: &ClientScopes,
        now: OffsetDateTime,
    ) -> Result<ClientAccessToken> {
        let claims = ClientClaims {
            sub: client.as_uuid(),
            client_id: client.as_uuid(),
            scope: scopes.to_oauth(),
            iat: now.unix_timestamp(),
            exp: (now + self.access_ttl).unix_timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: Uuid::now_v7(),
        };
        let token =
            jsonwebtoken::encode(&self.header, &claims, self.ring.encoding_key()).map_err(AuthError::Signing)?;
        Ok(ClientAccessToken { token, expires_in: self.access_ttl_secs(), claims })
    }

    /// [`Self::verify`] for a service client's token: the same checks, and the claims
    /// must be a client's (`client_id` equal to `sub`, a `scope`, no `sid`).
    pub fn verify_client(&self, token: &str) -> Result<ClientClaims> {
        let decoded: DecodedClientClaims = self.decode(token)?;
        if decoded.sid.is_some() || decoded.client_id != decoded.sub {
            tracing::debug!("client token refused: not a client's claims");
            return Err(AuthError::InvalidToken);
        }
        Ok(ClientClaims {
            sub: decoded.sub,
            client_id: decoded.client_id,
            scope: decoded.scope,
            iat: decoded.iat,
            exp: decoded.exp,
            iss: decoded.iss,
            aud: decoded.aud,
            jti: decoded.jti,
        })
    }

    /// Checks signature, algorithm, `exp`, `iss` and `aud`. Whether the user and session
    /// still exist is for the caller to check.
    pub fn verify(&self, token: &str) -> Result<AccessClaims> {
        self.decode(token)
    }

    fn decode<C: serde::de::DeserializeOwned>(&self, token: &str) -> Result<C> {
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
        jsonwebtoken::decode::<C>(token, key, &self.validation).map(|data| data.claims).map_err(|error| refused(&error))
    }
}

#[cfg(test)]
mod tests;
