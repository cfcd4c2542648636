//! The services of an asset: what listens (or was seen) on one port and protocol.

use std::fmt;

use time::OffsetDateTime;

use super::values::{Metadata, names};
use crate::{AssetId, AssetServiceId, OrganizationId, Violation};

names!(
    /// The transport a service listens on.
    Protocol {
        Tcp => "tcp",
        Udp => "udp",
        Sctp => "sctp",
    }
);

names!(
    /// What a scan found on a port, in nmap's words.
    PortState {
        Open => "open",
        Closed => "closed",
        Filtered => "filtered",
        OpenFiltered => "open_filtered",
        Unknown => "unknown",
    }
);

/// A port number from 1 to 65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Port(u16);

impl Port {
    pub fn parse(raw: i64, field: impl Into<std::borrow::Cow<'static, str>>) -> Result<Self, Violation> {
        u16::try_from(raw)
            .ok()
            .filter(|port| *port >= 1)
            .map(Self)
            .ok_or_else(|| Violation::new(field, "must be an integer from 1 to 65535"))
    }

    pub const fn value(self) -> u16 {
        self.0
    }
}

/// How sure a detection is, from 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Confidence(u8);

impl Confidence {
    pub fn parse(raw: i64, field: impl Into<std::borrow::Cow<'static, str>>) -> Result<Self, Violation> {
        u8::try_from(raw)
            .ok()
            .filter(|value| *value <= 100)
            .map(Self)
            .ok_or_else(|| Violation::new(field, "must be an integer from 0 to 100"))
    }

    pub const fn value(self) -> u8 {
        self.0
    }
}

/// The most bytes a banner keeps.
pub const BANNER_MAX_BYTES: usize = 4 * 1024;

/// The most technologies one service lists.
pub const MAX_TECHNOLOGIES: usize = 50;

/// What a service sent first: any text of at most 4 KiB (line breaks and tabs included),
/// but no NUL (PostgreSQL text cannot hold one) and no other control character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner(String);

impl Banner {
    pub fn parse(raw: &str, field: impl Into<std::borrow::Cow<'static, str>>) -> Result<Self, Violation> {
        if raw.len() > BANNER_MAX_BYTES {
            return Err(Violation::new(field, format!("must be at most {BANNER_MAX_BYTES} bytes")));
        }
        if raw.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(Violation::new(field, "must not contain control characters other than line breaks and tabs"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The web technologies seen on a service (`nginx`, `php`): up to 50 labels of at most
/// 64 characters, deduplicated, each named by its position when invalid.
pub fn parse_technologies(raw: &[String], field: &'static str) -> Result<Vec<String>, Vec<Violation>> {
    if raw.len() > MAX_TECHNOLOGIES {
        return Err(vec![Violation::new(field, format!("must hold at most {MAX_TECHNOLOGIES} entries"))]);
    }
    let mut technologies: Vec<String> = Vec::with_capacity(raw.len());
    let mut violations = Vec::new();
    for (index, text) in raw.iter().enumerate() {
        match super::values::parse_label_at(text, format!("{field}[{index}]"), 64) {
            Ok(label) if !technologies.contains(&label) => technologies.push(label),
            Ok(_) => {}
            Err(violation) => violations.push(violation),
        }
    }
    if violations.is_empty() { Ok(technologies) } else { Err(violations) }
}

/// A service of an asset, unique by (asset, port, protocol).
#[derive(Debug, Clone, PartialEq)]
pub struct AssetService {
    pub id: AssetServiceId,
    pub organization_id: OrganizationId,
    pub asset_id: AssetId,
    pub port: Port,
    pub protocol: Protocol,
    pub state: PortState,
    pub details: ServiceDetails,
    pub first_seen: OffsetDateTime,
    pub last_seen: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// What is known about a service besides its port, protocol and state; every field may
/// be unknown.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceDetails {
    pub service_name: Option<String>,
    pub product: Option<String>,
    pub version: Option<String>,
    pub cpe: Option<String>,
    pub banner: Option<Banner>,
    pub detection_method: Option<String>,
    pub confidence: Option<Confidence>,
    pub ssl_enabled: bool,
    pub ssl_info: Option<Metadata>,
    pub http_title: Option<String>,
    pub http_technologies: Vec<String>,
    pub extra_info: Option<Metadata>,
}

/// A service to record on an asset.
#[derive(Debug, Clone)]
pub struct NewAssetService {
    pub port: Port,
    pub protocol: Protocol,
    pub state: PortState,
    pub details: ServiceDetails,
    pub last_seen: Option<OffsetDateTime>,
}

/// Changes to a service: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct AssetServiceChanges {
    pub port: Option<Port>,
    pub protocol: Option<Protocol>,
    pub state: Option<PortState>,
    pub service_name: Option<Option<String>>,
    pub product: Option<Option<String>>,
    pub version: Option<Option<String>>,
    pub cpe: Option<Option<String>>,
    pub banner: Option<Option<Banner>>,
    pub detection_method: Option<Option<String>>,
    pub confidence: Option<Option<Confidence>>,
    pub ssl_enabled: Option<bool>,
    pub ssl_info: Option<Option<Metadata>>,
    pub http_title: Option<Option<String>>,
    pub http_technologies: Option<Vec<String>>,
    pub extra_info: Option<Option<Metadata>>,
    pub last_seen: Option<Option<OffsetDateTime>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_protocols_and_states_are_bounded() {
        assert_eq!(Port::parse(1, "port").expect("low").value(), 1);
        assert_eq!(Port::parse(65535, "port").expect("high").value(), 65535);
        for bad in [0, -1, 65536] {
            assert_eq!(Port::parse(bad, "port").expect_err("out of range").field, "port");
        }
        assert_eq!(Protocol::parse("TCP", "protocol").expect("any case"), Protocol::Tcp);
        assert!(Protocol::parse("icmp", "protocol").is_err());
        assert_eq!(PortState::parse("open_filtered", "state").expect("nmap state"), PortState::OpenFiltered);
        assert!(Confidence::parse(101, "confidence").is_err());
        assert_eq!(Confidence::parse(0, "confidence").expect("zero").value(), 0);
    }

    #[test]
    fn banners_keep_line_breaks_but_refuse_nul_and_excess() {
        assert_eq!(Banner::parse("SSH-2.0-OpenSSH_9.2\r\n", "banner").expect("ok").as_str(), "SSH-2.0-OpenSSH_9.2\r\n");
        assert!(Banner::parse("a\0b", "banner").is_err());
        assert!(Banner::parse(&"x".repeat(BANNER_MAX_BYTES + 1), "banner").is_err());
        assert!(Banner::parse(&"x".repeat(BANNER_MAX_BYTES), "banner").is_ok());
    }

    #[test]
    fn technologies_are_deduplicated_and_named_by_position() {
        let ok = parse_technologies(&["nginx".into(), "nginx".into(), "PHP".into()], "http_technologies").expect("ok");
        assert_eq!(ok, ["nginx", "PHP"]);
        let bad = parse_technologies(&["ok".into(), " ".into()], "http_technologies").expect_err("empty");
        assert_eq!(bad[0].field, "http_technologies[1]");
    }
}
