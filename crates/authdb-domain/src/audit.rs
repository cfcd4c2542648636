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
            Self::ClientCreated => "client.created",
            Self::ClientDeleted => "client.deleted",
            Self::ClientSecretRotated => "client.secret_rotated",
            Self::ClientTokenIssued => "client.token_issued",
            Self::ClientAuthenticationFailed => "client.authentication_failed",
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
