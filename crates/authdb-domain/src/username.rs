use std::fmt;

use crate::Violation;

/// A username: 3 to 50 of `A-Z a-z 0-9 _ -`, unique without regard to case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

const FIELD: &str = "username";
const MIN_LEN: usize = 3;
const MAX_LEN: usize = 50;

impl Username {
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        if raw.len() < MIN_LEN || raw.len() > MAX_LEN {
            return Err(Violation::new(FIELD, "must be 3 to 50 characters long"));
        }
        if !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err(Violation::new(FIELD, "may contain only letters A-Z, digits, underscores and hyphens"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    /// The case-folded form that uniqueness and login by username compare.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_allowed_alphabet_at_both_length_bounds() {
        for ok in ["abc", "A_b-9", &"x".repeat(50), "snake_case", "kebab-case", "UPPER"] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_bad_lengths_and_characters() {
        for bad in ["", "ab", &"x".repeat(51), "has space", "dot.ted", "at@sign", "ümlaut", "tab\t"] {
            let violation = Username::parse(bad).expect_err(bad);
            assert_eq!(violation.field, "username");
        }
    }

    #[test]
    fn key_folds_case_but_display_keeps_it() {
        let name = Username::parse("Alice_1").expect("valid");
        assert_eq!(name.as_str(), "Alice_1");
        assert_eq!(name.key(), "alice_1");
    }
}
