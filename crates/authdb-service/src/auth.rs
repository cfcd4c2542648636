use std::{fmt, sync::Arc};

use authdb_auth::{AccessClaims, AccessToken, JwtKeys, OpaqueToken, PasswordHash, PasswordHasher, TokenHash};
use authdb_domain::{
    AuditAction, AuditOutcome, Email, FullName, OrganizationId, Password, PasswordPolicy, ProfileChanges, SessionId,
    User, UserId, Username,
};
use authdb_persistence::{
    ConnectionTrait, DatabaseConnection, WriteGate, audit,
    audit::NewAuditEvent,
    memberships, now,
    sessions::{self, NewSession, SpendOutcome},
    users::{self, NewUser, UserCredentials},
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use time::{Duration, OffsetDateTime};

pub use self::events::{SecurityEvent, SecurityEvents};
use crate::{
    Result, ServiceError,
    login_throttle::{LoginThrottle, LoginThrottlePolicy},
    session_cache::SessionCache,
};

/// Rules for sessions and passwords.
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    /// How long a session (and so its refresh tokens) lasts from login.
    pub refresh_ttl: Duration,
    pub password: PasswordPolicy,
    /// How long an authenticated session is trusted without asking the database again.
    /// Changes made through this process apply at once; changes made by another process
    /// are seen within this time. Zero checks the database on every request.
    pub session_cache_ttl: std::time::Duration,
    /// Limits on failed logins (see `login_throttle`).
    pub login_throttle: LoginThrottlePolicy,
}

/// Where a request came from, for sessions and audit events.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A validated registration.
#[derive(Debug)]
pub struct Registration {
    pub email: Email,
    pub username: Username,
    pub password: Password,
    pub full_name: Option<FullName>,
}

/// A login as presented: the login is an email or a username, not yet validated.
pub struct LoginAttempt {
    pub login: String,
    pub password: SecretString,
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

/// A new token pair for `user`.
#[derive(Debug)]
pub struct IssuedTokens {
    pub user: User,
    pub access: AccessToken,
    pub refresh: OpaqueToken,
}

/// The caller behind a verified access token whose session is live.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub session_id: SessionId,
    pub claims: AccessClaims,
}

/// Registration, login, refresh rotation, logout and profile use cases.
#[derive(Clone)]
pub struct AuthService {
    inner: Arc<Inner>,
}

struct Inner {
    db: DatabaseConnection,
    writes: WriteGate,
    hasher: PasswordHasher,
    keys: JwtKeys,
    policy: AuthPolicy,
    sessions: SessionCache,
    throttle: LoginThrottle,
}

impl fmt::Debug for AuthService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthService").field("keys", &self.inner.keys).finish_non_exhaustive()
    }
}

const REVOKED_BY_LOGOUT: &str = "logout";
const REVOKED_BY_REUSE: &str = "refresh_token_reuse";

impl AuthService {
    pub fn new(db: DatabaseConnection, hasher: PasswordHasher, keys: JwtKeys, policy: AuthPolicy) -> Self {
        let sessions = SessionCache::new(policy.session_cache_ttl);
        let writes = WriteGate::new(db.clone());
        let throttle = LoginThrottle::new(db.clone(), writes.clone(), policy.login_throttle.clone());
        Self { inner: Arc::new(Inner { db, hasher, keys, policy, sessions, writes, throttle }) }
    }

    /// The policy new passwords are parsed under.
    pub fn password_policy(&self) -> &PasswordPolicy {
        &self.inner.policy.password
    }

    /// Creates an account and signs it in on this device.
    #[tracing::instrument(skip_all, fields(username = %registration.username))]
    pub async fn register(&self, registration: Registration, client: &ClientInfo) -> Result<IssuedTokens> {
        let new_user = self.new_user(registration, false).await?;
        let now = now();
        let txn = self.inner.writes.begin().await?;
        let user = users::insert(&*txn, new_user, now).await?;
        let (session, refresh) = self.open_session(&*txn, user.id, None, client, now).await?;
        audit::record(&*txn, event(AuditAction::UserRegistered, Some(user.id), client, AuditOutcome::Success), now)
            .await?;
        txn.commit().await?;
        tracing::info!(user_id = %user.id, "user registered");
        let access = self.inner.keys.issue(user.id, session, now)?;
        Ok(IssuedTokens { user, access, refresh })
    }

    /// Creates a verified superuser without signing it in (for the CLI).
    #[tracing::instrument(skip_all, fields(username = %registration.username))]
    pub async fn create_superuser(&self, registration: Registration) -> Result<User> {
        let new_user = self.new_user(registration, true).await?;
        let now = now();
        let txn = self.inner.writes.begin().await?;
        let user = users::insert(&*txn, new_user, now).await?;
        let mut created = event(AuditAction::SuperuserCreated, None, &ClientInfo::default(), AuditOutcome::Success);
        created.target = Some(format!("user:{}", user.id));
        audit::record(&*txn, created, now).await?;
        txn.commit().await?;
        Ok(user)
    }

