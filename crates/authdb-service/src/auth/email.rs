//! Links mailed to a user: proving the email address, and setting a new password when the
//! old one is forgotten.
//!
//! A link carries an [`OpaqueToken`] (256 random bits) of which only the SHA-256 is stored
//! (`email_tokens`), with its purpose, the address it was mailed to and an expiry. It is
//! spent by one conditional update, so it works once; a newer link of the same purpose
//! retires the older ones, and so does a password change for reset links. The token and
//! its mail are written in the same transaction (the outbox), so a link exists exactly
//! when its mail will be sent.

use std::time::Duration as StdDuration;

use authdb_auth::{OpaqueToken, TokenHash};
use authdb_domain::{AuditAction, Email, Password, User, Violation};
use authdb_persistence::{
    email_tokens::{self, TokenPurpose},
    users,
};
use serde_json::json;

use super::{AuthService, RevocationReason, revoke_user_sessions};
use crate::{
    ClientInfo, Principal, Result, ServiceError, audit::Audit, login_throttle::Attempted, mail_templates::Message,
    replica::Change, write::Write,
};

/// How long a new verification mail must wait after the previous one.
const RESEND_AFTER: time::Duration = time::Duration::seconds(60);
/// The least time a password-reset request takes to answer, whether the address has an
/// account or not, so that the answer's timing does not tell them apart.
const RESET_ANSWER_FLOOR: StdDuration = StdDuration::from_millis(400);

/// The answer to a token that is unknown, expired, already spent or meant for something
/// else: all the same to the caller.
fn invalid_token() -> ServiceError {
    ServiceError::Invalid(vec![Violation::new("token", "is invalid, expired or already used")])
}

impl AuthService {
    /// Mails `user` a link that proves their address, in `write` (the registration, or a
    /// request for another link).
    pub(super) async fn mail_verification(&self, write: &mut Write<'_>, user: &User) -> Result<()> {
        let token = OpaqueToken::generate()?;
        let valid_for = self.inner.policy.verify_ttl;
        let (now, email) = (write.now(), user.email.as_ref());
        let hash = token.hash();
        email_tokens::issue(
            write.conn(),
            user.id,
            TokenPurpose::VerifyEmail,
            hash.as_str(),
            email,
            now,
            now + valid_for,
        )
        .await?;
        let message =
            Message::VerifyEmail { to: &user.email, username: user.username.as_ref(), token: &token, valid_for };
        write.mail(message).await
    }

    /// Mails the owner of an address that someone tried to register again a notice (when
    /// registration must not reveal which addresses have accounts).
    pub(super) async fn mail_account_exists(&self, write: &mut Write<'_>, user: &User) -> Result<()> {
        write.mail(Message::AccountExists { to: &user.email, username: user.username.as_ref() }).await
    }

    /// Spends a verification link: the address it was mailed to is proven, if it is still
    /// the user's.
    #[tracing::instrument(skip_all)]
    pub async fn verify_email(&self, token: &str, client: &ClientInfo) -> Result<()> {
        let hash = TokenHash::of(token);
        let mut write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        let Some(spent) = email_tokens::spend(write.conn(), TokenPurpose::VerifyEmail, hash.as_str(), now).await?
        else {
            return Err(invalid_token());
        };
        if !users::mark_verified(write.conn(), spent.user_id, &spent.email, now).await? {
            // The address changed since the link was mailed: it proves nothing now.
            return Err(invalid_token());
        }
        write.audit(Audit::success(AuditAction::EmailVerified, spent.user_id, client)).await?;
        // Cached copies of the user would still say unverified.
        write.publish(Change::UserChanged(spent.user_id)).await?;
        write.commit().await?;
        tracing::info!(user_id = %spent.user_id, "email address verified");
        Ok(())
    }

