//! Password sign-in, behind the brute-force throttle.

use std::fmt;

use authdb_auth::PasswordHash;
use authdb_domain::{AuditAction, AuthMethods, Login, OrganizationId, SessionAuthentication, User, UserId};
use authdb_persistence::{
    sessions,
    users::{self, UserCredentials},
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::{AuthService, IssuedTokens};
use crate::{
    ClientInfo, Result, ServiceError, audit::Audit, login_throttle::Attempted, mail_templates::Message,
    replica::Change, write::Write,
};

/// A login as presented: an email or a username (or neither: it then finds no account,
/// at the same cost), and the password.
pub struct LoginAttempt {
    pub login: Login,
    pub password: SecretString,
    /// Scope the tokens to this organization (the caller must be a member).
    pub organization_id: Option<OrganizationId>,
}

impl fmt::Debug for LoginAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginAttempt")
            .field("login", &self.login)
            .field("organization_id", &self.organization_id)
            .finish_non_exhaustive()
    }
}

impl AuthService {
    /// Checks a login (email or username) and password and opens a session.
    ///
    /// An unknown login and a wrong password give the same error after the same amount of
    /// hashing work; a disabled account is only reported after a correct password.
    #[tracing::instrument(skip_all)]
    pub async fn login(&self, attempt: LoginAttempt, client: &ClientInfo) -> Result<IssuedTokens> {
        // Before any lookup or hashing: a locked-out attacker must not cost a bcrypt.
        let claim = self.inner.throttle.claim(Attempted::Login(&attempt.login), client).await?;
        let credentials = self.find_credentials(&attempt.login).await?;
        let stored = credentials.as_ref().map(|c| PasswordHash::from_stored(c.password_hash.clone()));
        let matched = self.inner.hasher.verify(attempt.password.expose_secret(), stored.as_ref()).await?;
        let known_user = credentials.as_ref().map(|c| c.user.id);
        let Some(UserCredentials { user, .. }) = credentials.filter(|_| matched) else {
            self.record_failed_login(Some(&attempt.login), known_user, client, "invalid_credentials").await?;
            self.inner.throttle.failed(claim, known_user, client).await?;
            return Err(ServiceError::InvalidCredentials);
        };
        self.inner.throttle.succeeded(claim).await?;
        self.check_may_sign_in(&user, client).await?;
        // A second factor turns the right password into a challenge: the session opens at
        // `verify_mfa`.
        let methods = self.second_factor_methods(user.id).await?;
        if !methods.is_empty() {
            return self.challenge(&user, attempt.organization_id, methods, client).await;
        }
        // A hash made at another cost (a changed `bcrypt_cost`, an imported account) is made
        // again now that the password is known, before the write turn is taken.
        let rehashed = match stored.filter(|stored| self.inner.hasher.needs_rehash(stored)) {
            Some(old) => Some((old, self.inner.hasher.rehash(attempt.password.expose_secret()).await?)),
            None => None,
        };
        self.open_session_for(user, AuthMethods::password(), attempt.organization_id, client, rehashed).await
    }

    /// Opens a session for a user who has just proved who they are, by `methods`, and
    /// answers the usual token pair: the one way every sign-in ends (password login, the
    /// second-factor step `POST /auth/mfa/verify`, passkey login).
    ///
    /// The caller has checked the credentials (and counted them with the login throttle).
    /// This checks again that the account may sign in (active; verified when
    /// `auth.require_verified_email`), and that the user is a member of `organization_id`
    /// when one is asked for; then, in one write: records the login on the user, mails a
    /// new-device notice, opens the session (evicting the least recently used past the
    /// cap) with `methods` and the time now as its `amr` and `auth_time`, and audits
    /// `login.succeeded`. The access token carries `amr` and `auth_time`, as every token
    /// refreshed from the session will.
    #[tracing::instrument(skip_all, fields(user_id = %user.id))]
    pub async fn open_authenticated_session(
        &self,
        user: User,
        methods: AuthMethods,
        organization_id: Option<OrganizationId>,
        client: &ClientInfo,
    ) -> Result<IssuedTokens> {
        self.check_may_sign_in(&user, client).await?;
        self.open_session_for(user, methods, organization_id, client, None).await
    }

