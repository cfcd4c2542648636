//! The OAuth2 side of sessions: refresh tokens are bound to the client they were issued
//! to (RFC 6749 section 6). Login and rotation themselves are [`AuthService::login`] and
//! [`AuthService::refresh`]; this only adds the client check in front.

use authdb_auth::TokenHash;
use authdb_persistence::sessions;

use super::{AuthService, ClientInfo, IssuedTokens, RefreshAttempt};
use crate::{Result, ServiceError};

impl AuthService {
    /// Rotates a refresh token presented by an OAuth2 client. A token issued to one
    /// client and presented by another is refused without being spent, so the rightful
    /// client's chain stays intact. A client that names no `client_id` is not checked:
    /// public clients are identified, not authenticated, and the id is optional.
    #[tracing::instrument(skip_all)]
    pub async fn refresh_for_client(&self, attempt: RefreshAttempt<'_>, client: &ClientInfo) -> Result<IssuedTokens> {
        if let Some(presenter) = client.client_id.as_deref() {
            let hash = TokenHash::of(attempt.refresh_token);
            let issued_to = sessions::client_of_refresh_token(&self.inner.db, hash.as_str()).await?;
            if let Some(Some(owner)) = issued_to
                && owner != presenter
            {
                tracing::info!("refresh token presented by another client than it was issued to");
                return Err(ServiceError::InvalidRefreshToken);
            }
        }
        self.refresh(attempt, client).await
    }
}
