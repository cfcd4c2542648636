//! The network inventory of an organization: networks (a router or a site) and the
//! assets found in them.

mod address;
mod rule;
mod scan;
mod service;
mod values;

use time::OffsetDateTime;

pub use self::{
    address::{Cidr, IpAddress, MacAddress},
    rule::{
        AccessRule, AgentEndpoint, NewAccessRule, RULE_COMMENT_MAX, RuleList, RuleStatus, RuleTarget, parse_expiry,
        parse_rule_comment,
    },
    scan::{Scan, ScanCounts, ScanReport, ScanSource, ScannedHost, ScannedService},
    service::{
        AssetService, AssetServiceChanges, BANNER_MAX_BYTES, Banner, Confidence, MAX_TECHNOLOGIES, NewAssetService,
        Port, PortState, Protocol, ServiceDetails, parse_technologies,
    },
    values::{
        AgentToken, AgentUrl, AssetStatus, AssetType, Criticality, Hostname, MAX_TAGS, METADATA_MAX_BYTES, Metadata,
        RiskScore, Tag, Tags, VulnerabilityCounts, parse_label,
    },
};
use crate::{AssetId, NetworkId, OrganizationId, SortKey, UserId, Violation};

/// The most CIDR blocks one network lists.
pub const MAX_CIDRS: usize = 64;

/// A network's name: trimmed, 1 to 100 characters, no control characters; unique in its
/// organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkName(String);

