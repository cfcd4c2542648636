//! Access rules of a network: the entries of its allow list and deny list (the seeds'
//! whitelist and blacklist), applied on the router through its agent.

use std::fmt;

use time::OffsetDateTime;

use super::values::{names, parse_label};
use super::{Cidr, IpAddress, MacAddress};
use crate::{AccessRuleId, NetworkId, OrganizationId, UserId, Violation};

/// The most characters a rule's comment holds.
pub const RULE_COMMENT_MAX: usize = 500;

names!(
    /// Which list of its network a rule is in.
    RuleList {
        Allow => "allow",
        Deny => "deny",
    }
);

names!(
    /// Where a rule stands: `applied` (the network's agent confirmed it), `recorded`
    /// (stored only: the network has no agent) or `expired` (past `expires_at`, removed
    /// at the agent by the expiry sweep).
    RuleStatus {
        Applied => "applied",
        Recorded => "recorded",
        Expired => "expired",
    }
);

/// What a rule is about: one address, a block, or a MAC address. Its text form is
/// canonical (the forms of [`IpAddress`], [`Cidr`] and [`MacAddress`]); a block of one
/// address (`/32`, `/128`) is that address, so one target has one spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleTarget {
    Ip(IpAddress),
    Cidr(Cidr),
    Mac(MacAddress),
}

impl RuleTarget {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        let text = raw.trim();
        let invalid = || {
            Violation::new(
                field,
                "must be an IP address (10.0.0.1, 2001:db8::1), a CIDR block (10.0.0.0/24) or a MAC address \
                 (aa:bb:cc:dd:ee:ff)",
            )
        };
        if text.contains('/') {
            let cidr = Cidr::parse(text, field)?;
            let single = if cidr.network().is_ipv4() { 32 } else { 128 };
            if cidr.prefix() == single {
                return IpAddress::parse(&cidr.network().to_string(), field).map(Self::Ip);
            }
            return Ok(Self::Cidr(cidr));
        }
        if let Ok(ip) = IpAddress::parse(text, field) {
            return Ok(Self::Ip(ip));
        }
        if text.contains('%') {
            return Err(Violation::new(field, "must not carry a zone index"));
        }
        MacAddress::parse(text, field).map(Self::Mac).map_err(|_| invalid())
    }

    /// `ip`, `cidr` or `mac`.
    pub const fn kind(self) -> &'static str {
        match self {
            Self::Ip(_) => "ip",
            Self::Cidr(_) => "cidr",
            Self::Mac(_) => "mac",
        }
    }
}

impl fmt::Display for RuleTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(ip) => ip.fmt(f),
            Self::Cidr(cidr) => cidr.fmt(f),
            Self::Mac(mac) => mac.fmt(f),
        }
    }
}

/// A rule's comment: trimmed, at most [`RULE_COMMENT_MAX`] characters, no control
/// characters; a blank one is no comment.
pub fn parse_rule_comment(raw: &str, field: &'static str) -> Result<Option<String>, Violation> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    parse_label(raw, field, RULE_COMMENT_MAX).map(Some)
}

/// When a new rule expires: strictly after `now`.
pub fn parse_expiry(
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
    field: &'static str,
) -> Result<OffsetDateTime, Violation> {
    let expires_at = crate::stored_time(expires_at);
    if expires_at <= now {
        return Err(Violation::new(field, "must be in the future"));
    }
    Ok(expires_at)
}

/// Where a network's agent answers and the token it expects. Its `Debug` form redacts
/// the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentEndpoint {
    pub url: super::AgentUrl,
    pub token: Option<super::AgentToken>,
}

/// An entry of a network's allow or deny list.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessRule {
    pub id: AccessRuleId,
    pub organization_id: OrganizationId,
    pub network_id: NetworkId,
    pub list: RuleList,
    pub target: RuleTarget,
    pub comment: Option<String>,
    pub expires_at: Option<OffsetDateTime>,
    pub status: RuleStatus,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A rule to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAccessRule {
    pub list: RuleList,
    pub target: RuleTarget,
    pub comment: Option<String>,
    pub expires_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(raw: &str) -> Result<String, Violation> {
        RuleTarget::parse(raw, "target").map(|target| target.to_string())
    }

    #[test]
    fn targets_are_canonical() {
        assert_eq!(target(" 10.0.0.1 ").as_deref(), Ok("10.0.0.1"));
        assert_eq!(target("2001:DB8::1").as_deref(), Ok("2001:db8::1"));
        assert_eq!(target("10.0.0.0/24").as_deref(), Ok("10.0.0.0/24"));
        assert_eq!(target("10.0.0.7/32").as_deref(), Ok("10.0.0.7"));
        assert_eq!(target("2001:db8::7/128").as_deref(), Ok("2001:db8::7"));
        assert_eq!(target("AA-BB-CC-DD-EE-FF").as_deref(), Ok("aa:bb:cc:dd:ee:ff"));
        assert_eq!(target("aabb.ccdd.eeff").as_deref(), Ok("aa:bb:cc:dd:ee:ff"));
        assert_eq!(RuleTarget::parse("10.0.0.0/8", "target").expect("cidr").kind(), "cidr");
        assert_eq!(RuleTarget::parse("aabbccddeeff", "target").expect("mac").kind(), "mac");
    }

    #[test]
    fn bad_targets_name_the_field() {
        for bad in ["", "host", "10.0.0.1/8", "10.0.0.0/33", "fe80::1%eth0", "aa:bb:cc:dd:ee", "10.0.0.256"] {
            assert_eq!(RuleTarget::parse(bad, "target").expect_err(bad).field, "target", "{bad}");
        }
    }

    #[test]
    fn lists_statuses_and_expiry() {
        assert_eq!(RuleList::parse("DENY", "list").expect("deny"), RuleList::Deny);
        assert!(RuleList::parse("block", "list").is_err());
        assert_eq!(RuleStatus::parse("expired", "status").expect("expired").as_str(), "expired");
        let now = OffsetDateTime::now_utc();
        assert!(parse_expiry(now, now, "expires_at").is_err());
        assert!(parse_expiry(now + time::Duration::seconds(1), now, "expires_at").is_ok());
        assert_eq!(parse_rule_comment("  ", "comment").expect("empty"), None);
        assert!(parse_rule_comment(&"x".repeat(RULE_COMMENT_MAX + 1), "comment").is_err());
    }
}
