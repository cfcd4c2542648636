//! A scan file in either format the import takes, read into a [`ScanReport`]: the JSON
//! import format ([`ScanDocument`]) or nmap's XML output (`nmap -oX`, [`nmap`]), whose
//! hosts become the same document. Both then take one way: [`scan_report`] checks every
//! host and names a bad one in the format's own words (`hosts[17].ip`, or in nmap XML
//! `host[17].address`).
//!
//! Both HTTP adapters call this (the API's `POST .../scans`, the console's upload), so a
//! file is read, refused and named the same way whichever way it came; neither format
//! knows HTTP. No I/O: the adapter reads the bytes under `inventory.max_scan_bytes`.

mod document;
pub mod nmap;

use std::collections::HashSet;

use authdb_domain::{
    Banner, Confidence, Hostname, IpAddress, MacAddress, Metadata, Port, PortState, Protocol, ScanReport, ScanSource,
    ScannedHost, ScannedService, Violation, parse_label, stored_time,
};

use crate::json_body::{JsonBodyError, read_json_object};

pub use document::{DocumentHost, DocumentService, ScanDocument};
pub use nmap::{NmapScan, XmlError};

/// The most violations one refusal lists: a huge broken scan is named, not echoed whole.
pub const MAX_VIOLATIONS: usize = 100;

/// The format of a scan file; it names the fields of a refusal and the scan's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanFormat {
    /// The JSON import format.
    Json,
    /// nmap's XML output.
    Nmap,
}

/// Why a scan file cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanFileError {
    /// Not JSON, with where (serde_json's words).
    MalformedJson(String),
    /// Not readable nmap XML (or hostile: a DTD, an entity, too deep), with where.
    MalformedXml(XmlError),
    /// Readable, but fields are missing, mistyped or invalid: each one named.
    Invalid(Vec<Violation>),
}

impl ScanFormat {
    /// The scan's source as stored.
    pub fn source(self) -> ScanSource {
        match self {
            Self::Json => ScanSource::Json,
            Self::Nmap => ScanSource::Nmap,
        }
    }

    /// The format of a file whose type nobody stated (an upload): its first character
    /// after white space (and a byte order mark), `{` for JSON, `<` for XML.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        match bytes.iter().find(|byte| !byte.is_ascii_whitespace()) {
            Some(b'{') => Some(Self::Json),
            Some(b'<') => Some(Self::Nmap),
            _ => None,
        }
    }

    /// `hosts[17].ip`, or in nmap XML `host[17].address`.
    pub fn host_field(self, host: usize, field: &str) -> String {
        match self {
            Self::Json => format!("hosts[{host}].{field}"),
            Self::Nmap => nmap::host_field(host, field),
        }
    }

    /// `hosts[2].services[0].port`, or in nmap XML `host[2].ports.port[0].portid`.
    pub fn service_field(self, host: usize, service: usize, field: &str) -> String {
        match self {
            Self::Json => format!("hosts[{host}].services[{service}].{field}"),
            Self::Nmap => nmap::service_field(host, service, field),
        }
    }

    /// Reads and checks a whole file of this format.
    pub fn read(self, bytes: &[u8]) -> Result<ScanReport, ScanFileError> {
        let (document, violations) = match self {
            Self::Json => (read_json(bytes)?, Vec::new()),
            Self::Nmap => {
                let scan = nmap::parse(bytes, MAX_VIOLATIONS).map_err(ScanFileError::MalformedXml)?;
                (scan.document, scan.violations)
            }
        };
        scan_report(document, self, violations).map_err(ScanFileError::Invalid)
    }
}

/// A JSON scan document, read as every JSON document is ([`read_json_object`]): broken
/// JSON is [`ScanFileError::MalformedJson`], anything else wrong a violation naming the
/// field.
fn read_json(bytes: &[u8]) -> Result<ScanDocument, ScanFileError> {
    read_json_object(bytes, "the scan").map_err(|error| match error {
        JsonBodyError::Malformed(detail) => ScanFileError::MalformedJson(detail),
        JsonBodyError::Invalid(violation) => ScanFileError::Invalid(vec![violation]),
    })
}