    /// Refuses (and audits) a sign-in of a disabled account, or of an unverified one when
    /// verification is required. Only ever called after the credentials were right.
    pub(super) async fn check_may_sign_in(&self, user: &User, client: &ClientInfo) -> Result<()> {
        if !user.is_active {
            self.record_failed_login(None, Some(user.id), client, "account_disabled").await?;
            return Err(ServiceError::AccountDisabled);
        }
        if self.inner.policy.require_verified_email && !user.is_verified {
            self.record_failed_login(None, Some(user.id), client, "email_not_verified").await?;
            return Err(ServiceError::EmailNotVerified);
        }
        Ok(())
    }

    /// [`Self::open_authenticated_session`] after its checks, with the password's new hash
    /// to store (`old`, `new`) when a password login found it made at another cost.
    async fn open_session_for(
        &self,
        mut user: User,
        methods: AuthMethods,
        organization_id: Option<OrganizationId>,
        client: &ClientInfo,
        rehashed: Option<(PasswordHash, PasswordHash)>,
    ) -> Result<IssuedTokens> {
        let scope = match organization_id {
            Some(organization) => {
                Some(self.scope(self.inner.core.db(), user.id, organization).await?.ok_or(ServiceError::NotAMember)?)
            }
            None => None,
        };
        let mut write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        // Locks the user's row first (on PostgreSQL): concurrent logins of one user take
        // their turns, which keeps the session cap exact.
        users::record_login(write.conn(), user.id, now).await?;
        if let Some((old, new)) = &rehashed
            && users::rehash_password(write.conn(), user.id, old.as_str(), new.as_str()).await?
        {
            tracing::info!(user_id = %user.id, cost = self.inner.hasher.cost(), "password hash made again at the configured cost");
        }
        // Before the new session exists: a pair of user agent and address never seen for
        // this user gets the owner a notice.
        let (user_agent, ip) = (client.user_agent.as_deref(), client.ip.as_deref());
        if !sessions::device_seen(write.conn(), user.id, user_agent, ip).await? {
            let message = Message::NewSignIn {
                to: &user.email,
                username: user.username.as_ref(),
                user_agent: user_agent.unwrap_or("an unknown device"),
                ip: ip.unwrap_or("an unknown address"),
            };
            write.mail(message).await?;
        }
        let authentication = SessionAuthentication { methods, auth_time: now };
        let (session, refresh) =
            self.open_session(&mut write, user.id, organization_id, &authentication, client).await?;
        let succeeded = Audit::success(AuditAction::LoginSucceeded, user.id, client)
            .details(json!({ "amr": authentication.methods }));
        write.audit(succeeded).await?;
        // Cached copies of the user would show the old login count and time.
        write.publish(Change::UserChanged(user.id)).await?;
        write.commit().await?;
        user.last_login_at = Some(now);
        user.login_count += 1;
        tracing::info!(user_id = %user.id, session_id = %session, amr = %authentication.methods.to_column(), "login succeeded");
        metrics::counter!("authdb_logins_total", "outcome" => "success").increment(1);
        let access = self.inner.keys.issue_scoped(user.id, session, scope.as_ref(), &authentication, now)?;
        Ok(IssuedTokens { user, access, refresh })
    }

    /// Finds the account a login names, normalized exactly as it was when stored. A login
    /// that is neither an email nor a username finds nothing (and still costs a dummy
    /// verification in `login`).
    pub(super) async fn find_credentials(&self, login: &Login) -> Result<Option<UserCredentials>> {
        let db = self.inner.core.db();
        Ok(match login {
            Login::Email(email) => users::find_credentials_by_email(db, email.as_str()).await?,
            Login::Username(username) => users::find_credentials_by_username_key(db, &username.key()).await?,
            Login::Unrecognized(_) => None,
        })
    }

    /// Audits a failed login. A known account is named by its id; for an unknown one the
    /// attempted login is kept only when it is an email address, because people type
    /// passwords into the login field and those must not be stored.
    pub(super) async fn record_failed_login(
        &self,
        login: Option<&Login>,
        actor: Option<UserId>,
        client: &ClientInfo,
        reason: &str,
    ) -> Result<()> {
        let attempted = match (actor, login) {
            (None, Some(Login::Email(email))) => Some(email.as_str()),
            _ => None,
        };
        let failed = Audit::failure(AuditAction::LoginFailed, actor, client)
            .details(json!({ "login": attempted, "reason": reason }));
        let write = Write::begin(&self.inner.core).await?;
        write.audit(failed).await?;
        write.commit().await?;
        tracing::info!(reason, "login failed");
        metrics::counter!("authdb_logins_total", "outcome" => "failure").increment(1);
        Ok(())
    }
}
