//! Second factors: TOTP enrolment (start, confirm with a first code, disable), recovery
//! codes (hashed, single use, regenerated), and the login's second step
//! (`POST /auth/mfa/verify` with the `mfa_token` a right password got).
//!
//! Codes are throttled like passwords (`Attempted::SecondFactor`, per account and
//! address, before any comparison), a TOTP step is accepted once (`mfa_totp.last_step`),
//! and the `mfa_token` is spent atomically, so of concurrent verifications one wins.

use std::fmt;

use authdb_auth::{
    OpaqueToken, OpenedSecret, PasswordHash, TokenHash, TotpSecret, generate_recovery_codes, normalize_recovery_code,
};
use authdb_domain::{AuditAction, AuthMethods, OrganizationId, User, UserId};
use authdb_persistence::{
    ConnectionTrait,
    mfa::{self, Challenge},
    now, passkeys, users,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use time::Duration;

use super::{AuthService, IssuedTokens};
use crate::{
    ClientInfo, Principal, Result, ServiceError,
    audit::{Audit, Target},
    login_throttle::{Attempted, Claim},
    mail_templates::Message,
    write::Write,
};

/// How many TOTP secrets [`AuthService::check_mfa_keys`] reads at a time.
pub const MFA_KEY_CHECK_PAGE: u64 = 500;

/// What [`AuthService::check_mfa_keys`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfaKeyCheck {
    /// TOTP secrets stored (pending enrolments included).
    pub checked: usize,
    /// Of those, how many open with no configured key.
    pub unopened: usize,
    /// Of those, how many opened only with an older key and are now sealed under the
    /// current one.
    pub resealed: usize,
}

/// How long an `mfa_token` works.
pub(crate) const MFA_TOKEN_TTL: Duration = Duration::minutes(5);
/// The `issuer` of the `otpauth://` URI (what authenticator apps show).
const TOTP_ISSUER: &str = "authdb";

/// A started TOTP enrolment: shown once, to be confirmed with a first code.
pub struct TotpEnrolment {
    /// The secret in base32.
    pub secret: SecretString,
    /// The `otpauth://totp/...` URI.
    pub otpauth_uri: SecretString,
    /// The same URI as an SVG QR code.
    pub qr_svg: String,
}

impl fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpEnrolment(<redacted>)")
    }
}

/// The proof offered for a second factor.
pub enum SecondFactorProof {
    /// A TOTP code.
    Totp(String),
    /// One of the recovery codes.
    RecoveryCode(SecretString),
}

impl fmt::Debug for SecondFactorProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Totp(_) => "Totp(<redacted>)",
            Self::RecoveryCode(_) => "RecoveryCode(<redacted>)",
        })
    }
}

/// The login's second step: the `mfa_token` and a proof.
#[derive(Debug)]
pub struct MfaVerification {
    pub mfa_token: SecretString,
    pub proof: SecondFactorProof,
}

