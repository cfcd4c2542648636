//! Accounts and sessions: one module per resource, all methods of [`AuthService`].
//!
//! - `register`: new accounts (and superusers, for the CLI);
//! - `login`: password sign-in behind the brute-force throttle;
//! - `refresh`: refresh-token rotation, its grace window and reuse detection, and the
//!   OAuth2 client binding;
//! - `sessions`: the caller's sessions, logout, logout everywhere, and revoking every
//!   session of a user (also for administrators);
//! - `password`: changing the password;
//! - `email`: links mailed to the user (verifying the address, resetting the password);
//! - `profile`: the caller's own profile;
//! - `events`: the caller's own security events;
//! - `mfa`: second factors (TOTP enrolment, recovery codes, the login's second step);
//! - `clients`: the client credentials grant and service clients' tokens;
//! - `passkeys`: WebAuthn passkeys: registering, listing, removing, signing in;
//! - `step_up`: the rule sensitive actions check ([`StepUp`]) and renewing a session's
//!   authentication (`POST /auth/step-up`).
//!
//! Authentication itself ([`AuthService::authenticate`]) is here: it never asks the
//! database whether a session was revoked (the replica's revocation set knows), and
//! normally not who the user is either (the session cache does).

mod clients;
mod email;
mod events;
mod login;
mod mfa;
mod passkeys;
mod password;
mod profile;
mod refresh;
mod register;
mod revocations;
mod sessions;
mod step_up;

use std::{fmt, sync::Arc};

use authdb_auth::{
    AccessClaims, AccessToken, FormKey, JwtKeys, MfaKey, MfaKeyRing, OpaqueToken, OrganizationScope, PasswordHasher,
    RotationKey,
};
use authdb_domain::{MemberRole, OrganizationId, PasswordPolicy, PermissionSet, User, UserId};
use authdb_persistence::{ConnectionTrait, memberships, now, users};
use time::{Duration, OffsetDateTime};

pub use self::{
    clients::{ClientCredentialsAttempt, ClientPrincipal, IssuedClientToken},
    events::{SecurityEvent, SecurityEvents},
    login::LoginAttempt,
    mfa::{MFA_KEY_CHECK_PAGE, MfaKeyCheck, MfaVerification, SecondFactorProof, TotpEnrolment},
    passkeys::{
        MfaPasskeyVerification, PasskeyCeremony, PasskeyLogin, PasskeyPolicy, PasskeyRegistration, PasskeyStepUp,
    },
    password::PasswordChange,
    refresh::RefreshAttempt,
    register::{Registered, Registration},
    revocations::{RevocationCursor, RevocationEvent, RevocationPage, RevocationWatch},
    sessions::RevocationReason,
    step_up::{StepUp, StepUpAttempt},
};
pub(crate) use self::{mfa::second_factor_methods, sessions::revoke_user_sessions};
use crate::{
    Core, Principal, Result, ServiceError,
    login_throttle::{LoginThrottle, LoginThrottlePolicy},
    replica::TtlCache,
};

/// How long a verified access token is remembered (see `Inner::verified`).
const VERIFIED_TOKENS_FOR: std::time::Duration = std::time::Duration::from_secs(60);

/// Rules for sessions and passwords.
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    /// How long a session (and so its refresh tokens) lasts from login.
    pub refresh_ttl: Duration,
    pub password: PasswordPolicy,
    /// How long after a refresh token is spent presenting it again still gets its
    /// successor (an honest race between a client's tabs or a retry) instead of revoking
    /// the session as a replay. Zero: every second presentation is a replay.
    pub refresh_reuse_grace: Duration,
    /// Limits on failed logins (see `login_throttle`).
    pub login_throttle: LoginThrottlePolicy,
    /// Live sessions one user may have (at least 1); a login past the cap ends the least
    /// recently used one.
    pub max_sessions_per_user: u32,
    /// How long an email verification link works (`auth.verify_ttl_secs`).
    pub verify_ttl: Duration,
    /// How long a password-reset link works (`auth.reset_ttl_secs`).
    pub reset_ttl: Duration,
    /// Whether an account must prove its address before it may sign in
    /// (`auth.require_verified_email`); registration then signs nobody in and no longer
    /// tells whether an address has an account.
    pub require_verified_email: bool,
    /// The WebAuthn relying party and the passkey ceremonies' time limit.
    pub passkeys: PasskeyPolicy,
    /// The keys TOTP secrets are sealed with (`auth.mfa_encryption_key` and its previous
    /// key); unset, a key derived from the server secret.
    pub mfa_encryption: MfaEncryption,
    /// How recent a session's authentication must be for a sensitive action
    /// (`auth.step_up_max_age_secs`; see `step_up`).
    pub step_up_max_age: Duration,
}

