//! Scans of a network: what one import reported, and what it did to the inventory.

use std::fmt;

use time::OffsetDateTime;

use super::service::{Banner, Confidence, Port, PortState, Protocol};
use super::values::names;
use super::{Hostname, IpAddress, MacAddress, Metadata};
use crate::{NetworkId, OrganizationId, ScanId, UserId, Violation};

names!(
    /// Where a scan came from.
    ScanSource {
        Json => "json",
        Nmap => "nmap",
        Agent => "agent",
    }
);

/// One port of a scanned host. An absent detail is unknown: it never erases a known one.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedService {
    pub port: Port,
    pub protocol: Protocol,
    pub state: PortState,
    pub service_name: Option<String>,
    pub product: Option<String>,
    pub version: Option<String>,
    pub cpe: Option<String>,
    pub banner: Option<Banner>,
    pub confidence: Option<Confidence>,
    /// Replaces the service's `extra_info` object when present (nmap's `extrainfo` is
    /// imported as `{"extrainfo": "..."}`).
    pub extra_info: Option<Metadata>,
}

/// One host of a scan: up or down, with what the scan learnt about it. Its services
/// are unique by (port, protocol).
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedHost {
    pub ip: IpAddress,
    pub up: bool,
    pub mac_address: Option<MacAddress>,
    pub mac_vendor: Option<String>,
    pub hostname: Option<Hostname>,
    pub operating_system: Option<String>,
    /// The operating system's version or generation (nmap's `osclass@osgen`).
    pub os_version: Option<String>,
    /// The operating system's CPE (nmap's `osclass/cpe`, `cpe:/o:...`).
    pub os_cpe: Option<String>,
    pub services: Vec<ScannedService>,
}

/// A whole scan to import; its hosts are unique by address.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanReport {
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
    pub hosts: Vec<ScannedHost>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanCounts {
    pub hosts_up: u64,
    pub hosts_down: u64,
    pub assets_created: u64,
    pub assets_updated: u64,
    pub services_created: u64,
    pub services_updated: u64,
}

/// One import of a scan into a network.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    pub id: ScanId,
    pub organization_id: OrganizationId,
    pub network_id: NetworkId,
    pub source: ScanSource,
    pub counts: ScanCounts,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
}
