use serde_json::Value;

use crate::Violation;

/// A person's display name: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullName(String);

impl FullName {
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(Violation::new("full_name", "must not be empty (send null to clear it)"));
        }
        if name.chars().count() > 200 {
            return Err(Violation::new("full_name", "must be at most 200 characters"));
        }
        if name.chars().any(char::is_control) {
            return Err(Violation::new("full_name", "must not contain control characters"));
        }
        // Embeddings, overrides and isolates reorder what follows them on screen: a name
        // ending in U+202E can make the text after it in a list read backwards.
        if name.chars().any(is_bidi_control) {
            return Err(Violation::new("full_name", "must not contain bidirectional control characters"));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The Unicode `Bidi_Control` characters: the Arabic letter mark, the left-to-right and
/// right-to-left marks, the embeddings and overrides (U+202A to U+202E) and the isolates
/// (U+2066 to U+2069).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// An absolute http(s) URL of at most 2048 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvatarUrl(String);

impl AvatarUrl {
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let url = raw.trim();
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
        let Some(rest) = rest else {
            return Err(Violation::new("avatar_url", "must be an http:// or https:// URL"));
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() {
            return Err(Violation::new("avatar_url", "must name a host"));
        }
        if url.len() > 2048 {
            return Err(Violation::new("avatar_url", "must be at most 2048 bytes"));
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Violation::new("avatar_url", "must not contain spaces or control characters"));
        }
        Ok(Self(url.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The largest serialized preferences object a user may store.
pub const PREFERENCES_MAX_BYTES: usize = 16 * 1024;

/// Free-form client preferences: a JSON object of at most 16 KiB.
#[derive(Debug, Clone, PartialEq)]
pub struct Preferences(Value);

impl Preferences {
    pub fn parse(value: Value) -> Result<Self, Violation> {
        if !value.is_object() {
            return Err(Violation::new("preferences", "must be a JSON object"));
        }
        if value.to_string().len() > PREFERENCES_MAX_BYTES {
            return Err(Violation::new("preferences", "must be at most 16 KiB of JSON"));
        }
        Ok(Self(value))
    }

    pub fn empty() -> Self {
        Self(Value::Object(serde_json::Map::new()))
    }

    pub fn as_value(&self) -> &Value {
        &self.0
    }

    pub fn into_value(self) -> Value {
        self.0
    }
}

/// Changes to a profile; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ProfileChanges {
    pub full_name: Option<Option<FullName>>,
    pub avatar_url: Option<Option<AvatarUrl>>,
    pub preferences: Option<Preferences>,
}

impl ProfileChanges {
    pub fn is_empty(&self) -> bool {
        self.full_name.is_none() && self.avatar_url.is_none() && self.preferences.is_none()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn full_name_is_trimmed_and_bounded() {
        assert_eq!(FullName::parse("  Ada Lovelace ").expect("valid").as_str(), "Ada Lovelace");
        assert!(FullName::parse(&"é".repeat(200)).is_ok());
        for bad in ["", "   ", "tab\tname", &"x".repeat(201)] {
            assert_eq!(FullName::parse(bad).expect_err(bad).field, "full_name");
        }
    }

    #[test]
    fn full_name_refuses_bidirectional_controls() {
        for control in ['\u{061c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}'] {
            let name = format!("Ada{control} Lovelace");
            let violation = FullName::parse(&name).expect_err(&name);
            assert_eq!(violation.field, "full_name");
            assert!(violation.message.contains("bidirectional"), "{}", violation.message);
        }
        // Right-to-left scripts themselves are names like any other.
        assert!(FullName::parse("\u{5d3}\u{5d5}\u{5d3}").is_ok());
        assert!(FullName::parse("\u{645}\u{62d}\u{645}\u{62f}").is_ok());
    }

    #[test]
    fn avatar_url_must_be_absolute_http() {
        assert!(AvatarUrl::parse("https://cdn.example.com/a.png").is_ok());
        assert!(AvatarUrl::parse("http://example.com").is_ok());
        let too_long = format!("https://example.com/{}", "a".repeat(2048));
        for bad in
            ["", "ftp://example.com/a", "javascript:alert(1)", "https://", "https://ex ample.com", too_long.as_str()]
        {
            assert_eq!(AvatarUrl::parse(bad).expect_err(bad).field, "avatar_url");
        }
    }

    #[test]
    fn preferences_must_be_a_small_object() {
        assert!(Preferences::parse(json!({"theme": "dark"})).is_ok());
        for bad in [json!([1, 2]), json!("text"), json!(null), json!(3)] {
            assert_eq!(Preferences::parse(bad).expect_err("not an object").field, "preferences");
        }
        let huge = json!({ "blob": "x".repeat(PREFERENCES_MAX_BYTES) });
        assert!(Preferences::parse(huge).is_err());
        assert_eq!(Preferences::empty().as_value(), &json!({}));
    }
}