/// Every host of a document checked, or each bad field named by its place in the format
/// (at most [`MAX_VIOLATIONS`]), after those the format itself found (`violations`).
pub fn scan_report(
    document: ScanDocument,
    format: ScanFormat,
    mut violations: Vec<Violation>,
) -> Result<ScanReport, Vec<Violation>> {
    let mut hosts = Vec::with_capacity(document.hosts.len());
    let mut addresses = HashSet::with_capacity(document.hosts.len());
    for (index, host) in document.hosts.into_iter().enumerate() {
        if let Some(host) = scanned_host(format, index, host, &mut violations) {
            if !addresses.insert(host.ip) {
                violations.push(Violation::new(format.host_field(index, "ip"), "appears more than once in the scan"));
            }
            hosts.push(host);
        }
        if violations.len() >= MAX_VIOLATIONS {
            break;
        }
    }
    if !violations.is_empty() {
        violations.truncate(MAX_VIOLATIONS);
        return Err(violations);
    }
    let (started_at, finished_at) = (document.started_at.map(stored_time), document.finished_at.map(stored_time));
    Ok(ScanReport { started_at, finished_at, hosts })
}

/// Renames a violation to its place in the scan (`hosts[3].mac`).
fn at<T>(parsed: Result<T, Violation>, field: impl Fn() -> String, violations: &mut Vec<Violation>) -> Option<T> {
    parsed.map_err(|violation| violations.push(Violation::new(field(), violation.message))).ok()
}

fn scanned_host(format: ScanFormat, index: usize, host: DocumentHost, v: &mut Vec<Violation>) -> Option<ScannedHost> {
    let before = v.len();
    let name = |field: &str| format.host_field(index, field);
    let ip = at(IpAddress::parse(&host.ip, "ip"), || name("ip"), v);
    let up = match host.status.trim().to_ascii_lowercase().as_str() {
        "up" => Some(true),
        "down" => Some(false),
        _ => {
            v.push(Violation::new(name("status"), "must be up or down"));
            None
        }
    };
    let mac_address = at(host.mac.as_deref().map(|mac| MacAddress::parse(mac, "mac")).transpose(), || name("mac"), v);
    let mac_vendor = at(
        host.mac_vendor.as_deref().map(|text| parse_label(text, "mac_vendor", 255)).transpose(),
        || name("mac_vendor"),
        v,
    );
    let hostname =
        at(host.hostname.as_deref().map(|text| Hostname::parse(text, "hostname")).transpose(), || name("hostname"), v);
    let operating_system =
        at(host.os.as_deref().map(|text| parse_label(text, "os", 255)).transpose(), || name("os"), v);
    let os_version = at(
        host.os_version.as_deref().map(|text| parse_label(text, "os_version", 255)).transpose(),
        || name("os_version"),
        v,
    );
    let os_cpe =
        at(host.os_cpe.as_deref().map(|text| parse_label(text, "os_cpe", 255)).transpose(), || name("os_cpe"), v);
    let mut services = Vec::with_capacity(host.services.len());
    let mut keys = HashSet::with_capacity(host.services.len());
    for (position, service) in host.services.into_iter().enumerate() {
        if let Some(service) = scanned_service(format, index, position, service, v) {
            if !keys.insert((service.port, service.protocol)) {
                v.push(Violation::new(
                    format.service_field(index, position, "port"),
                    "this port and protocol appear more than once for the host",
                ));
            }
            services.push(service);
        }
    }
    if v.len() > before {
        return None;
    }
    Some(ScannedHost {
        ip: ip?,
        up: up?,
        mac_address: mac_address?,
        mac_vendor: mac_vendor?,
        hostname: hostname?,
        operating_system: operating_system?,
        os_version: os_version?,
        os_cpe: os_cpe?,
        services,
    })
}

