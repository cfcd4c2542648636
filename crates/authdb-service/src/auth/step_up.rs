//! Step-up: the rule every sensitive action checks ([`StepUp`]), and renewing the current
//! session's authentication without a new login (`POST /auth/step-up`).
//!
//! A sensitive action (changing the password or the email, removing a factor,
//! regenerating recovery codes, removing a passkey, deleting an organization, granting
//! or taking away the owner role) needs the caller's session to have authenticated within
//! `auth.step_up_max_age_secs`, and with a second factor (`amr` holds `mfa`) when the user
//! has one now. The `amr` and `auth_time` judged are the verified access token's: the
//! proof travels with the token the client holds, so a step-up helps only the tokens it
//! answered (and those refreshed from them), never another copy of an older access token
//! of the same session; and judging them costs no cache and no read unless the token is
//! single-factor. Whether the user has a second factor is read from the database, so a
//! factor enrolled after the login counts at once.

use std::fmt;

use authdb_auth::OpaqueToken;
use authdb_domain::{AuditAction, AuthMethods, SessionAuthentication, UserId};
use authdb_persistence::{mfa, now, sessions};
use secrecy::SecretString;
use serde_json::json;
use time::Duration;

use super::{
    AuthService, IssuedTokens,
    mfa::{Accepted, SecondFactorProof, record_recovery_code_use, second_factor_methods},
};
use crate::{
    ClientInfo, Core, Principal, Result, ServiceError,
    audit::{Audit, Target},
    login_throttle::{Attempted, Claim},
    write::Write,
};

/// How far in the future an `auth_time` may lie (another instance's clock running ahead)
/// and still count as recent.
const CLOCK_SKEW_SECS: i64 = 60;

/// The caller's authentication as a sensitive action judges it: the `amr` and `auth_time`
/// of the verified access token, and the rule (`auth.step_up_max_age_secs`). Only
/// [`AuthService::step_up`] makes one; a sensitive use case of another service takes it
/// as a parameter and calls `require_for` (crate-private), so it cannot be skipped.
#[derive(Clone)]
pub struct StepUp {
    core: Core,
    user: UserId,
    methods: AuthMethods,
    /// Unix seconds.
    auth_time: i64,
    max_age: Duration,
}

impl fmt::Debug for StepUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StepUp")
            .field("user", &self.user)
            .field("amr", &self.methods.to_column())
            .field("auth_time", &self.auth_time)
            .finish_non_exhaustive()
    }
}

impl StepUp {
    /// Fails with [`ServiceError::StepUpRequired`] unless the session authenticated within
    /// the maximum age, with a second factor when the user has one. Reads the user's
    /// factors only when the token's `amr` is single-factor (or to name the methods in a
    /// refusal).
    pub(crate) async fn require(&self) -> Result<()> {
        let max_age_secs = self.max_age.whole_seconds();
        let age = now().unix_timestamp() - self.auth_time;
        let recent = (-CLOCK_SKEW_SECS..=max_age_secs).contains(&age);
        if recent && self.methods.is_multi_factor() {
            return Ok(());
        }
        let factors = second_factor_methods(self.core.db(), self.user).await?;
        if recent && factors.is_empty() {
            return Ok(());
        }
        let methods = if factors.is_empty() { vec!["password"] } else { factors };
        Err(ServiceError::StepUpRequired { max_age_secs: u64::try_from(max_age_secs).unwrap_or(0), methods })
    }

    /// [`Self::require`] for an action of `user` (the caller's membership): a `StepUp` of
    /// anyone else is refused.
    pub(crate) async fn require_for(&self, user: UserId) -> Result<()> {
        if user != self.user {
            return Err(ServiceError::Internal("a step-up was checked for another user than the caller".into()));
        }
        self.require().await
    }
}

/// What the caller proves to step up: the password, and a second factor when the account
/// has one.
pub struct StepUpAttempt {
    pub password: SecretString,
    pub proof: Option<SecondFactorProof>,
}

impl fmt::Debug for StepUpAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StepUpAttempt").field("proof", &self.proof).finish_non_exhaustive()
    }
}

impl AuthService {
    /// The step-up rule for `principal`'s access token (no I/O).
    pub fn step_up(&self, principal: &Principal) -> StepUp {
        StepUp {
            core: self.inner.core.clone(),
            user: principal.user.id,
            methods: principal.claims.methods(),
            auth_time: principal.claims.auth_time(),
            max_age: self.inner.policy.step_up_max_age,
        }
    }

