use authdb_auth::AuthError;
use authdb_domain::{DomainError, Violation};
use authdb_persistence::PersistenceError;

/// Everything a use case can answer besides success. Only `authdb-api` maps these to
/// HTTP statuses.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid input")]
    Invalid(Vec<Violation>),
    /// A unique value is taken: `fields` names each one (`email`, `username`, `slug`, ...).
    #[error("{} already taken", authdb_persistence::describe_conflict(.fields))]
    Conflict { fields: &'static [&'static str] },
    /// Unknown login or wrong password: deliberately indistinguishable.
    #[error("invalid login or password")]
    InvalidCredentials,
    /// Too many failed logins for this login from this address, or from this address:
    /// refused without checking the password until `retry_after_secs` have passed.
    #[error("too many failed login attempts; retry in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    /// The current password given to confirm a sensitive change is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("this account is disabled")]
    AccountDisabled,
    /// The password was right, but the account has not proven its address yet and
    /// `require_verified_email` is on.
    #[error("the email address of this account is not verified")]
    EmailNotVerified,
    #[error("invalid or expired access token")]
    InvalidAccessToken,
    /// The password was right and the account has a second factor: the login continues
    /// at `POST /auth/mfa/verify` with `mfa_token` (single use, five minutes) and one of
    /// `methods` (`totp`, `recovery_code`, ...).
    #[error("a second factor is required")]
    MfaRequired { mfa_token: String, methods: Vec<&'static str> },
    /// The `mfa_token` is unknown, spent, expired, or from another address.
    #[error("invalid or expired mfa_token")]
    InvalidMfaToken,
    /// The one-time code (or recovery code) is wrong or was already used; `field` names it.
    #[error("invalid or already used {field}")]
    InvalidMfaCode { field: &'static str },
    /// The user already has a confirmed TOTP factor.
    #[error("a TOTP factor is already enabled")]
    MfaAlreadyEnabled,
    /// The user has no (confirmed, or pending for `confirm`) TOTP factor.
    #[error("no TOTP factor is enabled")]
    MfaNotEnabled,
    /// A sensitive action needs a recent authentication of the caller's session (within
    /// `max_age_secs`), multi-factor when the user has a second factor: step up with one
    /// of `methods` (`password`, or `totp`/`recovery_code` with the password at
    /// `POST /auth/step-up`; `webauthn`: sign in with a passkey).
    #[error("a recent authentication is required (step up)")]
    StepUpRequired { max_age_secs: u64, methods: Vec<&'static str> },
    /// The organization requires a second factor of its members (`settings.require_mfa`)
    /// and the caller has none: enrol one first.
    #[error("this organization requires a second factor; enrol one first")]
    MfaEnrolmentRequired,
    /// A service client's id or secret is wrong, or the client does not exist (any more):
    /// deliberately indistinguishable.
    #[error("invalid client credentials")]
    InvalidClient,
    /// A service client asked for a scope it was not granted (or one outside the
    /// catalogue).
    #[error("the requested scope is not granted to this client")]
    InvalidScope,
    /// A passkey ceremony's finish named a ceremony that is unknown, expired, already
    /// finished, of the other kind, or (a registration) started by another user; `field`
    /// is what named it (`ceremony_id`, or the `mfa_token` of a second step).
    #[error("unknown, expired or already finished passkey ceremony")]
    CeremonyInvalid { field: &'static str },
    /// A sealed TOTP secret opens with none of the configured keys
    /// (`auth.mfa_encryption_key`, its previous key, the key derived from the server
    /// secret): the server's configuration, not the user, is wrong.
    #[error("the TOTP secret opens with no configured auth.mfa_encryption_key")]
    MfaKeyMismatch,
    #[error("invalid or expired refresh token")]
    InvalidRefreshToken,
    #[error("not a member of this organization")]
    NotAMember,
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// The invitation was revoked: its inviter no longer holds the right to grant its role.
    #[error("this invitation was revoked")]
    InvitationRevoked,
    /// A superuser suspended the organization: its members may only read the
    /// organization itself.
    #[error("this organization is suspended")]
    OrganizationSuspended,
    /// The organization's licence has run out (`license_expires_at`): its inventory can
    /// be read, not changed.
    #[error("the organization's licence has expired")]
    LicenseExpired,
    /// The write would take the organization over its licence's `max_assets`: it holds
    /// `current` assets and may hold `limit`.
    #[error("the licence allows {limit} assets and the organization holds {current}")]
    AssetLimitReached { limit: u64, current: u64 },
    /// The caller is known and may see the resource but lacks the right to do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request is valid but the current state refuses it (the last owner, a role
    /// in use, already a member).
    #[error("conflict: {0}")]
    StateConflict(String),
    /// The network's agent answered `success: false`; nothing was stored.
    #[error("the network's agent refused: {message}")]
    AgentRefused { code: Option<String>, message: String },
    /// The network's agent is down, too slow or failing; nothing was stored.
    #[error("the network's agent is unavailable: {0}")]
    AgentUnavailable(String),
    /// The network's agent answered something that is not an answer document.
    #[error("the network's agent answered something not understood: {0}")]
    AgentBadAnswer(String),
    /// The operation needs the network's agent and the network has none (`agent_url`).
    #[error("the network has no agent")]
    NoAgent,
    #[error("a dependency is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

impl From<DomainError> for ServiceError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Invalid(violations) => Self::Invalid(violations),
        }
    }
}

impl From<PersistenceError> for ServiceError {
    fn from(error: PersistenceError) -> Self {
        match error {
            PersistenceError::Conflict { fields } => Self::Conflict { fields },
            PersistenceError::NotFound { entity } => Self::NotFound { entity },
            PersistenceError::Unavailable(source) => Self::Unavailable(Box::new(source)),
            PersistenceError::Connect(message) => Self::Unavailable(message.into()),
            other => Self::Internal(Box::new(other)),
        }
    }
}

impl From<crate::AgentError> for ServiceError {
    fn from(error: crate::AgentError) -> Self {
        match error {
            crate::AgentError::Refused { code, message } => Self::AgentRefused { code, message },
            crate::AgentError::Unavailable(reason) => Self::AgentUnavailable(reason),
            crate::AgentError::BadAnswer(reason) => Self::AgentBadAnswer(reason),
        }
    }
}

impl From<AuthError> for ServiceError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::InvalidToken => Self::InvalidAccessToken,
            other => Self::Internal(Box::new(other)),
        }
    }
}

/// An error and its causes on one line (`outer: inner: root`), for logs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}
