//! Changing the password, throttled like logins.

use std::fmt;

use authdb_auth::PasswordHash;
use authdb_domain::{AuditAction, Password};
use authdb_persistence::{
    email_tokens::{self, TokenPurpose},
    users,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::{AuthService, RevocationReason, revoke_user_sessions};
use crate::{
    ClientInfo, Principal, Result, ServiceError, audit::Audit, login_throttle::Attempted, mail_templates::Message,
    replica::Change, write::Write,
};

/// A password change as presented by a signed-in user.
pub struct PasswordChange {
    pub current_password: SecretString,
    pub new_password: Password,
}

impl fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordChange(<redacted>)")
    }
}

impl AuthService {
    /// Changes the caller's password after checking the current one. Every other session
    /// of the user is revoked; the one making the change keeps working.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn change_password(
        &self,
        principal: &Principal,
        change: PasswordChange,
        client: &ClientInfo,
    ) -> Result<()> {
        let user = principal.user.id;
        // A sensitive action: a recent (multi-factor, when the user has a factor) session.
        self.step_up(principal).require().await?;
        // Guesses at the current password are throttled like logins, under a key of their
        // own: whoever holds a stolen access token must not get unlimited guesses here.
        let claim = self.inner.throttle.claim(Attempted::PasswordChange(user), client).await?;
        let credentials = users::find_credentials_by_id(self.inner.core.db(), user).await?;
        let stored = credentials.as_ref().map(|c| PasswordHash::from_stored(c.password_hash.clone()));
        if !self.inner.hasher.verify(change.current_password.expose_secret(), stored.as_ref()).await? {
            let failed = Audit::failure(AuditAction::PasswordChangeFailed, Some(user), client)
                .details(json!({ "reason": "wrong_current_password" }));
            let write = Write::begin(&self.inner.core).await?;
            write.audit(failed).await?;
            write.commit().await?;
            self.inner.throttle.failed(claim, Some(user), client).await?;
            return Err(ServiceError::WrongPassword);
        }
        self.inner.throttle.succeeded(claim).await?;
        let new_hash = self.inner.hasher.hash(&change.new_password).await?;
        let mut write = Write::begin(&self.inner.core).await?;
        users::set_password_hash(write.conn(), user, new_hash.as_str(), write.now()).await?;
        // A reset link mailed before the change must not undo it.
        email_tokens::retire(write.conn(), user, TokenPurpose::PasswordReset, write.now()).await?;
        // And an address change asked for before it: the old password may have been stolen.
        email_tokens::retire(write.conn(), user, TokenPurpose::ChangeEmail, write.now()).await?;
        let revoked =
            revoke_user_sessions(&mut write, user, Some(principal.session_id), RevocationReason::PasswordChanged)
                .await?;
        let changed =
            Audit::success(AuditAction::PasswordChanged, user, client).details(json!({ "sessions_revoked": revoked }));
        write.audit(changed).await?;
        let notice = Message::PasswordChanged { to: &principal.user.email, username: principal.user.username.as_ref() };
        write.mail(notice).await?;
        write.publish(Change::UserChanged(user)).await?;
        write.commit().await?;
        tracing::info!(sessions_revoked = revoked, "password changed");
        Ok(())
    }
}
