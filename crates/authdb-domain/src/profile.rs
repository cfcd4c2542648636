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
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
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
