//! Scans of a network: the JSON import format and the record of an import.

use authdb_domain::Scan;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pagination::list_schema;

// The scan import's bodies are read as authdb-service's `ScanDocument`, `DocumentHost`
// and `DocumentService` (the console's upload reads the same types); these three only
// document them, field for field.

/// A scan in the JSON import format.
#[derive(ToSchema)]
#[allow(dead_code, reason = "documentation only: the route reads authdb_service::ScanDocument")]
#[serde(deny_unknown_fields)]
pub(crate) struct ScanRequest {
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub(crate) started_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub(crate) finished_at: Option<OffsetDateTime>,
    /// Distinct by address.
    pub(crate) hosts: Vec<ScanHostRequest>,
}

#[derive(ToSchema)]
#[allow(dead_code, reason = "documentation only: the route reads authdb_service::DocumentHost")]
#[serde(deny_unknown_fields)]
pub(crate) struct ScanHostRequest {
    /// IPv4 or IPv6.
    pub(crate) ip: String,
    /// `up` or `down`.
    pub(crate) status: String,
    /// With `:`, `-`, `.` or no separators, any case.
    #[serde(default)]
    pub(crate) mac: Option<String>,
    #[serde(default)]
    pub(crate) mac_vendor: Option<String>,
    #[serde(default)]
    pub(crate) hostname: Option<String>,
    /// The operating system.
    #[serde(default)]
    pub(crate) os: Option<String>,
    /// The operating system's version (from nmap: the best match's `osclass@osgen`).
    #[serde(default)]
    pub(crate) os_version: Option<String>,
    /// The operating system's CPE (from nmap: the best match's `osclass/cpe`).
    #[serde(default)]
    pub(crate) os_cpe: Option<String>,
    /// Distinct by (port, protocol).
    #[serde(default)]
    pub(crate) services: Vec<ScanServiceRequest>,
}

#[derive(ToSchema)]
#[allow(dead_code, reason = "documentation only: the route reads authdb_service::DocumentService")]
#[serde(deny_unknown_fields)]
pub(crate) struct ScanServiceRequest {
    pub(crate) port: i64,
    /// `tcp`, `udp` or `sctp`.
    pub(crate) protocol: String,
    /// `open`, `closed`, `filtered`, `open_filtered` or `unknown`.
    pub(crate) state: String,
    #[serde(default)]
    pub(crate) service_name: Option<String>,
    #[serde(default)]
    pub(crate) product: Option<String>,
    #[serde(default)]
    pub(crate) version: Option<String>,
    #[serde(default)]
    pub(crate) cpe: Option<String>,
    #[serde(default)]
    pub(crate) banner: Option<String>,
    /// From 0 to 100 (nmap's `conf`, 0 to 10, is imported times ten).
    #[serde(default)]
    pub(crate) confidence: Option<i64>,
    /// A JSON object of at most 16 KiB; replaces the service's `extra_info` when present.
    #[serde(default)]
    pub(crate) extra_info: Option<serde_json::Value>,
}

/// One import of a scan and what it did.
#[derive(Serialize, ToSchema)]
pub(crate) struct ScanResponse {
    pub(crate) id: Uuid,
    pub(crate) network_id: Uuid,
    /// `json`, `nmap` or `agent`.
    pub(crate) source: &'static str,
    pub(crate) hosts_up: u64,
    pub(crate) hosts_down: u64,
    pub(crate) assets_created: u64,
    pub(crate) assets_updated: u64,
    pub(crate) services_created: u64,
    pub(crate) services_updated: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) started_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) finished_at: Option<OffsetDateTime>,
    pub(crate) created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
}

impl From<Scan> for ScanResponse {
    fn from(scan: Scan) -> Self {
        let counts = scan.counts;
        Self {
            id: scan.id.as_uuid(),
            network_id: scan.network_id.as_uuid(),
            source: scan.source.as_str(),
            hosts_up: counts.hosts_up,
            hosts_down: counts.hosts_down,
            assets_created: counts.assets_created,
            assets_updated: counts.assets_updated,
            services_created: counts.services_created,
            services_updated: counts.services_updated,
            started_at: scan.started_at,
            finished_at: scan.finished_at,
            created_by: scan.created_by.map(|user| user.as_uuid()),
            created_at: scan.created_at,
        }
    }
}

list_schema!(ScanList, ScanResponse);
