//! Passkeys (WebAuthn): registering them, listing and removing them, and signing in with
//! one.
//!
//! Each ceremony's state (its challenge) is stored in `webauthn_ceremonies` between start
//! and finish, so that any instance can finish a ceremony another started; it is spent
//! once, expires after [`PasskeyPolicy::ceremony_ttl`], and a registration's is bound to
//! its user. A sign-in's finish is throttled like a password login (per login name, or per
//! address for a discoverable credential, and per address) before any signature is
//! checked, and a sign count that did not go up is refused and audited as a possible
//! clone. A passkey is a second factor by itself: it proves possession of a device key
//! and, with user verification required, the user's PIN or biometric.

use authdb_auth::{
    AssertionSubject, CeremonyState, PasskeyError, RelyingParty, RelyingPartyConfig, Started, StoredPasskey,
    VerifiedAssertion,
};
use authdb_domain::{
    AuditAction, AuthMethod, AuthMethods, Login, OrganizationId, Passkey, PasskeyId, PasskeyName, UserId,
};
use authdb_persistence::{
    mfa, now, passkeys, users,
    webauthn_ceremonies::{self, CeremonyPurpose, NewCeremony},
};
use secrecy::SecretString;
use serde_json::json;
use time::Duration;
use uuid::Uuid;

use super::{AuthService, IssuedTokens, mfa::OpenedChallenge};
use crate::{
    ClientInfo, Principal, Result, ServiceError,
    audit::{Audit, Target},
    login_throttle::Attempted,
    write::Write,
};

/// The relying party and how long a ceremony may take.
#[derive(Debug, Clone)]
pub struct PasskeyPolicy {
    pub relying_party: RelyingParty,
    /// From start to finish (5 minutes by default, as browsers' own timeout).
    pub ceremony_ttl: Duration,
}

/// `localhost` on any port (the embedded setup), ceremonies of 5 minutes.
impl Default for PasskeyPolicy {
    fn default() -> Self {
        Self { relying_party: RelyingParty::localhost(), ceremony_ttl: Duration::minutes(5) }
    }
}

impl PasskeyPolicy {
    /// A policy for the relying party `config`, with the default ceremony time.
    pub fn new(config: &RelyingPartyConfig) -> std::result::Result<Self, authdb_auth::RelyingPartyConfigError> {
        Ok(Self { relying_party: RelyingParty::new(config)?, ..Self::default() })
    }
}

/// A ceremony started: its id (to send back with the finish) and the options for the
/// browser's `navigator.credentials.create()` or `.get()`.
#[derive(Debug)]
pub struct PasskeyCeremony {
    pub ceremony_id: Uuid,
    pub options: serde_json::Value,
}

/// A registration's finish: the ceremony and the browser's answer.
#[derive(Debug)]
pub struct PasskeyRegistration {
    pub ceremony_id: Uuid,
    pub name: PasskeyName,
    pub credential: serde_json::Value,
}

/// A sign-in's finish: the ceremony and the browser's assertion.
#[derive(Debug)]
pub struct PasskeyLogin {
    pub ceremony_id: Uuid,
    pub credential: serde_json::Value,
    /// Scope the tokens to this organization (the user must be a member), as a password
    /// login's `organization_id`.
    pub organization_id: Option<OrganizationId>,
}

/// A step-up's finish with a passkey: the ceremony and the browser's assertion.
#[derive(Debug)]
pub struct PasskeyStepUp {
    pub ceremony_id: Uuid,
    pub credential: serde_json::Value,
}

/// The second step of a password login with a passkey: the `mfa_token` of
/// `/problems/mfa-required` and the browser's assertion.
pub struct MfaPasskeyVerification {
    pub mfa_token: SecretString,
    pub credential: serde_json::Value,
}

impl std::fmt::Debug for MfaPasskeyVerification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaPasskeyVerification").finish_non_exhaustive()
    }
}