    /// Mails the caller a new verification link (the older ones stop working). Refused
    /// when the address is already verified, and within a minute of the previous link.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn resend_verification(&self, principal: &Principal, client: &ClientInfo) -> Result<()> {
        let user = users::find_by_id(self.inner.core.db(), principal.user.id)
            .await?
            .ok_or(ServiceError::InvalidAccessToken)?;
        if user.is_verified {
            return Err(ServiceError::StateConflict("the email address is already verified".into()));
        }
        let mut write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        if let Some(last) = email_tokens::last_issued(write.conn(), user.id, TokenPurpose::VerifyEmail).await?
            && last + RESEND_AFTER > now
        {
            let wait = (last + RESEND_AFTER - now).whole_seconds().max(1);
            return Err(ServiceError::TooManyAttempts { retry_after_secs: u64::try_from(wait).unwrap_or(1) });
        }
        self.mail_verification(&mut write, &user).await?;
        write.audit(Audit::success(AuditAction::VerificationMailSent, user.id, client)).await?;
        write.commit().await
    }

    /// Mails a password-reset link to `email` if it has an active account. Answers the
    /// same, in about the same time, whether it has one or not; throttled like logins,
    /// every request counting against the address and the client's IP.
    #[tracing::instrument(skip_all)]
    pub async fn request_password_reset(&self, email: &Email, client: &ClientInfo) -> Result<()> {
        let started = tokio::time::Instant::now();
        let claim = self.inner.throttle.claim(Attempted::PasswordReset(email), client).await?;
        let result = self.mail_password_reset(email, client).await;
        // Counted as a failure whatever happened: a reset request proves nothing, and
        // asking again and again is what the throttle must slow down.
        self.inner.throttle.failed(claim, None, client).await?;
        result?;
        tokio::time::sleep_until(started + RESET_ANSWER_FLOOR).await;
        Ok(())
    }

    async fn mail_password_reset(&self, email: &Email, client: &ClientInfo) -> Result<()> {
        let Some(user) = users::find_by_email(self.inner.core.db(), email).await?.filter(|user| user.is_active) else {
            tracing::info!("password reset asked for an address without an active account");
            return Ok(());
        };
        let token = OpaqueToken::generate()?;
        let valid_for = self.inner.policy.reset_ttl;
        let mut write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        let hash = token.hash();
        email_tokens::issue(
            write.conn(),
            user.id,
            TokenPurpose::PasswordReset,
            hash.as_str(),
            user.email.as_ref(),
            now,
            now + valid_for,
        )
        .await?;
        let message =
            Message::PasswordReset { to: &user.email, username: user.username.as_ref(), token: &token, valid_for };
        write.mail(message).await?;
        write.audit(Audit::success(AuditAction::PasswordResetRequested, user.id, client)).await?;
        write.commit().await?;
        tracing::info!(user_id = %user.id, "password reset link mailed");
        Ok(())
    }

    /// Spends a password-reset link: sets the new password, marks the address verified
    /// (the link reached it), retires the other reset links and ends every session of the
    /// user on every instance.
    #[tracing::instrument(skip_all)]
    pub async fn reset_password(&self, token: &str, new_password: Password, client: &ClientInfo) -> Result<()> {
        // Hashed before the write turn is taken; a bad token costs a hash, like a login.
        let new_hash = self.inner.hasher.hash(&new_password).await?;
        let hash = TokenHash::of(token);
        let mut write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        let Some(spent) = email_tokens::spend(write.conn(), TokenPurpose::PasswordReset, hash.as_str(), now).await?
        else {
            return Err(invalid_token());
        };
        let user = spent.user_id;
        let owner = match users::find_by_id(write.conn(), user).await? {
            Some(found) if found.is_active && found.email.as_ref() == spent.email => found,
            // Deactivated, or the address changed since the link was mailed.
            _ => return Err(invalid_token()),
        };
        users::set_password_hash(write.conn(), user, new_hash.as_str(), now).await?;
        users::mark_verified(write.conn(), user, &spent.email, now).await?;
        email_tokens::retire(write.conn(), user, TokenPurpose::PasswordReset, now).await?;
        // Whoever asked for an address change with a stolen session loses it too.
        email_tokens::retire(write.conn(), user, TokenPurpose::ChangeEmail, now).await?;
        let revoked = revoke_user_sessions(&mut write, user, None, RevocationReason::PasswordReset).await?;
        let reset =
            Audit::success(AuditAction::PasswordReset, user, client).details(json!({ "sessions_revoked": revoked }));
        write.audit(reset).await?;
        write.mail(Message::PasswordChanged { to: &owner.email, username: owner.username.as_ref() }).await?;
        write.publish(Change::UserChanged(user)).await?;
        write.commit().await?;
        tracing::info!(user_id = %user, sessions_revoked = revoked, "password reset");
        Ok(())
    }

    /// Mails a link that confirms `new_email` to that address, and a notice to the current
    /// one; the account keeps its address until the link is opened. The older change links
    /// stop working. An address another account has (or one that looks like it) is a
    /// conflict, unless `require_verified_email` hides which addresses have accounts: then
    /// the answer is the same and nothing is mailed to the taken address.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn request_email_change(
        &self,
        principal: &Principal,
        new_email: Email,
        client: &ClientInfo,
    ) -> Result<()> {
        let user = users::find_by_id(self.inner.core.db(), principal.user.id)
            .await?
            .ok_or(ServiceError::InvalidAccessToken)?;
        if new_email == user.email {
            return Ok(());
        }
        // A sensitive action: a stolen access token alone must not move the account away.
        self.step_up(principal).require().await?;
        let mut write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        if users::email_taken(write.conn(), &new_email, Some(user.id)).await? {
            if self.inner.policy.require_verified_email {
                write.audit(Audit::failure(AuditAction::EmailChangeRequested, Some(user.id), client)).await?;
                write.commit().await?;
                return Ok(());
            }
            return Err(ServiceError::Conflict { fields: &["email"] });
        }
        let token = OpaqueToken::generate()?;
        let valid_for = self.inner.policy.verify_ttl;
        let hash = token.hash();
        email_tokens::issue(
            write.conn(),
            user.id,
            TokenPurpose::ChangeEmail,
            hash.as_str(),
            new_email.as_ref(),
            now,
            now + valid_for,
        )
        .await?;
        let username = user.username.as_ref();
        write.mail(Message::ConfirmEmailChange { to: &new_email, username, token: &token, valid_for }).await?;
        write.mail(Message::EmailChangeRequested { to: &user.email, username, new_email: &new_email }).await?;
        write.audit(Audit::success(AuditAction::EmailChangeRequested, user.id, client)).await?;
        write.commit().await?;
        tracing::info!(user_id = %user.id, "email change requested");
        Ok(())
    }

    /// Spends an email-change link: the account gets the address the link was mailed to,
    /// verified, if no other account has taken it meanwhile (a conflict naming `email`).
    /// The former address is told.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_email_change(&self, token: &str, client: &ClientInfo) -> Result<()> {
        let hash = TokenHash::of(token);
        let mut write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        let Some(spent) = email_tokens::spend(write.conn(), TokenPurpose::ChangeEmail, hash.as_str(), now).await?
        else {
            return Err(invalid_token());
        };
        let Some(before) = users::find_by_id(write.conn(), spent.user_id).await?.filter(|user| user.is_active) else {
            return Err(invalid_token());
        };
        let new_email = Email::parse_stored(&spent.email).map_err(|_| invalid_token())?;
        let after = users::change_email(write.conn(), before.id, &new_email, now).await?;
        // Links mailed to the former address prove nothing about the new one.
        email_tokens::retire(write.conn(), before.id, TokenPurpose::VerifyEmail, now).await?;
        email_tokens::retire(write.conn(), before.id, TokenPurpose::PasswordReset, now).await?;
        let username = before.username.as_ref();
        write.mail(Message::EmailChanged { to: &before.email, username, new_email: &after.email }).await?;
        write.audit(Audit::success(AuditAction::EmailChanged, before.id, client)).await?;
        write.publish(Change::UserChanged(before.id)).await?;
        write.commit().await?;
        tracing::info!(user_id = %before.id, "email address changed");
        Ok(())
    }
}