impl AuthService {
    /// The second-factor methods `user` can finish a login with, as named in
    /// `/problems/mfa-required`: `totp` and `recovery_code` for a confirmed TOTP factor,
    /// `webauthn` for a registered passkey. Empty when the user has none, so the password
    /// alone signs in. Registering a passkey therefore makes a password login ask for a
    /// second step (a passkey, or TOTP when the user has that too), as Zitadel and Keycloak
    /// do: the account's strongest factor is not bypassed by its weakest.
    pub async fn second_factor_methods(&self, user: UserId) -> Result<Vec<&'static str>> {
        second_factor_methods(self.inner.core.db(), user).await
    }

    /// The opening every second step shares (a code or a passkey): the `mfa_token`'s
    /// challenge, live and from the address it was issued to (otherwise
    /// [`ServiceError::InvalidMfaToken`]), its user, and the second-factor throttle's claim
    /// taken before any comparison work, so a locked-out guesser costs nothing.
    pub(super) async fn open_challenge(
        &self,
        mfa_token: &SecretString,
        client: &ClientInfo,
    ) -> Result<OpenedChallenge> {
        let (hash, challenge) = self.live_challenge(mfa_token, client).await?;
        let db = self.inner.core.db();
        let user = users::find_by_id(db, challenge.user_id).await?.ok_or(ServiceError::InvalidMfaToken)?;
        let claim = self.inner.throttle.claim(Attempted::SecondFactor(user.id), client).await?;
        Ok(OpenedChallenge { hash, challenge, user, claim })
    }

    /// The `mfa_token`'s challenge (and the token's hash), live and from the address it
    /// was issued to, else [`ServiceError::InvalidMfaToken`]: what a step that compares
    /// nothing (offering the passkeys) needs.
    pub(super) async fn live_challenge(
        &self,
        mfa_token: &SecretString,
        client: &ClientInfo,
    ) -> Result<(TokenHash, Challenge)> {
        let hash = TokenHash::of(mfa_token.expose_secret());
        let db = self.inner.core.db();
        let challenge = mfa::find_challenge(db, hash.as_str(), now()).await?.ok_or(ServiceError::InvalidMfaToken)?;
        if challenge.ip != client.ip {
            return Err(ServiceError::InvalidMfaToken);
        }
        Ok((hash, challenge))
    }

    /// Whether `user` has any second factor.
    pub async fn has_second_factor(&self, user: UserId) -> Result<bool> {
        Ok(!self.second_factor_methods(user).await?.is_empty())
    }

    /// A login whose password was right, for a user with a second factor: records a
    /// challenge bound to the login (its organization and the client's address) and
    /// answers [`ServiceError::MfaRequired`] with its token.
    pub(super) async fn challenge(
        &self,
        user: &User,
        organization_id: Option<OrganizationId>,
        methods: Vec<&'static str>,
        client: &ClientInfo,
    ) -> Result<IssuedTokens> {
        let token = OpaqueToken::generate()?;
        let challenge = Challenge { user_id: user.id, organization_id, ip: client.ip.clone() };
        let write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        mfa::insert_challenge(write.conn(), token.hash().as_str(), &challenge, now, now + MFA_TOKEN_TTL).await?;
        write.commit().await?;
        tracing::info!(user_id = %user.id, "password right; second factor required");
        Err(ServiceError::MfaRequired { mfa_token: token.into_string(), methods })
    }

    /// Finishes a login with its second factor: the token pair, `amr` `pwd otp mfa`.
    ///
    /// The challenge must be live and from the same address; the code is throttled like a
    /// password before it is compared; a TOTP step is accepted once; the challenge is
    /// spent atomically (of concurrent verifications exactly one signs in). A recovery
    /// code is spent, audited and mailed as a notice.
    #[tracing::instrument(skip_all)]
    pub async fn verify_mfa(&self, verification: MfaVerification, client: &ClientInfo) -> Result<IssuedTokens> {
        let OpenedChallenge { hash, challenge, user, claim } =
            self.open_challenge(&verification.mfa_token, client).await?;
        let db = self.inner.core.db();
        let accepted = self.check_proof(user.id, &verification.proof, false).await?;
        let Some(accepted) = accepted else {
            // A concurrent verification of this token may have won with this very code:
            // losing that race is no guess, and must not count toward a lockout.
            if mfa::find_challenge(db, hash.as_str(), now()).await?.is_none() {
                drop(claim);
                return Err(ServiceError::InvalidMfaToken);
            }
            let field = verification.proof.field();
            self.audit_mfa_failure(user.id, client, "wrong_code").await?;
            self.inner.throttle.failed(claim, Some(user.id), client).await?;
            return Err(ServiceError::InvalidMfaCode { field });
        };
        let mut write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        if !mfa::spend_challenge(write.conn(), hash.as_str(), now).await? {
            // Lost to a concurrent verification: not judged either way (dropping the claim
            // gives its place back).
            drop(write);
            drop(claim);
            return Err(ServiceError::InvalidMfaToken);
        }
        let replayed = match &accepted {
            Accepted::Step { step, reseal } => {
                let replayed = !mfa::accept_step(write.conn(), user.id, *step, false, now).await?;
                // A secret sealed under an older key moves to the current one.
                if let (false, Some((old, new))) = (replayed, reseal)
                    && mfa::reseal_totp(write.conn(), user.id, old, new).await?
                {
                    tracing::info!(user_id = %user.id, "TOTP secret sealed again under the current key");
                }
                replayed
            }
            Accepted::RecoveryCode(code_hash) => {
                !mfa::spend_recovery_code(write.conn(), user.id, code_hash, now).await?
            }
        };
        if replayed {
            drop(write);
            self.audit_mfa_failure(user.id, client, "replayed_code").await?;
            self.inner.throttle.failed(claim, Some(user.id), client).await?;
            return Err(ServiceError::InvalidMfaCode { field: verification.proof.field() });
        }
        if let Accepted::RecoveryCode(_) = accepted {
            record_recovery_code_use(&mut write, &user, client).await?;
        }
        write.commit().await?;
        self.inner.throttle.succeeded(claim).await?;
        self.open_authenticated_session(user, AuthMethods::password_and_otp(), challenge.organization_id, client).await
    }

    /// Starts (or restarts) a TOTP enrolment for the caller, after their password: a new
    /// secret, pending until [`Self::confirm_totp`].
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn start_totp(
        &self,
        principal: &Principal,
        password: SecretString,
        client: &ClientInfo,
    ) -> Result<TotpEnrolment> {
        let user = &principal.user;
        self.check_current_password(user.id, &password, client).await?;
        let secret = TotpSecret::generate()?;
        let sealed = self.inner.mfa_key.seal(user.id.as_uuid(), &secret)?;
        let write = Write::begin(&self.inner.core).await?;
        if !mfa::start_totp(write.conn(), user.id, &sealed, write.now()).await? {
            return Err(ServiceError::MfaAlreadyEnabled);
        }
        write.commit().await?;
        let otpauth_uri = secret.otpauth_uri(TOTP_ISSUER, user.email.as_str());
        let qr_svg = qr_svg(otpauth_uri.expose_secret())?;
        Ok(TotpEnrolment { secret: secret.to_base32(), otpauth_uri, qr_svg })
    }

    /// Confirms the caller's pending TOTP enrolment with a first code, and answers the 10
    /// recovery codes (shown once; stored hashed).
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn confirm_totp(
        &self,
        principal: &Principal,
        code: &str,
        client: &ClientInfo,
    ) -> Result<Vec<SecretString>> {
        let user = principal.user.id;
        let claim = self.inner.throttle.claim(Attempted::SecondFactor(user), client).await?;
        let Some(Accepted::Step { step, .. }) =
            self.check_proof(user, &SecondFactorProof::Totp(code.to_owned()), true).await?
        else {
            self.inner.throttle.failed(claim, Some(user), client).await?;
            return Err(ServiceError::InvalidMfaCode { field: "code" });
        };
        let codes = generate_recovery_codes()?;
        let hashes: Vec<String> = codes.iter().map(recovery_hash).collect();
        let write = Write::begin(&self.inner.core).await?;
        let now = write.now();
        if !mfa::accept_step(write.conn(), user, step, true, now).await? {
            drop(write);
            self.inner.throttle.failed(claim, Some(user), client).await?;
            return Err(ServiceError::MfaNotEnabled);
        }
        mfa::replace_recovery_codes(write.conn(), user, &hashes, now).await?;
        write.audit(Audit::success(AuditAction::MfaEnabled, user, client)).await?;
        write.commit().await?;
        self.inner.throttle.succeeded(claim).await?;
        tracing::info!("TOTP factor enabled");
        Ok(codes)
    }

    /// Removes the caller's TOTP factor and recovery codes, after their password and a
    /// current code; a sensitive action (a recent multi-factor session: see `step_up`).
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn disable_totp(
        &self,
        principal: &Principal,
        password: SecretString,
        code: &str,
        client: &ClientInfo,
    ) -> Result<()> {
        let user = principal.user.id;
        self.step_up(principal).require().await?;
        self.check_current_password(user, &password, client).await?;
        if !mfa::has_confirmed_totp(self.inner.core.db(), user).await? {
            return Err(ServiceError::MfaNotEnabled);
        }
        let claim = self.inner.throttle.claim(Attempted::SecondFactor(user), client).await?;
        let Some(Accepted::Step { step, .. }) =
            self.check_proof(user, &SecondFactorProof::Totp(code.to_owned()), false).await?
        else {
            self.inner.throttle.failed(claim, Some(user), client).await?;
            return Err(ServiceError::InvalidMfaCode { field: "code" });
        };
        let write = Write::begin(&self.inner.core).await?;
        if !mfa::accept_step(write.conn(), user, step, false, write.now()).await? {
            drop(write);
            self.inner.throttle.failed(claim, Some(user), client).await?;
            return Err(ServiceError::InvalidMfaCode { field: "code" });
        }
        mfa::remove_all(write.conn(), user).await?;
        write.audit(Audit::success(AuditAction::MfaDisabled, user, client)).await?;
        write.commit().await?;
        self.inner.throttle.succeeded(claim).await?;
        tracing::info!("TOTP factor disabled");
        Ok(())
    }

    /// Replaces the caller's recovery codes with 10 new ones (after their password); the
    /// old ones stop working. A sensitive action (see `step_up`).
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn regenerate_recovery_codes(
        &self,
        principal: &Principal,
        password: SecretString,
        client: &ClientInfo,
    ) -> Result<Vec<SecretString>> {
        let user = principal.user.id;
        self.step_up(principal).require().await?;
        self.check_current_password(user, &password, client).await?;
        if !mfa::has_confirmed_totp(self.inner.core.db(), user).await? {
            return Err(ServiceError::MfaNotEnabled);
        }
        let codes = generate_recovery_codes()?;
        let hashes: Vec<String> = codes.iter().map(recovery_hash).collect();
        let write = Write::begin(&self.inner.core).await?;
        mfa::replace_recovery_codes(write.conn(), user, &hashes, write.now()).await?;
        write.audit(Audit::success(AuditAction::MfaRecoveryCodesRegenerated, user, client)).await?;
        write.commit().await?;
        Ok(codes)
    }

    /// A superuser removes every second factor of `user`: the TOTP factor, its recovery
    /// codes and the passkeys (audited as `mfa.reset`). `false`: it had none.
    #[tracing::instrument(skip_all, fields(user_id = %user))]
    pub async fn reset_mfa(&self, admin: &Principal, user: UserId, client: &ClientInfo) -> Result<bool> {
        if !admin.user.is_superuser {
            return Err(ServiceError::Forbidden("platform administration needs a superuser".into()));
        }
        if users::find_by_id(self.inner.core.db(), user).await?.is_none() {
            return Err(ServiceError::NotFound { entity: "user" });
        }
        let write = Write::begin(&self.inner.core).await?;
        let had_totp = mfa::remove_all(write.conn(), user).await?;
        let passkeys_removed = passkeys::delete_all(write.conn(), user).await?;
        let reset = Audit::success(AuditAction::MfaReset, admin.user.id, client)
            .target(Target::User(user))
            .details(json!({ "had_totp": had_totp, "passkeys_removed": passkeys_removed }));
        write.audit(reset).await?;
        write.commit().await?;
        tracing::info!(had_totp, passkeys_removed, "second factors reset by a superuser");
        Ok(had_totp || passkeys_removed > 0)
    }

    /// Checks a proof against `user`'s factor (a pending one when `pending`), without
    /// spending anything: the step a TOTP code matched, or the hash of a recovery code
    /// that exists unused. `None`: wrong.
    pub(super) async fn check_proof(
        &self,
        user: UserId,
        proof: &SecondFactorProof,
        pending: bool,
    ) -> Result<Option<Accepted>> {
        let db = self.inner.core.db();
        let Some(totp) = mfa::find_totp(db, user).await? else {
            return Ok(None);
        };
        if totp.confirmed_at.is_some() == pending {
            return Ok(None);
        }
        match proof {
            SecondFactorProof::Totp(code) => {
                let opened = self.open_totp(user, &totp.secret_sealed)?;
                let step = opened.secret.matching_step(code.trim(), now().unix_timestamp());
                let Some(step) = step.filter(|step| totp.last_step.is_none_or(|last| *step > last)) else {
                    return Ok(None);
                };
                let reseal = match opened.stale {
                    true => Some((totp.secret_sealed, self.inner.mfa_key.seal(user.as_uuid(), &opened.secret)?)),
                    false => None,
                };
                Ok(Some(Accepted::Step { step, reseal }))
            }
            SecondFactorProof::RecoveryCode(code) => Ok(Some(Accepted::RecoveryCode(recovery_hash(code)))),
        }
    }

    /// Opens `user`'s sealed TOTP secret with the configured keys. None opening it is the
    /// operator's problem (a changed `auth.mfa_encryption_key`), not a wrong code:
    /// [`ServiceError::MfaKeyMismatch`], logged as an error naming the setting.
    fn open_totp(&self, user: UserId, sealed: &str) -> Result<OpenedSecret> {
        self.inner.mfa_key.open(user.as_uuid(), sealed).map_err(|_| {
            tracing::error!(
                %user,
                "a TOTP secret opens with no configured key: auth.mfa_encryption_key (or \
                 auth.mfa_encryption_key_previous) is not the key it was sealed with"
            );
            ServiceError::MfaKeyMismatch
        })
    }

    /// Walks every stored TOTP secret (in pages of [`MFA_KEY_CHECK_PAGE`]): counts those
    /// no configured key opens, and seals again under the current key those only an older
    /// key opens (each with a conditional update, so a concurrent change wins). What the
    /// server runs at start: a wrong `auth.mfa_encryption_key` is refused before anyone
    /// signs in, and after a key change no secret is left under the old key (so the server
    /// secret, from which the default key is derived, can then be rotated too).
    pub async fn check_mfa_keys(&self) -> Result<MfaKeyCheck> {
        let mut check = MfaKeyCheck { checked: 0, unopened: 0, resealed: 0 };
        let mut after = None;
        loop {
            let page = mfa::sealed_totp_page(self.inner.core.db(), after, MFA_KEY_CHECK_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.user_id);
            check.checked += page.len();
            let mut stale = Vec::new();
            for sealed in &page {
                match self.inner.mfa_key.open(sealed.user_id.as_uuid(), &sealed.secret_sealed) {
                    Ok(opened) if opened.stale => {
                        let new = self.inner.mfa_key.seal(sealed.user_id.as_uuid(), &opened.secret)?;
                        stale.push((sealed, new));
                    }
                    Ok(_) => {}
                    Err(_) => check.unopened += 1,
                }
            }
            if !stale.is_empty() {
                let write = Write::begin(&self.inner.core).await?;
                for (sealed, new) in &stale {
                    if mfa::reseal_totp(write.conn(), sealed.user_id, &sealed.secret_sealed, new).await? {
                        check.resealed += 1;
                    }
                }
                write.commit().await?;
            }
        }
        Ok(check)
    }

    /// Whether `code` is a current TOTP code of `user`'s confirmed factor that was already
    /// accepted (a replay, or a concurrent request's win), rather than a wrong one.
    pub(super) async fn is_replayed_totp(&self, user: UserId, code: &str) -> Result<bool> {
        let Some(totp) = mfa::find_totp(self.inner.core.db(), user).await? else { return Ok(false) };
        let (Some(_), Some(last)) = (totp.confirmed_at, totp.last_step) else { return Ok(false) };
        let opened = self.open_totp(user, &totp.secret_sealed)?;
        Ok(opened.secret.matching_step(code.trim(), now().unix_timestamp()).is_some_and(|step| step <= last))
    }

    /// Checks the caller's current password (throttled like a password change).
    pub(super) async fn check_current_password(
        &self,
        user: UserId,
        password: &SecretString,
        client: &ClientInfo,
    ) -> Result<()> {
        let claim = self.inner.throttle.claim(Attempted::PasswordChange(user), client).await?;
        let credentials = users::find_credentials_by_id(self.inner.core.db(), user).await?;
        let stored = credentials.as_ref().map(|c| PasswordHash::from_stored(c.password_hash.clone()));
        if !self.inner.hasher.verify(password.expose_secret(), stored.as_ref()).await? {
            self.inner.throttle.failed(claim, Some(user), client).await?;
            return Err(ServiceError::WrongPassword);
        }
        self.inner.throttle.succeeded(claim).await
    }

    pub(super) async fn audit_mfa_failure(&self, user: UserId, client: &ClientInfo, reason: &str) -> Result<()> {
        let write = Write::begin(&self.inner.core).await?;
        write
            .audit(Audit::failure(AuditAction::MfaFailed, Some(user), client).details(json!({ "reason": reason })))
            .await?;
        write.commit().await?;
        tracing::info!(reason, "second factor refused");
        Ok(())
    }
}

