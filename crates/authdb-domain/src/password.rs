use std::fmt;

use crate::Violation;

/// bcrypt reads only the first 72 bytes of a password; longer ones are refused, never
/// silently truncated.
pub const BCRYPT_MAX_PASSWORD_BYTES: usize = 72;

const FIELD: &str = "password";

/// The rules a new password must follow. The length is counted in bytes of UTF-8 because
/// that is what the hash function consumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_bytes: usize,
    pub max_bytes: usize,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_digit: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_bytes: 8,
            max_bytes: BCRYPT_MAX_PASSWORD_BYTES,
            require_uppercase: true,
            require_lowercase: true,
            require_digit: true,
        }
    }
}

impl PasswordPolicy {
    /// Checks that the policy itself is coherent (used when it is configured).
    pub fn validate(&self) -> Result<(), String> {
        if self.min_bytes == 0 {
            return Err("min_bytes must be at least 1".into());
        }
        if self.max_bytes > BCRYPT_MAX_PASSWORD_BYTES {
            return Err(format!("max_bytes must be at most {BCRYPT_MAX_PASSWORD_BYTES} (bcrypt's limit)"));
        }
        if self.min_bytes > self.max_bytes {
            return Err("min_bytes must not exceed max_bytes".into());
        }
        Ok(())
    }

    /// Parses a new password under this policy, naming every rule it breaks.
    pub fn parse(&self, raw: String) -> Result<Password, Violation> {
        self.parse_field(raw, FIELD)
    }

    pub fn parse_field(&self, raw: String, field: &'static str) -> Result<Password, Violation> {
        let mut problems = Vec::new();
        let max = self.max_bytes.min(BCRYPT_MAX_PASSWORD_BYTES);
        if raw.len() < self.min_bytes {
            problems.push(format!("must be at least {} bytes long", self.min_bytes));
        }
        if raw.len() > max {
            problems.push(format!(
                "must be at most {max} bytes of UTF-8 (bcrypt reads only the first {BCRYPT_MAX_PASSWORD_BYTES}); this one is {} bytes",
                raw.len()
            ));
        }
        if raw.contains('\0') {
            problems.push("must not contain NUL characters".to_owned());
        }
        if self.require_uppercase && !raw.chars().any(char::is_uppercase) {
            problems.push("must contain an upper-case letter".to_owned());
        }
        if self.require_lowercase && !raw.chars().any(char::is_lowercase) {
            problems.push("must contain a lower-case letter".to_owned());
        }
        if self.require_digit && !raw.chars().any(|c| c.is_ascii_digit()) {
            problems.push("must contain a digit".to_owned());
        }
        if problems.is_empty() { Ok(Password(raw)) } else { Err(Violation::new(field, problems.join("; "))) }
    }
}

/// A new password that satisfies the policy it was parsed under. Its `Debug` never shows
/// the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests;