/// `auth.mfa_encryption_key` and `auth.mfa_encryption_key_previous`.
///
/// New TOTP secrets are sealed under `key`, or without one under the key derived from the
/// server secret. A secret is opened with that key, then `previous`, then (when `key` is
/// set) the derived key, so that setting or rotating the key keeps every enrolled factor
/// working; a secret opened with an older key is sealed again under the current one at
/// its next successful use.
#[derive(Debug, Clone, Default)]
pub struct MfaEncryption {
    pub key: Option<MfaKey>,
    pub previous: Option<MfaKey>,
}

/// The server's defaults (docs/configuration.md): sessions of 30 days, a 10 s reuse grace,
/// the default password policy and login throttle, 100 sessions per user, verification
/// links valid for 24 hours and reset links for one, verification not required, step-up
/// within 10 minutes.
impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            refresh_ttl: Duration::days(30),
            password: PasswordPolicy::default(),
            refresh_reuse_grace: Duration::seconds(10),
            login_throttle: LoginThrottlePolicy::default(),
            max_sessions_per_user: 100,
            verify_ttl: Duration::hours(24),
            reset_ttl: Duration::hours(1),
            require_verified_email: false,
            passkeys: PasskeyPolicy::default(),
            mfa_encryption: MfaEncryption::default(),
            step_up_max_age: Duration::minutes(10),
        }
    }
}

/// An access token whose signature, algorithm, issuer, audience and expiry were checked by
/// [`AuthService::verify_access`], the only way to make one. Its session and user are not
/// checked yet: hand it to [`AuthService::authenticate_verified`] within the same request.
#[derive(Debug, Clone)]
pub struct VerifiedAccess(AccessClaims);

impl VerifiedAccess {
    /// The user the token was issued to.
    pub fn user_id(&self) -> UserId {
        self.0.user_id()
    }
}

/// A new token pair for `user`.
#[derive(Debug)]
pub struct IssuedTokens {
    pub user: User,
    pub access: AccessToken,
    pub refresh: OpaqueToken,
}

/// Registration, login, refresh rotation, sessions, passwords and profiles.
#[derive(Clone)]
pub struct AuthService {
    inner: Arc<Inner>,
}

struct Inner {
    core: Core,
    hasher: PasswordHasher,
    keys: JwtKeys,
    /// Access tokens verified in the last minute, by their exact text: a client sends the
    /// same token with every request, and checking it again is most of what an
    /// authenticated request costs. An entry only ever holds what [`JwtKeys::verify`]
    /// accepted for exactly those bytes, and is used only while the token has not expired.
    verified: TtlCache<Box<str>, AccessClaims>,
    rotation: RotationKey,
    /// Binds a cookie-authenticated adapter's forms to their session (see
    /// [`AuthService::form_token`]).
    form_key: FormKey,
    /// Seals TOTP secrets at rest (see [`MfaEncryption`]).
    mfa_key: MfaKeyRing,
    policy: AuthPolicy,
    throttle: LoginThrottle,
}

impl fmt::Debug for AuthService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthService").field("keys", &self.inner.keys).finish_non_exhaustive()
    }
}

impl AuthService {
    pub fn new(core: Core, hasher: PasswordHasher, keys: JwtKeys, rotation: RotationKey, policy: AuthPolicy) -> Self {
        let throttle = LoginThrottle::new(core.clone(), policy.login_throttle.clone());
        let verified = TtlCache::new(VERIFIED_TOKENS_FOR);
        let derived = MfaKey::derive_from_rotation(&rotation);
        let MfaEncryption { key, previous } = policy.mfa_encryption.clone();
        let mfa_key = match key {
            Some(key) => MfaKeyRing::new(key, previous.into_iter().chain([derived])),
            None => MfaKeyRing::new(derived, previous),
        };
        let form_key = FormKey::derive_from_rotation(&rotation);
        Self { inner: Arc::new(Inner { core, hasher, keys, verified, rotation, form_key, mfa_key, policy, throttle }) }
    }