impl NetworkName {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Violation> {
        parse_label(raw, field, 100).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A network's CIDR blocks, each named by its position when invalid (`cidrs[2]`).
pub fn parse_cidrs(raw: &[String], field: &'static str) -> Result<Vec<Cidr>, Vec<Violation>> {
    if raw.len() > MAX_CIDRS {
        return Err(vec![Violation::new(field, format!("must hold at most {MAX_CIDRS} blocks"))]);
    }
    let mut cidrs = Vec::with_capacity(raw.len());
    let mut violations = Vec::new();
    for (index, text) in raw.iter().enumerate() {
        match Cidr::parse(text, format!("{field}[{index}]")) {
            Ok(cidr) if !cidrs.contains(&cidr) => cidrs.push(cidr),
            Ok(_) => {}
            Err(violation) => violations.push(violation),
        }
    }
    if violations.is_empty() { Ok(cidrs) } else { Err(violations) }
}

/// A network (a router or a site) of an organization. Its agent token is never part of
/// it: only whether one is set.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub id: NetworkId,
    pub organization_id: OrganizationId,
    pub name: NetworkName,
    pub description: Option<String>,
    pub site: Option<String>,
    pub cidrs: Vec<Cidr>,
    pub agent_url: Option<AgentUrl>,
    pub has_agent_token: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A network to create.
#[derive(Debug, Clone)]
pub struct NewNetwork {
    pub name: NetworkName,
    pub description: Option<String>,
    pub site: Option<String>,
    pub cidrs: Vec<Cidr>,
    pub agent_url: Option<AgentUrl>,
    pub agent_token: Option<AgentToken>,
}

/// Changes to a network: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct NetworkChanges {
    pub name: Option<NetworkName>,
    pub description: Option<Option<String>>,
    pub site: Option<Option<String>>,
    pub cidrs: Option<Vec<Cidr>>,
    pub agent_url: Option<Option<AgentUrl>>,
    pub agent_token: Option<Option<AgentToken>>,
}

/// An asset: one address in one network (or in none) of an organization.
#[derive(Debug, Clone, PartialEq)]
pub struct Asset {
    pub id: AssetId,
    pub organization_id: OrganizationId,
    pub network_id: Option<NetworkId>,
    pub ip_address: IpAddress,
    pub hostname: Option<Hostname>,
    pub mac_address: Option<MacAddress>,
    pub mac_vendor: Option<String>,
    pub operating_system: Option<String>,
    pub os_version: Option<String>,
    pub os_cpe: Option<String>,
    pub asset_type: AssetType,
    pub criticality: Criticality,
    pub tags: Tags,
    pub status: AssetStatus,
    pub is_reachable: bool,
    pub risk_score: RiskScore,
    pub vulnerabilities: VulnerabilityCounts,
    pub first_seen: OffsetDateTime,
    pub last_seen: Option<OffsetDateTime>,
    pub last_scanned: Option<OffsetDateTime>,
    pub metadata: Metadata,
    pub owner_id: Option<UserId>,
    /// How many of its services are in state `open`.
    pub open_services: u64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// An asset to create.
#[derive(Debug, Clone)]
pub struct NewAsset {
    pub network_id: Option<NetworkId>,
    pub ip_address: IpAddress,
    pub hostname: Option<Hostname>,
    pub mac_address: Option<MacAddress>,
    pub mac_vendor: Option<String>,
    pub operating_system: Option<String>,
    pub os_version: Option<String>,
    pub os_cpe: Option<String>,
    pub asset_type: AssetType,
    pub criticality: Criticality,
    pub tags: Tags,
    pub status: AssetStatus,
    pub is_reachable: bool,
    pub risk_score: RiskScore,
    pub vulnerabilities: VulnerabilityCounts,
    pub last_seen: Option<OffsetDateTime>,
    pub last_scanned: Option<OffsetDateTime>,
    pub metadata: Metadata,
    pub owner_id: Option<UserId>,
}

/// Changes to an asset: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct AssetChanges {
    pub network_id: Option<Option<NetworkId>>,
    pub ip_address: Option<IpAddress>,
    pub hostname: Option<Option<Hostname>>,
    pub mac_address: Option<Option<MacAddress>>,
    pub mac_vendor: Option<Option<String>>,
    pub operating_system: Option<Option<String>>,
    pub os_version: Option<Option<String>>,
    pub os_cpe: Option<Option<String>>,
    pub asset_type: Option<AssetType>,
    pub criticality: Option<Criticality>,
    pub tags: Option<Tags>,
    pub status: Option<AssetStatus>,
    pub is_reachable: Option<bool>,
    pub risk_score: Option<RiskScore>,
    pub vulnerabilities: Option<VulnerabilityCounts>,
    pub last_seen: Option<Option<OffsetDateTime>>,
    pub last_scanned: Option<Option<OffsetDateTime>>,
    pub metadata: Option<Metadata>,
    pub owner_id: Option<Option<UserId>>,
}

/// Which assets a list shows; every condition must hold, and within a list of values
/// (`statuses`, ...) any one may.
#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    pub statuses: Vec<AssetStatus>,
    pub criticalities: Vec<Criticality>,
    pub asset_types: Vec<AssetType>,
    /// Every one of these tags.
    pub tags: Vec<Tag>,
    pub network_id: Option<NetworkId>,
    pub owner_id: Option<UserId>,
    /// A lower-case substring of the host name, the address text or the MAC address.
    pub search: Option<String>,
    /// Addresses within this block (of its family).
    pub cidr: Option<Cidr>,
    pub min_risk: Option<RiskScore>,
    /// Assets with a service in state `open` on this port (any protocol).
    pub open_port: Option<Port>,
}

/// The value, or `None` with its violation recorded.
fn keep<T>(parsed: Result<T, Violation>, violations: &mut Vec<Violation>) -> Option<T> {
    parsed.map_err(|violation| violations.push(violation)).ok()
}