    /// Renews the caller's session's authentication: the password (throttled like a
    /// password change, before it is compared) and, when the account has a TOTP factor, a
    /// code or a recovery code (throttled like the login's second step; a code is accepted
    /// once, a recovery code is spent, audited and mailed). The session's `amr` and
    /// `auth_time` become the new ones (kept by refresh), its older refresh tokens are
    /// revoked, and a new token pair is answered. Audited as `session.stepped_up`.
    ///
    /// A user whose second factors do not include TOTP (a passkey only) cannot step up
    /// here: [`ServiceError::StepUpRequired`] names their methods, and
    /// [`Self::start_step_up_passkey`] is their way.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id, session_id = %principal.session_id))]
    pub async fn step_up_session(
        &self,
        principal: &Principal,
        attempt: StepUpAttempt,
        client: &ClientInfo,
    ) -> Result<IssuedTokens> {
        let user = &principal.user;
        let factors = second_factor_methods(self.inner.core.db(), user.id).await?;
        match (&attempt.proof, factors.is_empty(), factors.contains(&"totp")) {
            (None, true, _) | (Some(_), false, true) => {}
            (Some(_), true, _) => return Err(ServiceError::MfaNotEnabled),
            (None, false, true) => {
                return Err(ServiceError::Invalid(vec![authdb_domain::Violation::new(
                    "code",
                    "this account has a second factor: give `code` or `recovery_code` with the password",
                )]));
            }
            (_, false, false) => {
                let max_age_secs = u64::try_from(self.inner.policy.step_up_max_age.whole_seconds()).unwrap_or(0);
                return Err(ServiceError::StepUpRequired { max_age_secs, methods: factors });
            }
        }
        if let Err(error) = self.check_current_password(user.id, &attempt.password, client).await {
            if matches!(error, ServiceError::WrongPassword) {
                self.audit_step_up_failure(user.id, client, "wrong_password").await?;
            }
            return Err(error);
        }
        // The second factor, before any comparison: a locked-out guesser costs nothing.
        let checked = match &attempt.proof {
            Some(proof) => {
                let claim = self.inner.throttle.claim(Attempted::SecondFactor(user.id), client).await?;
                let Some(accepted) = self.check_proof(user.id, proof, false).await? else {
                    // A current code already accepted is refused (single use) but proves
                    // knowledge of the code, so it is no guess: it counts toward no lockout
                    // (16 concurrent step-ups with one code must not lock the user out).
                    if let SecondFactorProof::Totp(code) = proof
                        && self.is_replayed_totp(user.id, code).await?
                    {
                        drop(claim);
                        self.audit_step_up_failure(user.id, client, "replayed_code").await?;
                        return Err(ServiceError::InvalidMfaCode { field: proof.field() });
                    }
                    self.audit_step_up_failure(user.id, client, "wrong_code").await?;
                    self.inner.throttle.failed(claim, Some(user.id), client).await?;
                    return Err(ServiceError::InvalidMfaCode { field: proof.field() });
                };
                Some((accepted, claim, proof.field()))
            }
            None => None,
        };
        let methods = if checked.is_some() { AuthMethods::password_and_otp() } else { AuthMethods::password() };
        let mut write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        let claim = match checked {
            Some((accepted, claim, field)) => {
                let spent = match &accepted {
                    Accepted::Step { step, reseal } => {
                        let spent = mfa::accept_step(write.conn(), user.id, *step, false, now).await?;
                        // A secret sealed under an older key moves to the current one.
                        if let (true, Some((old, new))) = (spent, reseal) {
                            mfa::reseal_totp(write.conn(), user.id, old, new).await?;
                        }
                        spent
                    }
                    Accepted::RecoveryCode(hash) => mfa::spend_recovery_code(write.conn(), user.id, hash, now).await?,
                };
                if !spent {
                    drop(write);
                    match accepted {
                        // A recovery code that is not there unused is wrong.
                        Accepted::RecoveryCode(_) => {
                            self.audit_step_up_failure(user.id, client, "wrong_code").await?;
                            self.inner.throttle.failed(claim, Some(user.id), client).await?;
                        }
                        // A TOTP code was right when it was checked and has been accepted
                        // since, by a concurrent request: a lost race, not a guess, so it
                        // counts toward no lockout (dropping the claim gives its place back).
                        Accepted::Step { .. } => drop(claim),
                    }
                    return Err(ServiceError::InvalidMfaCode { field });
                }
                if let Accepted::RecoveryCode(_) = accepted {
                    record_recovery_code_use(&mut write, user, client).await?;
                }
                Some(claim)
            }
            None => None,
        };
        self.renew_session(write, principal, methods, claim, client).await
    }

    /// The end of every step-up, in the write the proof was spent in: the session's `amr`
    /// and `auth_time` become `methods` and now (its older refresh tokens revoked), a new
    /// refresh token and access token are issued, `session.stepped_up` is audited, and the
    /// throttle's claim (when the proof was throttled) is settled as a success.
    pub(super) async fn renew_session(
        &self,
        write: Write<'_>,
        principal: &Principal,
        methods: AuthMethods,
        claim: Option<Claim>,
        client: &ClientInfo,
    ) -> Result<IssuedTokens> {
        let user = &principal.user;
        let now = write.now();
        let authentication = SessionAuthentication { methods, auth_time: now };
        let Some(session) = sessions::step_up(write.conn(), principal.session_id, &authentication, now).await? else {
            // Revoked since the token was checked.
            return Err(ServiceError::InvalidAccessToken);
        };
        let refresh = OpaqueToken::generate()?;
        sessions::insert_refresh_token(
            write.conn(),
            principal.session_id,
            refresh.hash().as_str(),
            None,
            now,
            session.expires_at,
        )
        .await?;
        let scope = match session.organization_id {
            Some(organization) => self.scope(write.conn(), user.id, organization).await?,
            None => None,
        };
        let stepped_up = Audit::success(AuditAction::SessionSteppedUp, user.id, client)
            .target(Target::Session(principal.session_id))
            .details(json!({ "amr": authentication.methods }));
        write.audit(stepped_up).await?;
        write.commit().await?;
        if let Some(claim) = claim {
            self.inner.throttle.succeeded(claim).await?;
        }
        tracing::info!(amr = %authentication.methods.to_column(), "session stepped up");
        let access =
            self.inner.keys.issue_scoped(user.id, principal.session_id, scope.as_ref(), &authentication, now)?;
        Ok(IssuedTokens { user: user.clone(), access, refresh })
    }

    pub(super) async fn audit_step_up_failure(&self, user: UserId, client: &ClientInfo, reason: &str) -> Result<()> {
        let write = Write::begin(&self.inner.core).await?;
        let failed =
            Audit::failure(AuditAction::SessionStepUpFailed, Some(user), client).details(json!({ "reason": reason }));
        write.audit(failed).await?;
        write.commit().await?;
        tracing::info!(reason, "step-up refused");
        Ok(())
    }
}