    /// The form token (CSRF token) of `principal`'s session, for an adapter that
    /// authenticates by cookie (the web console): an HMAC of the session id under a key
    /// derived from the server secret with its own label, so it is the same on every
    /// instance, needs no storage and dies with the session.
    pub fn form_token(&self, principal: &Principal) -> String {
        self.inner.form_key.token(principal.session_id.as_uuid())
    }

    /// Whether `presented` is the form token of `principal`'s session (constant time).
    pub fn check_form_token(&self, principal: &Principal, presented: &str) -> bool {
        self.inner.form_key.verify(principal.session_id.as_uuid(), presented)
    }

    /// The policy new passwords are parsed under.
    pub fn password_policy(&self) -> &PasswordPolicy {
        &self.inner.policy.password
    }

    /// Verifies an access token and that its user is active and its session live (from
    /// the session cache when it has a fresh answer, else from the database).
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal> {
        self.authenticate_verified(self.verify_access(bearer)?).await
    }

    /// Checks an access token's signature, algorithm, issuer, audience and expiry only (no
    /// database, no revocation check): enough to key a per-user rate limit, and
    /// [`Self::authenticate_verified`] completes it without verifying it again.
    pub fn verify_access(&self, bearer: &str) -> Result<VerifiedAccess> {
        if let Some(verified) = self.recently_verified(bearer) {
            return Ok(verified);
        }
        self.verify_signature(bearer)
    }

    /// This exact token, if it was verified recently and is still unexpired: what
    /// [`Self::verify_access`] answers without checking its signature.
    pub fn recently_verified(&self, bearer: &str) -> Option<VerifiedAccess> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        self.inner.verified.get(bearer).filter(|claims| self.inner.keys.still_valid(claims, now)).map(VerifiedAccess)
    }

    /// [`Self::verify_access`] for a token that was not verified recently: checks its
    /// signature and claims, and remembers it.
    pub fn verify_signature(&self, bearer: &str) -> Result<VerifiedAccess> {
        let claims = self.inner.keys.verify(bearer)?;
        let cache = &self.inner.verified;
        cache.insert(cache.generation(), bearer.into(), claims.clone());
        Ok(VerifiedAccess(claims))
    }

    /// [`Self::authenticate`] for a token [`Self::verify_access`] has verified (in the same
    /// request): checks that its session is live and its user active.
    pub async fn authenticate_verified(&self, verified: VerifiedAccess) -> Result<Principal> {
        let VerifiedAccess(claims) = verified;
        let (session_id, user_id, now) = (claims.session_id(), claims.user_id(), now());
        let replica = self.inner.core.replica();
        if replica.is_revoked(session_id) {
            return Err(ServiceError::InvalidAccessToken);
        }
        if let Some(user) = replica.cached_session(session_id, user_id, now) {
            return Ok(Principal { user, session_id, claims });
        }
        let read = replica.session_read();
        match users::find_by_live_session(self.inner.core.db(), user_id, session_id, now).await? {
            Some((user, session_expires_at)) if user.is_active => {
                replica.cache_session(read, session_id, user.clone(), session_expires_at);
                Ok(Principal { user, session_id, claims })
            }
            _ => Err(ServiceError::InvalidAccessToken),
        }
    }

    /// What an access token scoped to `organization` carries about `user`: the role and
    /// its permissions as they are now (none while the organization is suspended, so a
    /// service trusting the token's `perms` refuses as authdb does), or `None` for a
    /// non-member.
    /// Read on `conn`: the pool, or the write the caller holds (never the pool while
    /// holding the write turn).
    async fn scope(
        &self,
        conn: &impl ConnectionTrait,
        user: UserId,
        organization: OrganizationId,
    ) -> Result<Option<OrganizationScope>> {
        let resolved = memberships::resolve(conn, user, organization).await?;
        Ok(resolved.map(|resolved| {
            let mut role = resolved.role;
            if !resolved.organization_active {
                role.permissions = PermissionSet::empty();
            }
            claims_scope(organization, role)
        }))
    }
}

/// The token form of a role: its name and permission names.
fn claims_scope(organization: OrganizationId, role: MemberRole) -> OrganizationScope {
    OrganizationScope {
        organization,
        permissions: role.permissions.names().into_iter().map(str::to_owned).collect(),
        role: role.name.into_inner(),
    }
}

#[cfg(test)]
mod tests;