    /// Hashes the password of a new account, before any transaction: hashing takes a
    /// quarter of a second and must not hold the write turn.
    async fn new_user(&self, registration: Registration, is_superuser: bool) -> Result<NewUser> {
        let password_hash = self.inner.hasher.hash(&registration.password).await?;
        Ok(NewUser {
            email: registration.email,
            username: registration.username,
            password_hash: password_hash.as_str().to_owned(),
            full_name: registration.full_name,
            is_superuser,
            // A superuser is created by an operator, who vouches for the address.
            is_verified: is_superuser,
        })
    }

    /// Checks a login (email or username) and password and opens a session.
    ///
    /// An unknown login and a wrong password give the same error after the same amount of
    /// hashing work; a disabled account is only reported after a correct password.
    #[tracing::instrument(skip_all)]
    pub async fn login(&self, attempt: LoginAttempt, client: &ClientInfo) -> Result<IssuedTokens> {
        // Before any lookup or hashing: a locked-out attacker must not cost a bcrypt.
        let claim = self.inner.throttle.claim(&attempt.login, client).await?;
        let credentials = self.find_credentials(&attempt.login).await?;
        let stored = credentials.as_ref().map(|c| PasswordHash::from_stored(c.password_hash.clone()));
        let matched = self.inner.hasher.verify(attempt.password.expose_secret(), stored.as_ref()).await?;
        let now = now();
        let known_user = credentials.as_ref().map(|c| c.user.id);
        let Some(UserCredentials { mut user, .. }) = credentials.filter(|_| matched) else {
            self.record_failed_login(&attempt.login, known_user, client, "invalid_credentials").await?;
            self.inner.throttle.failed(claim, known_user, client).await?;
            return Err(ServiceError::InvalidCredentials);
        };
        self.inner.throttle.succeeded(claim).await?;
        if !user.is_active {
            self.record_failed_login(&attempt.login, known_user, client, "account_disabled").await?;
            return Err(ServiceError::AccountDisabled);
        }
        if let Some(organization) = attempt.organization_id
            && !memberships::is_member(&self.inner.db, user.id, organization).await?
        {
            return Err(ServiceError::NotAMember);
        }
        let txn = self.inner.writes.begin().await?;
        users::record_login(&*txn, user.id, now).await?;
        let (session, refresh) = self.open_session(&*txn, user.id, attempt.organization_id, client, now).await?;
        audit::record(&*txn, event(AuditAction::LoginSucceeded, Some(user.id), client, AuditOutcome::Success), now)
            .await?;
        txn.commit().await?;
        // Cached sessions of this user would show the old login count and time.
        self.inner.sessions.forget_user(user.id);
        user.last_login_at = Some(now);
        user.login_count += 1;
        tracing::info!(user_id = %user.id, session_id = %session, "login succeeded");
        let access = self.inner.keys.issue(user.id, session, now)?;
        Ok(IssuedTokens { user, access, refresh })
    }

