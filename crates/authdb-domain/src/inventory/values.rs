//! The validated values of the inventory that are not addresses.

use std::fmt;

use serde_json::Value;

use crate::Violation;

/// Declares a closed set of lower-case names with `parse`, `as_str` and `ALL`.
macro_rules! names {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// Every value, in the documented order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// One of the names, in any case.
            pub fn parse(raw: &str, field: impl Into<std::borrow::Cow<'static, str>>) -> Result<Self, Violation> {
                let text = raw.trim().to_ascii_lowercase();
                Self::ALL.iter().copied().find(|value| value.as_str() == text).ok_or_else(|| {
                    let known = Self::ALL.iter().map(|value| value.as_str()).collect::<Vec<_>>().join(", ");
                    Violation::new(field, format!("must be one of {known}"))
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(super) use names;

names!(
    /// What kind of device an asset is.
    AssetType {
        Server => "server",
        Workstation => "workstation",
        Laptop => "laptop",
        Router => "router",
        Switch => "switch",
        Firewall => "firewall",
        AccessPoint => "access_point",
        Printer => "printer",
        Iot => "iot",
        Mobile => "mobile",
        VirtualMachine => "virtual_machine",
        Container => "container",
        Other => "other",
        Unknown => "unknown",
    }
);

names!(
    /// How much an asset matters; ordered by [`Criticality::rank`].
    Criticality {
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
);

impl Criticality {
    /// 1 (low) to 4 (critical): the order of `sort=criticality`.
    pub const fn rank(self) -> u8 {
        match self {
            Self::Low => 1,
            Self::Medium => 2,
            Self::High => 3,
            Self::Critical => 4,
        }
    }
}

names!(
    /// Where an asset is in its life.
    AssetStatus {
        Active => "active",
        Inactive => "inactive",
        Maintenance => "maintenance",
        Decommissioned => "decommissioned",
    }
);

/// The most tags one asset carries.
pub const MAX_TAGS: usize = 50;

/// A tag: 1 to 64 of `[a-z0-9_.:-]`, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    pub fn parse(raw: &str, field: impl Into<std::borrow::Cow<'static, str>>) -> Result<Self, Violation> {
        let tag = raw.trim().to_ascii_lowercase();
        if tag.is_empty() || tag.len() > 64 {
            return Err(Violation::new(field, "must be 1 to 64 characters"));
        }
        if !tag.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | ':' | '-')) {
            return Err(Violation::new(field, "may only contain a-z, 0-9, `_`, `.`, `:` and `-`"));
        }
        Ok(Self(tag))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The tags of an asset: at most [`MAX_TAGS`], each a [`Tag`], without duplicates, in the
/// order first given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags(Vec<Tag>);

impl Tags {
    /// Parses every tag; a bad one is named by its position (`tags[3]`).
    pub fn parse(raw: &[String], field: &'static str) -> Result<Self, Vec<Violation>> {
        if raw.len() > MAX_TAGS {
            return Err(vec![Violation::new(field, format!("must hold at most {MAX_TAGS} tags"))]);
        }
        let mut tags = Vec::with_capacity(raw.len());
        let mut violations = Vec::new();
        for (index, text) in raw.iter().enumerate() {
            match Tag::parse(text, format!("{field}[{index}]")) {
                Ok(tag) if !tags.contains(&tag) => tags.push(tag),
                Ok(_) => {}
                Err(violation) => violations.push(violation),
            }
        }
        if violations.is_empty() { Ok(Self(tags)) } else { Err(violations) }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Tag> {
        self.0.iter()
    }

    pub fn names(&self) -> Vec<&str> {
        self.0.iter().map(Tag::as_str).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A risk score from 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RiskScore(u8);

impl RiskScore {
    pub fn parse(raw: i64, field: &'static str) -> Result<Self, Violation> {
        u8::try_from(raw)
            .ok()
            .filter(|score| *score <= 100)
            .map(Self)
            .ok_or_else(|| Violation::new(field, "must be an integer from 0 to 100"))
    }

    pub const fn value(self) -> u8 {
        self.0
    }
}

/// How many known vulnerabilities of each severity an asset has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VulnerabilityCounts {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
    pub info: u32,
}

impl VulnerabilityCounts {
    /// Counts as sent (`critical`, `high`, `medium`, `low`, `info`; absent is 0); a
    /// negative or too large one is named `vulnerabilities.<severity>`.
    pub fn parse(counts: [(&'static str, Option<i64>); 5]) -> Result<Self, Vec<Violation>> {
        let mut values = [0_u32; 5];
        let mut violations = Vec::new();
        for (slot, (severity, count)) in values.iter_mut().zip(counts) {
            match u32::try_from(count.unwrap_or(0)) {
                Ok(count) if count <= i32::MAX.unsigned_abs() => *slot = count,
                _ => violations.push(Violation::new(
                    format!("vulnerabilities.{severity}"),
                    "must be an integer from 0 to 2147483647",
                )),
            }
        }
        let [critical, high, medium, low, info] = values;
        if violations.is_empty() { Ok(Self { critical, high, medium, low, info }) } else { Err(violations) }
    }
}

/// The largest serialized metadata object an asset carries.
pub const METADATA_MAX_BYTES: usize = 16 * 1024;

/// Free-form metadata of an asset: a JSON object of at most 16 KiB.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata(Value);

impl Metadata {
    pub fn parse(value: Value, field: &'static str) -> Result<Self, Violation> {
        if !value.is_object() {
            return Err(Violation::new(field, "must be a JSON object"));
        }
        if value.to_string().len() > METADATA_MAX_BYTES {
            return Err(Violation::new(field, format!("must be at most {METADATA_MAX_BYTES} bytes serialized")));
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

/// A host name: 1 to 253 of `[a-z0-9.-_]`, lower-cased (names compare without case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hostname(String);

impl Hostname {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        let name = raw.trim().trim_end_matches('.').to_ascii_lowercase();
        if name.is_empty() || name.len() > 253 {
            return Err(Violation::new(field, "must be 1 to 253 characters"));
        }
        if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_')) {
            return Err(Violation::new(field, "may only contain a-z, 0-9, `.`, `-` and `_`"));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short free text (a vendor, an operating system, a site): trimmed, 1 to `max`
/// characters, no control characters.
pub fn parse_label(raw: &str, field: &'static str, max: usize) -> Result<String, Violation> {
    parse_label_at(raw, field, max)
}

/// [`parse_label`] for a field named at run time (`http_technologies[2]`).
pub(super) fn parse_label_at(
    raw: &str,
    field: impl Into<std::borrow::Cow<'static, str>>,
    max: usize,
) -> Result<String, Violation> {
    let field = field.into();
    let text = raw.trim();
    if text.is_empty() {
        return Err(Violation::new(field, "must not be empty (send null to clear it)"));
    }
    if text.chars().count() > max {
        return Err(Violation::new(field, format!("must be at most {max} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(Violation::new(field, "must not contain control characters"));
    }
    Ok(text.to_owned())
}

/// The URL of a network's agent (its commands server): an absolute http or https URL of
/// at most 2048 bytes, without credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentUrl(String);

impl AgentUrl {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        let url = raw.trim().trim_end_matches('/');
        let lower = url.to_ascii_lowercase();
        let Some(rest) = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")) else {
            return Err(Violation::new(field, "must be an http:// or https:// URL"));
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.is_empty() {
            return Err(Violation::new(field, "must name a host"));
        }
        if authority.contains('@') {
            return Err(Violation::new(field, "must not carry credentials; use agent_token"));
        }
        if url.len() > 2048 {
            return Err(Violation::new(field, "must be at most 2048 bytes"));
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Violation::new(field, "must not contain spaces or control characters"));
        }
        Ok(Self(url.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The bearer token a network's agent expects: 1 to 512 visible ASCII characters.
/// Write-only: it is never returned, and its `Debug` form is `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct AgentToken(String);

impl AgentToken {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        if raw.is_empty() || raw.len() > 512 {
            return Err(Violation::new(field, "must be 1 to 512 characters"));
        }
        if !raw.chars().all(|c| c.is_ascii_graphic()) {
            return Err(Violation::new(field, "must be visible ASCII characters without spaces"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The token, to send to the agent or store.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AgentToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AgentToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_parse_in_any_case_and_list_the_choices() {
        assert_eq!(AssetType::parse("Access_Point", "asset_type"), Ok(AssetType::AccessPoint));
        assert_eq!(AssetType::ALL.len(), 14);
        let wrong = Criticality::parse("urgent", "criticality").expect_err("unknown");
        assert_eq!(wrong.field, "criticality");
        assert!(wrong.message.contains("low, medium, high, critical"));
        assert!(Criticality::Low.rank() < Criticality::Critical.rank());
        assert_eq!(AssetStatus::parse("decommissioned", "status"), Ok(AssetStatus::Decommissioned));
    }

    #[test]
    fn tags_are_lowercased_deduplicated_bounded_and_named_by_position() {
        let tags = Tags::parse(&["Prod".into(), "web:80".into(), "prod".into()], "tags").expect("valid");
        assert_eq!(tags.names(), ["prod", "web:80"]);
        let bad = Tags::parse(&["ok".into(), "".into(), "a b".into(), "x".repeat(65)], "tags").expect_err("bad");
        assert_eq!(bad.iter().map(|v| v.field.as_ref()).collect::<Vec<_>>(), ["tags[1]", "tags[2]", "tags[3]"]);
        let many: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
        assert_eq!(Tags::parse(&many, "tags").expect_err("too many")[0].field, "tags");
        assert!(Tags::parse(&many[..50], "tags").is_ok());
    }

    #[test]
    fn scores_counts_and_metadata_are_bounded() {
        assert_eq!(RiskScore::parse(100, "risk_score").map(RiskScore::value), Ok(100));
        assert!(RiskScore::parse(101, "risk_score").is_err());
        assert!(RiskScore::parse(-1, "risk_score").is_err());
        let counts = VulnerabilityCounts::parse([
            ("critical", Some(1)),
            ("high", None),
            ("medium", Some(-1)),
            ("low", Some(0)),
            ("info", Some(1 << 40)),
        ])
        .expect_err("negative");
        assert_eq!(
            counts.iter().map(|v| v.field.as_ref()).collect::<Vec<_>>(),
            ["vulnerabilities.medium", "vulnerabilities.info"]
        );
        assert!(Metadata::parse(json!({"rack": 4}), "metadata").is_ok());
        assert!(Metadata::parse(json!([1]), "metadata").is_err());
        assert!(Metadata::parse(json!({"x": "y".repeat(METADATA_MAX_BYTES)}), "metadata").is_err());
    }

    #[test]
    fn hostnames_urls_and_tokens() {
        assert_eq!(Hostname::parse("Web-01.Example.com.", "hostname").expect("ok").as_str(), "web-01.example.com");
        assert!(Hostname::parse("web 01", "hostname").is_err());
        assert_eq!(
            AgentUrl::parse("https://10.0.0.1:8443/", "agent_url").expect("ok").as_str(),
            "https://10.0.0.1:8443"
        );
        for bad in ["ftp://x", "https://", "https://user:pw@host", "http://a b"] {
            assert_eq!(AgentUrl::parse(bad, "agent_url").expect_err(bad).field, "agent_url");
        }
        let token = AgentToken::parse("s3cr3t", "agent_token").expect("ok");
        assert_eq!(format!("{token:?}"), "AgentToken(<redacted>)");
        assert!(AgentToken::parse("has space", "agent_token").is_err());
        assert_eq!(parse_label("  Linux ", "operating_system", 100).as_deref(), Ok("Linux"));
    }
}
