/// What an audit event records. The string forms are stored and are part of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    UserRegistered,
    LoginSucceeded,
    LoginFailed,
    RefreshTokenReused,
    LoggedOut,
    ProfileUpdated,
    SuperuserCreated,
    /// Too many failed logins: further attempts are refused for a while.
    LoginLockedOut,
    /// Failed logins of one account over all addresses crossed the alert threshold.
    LoginAccountUnderAttack,
    SessionRevoked,
    /// The least recently used session was ended to keep a user within the session cap.
    SessionEvicted,
    LoggedOutEverywhere,
    PasswordChanged,
    PasswordChangeFailed,
    /// A TOTP factor was confirmed (recovery codes issued).
    MfaEnabled,
    /// The user removed their TOTP factor.
    MfaDisabled,
    /// A superuser removed a user's second factors.
    MfaReset,
    /// A second-factor code was wrong, replayed, or its `mfa_token` was spent.
    MfaFailed,
    /// A recovery code was spent to sign in.
    MfaRecoveryCodeUsed,
    /// New recovery codes replaced the old ones.
    MfaRecoveryCodesRegenerated,
    /// A verification link was mailed (at registration, or asked for again).
    VerificationMailSent,
    /// A verification link was spent: the user's address is proven.
    EmailVerified,
    /// A password-reset link was mailed.
    PasswordResetRequested,
    /// A password-reset link was spent: the password was set and every session ended.
    PasswordReset,
    /// A new address was asked for: its confirmation link was mailed to it.
    EmailChangeRequested,
    /// A confirmation link was spent: the account has the new address.
    EmailChanged,
    OrganizationCreated,
    OrganizationUpdated,
    OrganizationDeleted,
    MemberAdded,
    MemberRoleChanged,
    MemberRemoved,
    RoleCreated,
    RoleUpdated,
    RoleDeleted,
    InvitationCreated,
    InvitationAccepted,
    InvitationRevoked,
    /// An invitation whose inviter could no longer grant its role was presented: refused,
    /// and the invitation revoked.
    InvitationAcceptRefused,
    UserUpdatedByAdmin,
    NetworkCreated,
    NetworkUpdated,
    /// A network was deleted (with its assets when `cascade` was asked).
    NetworkDeleted,
    AssetCreated,
    AssetUpdated,
    AssetDeleted,
    ServiceCreated,
    ServiceUpdated,
    ServiceDeleted,
    /// A scan was imported into a network (one event with its counts).
    ScanImported,
    AccessRuleCreated,
    AccessRuleDeleted,
    /// The expiry sweep removed a rule past its `expires_at` (no actor).
    AccessRuleExpired,
    ChatCreated,
    /// A group chat was renamed.
    ChatUpdated,
    /// A chat's encryption label or auto-deletion changed.
    ChatConfigChanged,
    ChatMemberAdded,
    ChatMemberRemoved,
    /// A message was deleted by someone other than its sender (its contents are never
    /// recorded).
    ChatMessageDeleted,
    /// A superuser registered a service client.
    ClientCreated,
    /// A superuser deleted a service client.
    ClientDeleted,
    /// A superuser gave a service client a new secret (the old one stopped working).
    ClientSecretRotated,
    /// A service client obtained an access token (client credentials grant).
    ClientTokenIssued,
    /// A client credentials grant was refused: unknown client or wrong secret.
    ClientAuthenticationFailed,
    /// A user registered a passkey.
    PasskeyRegistered,
    /// A user removed one of their passkeys.
    PasskeyRemoved,
    /// A passkey sign-in was refused because the authenticator's sign count did not go up:
    /// the credential may have been cloned.
    PasskeyCloneSuspected,
    /// A session stepped up: its user authenticated again (`POST /auth/step-up`), which
    /// renewed the session's `auth_time` and `amr`.
    SessionSteppedUp,
    /// A step-up was refused: the password or the second-factor code was wrong.
    SessionStepUpFailed,
}