impl AssetFilter {
    /// The filters of an asset list's query string, every pair in order (the search `q`,
    /// the paging and the ordering are read apart; other keys are ignored): `status`,
    /// `criticality`, `asset_type` (comma-separated, any of them), `tag` (repeatable,
    /// every one), `network_id`, `owner_id`, `cidr`, `min_risk` and `port`. Each bad value
    /// is a violation naming its key. The API's list and the console's table read their
    /// query strings through this one function.
    pub fn from_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, Vec<Violation>> {
        let mut violations = Vec::new();
        let mut filter = Self::default();
        let uuid = |value: &str, field: &'static str| {
            uuid::Uuid::parse_str(value.trim()).map_err(|_| Violation::new(field, "must be a UUID"))
        };
        for (key, value) in pairs {
            match key {
                "status" => {
                    let parsed = value.split(',').map(|part| AssetStatus::parse(part, "status"));
                    filter.statuses.extend(parsed.filter_map(|value| keep(value, &mut violations)));
                }
                "criticality" => {
                    let parsed = value.split(',').map(|part| Criticality::parse(part, "criticality"));
                    filter.criticalities.extend(parsed.filter_map(|value| keep(value, &mut violations)));
                }
                "asset_type" => {
                    let parsed = value.split(',').map(|part| AssetType::parse(part, "asset_type"));
                    filter.asset_types.extend(parsed.filter_map(|value| keep(value, &mut violations)));
                }
                "tag" => filter.tags.extend(keep(Tag::parse(value, "tag"), &mut violations)),
                "network_id" => {
                    filter.network_id = keep(uuid(value, "network_id"), &mut violations).map(NetworkId::from_uuid)
                }
                "owner_id" => filter.owner_id = keep(uuid(value, "owner_id"), &mut violations).map(UserId::from_uuid),
                "cidr" => filter.cidr = keep(Cidr::parse(value, "cidr"), &mut violations),
                "min_risk" => {
                    let score = value
                        .trim()
                        .parse::<i64>()
                        .map_err(|_| Violation::new("min_risk", "must be an integer from 0 to 100"))
                        .and_then(|score| RiskScore::parse(score, "min_risk"));
                    filter.min_risk = keep(score, &mut violations);
                }
                "port" => {
                    let port = value
                        .trim()
                        .parse::<i64>()
                        .map_err(|_| Violation::new("port", "must be an integer from 1 to 65535"))
                        .and_then(|port| Port::parse(port, "port"));
                    filter.open_port = keep(port, &mut violations);
                }
                _ => {}
            }
        }
        if violations.is_empty() { Ok(filter) } else { Err(violations) }
    }
}

/// Orders of asset lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetSortKey {
    /// Numeric address order, IPv4 before IPv6 (10.0.0.9 before 10.0.0.10).
    IpAddress,
    /// Assets without a host name last.
    Hostname,
    RiskScore,
    /// Assets never seen last.
    LastSeen,
    /// By rank: low, medium, high, critical.
    Criticality,
}

impl SortKey for AssetSortKey {
    const KEYS: &'static [(&'static str, Self)] = &[
        ("ip_address", Self::IpAddress),
        ("hostname", Self::Hostname),
        ("risk_score", Self::RiskScore),
        ("last_seen", Self::LastSeen),
        ("criticality", Self::Criticality),
    ];
    const DEFAULT: Self = Self::IpAddress;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_asset_query_names_each_bad_filter() {
        let filter = AssetFilter::from_query([
            ("criticality", "high,critical"),
            ("tag", "web"),
            ("tag", "prod"),
            ("port", "443"),
            ("q", "ignored here"),
        ])
        .expect("valid");
        assert_eq!(filter.criticalities, [Criticality::High, Criticality::Critical]);
        assert_eq!(filter.tags.len(), 2);
        assert_eq!(filter.open_port.map(|port| port.value()), Some(443));
        let bad = AssetFilter::from_query([("criticality", "huge"), ("port", "0"), ("network_id", "x")])
            .expect_err("invalid");
        let fields: Vec<_> = bad.iter().map(|v| v.field.as_ref()).collect();
        assert_eq!(fields, ["criticality", "port", "network_id"]);
    }

    #[test]
    fn cidr_lists_name_the_bad_block() {
        let cidrs = parse_cidrs(&["10.0.0.0/8".into(), "10.0.0.0/8".into(), "fd00::/8".into()], "cidrs").expect("ok");
        assert_eq!(cidrs.iter().map(ToString::to_string).collect::<Vec<_>>(), ["10.0.0.0/8", "fd00::/8"]);
        let bad = parse_cidrs(&["10.0.0.0/8".into(), "10.0.0.1/8".into()], "cidrs").expect_err("host bits");
        assert_eq!(bad[0].field, "cidrs[1]");
        assert_eq!(NetworkName::parse("  ", "name").expect_err("empty").field, "name");
    }
}
