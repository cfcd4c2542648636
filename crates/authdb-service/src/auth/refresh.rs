//! Refresh-token rotation: a conditional `UPDATE` spends the presented token (of
//! concurrent callers exactly one wins), its successor is derived from it
//! (`RotationKey::successor`), a spent token presented again within the grace window gets
//! the same successor, and after the window it revokes the whole session. The common case
//! (a live token) is read from the pool and then written in one round trip under the write
//! turn; everything else takes the full path in a `Write`. Refresh tokens
//! are bound to the OAuth2 client they were issued to (RFC 6749 section 6).

use authdb_auth::{OrganizationScope, TokenHash};
use authdb_domain::{AuditAction, OrganizationId, RevokedSession, UserId};
use authdb_persistence::{
    ConnectionTrait, now,
    sessions::{self, PresentedToken, Rotation, SpendOutcome, SpentToken},
    users,
};
use time::OffsetDateTime;

use super::{AuthService, IssuedTokens, RevocationReason};
use crate::{
    ClientInfo, Result, ServiceError,
    audit::{Audit, Target},
    replica::Change,
    write::Write,
};

/// A refresh token as presented, with an optional organization to scope the new access
/// token to (else the session's current one).
pub struct RefreshAttempt<'a> {
    pub refresh_token: &'a str,
    pub organization_id: Option<OrganizationId>,
}