impl AuthService {
    /// Starts registering a passkey for the caller.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn start_passkey_registration(&self, caller: &Principal) -> Result<PasskeyCeremony> {
        let user = &caller.user;
        let existing = passkeys::stored_of_user(self.inner.core.db(), user.id).await?;
        let existing: Vec<StoredPasskey> =
            existing.into_iter().map(|stored| StoredPasskey::from_stored(stored.passkey)).collect();
        let started = self
            .relying_party()
            .start_registration(user.id.as_uuid(), user.username.as_ref(), user.username.as_ref(), &existing)
            .map_err(internal)?;
        let ceremony_id = self.store_ceremony(CeremonyPurpose::Register, Some(user.id), None, &started.state).await?;
        Ok(PasskeyCeremony { ceremony_id, options: started.options })
    }

    /// Verifies the browser's answer to a registration the caller started and stores the
    /// passkey under the name given.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn finish_passkey_registration(
        &self,
        caller: &Principal,
        registration: PasskeyRegistration,
        client: &ClientInfo,
    ) -> Result<Passkey> {
        let user = caller.user.id;
        let state = self.spend_ceremony(registration.ceremony_id, CeremonyPurpose::Register, Some(user)).await?;
        let verified = self
            .relying_party()
            .finish_registration(&registration.credential, &CeremonyState::from_stored(state.state))
            .map_err(credential_refused)?;
        let write = Write::begin(&self.inner.core).await?;
        let new = passkeys::NewPasskey {
            user_id: user,
            name: &registration.name,
            credential_id: &verified.credential_id,
            passkey: verified.passkey.as_str(),
            transports: &verified.transports,
            sign_count: verified.sign_count,
            backup_eligible: verified.backup_eligible,
        };
        let passkey = passkeys::insert(write.conn(), new, write.now()).await?;
        let audit = Audit::success(AuditAction::PasskeyRegistered, user, client)
            .target(Target::Passkey(passkey.id))
            .details(json!({ "name": passkey.name.as_str() }));
        write.audit(audit).await?;
        write.commit().await?;
        tracing::info!(passkey_id = %passkey.id, "passkey registered");
        Ok(passkey)
    }

    /// The caller's passkeys, oldest first.
    pub async fn passkeys(&self, caller: &Principal) -> Result<Vec<Passkey>> {
        Ok(passkeys::list(self.inner.core.db(), caller.user.id).await?)
    }

    /// One of the caller's passkeys; another user's is not found.
    pub async fn passkey(&self, caller: &Principal, id: PasskeyId) -> Result<Passkey> {
        passkeys::find(self.inner.core.db(), caller.user.id, id)
            .await?
            .ok_or(ServiceError::NotFound { entity: "passkey" })
    }

    /// Removes one of the caller's passkeys (a sensitive action: see `step_up`); another
    /// user's is not found.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user.id, passkey_id = %id))]
    pub async fn remove_passkey(&self, caller: &Principal, id: PasskeyId, client: &ClientInfo) -> Result<()> {
        let user = caller.user.id;
        // Removing a factor is a sensitive action.
        self.step_up(caller).require().await?;
        let write = Write::begin(&self.inner.core).await?;
        if !passkeys::delete(write.conn(), user, id).await? {
            return Err(ServiceError::NotFound { entity: "passkey" });
        }
        write.audit(Audit::success(AuditAction::PasskeyRemoved, user, client).target(Target::Passkey(id))).await?;
        write.commit().await?;
        tracing::info!("passkey removed");
        Ok(())
    }

    /// Starts a passkey sign-in: for the account `typed` (an email or a username) names (its passkeys are offered),
    /// or without a name for any discoverable credential. A name that finds no account, or
    /// an account without passkeys, gets the options of a discoverable sign-in, which no
    /// passkey of that name can then finish.
    #[tracing::instrument(skip_all)]
    pub async fn start_passkey_login(&self, typed: Option<&str>) -> Result<PasskeyCeremony> {
        let login = typed.map(Login::parse);
        let (user, stored) = match &login {
            Some(login) => match self.find_credentials(login).await? {
                Some(credentials) => {
                    let user = credentials.user.id;
                    let stored = passkeys::stored_of_user(self.inner.core.db(), user).await?;
                    (Some(user), stored.into_iter().map(|stored| StoredPasskey::from_stored(stored.passkey)).collect())
                }
                None => (None, Vec::new()),
            },
            None => (None, Vec::new()),
        };
        let offered = login.as_ref().map(|_| stored.as_slice());
        let started = self.relying_party().start_login(offered).map_err(internal)?;
        let ceremony_id = self.store_ceremony(CeremonyPurpose::Login, user, typed, &started.state).await?;
        Ok(PasskeyCeremony { ceremony_id, options: started.options })
    }

    /// Finishes a passkey sign-in: the usual token pair, for a session whose second factor
    /// the passkey satisfied.
    #[tracing::instrument(skip_all)]
    pub async fn finish_passkey_login(&self, attempt: PasskeyLogin, client: &ClientInfo) -> Result<IssuedTokens> {
        let relying_party = self.relying_party();
        // A malformed assertion is refused before anything is spent or counted.
        let subject = relying_party.assertion_subject(&attempt.credential).map_err(credential_refused)?;
        let ceremony = self.spend_ceremony(attempt.ceremony_id, CeremonyPurpose::Login, None).await?;
        let login = ceremony.login.as_deref().map(Login::parse);
        let account = match &login {
            Some(login) => Attempted::Login(login),
            None => Attempted::DiscoverablePasskey,
        };
        // Before any lookup or signature check: a locked-out attacker costs nothing more.
        let claim = self.inner.throttle.claim(account, client).await?;
        let stored = passkeys::find_by_credential_id(self.inner.core.db(), &subject.credential_id).await?;
        // The passkey must be the named account's (when a name was given) and the user
        // handle the passkey's owner (when the authenticator sent one).
        let stored = stored.filter(|stored| {
            ceremony.user_id.is_none_or(|user| user == stored.user_id)
                && (login.is_none() || ceremony.user_id.is_some())
                && subject.user_handle.is_none_or(|handle| handle == stored.user_id.as_uuid())
        });
        let Some(stored) = stored else {
            self.record_failed_login(login.as_ref(), ceremony.user_id, client, "unknown_passkey").await?;
            self.inner.throttle.failed(claim, ceremony.user_id, client).await?;
            return Err(ServiceError::InvalidCredentials);
        };
        let user_id = stored.user_id;
        let verified = match self.check_assertion(&attempt.credential, ceremony.state, &stored, client).await? {
            Ok(verified) => verified,
            Err(reason) => {
                self.record_failed_login(login.as_ref(), Some(user_id), client, reason).await?;
                self.inner.throttle.failed(claim, Some(user_id), client).await?;
                return Err(ServiceError::InvalidCredentials);
            }
        };
        self.inner.throttle.succeeded(claim).await?;
        let user = users::find_by_id(self.inner.core.db(), user_id).await?.ok_or(ServiceError::InvalidCredentials)?;
        // The assertion was valid: its sign count is kept whatever happens next, so that
        // a replay of an older count is recognized.
        let write = Write::begin(&self.inner.core).await?;
        let updated = verified.updated.as_ref().map(StoredPasskey::as_str);
        passkeys::record_use(write.conn(), stored.id, updated, verified.sign_count, write.now()).await?;
        write.commit().await?;
        // A passkey is a second factor by itself: possession of the device key plus the
        // user verification the authenticator performed.
        let methods = passkey_methods(&verified, false)?;
        tracing::info!(%user_id, passkey_id = %stored.id, "passkey sign-in verified");
        self.open_authenticated_session(user, methods, attempt.organization_id, client).await
    }

    /// Starts the second step of a password login with a passkey: the options for
    /// `navigator.credentials.get()` offering only that user's passkeys. The ceremony is
    /// stored like every other (`webauthn_ceremonies`), bound to the user, and the
    /// `mfa_token`'s challenge points at it (starting again replaces it). The `mfa_token`
    /// is not spent.
    #[tracing::instrument(skip_all)]
    pub async fn start_mfa_passkey(&self, mfa_token: &SecretString, client: &ClientInfo) -> Result<serde_json::Value> {
        let (hash, challenge) = self.live_challenge(mfa_token, client).await?;
        let started = self
            .offer_passkeys(
                challenge.user_id,
                "this account has no passkey: finish the login with a TOTP code or a recovery code",
            )
            .await?;
        let write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        let new = NewCeremony {
            purpose: CeremonyPurpose::SecondFactor,
            user_id: Some(challenge.user_id),
            login: None,
            state: started.state.as_str(),
            expires_at: now + self.inner.policy.passkeys.ceremony_ttl,
        };
        let ceremony = webauthn_ceremonies::insert(write.conn(), new, now).await?;
        if !mfa::set_challenge_ceremony(write.conn(), hash.as_str(), ceremony, now).await? {
            // Spent or expired since it was read.
            return Err(ServiceError::InvalidMfaToken);
        }
        write.commit().await?;
        Ok(started.options)
    }

    /// Finishes a password login with a passkey: the token pair, `amr` `pwd hwk|swk mfa`.
    ///
    /// The `mfa_token` keeps its rules (live, from the same address, spent atomically by
    /// the one verification that wins); the attempt is throttled like a TOTP code
    /// (`Attempted::SecondFactor`) before the passkey is looked up; the passkey must be the
    /// challenged user's; a failure is audited as `mfa.failed` and counted; a sign count
    /// that did not go up is refused and audited as a possible clone, as at sign-in.
    #[tracing::instrument(skip_all)]
    pub async fn finish_mfa_passkey(
        &self,
        verification: MfaPasskeyVerification,
        client: &ClientInfo,
    ) -> Result<IssuedTokens> {
        // A malformed assertion is refused before anything is spent or counted.
        let subject = self.relying_party().assertion_subject(&verification.credential).map_err(credential_refused)?;
        let OpenedChallenge { hash, challenge, user, claim } =
            self.open_challenge(&verification.mfa_token, client).await?;
        let db = self.inner.core.db();
        let ceremony = match mfa::challenge_ceremony(db, hash.as_str(), now()).await? {
            Some(id) => {
                let write = Write::begin(&self.inner.core).await?;
                let spent = webauthn_ceremonies::spend(
                    write.conn(),
                    id,
                    CeremonyPurpose::SecondFactor,
                    Some(user.id),
                    write.now(),
                )
                .await?;
                write.commit().await?;
                spent
            }
            None => None,
        };
        let Some(ceremony) = ceremony else {
            // Not a guess (no ceremony started, or a concurrent finish spent it): nothing is
            // counted (dropping the claim gives its place back).
            drop(claim);
            if mfa::find_challenge(db, hash.as_str(), now()).await?.is_none() {
                return Err(ServiceError::InvalidMfaToken);
            }
            return Err(ServiceError::CeremonyInvalid { field: "mfa_token" });
        };
        let checked = self.check_own_assertion(user.id, &subject, &verification.credential, ceremony.state, client);
        let (stored, verified) = match checked.await? {
            Ok(found) => found,
            Err(reason) => {
                self.audit_mfa_failure(user.id, client, reason).await?;
                self.inner.throttle.failed(claim, Some(user.id), client).await?;
                return Err(ServiceError::InvalidMfaCode { field: "credential" });
            }
        };
        let write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        // The assertion was valid: its sign count is kept whatever happens next.
        let updated = verified.updated.as_ref().map(StoredPasskey::as_str);
        passkeys::record_use(write.conn(), stored.id, updated, verified.sign_count, now).await?;
        let won = mfa::spend_challenge(write.conn(), hash.as_str(), now).await?;
        write.commit().await?;
        if !won {
            // Lost to a concurrent verification of the same token: not judged either way.
            drop(claim);
            return Err(ServiceError::InvalidMfaToken);
        }
        self.inner.throttle.succeeded(claim).await?;
        let methods = passkey_methods(&verified, true)?;
        tracing::info!(user_id = %user.id, passkey_id = %stored.id, "second step with a passkey verified");
        self.open_authenticated_session(user, methods, challenge.organization_id, client).await
    }

    /// Starts a step-up of the caller's session with a passkey (the way a user whose only
    /// second factor is a passkey steps up): the options for `navigator.credentials.get()`
    /// offering the caller's passkeys, in a ceremony bound to the caller. No passkey:
    /// [`ServiceError::StateConflict`].
    #[tracing::instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn start_step_up_passkey(&self, caller: &Principal) -> Result<PasskeyCeremony> {
        let user = &caller.user;
        let started = self
            .offer_passkeys(
                user.id,
                "this account has no passkey: step up with the password (and a TOTP code) at POST /api/v1/auth/step-up",
            )
            .await?;
        let ceremony_id = self.store_ceremony(CeremonyPurpose::StepUp, Some(user.id), None, &started.state).await?;
        Ok(PasskeyCeremony { ceremony_id, options: started.options })
    }

    /// Finishes a step-up with a passkey: the session's `amr` becomes `hwk|swk mfa` (a
    /// passkey is a second factor by itself) and `auth_time` now, as
    /// [`Self::step_up_session`] does with a password and a code. Throttled like a TOTP
    /// code (`Attempted::SecondFactor`) before the ceremony is spent or the passkey looked
    /// up; the passkey must be the caller's; a failure is audited as
    /// `session.step_up_failed` and counted; a sign count that did not go up is refused and
    /// audited as a possible clone.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user.id, session_id = %caller.session_id))]
    pub async fn finish_step_up_passkey(
        &self,
        caller: &Principal,
        attempt: PasskeyStepUp,
        client: &ClientInfo,
    ) -> Result<IssuedTokens> {
        // A malformed assertion is refused before anything is spent or counted.
        let subject = self.relying_party().assertion_subject(&attempt.credential).map_err(credential_refused)?;
        let user = &caller.user;
        // Before any lookup or signature check: a locked-out guesser costs nothing. An
        // unknown or spent ceremony is no guess (the `?` drops the claim, giving its place
        // back).
        let claim = self.inner.throttle.claim(Attempted::SecondFactor(user.id), client).await?;
        let ceremony = self.spend_ceremony(attempt.ceremony_id, CeremonyPurpose::StepUp, Some(user.id)).await?;
        let checked = self.check_own_assertion(user.id, &subject, &attempt.credential, ceremony.state, client);
        let (stored, verified) = match checked.await? {
            Ok(found) => found,
            Err(reason) => {
                self.audit_step_up_failure(user.id, client, reason).await?;
                self.inner.throttle.failed(claim, Some(user.id), client).await?;
                return Err(ServiceError::InvalidMfaCode { field: "credential" });
            }
        };
        // The assertion was valid: its sign count is kept whatever happens next (a session
        // revoked meanwhile included).
        let write = Write::begin(&self.inner.core).await?;
        let updated = verified.updated.as_ref().map(StoredPasskey::as_str);
        passkeys::record_use(write.conn(), stored.id, updated, verified.sign_count, write.now()).await?;
        write.commit().await?;
        let methods = passkey_methods(&verified, false)?;
        let write = Write::begin(&self.inner.core).await?;
        self.renew_session(write, caller, methods, Some(claim), client).await
    }

    /// The options of a ceremony offering only `user`'s passkeys (a second step or a
    /// step-up); a user without one is a [`ServiceError::StateConflict`] saying `none`.
    async fn offer_passkeys(&self, user: UserId, none: &str) -> Result<Started> {
        let stored = passkeys::stored_of_user(self.inner.core.db(), user).await?;
        if stored.is_empty() {
            return Err(ServiceError::StateConflict(none.to_owned()));
        }
        let stored: Vec<StoredPasskey> =
            stored.into_iter().map(|stored| StoredPasskey::from_stored(stored.passkey)).collect();
        self.relying_party().start_login(Some(&stored)).map_err(internal)
    }

    /// Verifies an assertion that must be made with one of `user`'s own passkeys (its
    /// credential theirs, and its user handle, if any, theirs): the passkey and the
    /// verified assertion, or the reason to audit (`unknown_passkey` or
    /// [`Self::check_assertion`]'s).
    async fn check_own_assertion(
        &self,
        user: UserId,
        subject: &AssertionSubject,
        credential: &serde_json::Value,
        state: String,
        client: &ClientInfo,
    ) -> Result<std::result::Result<(passkeys::StoredPasskey, VerifiedAssertion), &'static str>> {
        let stored =
            passkeys::find_by_credential_id(self.inner.core.db(), &subject.credential_id).await?.filter(|stored| {
                stored.user_id == user && subject.user_handle.is_none_or(|handle| handle == user.as_uuid())
            });
        let Some(stored) = stored else {
            return Ok(Err("unknown_passkey"));
        };
        Ok(self.check_assertion(credential, state, &stored, client).await?.map(|verified| (stored, verified)))
    }

    /// Verifies an assertion against a spent ceremony's state and the stored passkey it
    /// names. A refusal answers the reason to audit; a sign count that did not go up is
    /// audited here as `passkey.clone_suspected` (both the sign-in and the second step).
    async fn check_assertion(
        &self,
        credential: &serde_json::Value,
        state: String,
        stored: &passkeys::StoredPasskey,
        client: &ClientInfo,
    ) -> Result<std::result::Result<VerifiedAssertion, &'static str>> {
        let user_id = stored.user_id;
        let verified = self.relying_party().finish_login(
            credential,
            &CeremonyState::from_stored(state),
            &StoredPasskey::from_stored(stored.passkey.clone()),
        );
        match verified {
            Ok(verified) => Ok(Ok(verified)),
            Err(PasskeyError::PossibleClone) => {
                let write = Write::begin(&self.inner.core).await?;
                let audit = Audit::failure(AuditAction::PasskeyCloneSuspected, Some(user_id), client)
                    .target(Target::Passkey(stored.id))
                    .details(json!({ "reason": "sign_count_not_increased" }));
                write.audit(audit).await?;
                write.commit().await?;
                tracing::warn!(%user_id, passkey_id = %stored.id, "passkey sign count did not go up: possible clone");
                metrics::counter!("authdb_passkey_clone_suspected_total").increment(1);
                Ok(Err("passkey_clone_suspected"))
            }
            Err(error) => {
                tracing::info!(error = %error, "passkey assertion refused");
                Ok(Err("passkey_refused"))
            }
        }
    }

    fn relying_party(&self) -> &RelyingParty {
        &self.inner.policy.passkeys.relying_party
    }

    async fn store_ceremony(
        &self,
        purpose: CeremonyPurpose,
        user: Option<UserId>,
        login: Option<&str>,
        state: &CeremonyState,
    ) -> Result<Uuid> {
        let write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        let new = NewCeremony {
            purpose,
            user_id: user,
            login,
            state: state.as_str(),
            expires_at: now + self.inner.policy.passkeys.ceremony_ttl,
        };
        let id = webauthn_ceremonies::insert(write.conn(), new, now).await?;
        write.commit().await?;
        Ok(id)
    }

    /// Spends a ceremony: unknown, expired, already spent, of another purpose or (for a
    /// registration) another user's are all [`ServiceError::CeremonyInvalid`].
    async fn spend_ceremony(
        &self,
        id: Uuid,
        purpose: CeremonyPurpose,
        user: Option<UserId>,
    ) -> Result<webauthn_ceremonies::SpentCeremony> {
        let write = Write::begin(&self.inner.core).await?;
        let spent = webauthn_ceremonies::spend(write.conn(), id, purpose, user, write.now()).await?;
        write.commit().await?;
        spent.ok_or(ServiceError::CeremonyInvalid { field: "ceremony_id" })
    }
}

