//! Passkeys (WebAuthn credentials) as the user sees them: a name they chose and what the
//! server knows about the credential. The credential's key material is not here: it is
//! verified in authdb-auth and stored by authdb-persistence.

use time::OffsetDateTime;

use crate::{PasskeyId, Violation, parse_label};

/// The name a user gives a passkey ("YubiKey 5", "laptop"): 1 to 64 characters, trimmed,
/// no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PasskeyName(String);

impl PasskeyName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        parse_label(raw, field, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for PasskeyName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A registered passkey, as listed to its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passkey {
    pub id: PasskeyId,
    pub name: PasskeyName,
    /// The credential id (base64url), as the browser names it.
    pub credential_id: String,
    /// How the browser said it reaches the authenticator (`usb`, `internal`, `hybrid`, ...).
    pub transports: Vec<String>,
    /// The last sign count the authenticator reported (0: it keeps none).
    pub sign_count: u32,
    /// A synced passkey (backup eligible) rather than one bound to a single device.
    pub backup_eligible: bool,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(PasskeyName::parse("  laptop ", "name").expect("valid").as_str(), "laptop");
        assert!(PasskeyName::parse("", "name").is_err());
        assert!(PasskeyName::parse("   ", "name").is_err());
        assert!(PasskeyName::parse("a\u{7}b", "name").is_err());
        assert!(PasskeyName::parse(&"k".repeat(64), "name").is_ok());
        let error = PasskeyName::parse(&"k".repeat(65), "name").expect_err("too long");
        assert_eq!(error.field, "name");
    }
}