impl AuthService {
    /// Rotates a refresh token: the presented one is spent and its successor issued.
    ///
    /// Presenting a spent token again within the reuse grace window answers with the same
    /// successor, as long as that is still unspent; after the window it is a replay, and
    /// the whole session is revoked.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, attempt: RefreshAttempt<'_>, client: &ClientInfo) -> Result<IssuedTokens> {
        let hash = TokenHash::of(attempt.refresh_token);
        // One read from the pool before queueing for a write: tokens that were never issued
        // are refused here (a flood of made-up tokens must not delay anyone's login), and a
        // live token comes with everything its rotation needs.
        let Some(presented) = sessions::find_presented(self.inner.core.db(), hash.as_str(), now()).await? else {
            return Err(ServiceError::InvalidRefreshToken);
        };
        // A live token is rotated in one round trip; `None` means it was spent, revoked or
        // deactivated since it was read, and the full path below tells a retry within the
        // grace window from a replay.
        if presented.spendable
            && let Some(tokens) = self.rotate(&attempt, presented, &hash, client).await?
        {
            return Ok(tokens);
        }
        let mut write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        let (spent, refresh) = match sessions::spend_refresh_token(write.conn(), hash.as_str(), now).await? {
            SpendOutcome::Spent(spent) => {
                let successor = self.inner.rotation.successor(spent.token_id.as_uuid());
                sessions::insert_refresh_token(
                    write.conn(),
                    spent.session_id,
                    successor.hash().as_str(),
                    Some(spent.token_id),
                    now,
                    spent.session_expires_at,
                )
                .await?;
                sessions::touch_session(
                    write.conn(),
                    spent.session_id,
                    now,
                    client.ip.clone(),
                    client.user_agent.clone(),
                )
                .await?;
                (spent, successor)
            }
            SpendOutcome::Reused { token, used_at } if self.within_grace(used_at, now) => {
                let successor = self.inner.rotation.successor(token.token_id.as_uuid());
                if !sessions::refresh_token_is_live(write.conn(), successor.hash().as_str(), now).await? {
                    // The successor was spent in turn: the client has moved on, and an old
                    // token has nothing more to give. Not a replay yet (the window is open).
                    return Err(ServiceError::InvalidRefreshToken);
                }
                tracing::debug!(session_id = %token.session_id, "spent refresh token presented within the grace window");
                (token, successor)
            }
            SpendOutcome::Reused { token, .. } => {
                let revoked = sessions::revoke_session(
                    write.conn(),
                    token.session_id,
                    RevocationReason::RefreshTokenReuse.as_str(),
                    now,
                )
                .await?;
                let reused = Audit::failure(AuditAction::RefreshTokenReused, Some(token.user_id), client)
                    .target(Target::Session(token.session_id));
                write.audit(reused).await?;
                if revoked {
                    write.publish(Change::SessionRevoked(revoked_now(&token, now))).await?;
                }
                write.commit().await?;
                tracing::warn!(user_id = %token.user_id, session_id = %token.session_id, "spent refresh token presented again; session revoked");
                metrics::counter!("authdb_refresh_token_reuse_detected_total").increment(1);
                return Err(ServiceError::InvalidRefreshToken);
            }
            SpendOutcome::Invalid => return Err(ServiceError::InvalidRefreshToken),
        };
        let user = users::find_by_id(write.conn(), spent.user_id).await?.filter(|user| user.is_active);
        let Some(user) = user else {
            return Err(ServiceError::InvalidRefreshToken);
        };
        let scope = self.refreshed_scope(write.conn(), &attempt, &spent, user.id).await?;
        if let Some(requested) = attempt.organization_id.filter(|requested| spent.organization_id != Some(*requested)) {
            sessions::set_organization(write.conn(), spent.session_id, Some(requested)).await?;
        }
        write.commit().await?;
        let access =
            self.inner.keys.issue_scoped(user.id, spent.session_id, scope.as_ref(), &spent.authentication, now)?;
        metrics::counter!("authdb_refreshes_total").increment(1);
        Ok(IssuedTokens { user, access, refresh })
    }

    /// The common case of [`Self::refresh`]: a token that was live when read. The user and
    /// the organization scope are checked before the write, which then holds the write turn
    /// for one round trip: the spend (re-checking token, session and user), the successor
    /// and the session's touch (`sessions::rotate_refresh_token`, which takes the write turn
    /// itself: a rotation changes nothing any process caches and records no audit event).
    /// `None`: the token was lost to a concurrent spend or revocation, and nothing was
    /// written.
    async fn rotate(
        &self,
        attempt: &RefreshAttempt<'_>,
        presented: PresentedToken,
        hash: &TokenHash,
        client: &ClientInfo,
    ) -> Result<Option<IssuedTokens>> {
        let PresentedToken { token: spent, user, .. } = presented;
        if !user.is_active {
            return Err(ServiceError::InvalidRefreshToken);
        }
        let scope = self.refreshed_scope(self.inner.core.db(), attempt, &spent, user.id).await?;
        let successor = self.inner.rotation.successor(spent.token_id.as_uuid());
        let successor_hash = successor.hash();
        let now = now();
        let rotation = Rotation {
            token_hash: hash.as_str(),
            token_id: spent.token_id,
            session_id: spent.session_id,
            successor_hash: successor_hash.as_str(),
            expires_at: spent.session_expires_at,
            ip: client.ip.as_deref(),
            user_agent: client.user_agent.as_deref(),
            organization_id: attempt.organization_id,
            now,
        };
        if !sessions::rotate_refresh_token(self.inner.core.writes(), &rotation).await? {
            return Ok(None);
        }
        let access =
            self.inner.keys.issue_scoped(user.id, spent.session_id, scope.as_ref(), &spent.authentication, now)?;
        metrics::counter!("authdb_refreshes_total").increment(1);
        Ok(Some(IssuedTokens { user, access, refresh: successor }))
    }

    /// What the new access token says about the organization: the one asked for (the
    /// caller must be a member), else the session's, with the role as it is now (a member
    /// who left gets an unscoped token).
    async fn refreshed_scope(
        &self,
        conn: &impl ConnectionTrait,
        attempt: &RefreshAttempt<'_>,
        spent: &SpentToken,
        user: UserId,
    ) -> Result<Option<OrganizationScope>> {
        match (attempt.organization_id, spent.organization_id) {
            (Some(requested), _) => Ok(Some(self.scope(conn, user, requested).await?.ok_or(ServiceError::NotAMember)?)),
            (None, Some(current)) => self.scope(conn, user, current).await,
            (None, None) => Ok(None),
        }
    }

    /// Rotates a refresh token presented by an OAuth2 client. A token issued to one
    /// client and presented by another is refused without being spent, so the rightful
    /// client's chain stays intact. A client that names no `client_id` is not checked:
    /// public clients are identified, not authenticated, and the id is optional.
    #[tracing::instrument(skip_all)]
    pub async fn refresh_for_client(&self, attempt: RefreshAttempt<'_>, client: &ClientInfo) -> Result<IssuedTokens> {
        if let Some(presenter) = client.client_id.as_deref() {
            let hash = TokenHash::of(attempt.refresh_token);
            let issued_to = sessions::client_of_refresh_token(self.inner.core.db(), hash.as_str()).await?;
            if let Some(Some(owner)) = issued_to
                && owner != presenter
            {
                tracing::info!("refresh token presented by another client than it was issued to");
                return Err(ServiceError::InvalidRefreshToken);
            }
        }
        self.refresh(attempt, client).await
    }

    /// Whether a refresh token spent at `used_at` is still in its reuse grace window. A
    /// use recorded in the future (another instance's clock runs ahead) is outside it:
    /// trusting it would stretch the window by the skew, or forever.
    fn within_grace(&self, used_at: OffsetDateTime, now: OffsetDateTime) -> bool {
        within_grace(self.inner.policy.refresh_reuse_grace, used_at, now)
    }
}

/// See [`AuthService::within_grace`].
pub(super) fn within_grace(grace: time::Duration, used_at: OffsetDateTime, now: OffsetDateTime) -> bool {
    !grace.is_zero() && used_at <= now && now - used_at <= grace
}

fn revoked_now(token: &SpentToken, now: OffsetDateTime) -> RevokedSession {
    RevokedSession {
        id: token.session_id,
        user_id: token.user_id,
        revoked_at: now,
        expires_at: token.session_expires_at,
    }
}