/// The `amr` of a verified passkey, after a password or alone: `hwk` for a device-bound
/// key, `swk` for a synced (backup-eligible) one, and `mfa` (a passkey is a second factor
/// by itself).
fn passkey_methods(verified: &VerifiedAssertion, after_password: bool) -> Result<AuthMethods> {
    let key = if verified.backup_eligible { AuthMethod::Swk } else { AuthMethod::Hwk };
    let methods = match after_password {
        true => vec![AuthMethod::Pwd, key, AuthMethod::Mfa],
        false => vec![key, AuthMethod::Mfa],
    };
    AuthMethods::new(methods)
        .ok_or_else(|| ServiceError::Internal("a passkey's authentication methods are never empty".into()))
}

/// A browser answer that is malformed or does not verify: the `credential` field is wrong.
fn credential_refused(error: PasskeyError) -> ServiceError {
    match error {
        PasskeyError::Corrupt(_) => internal(error),
        other => {
            tracing::info!(error = %other, "passkey credential refused");
            let message = match other {
                PasskeyError::Malformed(_) => "is not a WebAuthn credential of the expected shape",
                _ => "did not verify against the ceremony (challenge, origin, signature or user verification)",
            };
            ServiceError::Invalid(vec![authdb_domain::Violation::new("credential", message)])
        }
    }
}

fn internal(error: PasskeyError) -> ServiceError {
    ServiceError::Internal(Box::new(error))
}