    /// Rotates a refresh token: the presented one is spent and a successor issued.
    /// Presenting a spent token again revokes its whole session.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, presented: &str, client: &ClientInfo) -> Result<IssuedTokens> {
        let now = now();
        let hash = TokenHash::of(presented);
        // Tokens that were never issued are refused from the pool, without queueing for a
        // write: a flood of made-up tokens must not delay anyone's login.
        if !sessions::refresh_token_exists(&self.inner.db, hash.as_str()).await? {
            return Err(ServiceError::InvalidRefreshToken);
        }
        let txn = self.inner.writes.begin().await?;
        let spent = match sessions::spend_refresh_token(&*txn, hash.as_str(), now).await? {
            SpendOutcome::Spent(spent) => spent,
            SpendOutcome::Reused { session_id, user_id } => {
                sessions::revoke_session(&*txn, session_id, REVOKED_BY_REUSE, now).await?;
                let mut reused = event(AuditAction::RefreshTokenReused, Some(user_id), client, AuditOutcome::Failure);
                reused.target = Some(format!("session:{session_id}"));
                audit::record(&*txn, reused, now).await?;
                txn.commit().await?;
                self.inner.sessions.forget_session(session_id);
                tracing::warn!(user_id = %user_id, session_id = %session_id, "spent refresh token presented again; session revoked");
                return Err(ServiceError::InvalidRefreshToken);
            }
            SpendOutcome::Invalid => return Err(ServiceError::InvalidRefreshToken),
        };
        let user = users::find_by_id(&*txn, spent.user_id).await?.filter(|user| user.is_active);
        let Some(user) = user else {
            return Err(ServiceError::InvalidRefreshToken);
        };
        let refresh = OpaqueToken::generate()?;
        sessions::insert_refresh_token(
            &*txn,
            spent.session_id,
            refresh.hash().as_str(),
            Some(spent.token_id),
            now,
            spent.session_expires_at,
        )
        .await?;
        sessions::touch_session(&*txn, spent.session_id, now, client.ip.clone(), client.user_agent.clone()).await?;
        txn.commit().await?;
        let access = self.inner.keys.issue(user.id, spent.session_id, now)?;
        Ok(IssuedTokens { user, access, refresh })
    }

    /// Ends the caller's session: its refresh token stops working.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id, session_id = %principal.session_id))]
    pub async fn logout(&self, principal: &Principal, client: &ClientInfo) -> Result<()> {
        let now = now();
        let txn = self.inner.writes.begin().await?;
        sessions::revoke_session(&*txn, principal.session_id, REVOKED_BY_LOGOUT, now).await?;
        let mut logged_out = event(AuditAction::LoggedOut, Some(principal.user.id), client, AuditOutcome::Success);
        logged_out.target = Some(format!("session:{}", principal.session_id));
        audit::record(&*txn, logged_out, now).await?;
        txn.commit().await?;
        self.inner.sessions.forget_session(principal.session_id);
        Ok(())
    }

    /// Verifies an access token and that its user is active and its session live (from
    /// the session cache when it has a fresh answer, else from the database).
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal> {
        let claims = self.inner.keys.verify(bearer)?;
        let (session_id, user_id, now) = (claims.session_id(), claims.user_id(), now());
        if let Some(user) = self.inner.sessions.get(session_id, user_id, now) {
            return Ok(Principal { user, session_id, claims });
        }
        let read_in = self.inner.sessions.generation();
        match users::find_by_live_session(&self.inner.db, user_id, session_id, now).await? {
            Some((user, session_expires_at)) if user.is_active => {
                self.inner.sessions.insert(read_in, session_id, user.clone(), session_expires_at);
                Ok(Principal { user, session_id, claims })
            }
            _ => Err(ServiceError::InvalidAccessToken),
        }
    }

    /// Changes the caller's own profile fields.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn update_profile(&self, principal: &Principal, changes: ProfileChanges) -> Result<User> {
        if changes.is_empty() {
            return Ok(principal.user.clone());
        }
        let txn = self.inner.writes.begin().await?;
        let user = users::update_profile(&*txn, principal.user.id, changes, now()).await?;
        txn.commit().await?;
        self.inner.sessions.forget_user(user.id);
        Ok(user)
    }

    /// Finds the account a login names: an email when it has an `@`, else a username,
    /// normalized exactly as they were when stored. A login that cannot be either finds
    /// nothing (and still costs a dummy verification in `login`).
    async fn find_credentials(&self, login: &str) -> Result<Option<UserCredentials>> {
        let found = if login.contains('@') {
            match Email::parse(login) {
                Ok(email) => users::find_credentials_by_email(&self.inner.db, email.as_str()).await?,
                Err(_) => None,
            }
        } else {
            match Username::parse(login.trim()) {
                Ok(username) => users::find_credentials_by_username_key(&self.inner.db, &username.key()).await?,
                Err(_) => None,
            }
        };
        Ok(found)
    }

    /// Audits a failed login. A known account is named by its id; for an unknown one the
    /// attempted login is kept only when it is an email address, because people type
    /// passwords into the login field and those must not be stored.
    async fn record_failed_login(
        &self,
        login: &str,
        actor: Option<UserId>,
        client: &ClientInfo,
        reason: &str,
    ) -> Result<()> {
        let mut failed = event(AuditAction::LoginFailed, actor, client, AuditOutcome::Failure);
        let attempted = match actor {
            Some(_) => None,
            None => Email::parse(login).ok().map(Email::into_inner),
        };
        failed.details = json!({ "login": attempted, "reason": reason });
        let txn = self.inner.writes.begin().await?;
        audit::record(&*txn, failed, now()).await?;
        txn.commit().await?;
        tracing::info!(reason, "login failed");
        Ok(())
    }

    async fn open_session(
        &self,
        conn: &impl ConnectionTrait,
        user: UserId,
        organization_id: Option<OrganizationId>,
        client: &ClientInfo,
        now: OffsetDateTime,
    ) -> Result<(SessionId, OpaqueToken)> {
        let expires_at = now + self.inner.policy.refresh_ttl;
        let session = sessions::insert_session(
            conn,
            NewSession {
                user_id: user,
                organization_id,
                user_agent: client.user_agent.clone(),
                ip: client.ip.clone(),
                expires_at,
            },
            now,
        )
        .await?;
        let refresh = OpaqueToken::generate()?;
        sessions::insert_refresh_token(conn, session, refresh.hash().as_str(), None, now, expires_at).await?;
        Ok((session, refresh))
    }
}

fn event(action: AuditAction, actor: Option<UserId>, client: &ClientInfo, outcome: AuditOutcome) -> NewAuditEvent {
    NewAuditEvent {
        actor,
        organization: None,
        action,
        target: actor.map(|id| format!("user:{id}")),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        outcome,
        details: json!({}),
    }
}

mod events;

#[cfg(test)]
mod tests;