/// The second-factor methods of `user` (see [`AuthService::second_factor_methods`]): the
/// one list the login's challenge, step-up and an organization's `require_mfa` all read.
pub(crate) async fn second_factor_methods(conn: &impl ConnectionTrait, user: UserId) -> Result<Vec<&'static str>> {
    let mut methods = Vec::new();
    if mfa::has_confirmed_totp(conn, user).await? {
        methods.extend(["totp", "recovery_code"]);
    }
    if passkeys::any_of_user(conn, user).await? {
        methods.push("webauthn");
    }
    Ok(methods)
}

/// Audits the use of a recovery code (with how many are left) and mails the owner a
/// notice, in the write that spent it.
pub(super) async fn record_recovery_code_use(write: &mut Write<'_>, user: &User, client: &ClientInfo) -> Result<()> {
    let left = mfa::recovery_codes_left(write.conn(), user.id).await?;
    write
        .audit(Audit::success(AuditAction::MfaRecoveryCodeUsed, user.id, client).details(json!({ "codes_left": left })))
        .await?;
    let notice = Message::RecoveryCodeUsed {
        to: &user.email,
        username: user.username.as_ref(),
        ip: client.ip.as_deref().unwrap_or("an unknown address"),
        codes_left: left,
    };
    write.mail(notice).await
}

