//! The JSON scan import format, as read: every field still text or a number, checked by
//! [`super::scan_report`]. nmap's XML is read into the same shape (`super::nmap`).

use serde::Deserialize;
use time::OffsetDateTime;

/// A scan in the JSON import format (the API documents it as `ScanRequest`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanDocument {
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// Distinct by address.
    pub hosts: Vec<DocumentHost>,
}

/// One host of a scan document (`ScanHostRequest` in the API's document).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentHost {
    /// IPv4 or IPv6.
    pub ip: String,
    /// `up` or `down`.
    pub status: String,
    /// With `:`, `-`, `.` or no separators, any case.
    #[serde(default)]
    pub mac: Option<String>,
    #[serde(default)]
    pub mac_vendor: Option<String>,
    #[serde(default)]
    pub hostname: Option<String>,
    /// The operating system.
    #[serde(default)]
    pub os: Option<String>,
    /// The operating system's version (from nmap: the best match's `osclass@osgen`).
    #[serde(default)]
    pub os_version: Option<String>,
    /// The operating system's CPE (from nmap: the best match's `osclass/cpe`).
    #[serde(default)]
    pub os_cpe: Option<String>,
    /// Distinct by (port, protocol).
    #[serde(default)]
    pub services: Vec<DocumentService>,
}

/// One port of a host (`ScanServiceRequest` in the API's document).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentService {
    pub port: i64,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
    /// `open`, `closed`, `filtered`, `open_filtered` or `unknown`.
    pub state: String,
    #[serde(default)]
    pub service_name: Option<String>,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub cpe: Option<String>,
    #[serde(default)]
    pub banner: Option<String>,
    /// From 0 to 100 (nmap's `conf`, 0 to 10, is imported times ten).
    #[serde(default)]
    pub confidence: Option<i64>,
    /// A JSON object of at most 16 KiB; replaces the service's `extra_info` when present.
    #[serde(default)]
    pub extra_info: Option<serde_json::Value>,
}
