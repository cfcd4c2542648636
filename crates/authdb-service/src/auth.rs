use std::{fmt, sync::Arc};

use authdb_auth::{
    AccessClaims, AccessToken, JwtKeys, OpaqueToken, OrganizationScope, PasswordHash, PasswordHasher, RotationKey,
    TokenHash,
};
use authdb_domain::{
    AuditAction, AuditOutcome, Email, FullName, OrganizationId, Password, PasswordPolicy, ProfileChanges, SessionId,
    User, UserId, Username,
};
use authdb_persistence::{
    ConnectionTrait, DatabaseConnection, WriteGate, audit,
    audit::NewAuditEvent,
    memberships, now,
    sessions::{self, NewSession, RevokedSession, SessionSummary, SpendOutcome, SpentToken},
    users::{self, NewUser, UserCredentials},
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use time::{Duration, OffsetDateTime};

pub use self::events::{SecurityEvent, SecurityEvents};
use crate::{
    Result, ServiceError,
    changes::Change,
    login_throttle::{LoginThrottle, LoginThrottlePolicy},
    membership_cache::MembershipCache,
    revocations::RevocationSet,
    session_cache::SessionCache,
    sync::{self, Replica, SyncTask},
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
    /// How long after a refresh token is spent presenting it again still gets its
    /// successor (an honest race between a client's tabs or a retry) instead of revoking
    /// the session as a replay. Zero: every second presentation is a replay.
    pub refresh_reuse_grace: Duration,
    /// Limits on failed logins (see `login_throttle`).
    pub login_throttle: LoginThrottlePolicy,
}

/// Where a request came from, for sessions and audit events.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The OAuth2 client (token endpoint `client_id`), recorded on new sessions.
    pub client_id: Option<String>,
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
    /// Scope the tokens to this organization (the caller must be a member).
    pub organization_id: Option<OrganizationId>,
}

/// A refresh token as presented, with an optional organization to scope the new access
/// token to (else the session's current one).
pub struct RefreshAttempt<'a> {
    pub refresh_token: &'a str,
    pub organization_id: Option<OrganizationId>,
}

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
    rotation: RotationKey,
    policy: AuthPolicy,
    replica: Replica,
    _sync: SyncTask,
    throttle: LoginThrottle,
}

impl fmt::Debug for AuthService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthService").field("keys", &self.inner.keys).finish_non_exhaustive()
    }
}

/// Why a session was revoked, as stored in `sessions.revoked_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationReason {
    Logout,
    LogoutAll,
    RevokedByUser,
    PasswordChanged,
    RefreshTokenReuse,
    AccountDeactivated,
}

impl RevocationReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::LogoutAll => "logout_all",
            Self::RevokedByUser => "revoked_by_user",
            Self::PasswordChanged => "password_changed",
            Self::RefreshTokenReuse => "refresh_token_reuse",
            Self::AccountDeactivated => "account_deactivated",
        }
    }
}

impl AuthService {
    /// Builds the service: loads the sessions revoked recently enough to matter, and
    /// starts following revocations made by other processes (see [`crate::sync`]).
    /// Must run inside a Tokio runtime, which the follower task runs on.
    pub async fn start(
        db: DatabaseConnection,
        hasher: PasswordHasher,
        keys: JwtKeys,
        rotation: RotationKey,
        policy: AuthPolicy,
    ) -> Result<Self> {
        let replica = Replica {
            revoked: Arc::new(RevocationSet::new(keys.verifiable_for())),
            sessions: Arc::new(SessionCache::new(policy.session_cache_ttl)),
            // Memberships are trusted as long as sessions: the same bound on staleness
            // should the change feed fail.
            memberships: Arc::new(MembershipCache::new(policy.session_cache_ttl)),
        };
        // Subscribe first, then load: a revocation committed in between is seen twice
        // rather than not at all.
        let loaded_at = now();
        let sync = sync::start(db.clone(), replica.clone(), loaded_at).await?;
        let recent = sessions::revoked_since(&db, replica.revoked.horizon(loaded_at), loaded_at).await?;
        replica.revoked.insert_all(&recent, loaded_at);
        tracing::info!(revoked_sessions = replica.revoked.len(), "revocation set loaded");
        let writes = WriteGate::new(db.clone());
        let throttle = LoginThrottle::new(db.clone(), writes.clone(), policy.login_throttle.clone());
        Ok(Self {
            inner: Arc::new(Inner { db, hasher, keys, rotation, policy, replica, writes, _sync: sync, throttle }),
        })
    }

