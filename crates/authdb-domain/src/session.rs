//! Sessions (one per device login) as their owner and the revocation set see them.

use time::OffsetDateTime;

use crate::{OrganizationId, SessionId, UserId};

/// A live session of a user, as listed to its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    pub id: SessionId,
    pub organization_id: Option<OrganizationId>,
    /// The OAuth2 `client_id` the session was opened with, if any.
    pub client_id: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: OffsetDateTime,
    pub last_used_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A session that was revoked, as the revocation set keeps it: its tokens must be refused
/// until `revoked_at` plus the access-token lifetime, or `expires_at` if sooner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevokedSession {
    pub id: SessionId,
    pub user_id: UserId,
    pub revoked_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// An authentication method reference (RFC 8176): how a user proved who they are. It is
/// written as its RFC 8176 name (`pwd`, `otp`, `hwk`, `swk`, `mfa`) in tokens, the
/// database and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    /// A password.
    Pwd,
    /// A one-time password (TOTP, or a recovery code).
    Otp,
    /// Proof of possession of a hardware-secured key (a passkey on a security key or
    /// platform authenticator).
    Hwk,
    /// Proof of possession of a software-secured key (a synced passkey).
    Swk,
    /// Several authentication factors were used (RFC 8176 `mfa`).
    Mfa,
}

impl AuthMethod {
    /// The RFC 8176 name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pwd => "pwd",
            Self::Otp => "otp",
            Self::Hwk => "hwk",
            Self::Swk => "swk",
            Self::Mfa => "mfa",
        }
    }

    /// The method of an RFC 8176 name, `None` for a name this version does not know.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "pwd" => Self::Pwd,
            "otp" => Self::Otp,
            "hwk" => Self::Hwk,
            "swk" => Self::Swk,
            "mfa" => Self::Mfa,
            _ => return None,
        })
    }
}

impl std::fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The methods a session was authenticated with (the token's `amr`): no duplicates, in the
/// order given, never empty. [`AuthMethods::new`] adds [`AuthMethod::Mfa`] itself when the
/// methods are more than one factor (a password and a one-time code or a key); a passkey,
/// which is a second factor by itself, may name `Mfa` explicitly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Vec<AuthMethod>", into = "Vec<AuthMethod>")]
pub struct AuthMethods(Vec<AuthMethod>);

impl AuthMethods {
    /// The given methods without duplicates, with `mfa` added when they are several
    /// factors; `None` when there are none.
    pub fn new(methods: impl IntoIterator<Item = AuthMethod>) -> Option<Self> {
        let mut list: Vec<AuthMethod> = Vec::new();
        for method in methods {
            if !list.contains(&method) {
                list.push(method);
            }
        }
        let factors = list.iter().filter(|method| **method != AuthMethod::Mfa).count();
        if factors > 1 && !list.contains(&AuthMethod::Mfa) {
            list.push(AuthMethod::Mfa);
        }
        (!list.is_empty()).then_some(Self(list))
    }

    /// A password alone: `["pwd"]`.
    pub fn password() -> Self {
        Self(vec![AuthMethod::Pwd])
    }

    /// A password and a one-time code (TOTP or recovery code): `["pwd", "otp", "mfa"]`.
    pub fn password_and_otp() -> Self {
        Self(vec![AuthMethod::Pwd, AuthMethod::Otp, AuthMethod::Mfa])
    }

    /// Whether a second factor was used (`mfa` is among them).
    pub fn is_multi_factor(&self) -> bool {
        self.0.contains(&AuthMethod::Mfa)
    }

    pub fn contains(&self, method: AuthMethod) -> bool {
        self.0.contains(&method)
    }

    pub fn as_slice(&self) -> &[AuthMethod] {
        &self.0
    }

    /// The stored form: the names separated by single spaces (`pwd otp mfa`).
    pub fn to_column(&self) -> String {
        self.0.iter().map(|method| method.as_str()).collect::<Vec<_>>().join(" ")
    }

    /// Parses [`Self::to_column`]'s form; `None` for an empty list or an unknown name.
    pub fn from_column(stored: &str) -> Option<Self> {
        let methods: Option<Vec<AuthMethod>> = stored.split_ascii_whitespace().map(AuthMethod::parse).collect();
        Self::new(methods?)
    }
}

impl TryFrom<Vec<AuthMethod>> for AuthMethods {
    type Error = &'static str;

    fn try_from(methods: Vec<AuthMethod>) -> Result<Self, Self::Error> {
        Self::new(methods).ok_or("amr must name at least one method")
    }
}

impl From<AuthMethods> for Vec<AuthMethod> {
    fn from(methods: AuthMethods) -> Self {
        methods.0
    }
}

/// How and when a session's user authenticated: the `amr` and `auth_time` of its access
/// tokens, kept unchanged across refreshes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionAuthentication {
    pub methods: AuthMethods,
    /// When the user authenticated (whole seconds).
    pub auth_time: OffsetDateTime,
}

#[cfg(test)]
mod amr_tests {
    use super::*;

    #[test]
    fn several_factors_add_mfa_once_and_round_trip() {
        let methods = AuthMethods::new([AuthMethod::Pwd, AuthMethod::Otp, AuthMethod::Pwd]).expect("non-empty");
        assert_eq!(methods.to_column(), "pwd otp mfa");
        assert!(methods.is_multi_factor());
        assert_eq!(AuthMethods::from_column("pwd otp mfa"), Some(methods.clone()));
        assert_eq!(serde_json::to_string(&methods).expect("json"), r#"["pwd","otp","mfa"]"#);
        assert!(!AuthMethods::password().is_multi_factor());
        assert_eq!(AuthMethods::from_column(""), None);
        assert_eq!(AuthMethods::from_column("pwd sms"), None);
        assert!(serde_json::from_str::<AuthMethods>("[]").is_err());
        assert_eq!(AuthMethods::new([AuthMethod::Hwk, AuthMethod::Mfa]).expect("one").to_column(), "hwk mfa");
    }
}
