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
    SessionRevoked,
    LoggedOutEverywhere,
    PasswordChanged,
    PasswordChangeFailed,
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
            Self::SessionRevoked => "session.revoked",
            Self::LoggedOutEverywhere => "session.logged_out_everywhere",
            Self::PasswordChanged => "password.changed",
            Self::PasswordChangeFailed => "password.change_failed",
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