    /// How many revoked sessions are held in memory.
    pub fn revocation_set_len(&self) -> usize {
        self.inner.replica.revoked.len()
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    pub(crate) fn writes(&self) -> &WriteGate {
        &self.inner.writes
    }

    /// Drops the cached sessions of `user`; call after a change to them has committed.
    pub(crate) fn forget_cached_sessions(&self, user: UserId) {
        self.inner.replica.sessions.forget_user(user);
    }

    /// This process's membership cache, kept current by the change feed like the session
    /// cache (see [`crate::sync`]).
    pub(crate) fn membership_cache(&self) -> &Arc<MembershipCache> {
        &self.inner.replica.memberships
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
        let scope = match attempt.organization_id {
            Some(organization) => Some(self.scope(user.id, organization).await?.ok_or(ServiceError::NotAMember)?),
            None => None,
        };
        let txn = self.inner.writes.begin().await?;
        users::record_login(&*txn, user.id, now).await?;
        let (session, refresh) = self.open_session(&*txn, user.id, attempt.organization_id, client, now).await?;
        audit::record(&*txn, event(AuditAction::LoginSucceeded, Some(user.id), client, AuditOutcome::Success), now)
            .await?;
        txn.commit().await?;
        // Cached sessions of this user would show the old login count and time.
        self.inner.replica.sessions.forget_user(user.id);
        user.last_login_at = Some(now);
        user.login_count += 1;
        tracing::info!(user_id = %user.id, session_id = %session, "login succeeded");
        metrics::counter!("authdb_logins_total", "outcome" => "success").increment(1);
        let access = self.inner.keys.issue_scoped(user.id, session, scope.as_ref(), now)?;
        Ok(IssuedTokens { user, access, refresh })
    }

    /// Rotates a refresh token: the presented one is spent and its successor issued.
    ///
    /// Presenting a spent token again within the reuse grace window answers with the same
    /// successor, as long as that is still unspent; after the window it is a replay, and
    /// the whole session is revoked.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, attempt: RefreshAttempt<'_>, client: &ClientInfo) -> Result<IssuedTokens> {
        let now = now();
        let hash = TokenHash::of(attempt.refresh_token);
        // Tokens that were never issued are refused from the pool, without queueing for a
        // write: a flood of made-up tokens must not delay anyone's login.
        if !sessions::refresh_token_exists(&self.inner.db, hash.as_str()).await? {
            return Err(ServiceError::InvalidRefreshToken);
        }
        let txn = self.inner.writes.begin().await?;
        let (spent, refresh) = match sessions::spend_refresh_token(&*txn, hash.as_str(), now).await? {
            SpendOutcome::Spent(spent) => {
                let successor = self.inner.rotation.successor(spent.token_id.as_uuid());
                sessions::insert_refresh_token(
                    &*txn,
                    spent.session_id,
                    successor.hash().as_str(),
                    Some(spent.token_id),
                    now,
                    spent.session_expires_at,
                )
                .await?;
                sessions::touch_session(&*txn, spent.session_id, now, client.ip.clone(), client.user_agent.clone())
                    .await?;
                (spent, successor)
            }
            SpendOutcome::Reused { token, used_at } if self.within_grace(used_at, now) => {
                let successor = self.inner.rotation.successor(token.token_id.as_uuid());
                if !sessions::refresh_token_is_live(&*txn, successor.hash().as_str(), now).await? {
                    // The successor was spent in turn: the client has moved on, and an old
                    // token has nothing more to give. Not a replay yet (the window is open).
                    return Err(ServiceError::InvalidRefreshToken);
                }
                tracing::debug!(session_id = %token.session_id, "spent refresh token presented within the grace window");
                (token, successor)
            }
            SpendOutcome::Reused { token, .. } => {
                let revoked = sessions::revoke_session(
                    &*txn,
                    token.session_id,
                    RevocationReason::RefreshTokenReuse.as_str(),
                    now,
                )
                .await?;
                let mut reused =
                    event(AuditAction::RefreshTokenReused, Some(token.user_id), client, AuditOutcome::Failure);
                reused.target = Some(format!("session:{}", token.session_id));
                audit::record(&*txn, reused, now).await?;
                let revoked = revoked.then(|| revoked_now(&token, now)).into_iter().collect::<Vec<_>>();
                self.publish_revoked(&*txn, &revoked).await?;
                txn.commit().await?;
                self.apply_revoked(&revoked);
                tracing::warn!(user_id = %token.user_id, session_id = %token.session_id, "spent refresh token presented again; session revoked");
                metrics::counter!("authdb_refresh_token_reuse_detected_total").increment(1);
                return Err(ServiceError::InvalidRefreshToken);
            }
            SpendOutcome::Invalid => return Err(ServiceError::InvalidRefreshToken),
        };
        let user = users::find_by_id(&*txn, spent.user_id).await?.filter(|user| user.is_active);
        let Some(user) = user else {
            return Err(ServiceError::InvalidRefreshToken);
        };
        let scope = match (attempt.organization_id, spent.organization_id) {
            (Some(requested), _) => {
                let scope = self.scope(user.id, requested).await?.ok_or(ServiceError::NotAMember)?;
                if spent.organization_id != Some(requested) {
                    sessions::set_organization(&*txn, spent.session_id, Some(requested)).await?;
                }
                Some(scope)
            }
            // The session's organization, with the role as it is now; a member who left
            // gets an unscoped token.
            (None, Some(current)) => self.scope(user.id, current).await?,
            (None, None) => None,
        };
        txn.commit().await?;
        let access = self.inner.keys.issue_scoped(user.id, spent.session_id, scope.as_ref(), now)?;
        metrics::counter!("authdb_refreshes_total").increment(1);
        Ok(IssuedTokens { user, access, refresh })
    }

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