fn scanned_service(
    format: ScanFormat,
    host: usize,
    index: usize,
    service: DocumentService,
    v: &mut Vec<Violation>,
) -> Option<ScannedService> {
    let before = v.len();
    let name = |field: &str| format.service_field(host, index, field);
    let port = at(Port::parse(service.port, "port"), || name("port"), v);
    let protocol = at(Protocol::parse(&service.protocol, "protocol"), || name("protocol"), v);
    let state = at(PortState::parse(&service.state, "state"), || name("state"), v);
    let mut label = |raw: Option<String>, field: &'static str| {
        at(raw.as_deref().map(|text| parse_label(text, field, 255)).transpose(), || name(field), v).flatten()
    };
    let service_name = label(service.service_name, "service_name");
    let product = label(service.product, "product");
    let version = label(service.version, "version");
    let cpe = label(service.cpe, "cpe");
    let banner =
        at(service.banner.as_deref().map(|text| Banner::parse(text, "banner")).transpose(), || name("banner"), v);
    let confidence = at(
        service.confidence.map(|value| Confidence::parse(value, "confidence")).transpose(),
        || name("confidence"),
        v,
    );
    let extra_info =
        at(service.extra_info.map(|value| Metadata::parse(value, "extra_info")).transpose(), || name("extra_info"), v);
    if v.len() > before {
        return None;
    }
    Some(ScannedService {
        port: port?,
        protocol: protocol?,
        state: state?,
        service_name,
        product,
        version,
        cpe,
        banner: banner?,
        confidence: confidence?,
        extra_info: extra_info?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(format: ScanFormat, body: &str) -> ScanFileError {
        format.read(body.as_bytes()).expect_err(body)
    }

    fn fields(error: ScanFileError) -> Vec<String> {
        match error {
            ScanFileError::Invalid(violations) => violations.into_iter().map(|v| v.field.into_owned()).collect(),
            other => panic!("expected invalid fields, got {other:?}"),
        }
    }

    #[test]
    fn the_format_of_an_upload_is_its_first_character() {
        assert_eq!(ScanFormat::sniff(b"  \n{\"hosts\": []}"), Some(ScanFormat::Json));
        assert_eq!(ScanFormat::sniff(b"\xEF\xBB\xBF<?xml version=\"1.0\"?><nmaprun/>"), Some(ScanFormat::Nmap));
        assert_eq!(ScanFormat::sniff(b"hosts: []"), None);
        assert_eq!(ScanFormat::sniff(b""), None);
    }

    #[test]
    fn both_formats_read_into_one_report() {
        let json = r#"{"hosts": [{"ip": "10.0.0.1", "status": "up", "services": [{"port": 22, "protocol": "tcp", "state": "open"}]}]}"#;
        let xml = r#"<nmaprun><host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/>
            <ports><port protocol="tcp" portid="22"><state state="open"/></port></ports></host></nmaprun>"#;
        for (format, body) in [(ScanFormat::Json, json), (ScanFormat::Nmap, xml)] {
            let report = format.read(body.as_bytes()).expect(body);
            assert_eq!(report.hosts.len(), 1);
            assert_eq!(report.hosts[0].ip.to_string(), "10.0.0.1");
            assert_eq!(report.hosts[0].services[0].port.value(), 22);
        }
    }

    #[test]
    fn a_bad_json_file_is_malformed_or_names_its_field() {
        assert!(matches!(refused(ScanFormat::Json, "{\"hosts\": ["), ScanFileError::MalformedJson(_)));
        assert_eq!(fields(refused(ScanFormat::Json, "[]")), ["body"]);
        assert_eq!(fields(refused(ScanFormat::Json, "{}")), ["hosts"]);
        assert_eq!(fields(refused(ScanFormat::Json, r#"{"hosts": [{"ip": "10.0.0.1"}]}"#)), ["hosts[0].status"]);
        assert_eq!(fields(refused(ScanFormat::Json, r#"{"hosts": [], "extra": 1}"#)), ["extra"]);
        assert_eq!(
            fields(refused(
                ScanFormat::Json,
                r#"{"hosts": [{"ip": "10.0.0.1", "status": "up", "hostname": "a\u0000"}]}"#
            )),
            ["hosts[0].hostname"]
        );
        let bad = r#"{"hosts": [{"ip": "10.0.0.300", "status": "sideways"}, {"ip": "10.0.0.1", "status": "up"}, {"ip": "10.0.0.1", "status": "up"}]}"#;
        assert_eq!(fields(refused(ScanFormat::Json, bad)), ["hosts[0].ip", "hosts[0].status", "hosts[2].ip"]);
    }

    #[test]
    fn a_bad_nmap_file_is_malformed_or_names_its_element() {
        assert!(matches!(refused(ScanFormat::Nmap, "<nmaprun><host>"), ScanFileError::MalformedXml(_)));
        let no_address = r#"<nmaprun><host><status state="up"/></host></nmaprun>"#;
        assert_eq!(fields(refused(ScanFormat::Nmap, no_address)), ["host[0].address"]);
    }
}
