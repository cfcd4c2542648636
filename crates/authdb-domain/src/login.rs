//! What a user types into the login field: an email address or a username.

use crate::{Email, Username};

/// A login as typed, classified once: an email address when it has an `@`, else a
/// username, each normalized exactly as stored accounts are. Neither is not an error: it
/// names no account, and signing in with it must cost what a wrong password costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    Email(Email),
    Username(Username),
    /// Neither an email address nor a username: trimmed and lower-cased.
    Unrecognized(String),
}

impl Login {
    pub fn parse(raw: &str) -> Self {
        let login = raw.trim();
        let parsed = if login.contains('@') {
            Email::parse(login).map(Self::Email).ok()
        } else {
            Username::parse(login).map(Self::Username).ok()
        };
        parsed.unwrap_or_else(|| Self::Unrecognized(login.to_lowercase()))
    }

    /// The key failed attempts on this login are counted under: the same for every
    /// spelling of one email address or one username. The email and the username of one
    /// account get different keys: telling that they belong together would say that the
    /// account exists.
    pub fn throttle_key(&self) -> String {
        match self {
            Self::Email(email) => format!("e:{}", email.as_str()),
            Self::Username(username) => format!("u:{}", username.key()),
            Self::Unrecognized(raw) => format!("r:{raw}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_an_email_a_username_or_neither() {
        assert!(
            matches!(Login::parse(" Ada@Example.com "), Login::Email(email) if email.as_str() == "ada@example.com")
        );
        assert!(matches!(Login::parse("Ada_1"), Login::Username(name) if name.as_str() == "Ada_1"));
        assert_eq!(Login::parse("no@pe"), Login::Unrecognized("no@pe".into()));
        assert_eq!(Login::parse(" Has Spaces "), Login::Unrecognized("has spaces".into()));
    }

    #[test]
    fn spellings_of_one_login_share_a_throttle_key() {
        assert_eq!(Login::parse("ADA@example.com").throttle_key(), Login::parse("ada@EXAMPLE.com").throttle_key());
        assert_eq!(Login::parse("Ada").throttle_key(), Login::parse("ada").throttle_key());
        assert_ne!(Login::parse("ada").throttle_key(), Login::parse("ada@example.com").throttle_key());
        assert_ne!(Login::parse("a b").throttle_key(), Login::parse("ab").throttle_key());
    }
}
