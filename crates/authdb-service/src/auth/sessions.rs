//! Sessions, one per device login: open one, list the caller's, end one, end all, and
//! revoke every session of a user (password change, deactivation). A revocation reaches
//! every instance through the replica's revocation set (see `crate::replica`).

use authdb_auth::OpaqueToken;
use authdb_domain::{AuditAction, OrganizationId, SessionAuthentication, SessionId, SessionSummary, UserId};
use authdb_persistence::{
    now,
    sessions::{self, NewSession},
};
use serde_json::json;

use super::AuthService;
use crate::{
    ClientInfo, Principal, Result, ServiceError,
    audit::{Audit, Target},
    replica::Change,
    write::Write,
};

/// Why a session was revoked, as stored in `sessions.revoked_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationReason {
    Logout,
    LogoutAll,
    RevokedByUser,
    PasswordChanged,
    /// A password-reset link set a new password.
    PasswordReset,
    RefreshTokenReuse,
    AccountDeactivated,
    /// Ended to keep the user within `AuthPolicy::max_sessions_per_user`.
    Evicted,
}

impl RevocationReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::LogoutAll => "logout_all",
            Self::RevokedByUser => "revoked_by_user",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::RefreshTokenReuse => "refresh_token_reuse",
            Self::AccountDeactivated => "account_deactivated",
            Self::Evicted => "evicted",
        }
    }
}

impl AuthService {
    /// Ends the caller's session: its refresh token stops working, and so do its access
    /// tokens, on every instance.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id, session_id = %principal.session_id))]
    pub async fn logout(&self, principal: &Principal, client: &ClientInfo) -> Result<()> {
        let ended = self
            .end_session(
                principal.user.id,
                principal.session_id,
                RevocationReason::Logout,
                AuditAction::LoggedOut,
                client,
            )
            .await;
        match ended {
            // Revoked meanwhile by another request: the caller wanted it over, and it is.
            Ok(()) | Err(ServiceError::NotFound { .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// The caller's live sessions (one per device login), most recently used first: at
    /// most the session cap of them.
    pub async fn sessions(&self, principal: &Principal) -> Result<Vec<SessionSummary>> {
        let limit = u64::from(self.inner.policy.max_sessions_per_user);
        Ok(sessions::list_live(self.inner.core.db(), principal.user.id, now(), limit).await?)
    }

    /// Ends one of the caller's own sessions. Another user's session, or one that is
    /// already over, is not found.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id, target = %session))]
    pub async fn revoke_own_session(
        &self,
        principal: &Principal,
        session: SessionId,
        client: &ClientInfo,
    ) -> Result<()> {
        self.end_session(
            principal.user.id,
            session,
            RevocationReason::RevokedByUser,
            AuditAction::SessionRevoked,
            client,
        )
        .await
    }

    async fn end_session(
        &self,
        user: UserId,
        session: SessionId,
        reason: RevocationReason,
        action: AuditAction,
        client: &ClientInfo,
    ) -> Result<()> {
        let mut write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        let Some(found) = sessions::find_live(write.conn(), user, session, now).await? else {
            return Err(ServiceError::NotFound { entity: "session" });
        };
        sessions::revoke_session(write.conn(), session, reason.as_str(), now).await?;
        write.audit(Audit::success(action, user, client).target(Target::Session(session))).await?;
        let revoked =
            authdb_domain::RevokedSession { id: session, user_id: user, revoked_at: now, expires_at: found.expires_at };
        write.publish(Change::SessionRevoked(revoked)).await?;
        write.commit().await
    }

    /// Ends every session of the caller, the current one included.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn logout_all(&self, principal: &Principal, client: &ClientInfo) -> Result<()> {
        let user = principal.user.id;
        let mut write = Write::begin(&self.inner.core).await?;
        let revoked = revoke_user_sessions(&mut write, user, None, RevocationReason::LogoutAll).await?;
        let logged_out =
            Audit::success(AuditAction::LoggedOutEverywhere, user, client).details(json!({ "sessions": revoked }));
        write.audit(logged_out).await?;
        write.commit().await?;
        tracing::info!(sessions = revoked, "logged out everywhere");
        Ok(())
    }

    /// Opens a session for `user` on the client's device, with its first refresh token.
    /// When the user already has as many live sessions as the cap allows, the least
    /// recently used ones are ended first, as any revocation is (every instance stops
    /// accepting their tokens), and audited as `session.evicted`. The caller must hold
    /// the user's row lock (`users::record_login`, or the insert of a new user), so that
    /// concurrent logins of one user count their sessions one at a time.
    pub(super) async fn open_session(
        &self,
        write: &mut Write<'_>,
        user: UserId,
        organization_id: Option<OrganizationId>,
        authentication: &SessionAuthentication,
        client: &ClientInfo,
    ) -> Result<(SessionId, OpaqueToken)> {
        let now = write.now();
        let keep = u64::from(self.inner.policy.max_sessions_per_user.saturating_sub(1));
        for evicted in sessions::least_recently_used(write.conn(), user, now, keep).await? {
            if sessions::revoke_session(write.conn(), evicted.id, RevocationReason::Evicted.as_str(), now).await? {
                let audit = Audit::success(AuditAction::SessionEvicted, user, client)
                    .target(Target::Session(evicted.id))
                    .details(json!({ "reason": "session_limit" }));
                write.audit(audit).await?;
                write.publish(Change::SessionRevoked(evicted)).await?;
                tracing::info!(user_id = %user, session_id = %evicted.id, "least recently used session ended: session limit");
            }
        }
        let expires_at = now + self.inner.policy.refresh_ttl;
        let new = NewSession {
            user_id: user,
            organization_id,
            user_agent: client.user_agent.clone(),
            ip: client.ip.clone(),
            client_id: client.client_id.clone(),
            expires_at,
            authentication: authentication.clone(),
        };
        let session = sessions::insert_session(write.conn(), new, now).await?;
        let refresh = OpaqueToken::generate()?;
        sessions::insert_refresh_token(write.conn(), session, refresh.hash().as_str(), None, now, expires_at).await?;
        Ok((session, refresh))
    }
}

/// Revokes the live sessions of `user` (all, or all but `except`) in `write`, and
/// publishes each revocation; returns how many were live. (A caller that also changes the
/// account publishes `Change::UserChanged` itself.) The one way to end all of a user's sessions: logout everywhere, a password
/// change and deactivation by an administrator all come here.
pub(crate) async fn revoke_user_sessions(
    write: &mut Write<'_>,
    user: UserId,
    except: Option<SessionId>,
    reason: RevocationReason,
) -> Result<usize> {
    let revoked = sessions::revoke_user_sessions(write.conn(), user, except, reason.as_str(), write.now()).await?;
    for session in &revoked {
        write.publish(Change::SessionRevoked(*session)).await?;
    }
    Ok(revoked.len())
}
