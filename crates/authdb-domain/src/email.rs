use std::fmt;

use crate::Violation;

/// An email address: trimmed, lower-cased and plausibly deliverable.
///
/// The check is deliberately structural (one `@`, a dotted domain, no spaces or control
/// characters, RFC 5321 lengths); only a sent message proves an address exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

const FIELD: &str = "email";
const MAX_BYTES: usize = 254;
const MAX_LOCAL_BYTES: usize = 64;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        Self::parse_field(raw, FIELD)
    }

    /// Parses an address that arrived under another field name (`login`, `user.email`).
    pub fn parse_field(raw: &str, field: &'static str) -> Result<Self, Violation> {
        let email = raw.trim().to_lowercase();
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
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
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