impl SecondFactorProof {
    /// The request field the proof came in.
    pub(super) fn field(&self) -> &'static str {
        match self {
            Self::Totp(_) => "code",
            Self::RecoveryCode(_) => "recovery_code",
        }
    }
}

/// A live `mfa_token` challenge of this address, its user and the throttle's claim (see
/// [`AuthService::open_challenge`]).
pub(super) struct OpenedChallenge {
    pub(super) hash: TokenHash,
    pub(super) challenge: Challenge,
    pub(super) user: User,
    pub(super) claim: Claim,
}

/// What a proof matched, to spend in the write.
pub(super) enum Accepted {
    /// The TOTP step, and the secret sealed under an older key with its new sealing.
    Step {
        step: i64,
        reseal: Option<(String, String)>,
    },
    RecoveryCode(String),
}

/// The stored form of a recovery code: SHA-256 of its normalized text.
fn recovery_hash(code: &SecretString) -> String {
    TokenHash::of(&normalize_recovery_code(code.expose_secret())).as_str().to_owned()
}

/// `text` as an SVG QR code.
fn qr_svg(text: &str) -> Result<String> {
    let code =
        qrcode::QrCode::new(text.as_bytes()).map_err(|error| ServiceError::Internal(error.to_string().into()))?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).build())
}
