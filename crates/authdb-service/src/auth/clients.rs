//! The client credentials grant (RFC 6749 section 4.4): a service client trades its id and
//! secret for an access token of its own, behind the same brute-force throttle as logins.

use std::{fmt, str::FromStr};

use authdb_auth::{ClientAccessToken, ClientClaims, TokenHash};
use authdb_domain::{AuditAction, AuditOutcome, ClientId, ClientScope, ClientScopes, ServiceClient};
use authdb_persistence::service_clients;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::AuthService;
use crate::{
    ClientInfo, Result, ServiceError,
    audit::{Audit, Target},
    login_throttle::Attempted,
    write::Write,
};

/// A client credentials request as presented.
pub struct ClientCredentialsAttempt {
    /// The `client_id` as sent (any text: an unknown or malformed one finds no client).
    pub client_id: String,
    pub secret: SecretString,
    /// The OAuth2 `scope` parameter; `None` asks for every scope of the client.
    pub scope: Option<String>,
}

impl fmt::Debug for ClientCredentialsAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentialsAttempt")
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// A client's new access token.
#[derive(Debug)]
pub struct IssuedClientToken {
    pub client: ServiceClient,
    pub access: ClientAccessToken,
}

/// A service client behind a verified client access token, whose client still exists
/// and holds the scope asked for (from [`AuthService::authenticate_client`]).
#[derive(Debug, Clone)]
pub struct ClientPrincipal {
    pub client: ClientId,
    pub claims: ClientClaims,
}

impl AuthService {
    /// Authenticates a service client by its secret and issues it an access token for the
    /// scope asked (a subset of its own; all of them when none is asked).
    ///
    /// An unknown client, a malformed id and a wrong secret give the same
    /// [`ServiceError::InvalidClient`]; each counts as a failure against the client id
    /// (as presented) and the address, exactly like a wrong password against a login, and
    /// a locked counter answers [`ServiceError::TooManyAttempts`] before any lookup.
    #[tracing::instrument(skip_all, fields(client_id = %attempt.client_id))]
    pub async fn client_credentials(
        &self,
        attempt: ClientCredentialsAttempt,
        client: &ClientInfo,
    ) -> Result<IssuedClientToken> {
        let claim = self.inner.throttle.claim(Attempted::Client(&attempt.client_id), client).await?;
        let id = ClientId::from_str(&attempt.client_id).ok();
        let found = match id {
            Some(id) => service_clients::find_credentials(self.inner.core.db(), id).await?,
            None => None,
        };
        // The secret is 256 random bits: its SHA-256 is as good as a slow hash (see
        // docs/security.md), and is compared in constant time.
        let presented = TokenHash::of(attempt.secret.expose_secret());
        let matched = found.as_ref().is_some_and(|found| presented.matches(&found.secret_hash));
        let Some(found) = found.filter(|_| matched) else {
            let mut failed = Audit::failure(AuditAction::ClientAuthenticationFailed, None, client)
                .details(json!({ "reason": "invalid_client" }));
            if let Some(id) = id {
                failed = failed.target(Target::Client(id));
            }
            let write = Write::begin(&self.inner.core).await?;
            write.audit(failed).await?;
            write.commit().await?;
            self.inner.throttle.failed(claim, None, client).await?;
            tracing::info!("client credentials refused");
            metrics::counter!("authdb_client_tokens_total", "outcome" => "failure").increment(1);
            return Err(ServiceError::InvalidClient);
        };
        self.inner.throttle.succeeded(claim).await?;
        let granted = &found.client.scopes;
        let scopes = match attempt.scope {
            None => granted.clone(),
            Some(asked) => match ClientScopes::parse_oauth(&asked) {
                Some(asked) if asked.is_subset(granted) => asked,
                _ => return Err(ServiceError::InvalidScope),
            },
        };
        let write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        service_clients::touch(write.conn(), found.client.id, now).await?;
        let issued = Audit::new(AuditAction::ClientTokenIssued, AuditOutcome::Success, None, client)
            .target(Target::Client(found.client.id))
            .details(json!({ "scope": scopes.to_oauth() }));
        write.audit(issued).await?;
        write.commit().await?;
        let access = self.inner.keys.issue_client(found.client.id, &scopes, now)?;
        let mut client = found.client;
        client.last_used_at = Some(now);
        tracing::info!(client_id = %client.id, "client token issued");
        metrics::counter!("authdb_client_tokens_total", "outcome" => "success").increment(1);
        Ok(IssuedClientToken { client, access })
    }

    /// Verifies a service client's access token (signature, algorithm, issuer, audience,
    /// expiry, a client's claims), that the client still exists, and that the token
    /// carries `scope`. A user's token is [`ServiceError::InvalidAccessToken`] here, as a
    /// client's is on every user route. A token without the scope is
    /// [`ServiceError::Forbidden`].
    pub async fn authenticate_client(&self, bearer: &str, scope: ClientScope) -> Result<ClientPrincipal> {
        let claims = self.inner.keys.verify_client(bearer)?;
        let client = claims.client_id();
        if !service_clients::exists(self.inner.core.db(), client).await? {
            return Err(ServiceError::InvalidAccessToken);
        }
        if !claims.scopes().is_some_and(|scopes| scopes.contains(scope)) {
            return Err(ServiceError::Forbidden(format!("this client token lacks the {scope} scope")));
        }
        Ok(ClientPrincipal { client, claims })
    }

    /// The client a client token names, when its signature and claims check out (no
    /// database): enough to key a per-client rate limit.
    pub fn client_of(&self, bearer: &str) -> Option<ClientId> {
        self.inner.keys.verify_client(bearer).ok().map(|claims| claims.client_id())
    }

    /// Whether a client still exists (a long-lived stream checks it from time to time).
    pub async fn client_exists(&self, client: ClientId) -> Result<bool> {
        Ok(service_clients::exists(self.inner.core.db(), client).await?)
    }
}