    /// The caller's live sessions (one per device login), most recently used first.
    pub async fn sessions(&self, principal: &Principal) -> Result<Vec<SessionSummary>> {
        Ok(sessions::list_live(&self.inner.db, principal.user.id, now()).await?)
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
        let now = now();
        let txn = self.inner.writes.begin().await?;
        let Some(found) = sessions::find_live(&*txn, user, session, now).await? else {
            return Err(ServiceError::NotFound { entity: "session" });
        };
        sessions::revoke_session(&*txn, session, reason.as_str(), now).await?;
        let mut ended = event(action, Some(user), client, AuditOutcome::Success);
        ended.target = Some(format!("session:{session}"));
        audit::record(&*txn, ended, now).await?;
        let revoked = [RevokedSession { id: session, user_id: user, revoked_at: now, expires_at: found.expires_at }];
        self.publish_revoked(&*txn, &revoked).await?;
        txn.commit().await?;
        self.apply_revoked(&revoked);
        Ok(())
    }

    /// Ends every session of the caller, the current one included.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn logout_all(&self, principal: &Principal, client: &ClientInfo) -> Result<()> {
        let now = now();
        let txn = self.inner.writes.begin().await?;
        let revoked =
            sessions::revoke_user_sessions(&*txn, principal.user.id, None, RevocationReason::LogoutAll.as_str(), now)
                .await?;
        let mut logged_out =
            event(AuditAction::LoggedOutEverywhere, Some(principal.user.id), client, AuditOutcome::Success);
        logged_out.details = json!({ "sessions": revoked.len() });
        audit::record(&*txn, logged_out, now).await?;
        self.publish_revoked(&*txn, &revoked).await?;
        txn.commit().await?;
        self.apply_revoked(&revoked);
        tracing::info!(sessions = revoked.len(), "logged out everywhere");
        Ok(())
    }

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
        // Guesses at the current password are throttled like logins, under a key of their
        // own: whoever holds a stolen access token must not get unlimited guesses here.
        let claim = self.inner.throttle.claim(&format!("change-password:{user}"), client).await?;
        let credentials = users::find_credentials_by_id(&self.inner.db, user).await?;
        let stored = credentials.as_ref().map(|c| PasswordHash::from_stored(c.password_hash.clone()));
        if !self.inner.hasher.verify(change.current_password.expose_secret(), stored.as_ref()).await? {
            let mut failed = event(AuditAction::PasswordChangeFailed, Some(user), client, AuditOutcome::Failure);
            failed.details = json!({ "reason": "wrong_current_password" });
            let txn = self.inner.writes.begin().await?;
            audit::record(&*txn, failed, now()).await?;
            txn.commit().await?;
            self.inner.throttle.failed(claim, Some(user), client).await?;
            return Err(ServiceError::WrongPassword);
        }
        self.inner.throttle.succeeded(claim).await?;
        let new_hash = self.inner.hasher.hash(&change.new_password).await?;
        let now = now();
        let txn = self.inner.writes.begin().await?;
        users::set_password_hash(&*txn, user, new_hash.as_str(), now).await?;
        let revoked = sessions::revoke_user_sessions(
            &*txn,
            user,
            Some(principal.session_id),
            RevocationReason::PasswordChanged.as_str(),
            now,
        )
        .await?;
        let mut changed = event(AuditAction::PasswordChanged, Some(user), client, AuditOutcome::Success);
        changed.details = json!({ "sessions_revoked": revoked.len() });
        audit::record(&*txn, changed, now).await?;
        self.publish_revoked(&*txn, &revoked).await?;
        Change::UserChanged(user).publish(&*txn).await?;
        txn.commit().await?;
        self.apply_revoked(&revoked);
        self.inner.replica.sessions.forget_user(user);
        tracing::info!(sessions_revoked = revoked.len(), "password changed");
        Ok(())
    }

    /// Revokes every session of `user` at once, on every instance: for administrators
    /// deactivating an account. Returns how many sessions were live.
    #[tracing::instrument(skip_all, fields(user_id = %user))]
    pub async fn revoke_all_sessions(&self, user: UserId, reason: RevocationReason) -> Result<usize> {
        let now = now();
        let txn = self.inner.writes.begin().await?;
        let revoked = sessions::revoke_user_sessions(&*txn, user, None, reason.as_str(), now).await?;
        self.publish_revoked(&*txn, &revoked).await?;
        Change::UserChanged(user).publish(&*txn).await?;
        txn.commit().await?;
        self.apply_revoked(&revoked);
        self.inner.replica.sessions.forget_user(user);
        Ok(revoked.len())
    }

    /// Verifies an access token and that its user is active and its session live (from
    /// the session cache when it has a fresh answer, else from the database).
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal> {
        let claims = self.inner.keys.verify(bearer)?;
        let (session_id, user_id, now) = (claims.session_id(), claims.user_id(), now());
        if self.inner.replica.revoked.contains(session_id) {
            return Err(ServiceError::InvalidAccessToken);
        }
        let cache = &self.inner.replica.sessions;
        if let Some(user) = cache.get(session_id, user_id, now) {
            return Ok(Principal { user, session_id, claims });
        }
        let read_in = cache.generation();
        match users::find_by_live_session(&self.inner.db, user_id, session_id, now).await? {
            Some((user, session_expires_at)) if user.is_active => {
                cache.insert(read_in, session_id, user.clone(), session_expires_at);
                Ok(Principal { user, session_id, claims })
            }
            _ => Err(ServiceError::InvalidAccessToken),
        }
    }

    /// The user an access token was issued to, checking only its signature and expiry (no
    /// database, no revocation check): enough to key a per-user rate limit.
    pub fn token_subject(&self, bearer: &str) -> Option<UserId> {
        self.inner.keys.verify(bearer).ok().map(|claims| claims.user_id())
    }

    /// Changes the caller's own profile fields.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn update_profile(&self, principal: &Principal, changes: ProfileChanges) -> Result<User> {
        if changes.is_empty() {
            return Ok(principal.user.clone());
        }
        let txn = self.inner.writes.begin().await?;
        let user = users::update_profile(&*txn, principal.user.id, changes, now()).await?;
        Change::UserChanged(user.id).publish(&*txn).await?;
        txn.commit().await?;
        self.inner.replica.sessions.forget_user(user.id);
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
        metrics::counter!("authdb_logins_total", "outcome" => "failure").increment(1);
        Ok(())
    }

    /// Whether a refresh token spent at `used_at` is still in its reuse grace window.
    fn within_grace(&self, used_at: OffsetDateTime, now: OffsetDateTime) -> bool {
        let grace = self.inner.policy.refresh_reuse_grace;
        !grace.is_zero() && now - used_at <= grace
    }

    /// The caller's role and permissions in `organization`, or `None` for a non-member.
    async fn scope(&self, user: UserId, organization: OrganizationId) -> Result<Option<OrganizationScope>> {
        let role = memberships::role_of(&self.inner.db, user, organization).await?;
        Ok(role.map(|role| OrganizationScope { organization, role: role.name, permissions: role.permissions }))
    }

    /// Tells other processes, when `conn`'s transaction commits, about revoked sessions.
    async fn publish_revoked(&self, conn: &impl ConnectionTrait, revoked: &[RevokedSession]) -> Result<()> {
        for session in revoked {
            Change::SessionRevoked(*session).publish(conn).await?;
        }
        Ok(())
    }

    /// Applies committed revocations to this process at once.
    fn apply_revoked(&self, revoked: &[RevokedSession]) {
        let now = now();
        for session in revoked {
            self.inner.replica.apply(&Change::SessionRevoked(*session), now);
        }
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
                client_id: client.client_id.clone(),
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

fn revoked_now(token: &SpentToken, now: OffsetDateTime) -> RevokedSession {
    RevokedSession {
        id: token.session_id,
        user_id: token.user_id,
        revoked_at: now,
        expires_at: token.session_expires_at,
    }
}

pub(crate) fn event(
    action: AuditAction,
    actor: Option<UserId>,
    client: &ClientInfo,
    outcome: AuditOutcome,
) -> NewAuditEvent {
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
mod oauth;

#[cfg(test)]
mod tests;