impl AuditAction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UserRegistered => "user.registered",
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::RefreshTokenReused => "refresh_token.reused",
            Self::LoggedOut => "session.logged_out",
            Self::ProfileUpdated => "profile.updated",
            Self::SuperuserCreated => "superuser.created",
            Self::LoginLockedOut => "login.locked_out",
            Self::LoginAccountUnderAttack => "login.account_under_attack",
            Self::SessionRevoked => "session.revoked",
            Self::SessionEvicted => "session.evicted",
            Self::LoggedOutEverywhere => "session.logged_out_everywhere",
            Self::PasswordChanged => "password.changed",
            Self::PasswordChangeFailed => "password.change_failed",
            Self::MfaEnabled => "mfa.enabled",
            Self::MfaDisabled => "mfa.disabled",
            Self::MfaReset => "mfa.reset",
            Self::MfaFailed => "mfa.failed",
            Self::MfaRecoveryCodeUsed => "mfa.recovery_code_used",
            Self::MfaRecoveryCodesRegenerated => "mfa.recovery_codes_regenerated",
            Self::VerificationMailSent => "email.verification_sent",
            Self::EmailVerified => "email.verified",
            Self::PasswordResetRequested => "password.reset_requested",
            Self::PasswordReset => "password.reset",
            Self::EmailChangeRequested => "email.change_requested",
            Self::EmailChanged => "email.changed",
            Self::OrganizationCreated => "organization.created",
            Self::OrganizationUpdated => "organization.updated",
            Self::OrganizationDeleted => "organization.deleted",
            Self::MemberAdded => "member.added",
            Self::MemberRoleChanged => "member.role_changed",
            Self::MemberRemoved => "member.removed",
            Self::RoleCreated => "role.created",
            Self::RoleUpdated => "role.updated",
            Self::RoleDeleted => "role.deleted",
            Self::InvitationCreated => "invitation.created",
            Self::InvitationAccepted => "invitation.accepted",
            Self::InvitationRevoked => "invitation.revoked",
            Self::InvitationAcceptRefused => "invitation.accept_refused",
            Self::UserUpdatedByAdmin => "user.updated_by_admin",
            Self::NetworkCreated => "network.created",
            Self::NetworkUpdated => "network.updated",
            Self::NetworkDeleted => "network.deleted",
            Self::AssetCreated => "asset.created",
            Self::AssetUpdated => "asset.updated",
            Self::AssetDeleted => "asset.deleted",
            Self::ServiceCreated => "service.created",
            Self::ServiceUpdated => "service.updated",
            Self::ServiceDeleted => "service.deleted",
            Self::ScanImported => "scan.imported",
            Self::AccessRuleCreated => "access_rule.created",
            Self::AccessRuleDeleted => "access_rule.deleted",
            Self::AccessRuleExpired => "access_rule.expired",
            Self::ChatCreated => "chat.created",
            Self::ChatUpdated => "chat.updated",
            Self::ChatConfigChanged => "chat.config_changed",
            Self::ChatMemberAdded => "chat.member_added",
            Self::ChatMemberRemoved => "chat.member_removed",
            Self::ChatMessageDeleted => "chat.message_deleted",
            Self::ClientCreated => "client.created",
            Self::ClientDeleted => "client.deleted",
            Self::ClientSecretRotated => "client.secret_rotated",
            Self::ClientTokenIssued => "client.token_issued",
            Self::ClientAuthenticationFailed => "client.authentication_failed",
            Self::PasskeyRegistered => "passkey.registered",
            Self::PasskeyRemoved => "passkey.removed",
            Self::PasskeyCloneSuspected => "passkey.clone_suspected",
            Self::SessionSteppedUp => "session.stepped_up",
            Self::SessionStepUpFailed => "session.step_up_failed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditOutcome {
    Success,
    Failure,
}

impl AuditOutcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }
}
