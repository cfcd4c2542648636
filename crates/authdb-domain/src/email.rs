use std::fmt;

use unicode_normalization::UnicodeNormalization as _;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};

use crate::Violation;

/// An email address: trimmed, lower-cased, in Unicode normalization form C, and plausibly
/// deliverable.
///
/// The check is deliberately structural (one `@`, a dotted domain, no spaces, control or
/// invisible format characters, RFC 5321 lengths); only a sent message proves an address
/// exists. Two spellings of one address (`José` composed or decomposed, any case) parse
/// to the same value; addresses that merely look alike (a Cyrillic `о` for a Latin `o`)
/// share a [`skeleton`](Email::skeleton).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

const FIELD: &str = "email";
const MAX_BYTES: usize = 254;
const MAX_LOCAL_BYTES: usize = 64;
/// The longest skeleton an address may have. A few characters stand for long text
/// (U+FDFA for an 18-character phrase), so an address of 254 bytes could have a skeleton
/// of several kilobytes, more than a PostgreSQL index entry holds; no real address comes
/// near this.
pub const MAX_SKELETON_BYTES: usize = 1024;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        Self::parse_field(raw, FIELD)
    }

    /// Parses an address that arrived under another field name (`login`, `user.email`).
    pub fn parse_field(raw: &str, field: &'static str) -> Result<Self, Violation> {
        Self::check(normalized_email(raw), field, Rules::New)
    }

    /// An address read back from the database: the structural checks, without the rules
    /// added later for new addresses (normalization form C, no format characters), so
    /// that an account stored before them stays readable. Its value is kept as stored.
    pub fn parse_stored(stored: &str) -> Result<Self, Violation> {
        Self::check(stored.to_owned(), FIELD, Rules::Stored)
    }

    /// The Unicode TR39 confusable skeleton: two addresses with the same skeleton look
    /// alike (`bob@example.com` and `bоb@example.com` with a Cyrillic `о`), and only one
    /// of them may belong to an account.
    pub fn skeleton(&self) -> String {
        email_skeleton(&self.0)
    }

    fn check(email: String, field: &'static str, rules: Rules) -> Result<Self, Violation> {
        let invalid = |message: &str| Err(Violation::new(field, message));
        if email.is_empty() {
            return invalid("must not be empty");
        }
        if email.len() > MAX_BYTES {
            return invalid("must be at most 254 bytes");
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return invalid("must not contain spaces or control characters");
        }
        // Zero-width spaces and joiners, bidirectional marks, soft hyphens: invisible, so
        // `bob\u{200b}@example.com` would show as `bob@example.com`.
        if rules == Rules::New && email.chars().any(|c| c.general_category() == GeneralCategory::Format) {
            return invalid("must not contain invisible format characters (such as zero-width spaces)");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return invalid("must contain an @");
        };
        if domain.contains('@') {
            return invalid("must contain exactly one @");
        }
        if local.is_empty() || local.len() > MAX_LOCAL_BYTES {
            return invalid("the part before @ must be 1 to 64 bytes");
        }
        if local.chars().any(|c| "\"(),:;<>[\\]".contains(c)) {
            return invalid("the part before @ contains a character that is not allowed");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |label: &&str| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return invalid("must have a domain such as example.com after the @");
        }
        if rules == Rules::New && email_skeleton(&email).len() > MAX_SKELETON_BYTES {
            return invalid("must not be made of characters that stand for long text");
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Which rules [`Email::check`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rules {
    /// Everything: an address entering the system.
    New,
    /// The structural rules only: an address stored before the others existed.
    Stored,
}

/// An address as authdb stores and looks it up: trimmed, lower-cased, in Unicode
/// normalization form C (`josé` typed as `e` + combining accent is the same address as
/// with a precomposed `é`). [`Email::parse`] applies it before its checks; the migration
/// that introduced it applies it to the addresses stored before.
pub fn normalized_email(raw: &str) -> String {
    raw.trim().to_lowercase().nfc().collect()
}

/// The confusable skeleton (Unicode TR39) of an address as stored (lower-cased): what
/// [`Email::skeleton`] computes, for code that holds a stored string, such as the
/// migration that fills in the skeletons of existing accounts.
pub fn email_skeleton(address: &str) -> String {
    unicode_security::skeleton(address).collect()
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests;
