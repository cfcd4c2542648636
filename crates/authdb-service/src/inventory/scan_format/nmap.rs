//! nmap's XML output (`nmap -oX`) read into the scan import's own format, so that an nmap
//! scan is validated, named in a 422 and imported exactly as a JSON scan is.
//!
//! No I/O: [`parse`] reads a body an adapter has already read under its size limit
//! (`inventory.max_scan_bytes`: the API's `POST .../scans`, the console's upload), with quick-xml's pull parser, one event at a time; no
//! tree is built, and what is kept is what the JSON import would hold for the same hosts.
//!
//! Hostile documents are refused with an [`XmlError`] (a 400 in both adapters), never expanded:
//! - a DOCTYPE: nmap writes a bare `<!DOCTYPE nmaprun>`, which declares nothing, and that
//!   is the only one accepted; an internal subset (entity declarations) or an external
//!   identifier (`SYSTEM "file:///etc/passwd"`) is refused before anything else is read,
//!   and nothing is ever fetched;
//! - entity references: the five predefined ones (`&lt;` `&gt;` `&amp;` `&apos;`
//!   `&quot;`) and character references are resolved; any other `&name;` is refused,
//!   whether in text or in an attribute (there is no DTD that could define it);
//! - nesting: at most [`MAX_DEPTH`] open elements (nmap's own output nests about six);
//! - amplification: once `stop_after` hosts or ports are certain to be refused (no
//!   address, no state, no port number) reading stops, since the 422 names no more than
//!   that many fields anyway; a body of empty `<host/>` elements is not turned into
//!   millions of host records.
//!
//! What is read, in nmap's terms (everything else, `hosthint` included, is skipped):
//! `nmaprun@start` and `runstats/finished@time` (Unix seconds) are the scan's start and
//! end; for each `host`: `status@state`, the first `address` of `addrtype` ipv4 or ipv6,
//! the `address` of `addrtype` mac with its `vendor`, a `hostnames/hostname` (the one of
//! type `user`, else the first), the `os/osmatch` of highest `accuracy` (the first of
//! equals) with, from its `osclass` elements, the first operating-system CPE
//! (`cpe:/o:...`, else the first CPE of any kind) and that class's `osgen` as the
//! version (else the first class's), and each
//! `ports/port`: `@protocol`, `@portid`, `state@state` (`open|filtered` becomes
//! `open_filtered`; `unfiltered` and `closed|filtered` say nothing of open or closed and
//! become `unknown`), `service@name`, `@product`, `@version`, `@extrainfo` (imported as
//! `extra_info: {"extrainfo": ...}`), `@conf` (0 to 10, imported times ten as the
//! confidence) and the first `service/cpe`.

use std::fmt;

use authdb_domain::Violation;
use quick_xml::{
    Reader, XmlVersion,
    escape::{EscapeError, resolve_predefined_entity},
    events::{BytesStart, Event},
};
use serde_json::json;
use time::OffsetDateTime;

use super::document::{DocumentHost, DocumentService, ScanDocument};

/// The most elements open at once.
pub const MAX_DEPTH: usize = 64;

/// Why a body is not a readable nmap XML document, and where (a 0-based byte offset,
/// and the 1-based line and column of that byte).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    pub message: String,
    pub position: usize,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {} (line {}, column {})", self.message, self.position, self.line, self.column)
    }
}

/// An nmap scan in the import format, and what is wrong with the parts of it that have
/// no place in that format (`conf`, the run's times), named the nmap way.
pub struct NmapScan {
    pub document: ScanDocument,
    pub violations: Vec<Violation>,
}

/// The name of a host's field in a 422, the nmap way: `host[17].address` for `ip`.
/// Hosts are counted from 0 in document order, `host` elements only.
pub fn host_field(host: usize, field: &str) -> String {
    let element = match field {
        "ip" => "address",
        "status" => "status",
        "mac" => "address[mac]",
        "mac_vendor" => "address[mac].vendor",
        "hostname" => "hostnames.hostname",
        "os" => "os.osmatch",
        "os_version" => "os.osmatch.osclass.osgen",
        "os_cpe" => "os.osmatch.osclass.cpe",
        other => other,
    };
    format!("host[{host}].{element}")
}

/// The name of a port's field in a 422, the nmap way: `host[3].ports.port[0].portid`.
/// Ports are counted from 0 within their host.
pub fn service_field(host: usize, port: usize, field: &str) -> String {
    let element = match field {
        "port" => "portid",
        "protocol" => "protocol",
        "state" => "state",
        "service_name" => "service.name",
        "product" => "service.product",
        "version" => "service.version",
        "cpe" => "service.cpe",
        "confidence" => "service.conf",
        "extra_info" => "service.extrainfo",
        other => other,
    };
    format!("host[{host}].ports.port[{port}].{element}")
}

/// What an open element is, as far as the import cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    Root,
    Host,
    Hostnames,
    Ports,
    Port,
    Service,
    Cpe,
    Os,
    OsMatch,
    OsClass,
    OsCpe,
    Runstats,
    Other,
}

#[derive(Default)]
struct HostDraft {
    ip: Option<String>,
    status: Option<String>,
    mac: Option<String>,
    mac_vendor: Option<String>,
    user_hostname: Option<String>,
    other_hostname: Option<String>,
    os: Option<OsMatchDraft>,
    services: Vec<DocumentService>,
}

/// An `osmatch` being read, or the best one of a host so far.
struct OsMatchDraft {
    accuracy: u32,
    name: String,
    /// The first `cpe:/o:` CPE of its classes, with that class's `osgen`.
    os_cpe: Option<(String, Option<String>)>,
    /// The first CPE of any kind, with its class's `osgen`, for a match without `cpe:/o:`.
    any_cpe: Option<(String, Option<String>)>,
    /// The first class's `osgen`, for a match without any CPE.
    first_gen: Option<String>,
}

impl OsMatchDraft {
    /// The operating system's name, version and CPE.
    fn into_parts(self) -> (String, Option<String>, Option<String>) {
        match self.os_cpe.or(self.any_cpe) {
            Some((cpe, generation)) => (self.name, generation.or(self.first_gen), Some(cpe)),
            None => (self.name, self.first_gen, None),
        }
    }
}

struct PortDraft {
    service: DocumentService,
    cpe: Option<String>,
}

struct Parser<'a> {
    body: &'a [u8],
    stack: Vec<Element>,
    seen_root: bool,
    document: ScanDocument,
    violations: Vec<Violation>,
    host: Option<HostDraft>,
    port: Option<PortDraft>,
    /// The text of the `cpe` element being read, when it is the port's first.
    cpe: Option<String>,
    /// The `osmatch` being read (one with a name), the `osgen` of its `osclass` being
    /// read, and the text of that class's `cpe` being read.
    osmatch: Option<OsMatchDraft>,
    osclass_gen: Option<String>,
    os_cpe: Option<String>,
    /// How many hosts and ports read so far are certain to be named in a 422.
    doomed: usize,
}

/// Reads an nmap XML document. Structure and syntax errors are an [`XmlError`]; values
/// are checked later, by the import's validation, as a JSON scan's are. Reading stops
/// early, with what was read, once `stop_after` hosts or ports are certain to be invalid.
pub fn parse(body: &[u8], stop_after: usize) -> Result<NmapScan, XmlError> {
    let mut reader = Reader::from_reader(body);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.trim_text(false);
    let mut parser = Parser {
        body,
        stack: Vec::new(),
        seen_root: false,
        document: ScanDocument { started_at: None, finished_at: None, hosts: Vec::new() },
        violations: Vec::new(),
        host: None,
        port: None,
        cpe: None,
        osmatch: None,
        osclass_gen: None,
        os_cpe: None,
        doomed: 0,
    };
    loop {
        if parser.doomed + parser.violations.len() >= stop_after {
            return Ok(NmapScan { document: parser.document, violations: parser.violations });
        }
        let at = position(reader.buffer_position());
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(error) => return Err(parser.error(error.to_string(), position(reader.error_position()))),
        };
        match event {
            Event::Start(element) => {
                if parser.stack.len() >= MAX_DEPTH {
                    return Err(parser.error(format!("elements nest deeper than {MAX_DEPTH} levels"), at));
                }
                let kind = parser.open(&element, at)?;
                parser.stack.push(kind);
            }
            Event::Empty(element) => {
                let kind = parser.open(&element, at)?;
                parser.close(kind);
            }
            Event::End(_) => {
                // quick-xml has checked that the name matches the open element.
                if let Some(kind) = parser.stack.pop() {
                    parser.close(kind);
                }
            }
            Event::Text(text) => {
                let content = text.xml10_content();
                parser.text(&content, at)?;
            }
            Event::CData(data) => {
                let content = data.xml10_content();
                parser.text(&content, at)?;
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(character)) => character.to_string(),
                    Ok(None) => match resolve_predefined_entity(&reference) {
                        Some(text) => text.to_owned(),
                        None => return Err(parser.error(refused_entity(&reference), at)),
                    },
                    Err(error) => return Err(parser.error(error.to_string(), at)),
                };
                parser.text(&resolved, at)?;
            }
            Event::DocType(doctype) => {
                if parser.seen_root || doctype.xml10_content().trim() != "nmaprun" {
                    return Err(parser.error(
                        "a DOCTYPE is refused (no DTD, no entity declarations); only nmap's bare \
                         <!DOCTYPE nmaprun> is accepted"
                            .to_owned(),
                        at,
                    ));
                }
            }
            // The XML declaration, comments and processing instructions (nmap's
            // `xml-stylesheet`, never fetched) carry nothing the import reads.
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !parser.stack.is_empty() {
        let message = format!("the document ends with {} element(s) still open", parser.stack.len());
        return Err(parser.error(message, body.len()));
    }
    if !parser.seen_root {
        return Err(parser.error("the document has no <nmaprun> element".to_owned(), body.len()));
    }
    Ok(NmapScan { document: parser.document, violations: parser.violations })
}

fn position(offset: u64) -> usize {
    usize::try_from(offset).unwrap_or(usize::MAX)
}

impl Parser<'_> {
    fn error(&self, message: String, position: usize) -> XmlError {
        let position = position.min(self.body.len());
        let before = &self.body[..position];
        let line = before.iter().filter(|byte| **byte == b'\n').count() + 1;
        let line_start = before.iter().rposition(|byte| *byte == b'\n').map_or(0, |newline| newline + 1);
        XmlError { message, position, line, column: position - line_start + 1 }
    }

    /// Every attribute of an element, with references resolved; a malformed attribute or
    /// an entity other than the predefined ones is an error.
    fn attributes(&self, element: &BytesStart<'_>, at: usize) -> Result<Vec<(String, String)>, XmlError> {
        let mut attributes = Vec::new();
        for attribute in element.attributes() {
            let attribute = attribute.map_err(|error| self.error(error.to_string(), at))?;
            let value = attribute.normalized_value(XmlVersion::Implicit1_0).map_err(|error| match error {
                quick_xml::Error::Escape(EscapeError::UnrecognizedEntity(_, name)) => {
                    self.error(refused_entity(&name), at)
                }
                other => self.error(format!("in an attribute: {other}"), at),
            })?;
            attributes.push((attribute.key.as_ref().to_owned(), value.into_owned()));
        }
        Ok(attributes)
    }

    fn open(&mut self, element: &BytesStart<'_>, at: usize) -> Result<Element, XmlError> {
        let attributes = self.attributes(element, at)?;
        // An empty attribute says nothing, as an absent one.
        let get = |name: &str| {
            attributes
                .iter()
                .find(|(key, value)| key == name && !value.trim().is_empty())
                .map(|(_, value)| value.clone())
        };
        let parent = self.stack.last().copied();
        let name = element.name();
        let kind = match (parent, name.as_ref()) {
            (None, _) if self.seen_root => {
                return Err(self.error("content after the root element".to_owned(), at));
            }
            (None, "nmaprun") => {
                self.seen_root = true;
                if let Some(start) = get("start") {
                    self.document.started_at = self.time(&start, "nmaprun.start");
                }
                Element::Root
            }
            (None, _) => return Err(self.error("the root element must be <nmaprun>".to_owned(), at)),
            (Some(Element::Root), "host") => {
                self.host = Some(HostDraft::default());
                Element::Host
            }
            (Some(Element::Root), "runstats") => Element::Runstats,
            (Some(Element::Runstats), "finished") => {
                if let Some(time) = get("time") {
                    self.document.finished_at = self.time(&time, "runstats.finished.time");
                }
                Element::Other
            }
            (Some(Element::Host), "status") => {
                if let Some(host) = &mut self.host {
                    host.status = get("state");
                }
                Element::Other
            }
            (Some(Element::Host), "address") => {
                if let Some(host) = &mut self.host {
                    match get("addrtype").as_deref() {
                        Some("ipv4" | "ipv6") if host.ip.is_none() => host.ip = get("addr"),
                        Some("mac") if host.mac.is_none() => {
                            host.mac = get("addr");
                            host.mac_vendor = get("vendor");
                        }
                        _ => {}
                    }
                }
                Element::Other
            }
            (Some(Element::Host), "hostnames") => Element::Hostnames,
            (Some(Element::Hostnames), "hostname") => {
                if let Some(host) = &mut self.host {
                    let slot = if get("type").as_deref() == Some("user") {
                        &mut host.user_hostname
                    } else {
                        &mut host.other_hostname
                    };
                    if slot.is_none() {
                        *slot = get("name");
                    }
                }
                Element::Other
            }
            (Some(Element::Host), "os") => Element::Os,
            (Some(Element::Os), "osmatch") => {
                self.osmatch = get("name").map(|name| OsMatchDraft {
                    accuracy: get("accuracy").and_then(|value| value.trim().parse::<u32>().ok()).unwrap_or(0),
                    name,
                    os_cpe: None,
                    any_cpe: None,
                    first_gen: None,
                });
                Element::OsMatch
            }
            (Some(Element::OsMatch), "osclass") => {
                self.osclass_gen = get("osgen");
                if let Some(osmatch) = &mut self.osmatch
                    && osmatch.first_gen.is_none()
                {
                    osmatch.first_gen.clone_from(&self.osclass_gen);
                }
                Element::OsClass
            }
            (Some(Element::OsClass), "cpe") => {
                self.os_cpe = Some(String::new());
                Element::OsCpe
            }
            (Some(Element::Host), "ports") => Element::Ports,
            (Some(Element::Ports), "port") => {
                let port = get("portid").and_then(|value| value.trim().parse::<i64>().ok()).unwrap_or(-1);
                self.port = Some(PortDraft {
                    service: DocumentService {
                        port,
                        protocol: get("protocol").unwrap_or_default(),
                        state: String::new(),
                        service_name: None,
                        product: None,
                        version: None,
                        cpe: None,
                        banner: None,
                        confidence: None,
                        extra_info: None,
                    },
                    cpe: None,
                });
                Element::Port
            }
            (Some(Element::Port), "state") => {
                if let (Some(port), Some(state)) = (&mut self.port, get("state")) {
                    port.service.state = port_state(&state).to_owned();
                }
                Element::Other
            }
            (Some(Element::Port), "service") => {
                let conf = get("conf");
                let confidence = match conf.as_deref().map(|value| value.trim().parse::<u8>()) {
                    None => None,
                    Some(Ok(conf)) if conf <= 10 => Some(i64::from(conf) * 10),
                    Some(_) => {
                        let (host, port) = (self.document.hosts.len(), self.host_services());
                        self.violations.push(Violation::new(
                            service_field(host, port, "confidence"),
                            "must be an integer from 0 to 10",
                        ));
                        None
                    }
                };
                if let Some(port) = &mut self.port {
                    let service = &mut port.service;
                    service.service_name = get("name");
                    service.product = get("product");
                    service.version = get("version");
                    service.extra_info = get("extrainfo").map(|text| json!({ "extrainfo": text }));
                    service.confidence = confidence;
                }
                Element::Service
            }
            (Some(Element::Service), "cpe") => {
                if self.port.as_ref().is_some_and(|port| port.cpe.is_none()) {
                    self.cpe = Some(String::new());
                }
                Element::Cpe
            }
            _ => Element::Other,
        };
        Ok(kind)
    }

    /// The number of ports of the host being read so far (the index of the next).
    fn host_services(&self) -> usize {
        self.host.as_ref().map_or(0, |host| host.services.len())
    }

    fn close(&mut self, kind: Element) {
        match kind {
            Element::OsCpe => {
                if let (Some(osmatch), Some(cpe)) = (&mut self.osmatch, self.os_cpe.take()) {
                    let cpe = cpe.trim();
                    if !cpe.is_empty() {
                        let found = Some((cpe.to_owned(), self.osclass_gen.clone()));
                        if osmatch.os_cpe.is_none() && cpe.starts_with("cpe:/o:") {
                            osmatch.os_cpe.clone_from(&found);
                        }
                        if osmatch.any_cpe.is_none() {
                            osmatch.any_cpe = found;
                        }
                    }
                }
            }
            Element::OsClass => self.osclass_gen = None,
            Element::OsMatch => {
                if let (Some(host), Some(osmatch)) = (&mut self.host, self.osmatch.take())
                    && host.os.as_ref().is_none_or(|best| osmatch.accuracy > best.accuracy)
                {
                    host.os = Some(osmatch);
                }
            }
            Element::Cpe => {
                if let (Some(port), Some(cpe)) = (&mut self.port, self.cpe.take())
                    && !cpe.trim().is_empty()
                {
                    port.cpe = Some(cpe);
                }
            }
            Element::Port => {
                if let (Some(host), Some(PortDraft { mut service, cpe })) = (&mut self.host, self.port.take()) {
                    if service.port < 0 || service.protocol.is_empty() || service.state.is_empty() {
                        self.doomed += 1;
                    }
                    service.cpe = cpe;
                    host.services.push(service);
                }
            }
            Element::Host => {
                if let Some(host) = self.host.take() {
                    if host.ip.is_none() || host.status.is_none() {
                        self.doomed += 1;
                    }
                    let (os, os_version, os_cpe) = match host.os.map(OsMatchDraft::into_parts) {
                        Some((name, version, cpe)) => (Some(name), version, cpe),
                        None => (None, None, None),
                    };
                    self.document.hosts.push(DocumentHost {
                        ip: host.ip.unwrap_or_default(),
                        status: host.status.unwrap_or_default(),
                        mac: host.mac,
                        mac_vendor: host.mac_vendor,
                        hostname: host.user_hostname.or(host.other_hostname),
                        os,
                        os_version,
                        os_cpe,
                        services: host.services,
                    });
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, text: &str, at: usize) -> Result<(), XmlError> {
        if self.stack.is_empty() && !text.trim().is_empty() {
            return Err(self.error("text outside the root element".to_owned(), at));
        }
        if let Some(cpe) = &mut self.cpe {
            cpe.push_str(text);
        }
        if let Some(cpe) = &mut self.os_cpe {
            cpe.push_str(text);
        }
        Ok(())
    }

    fn time(&mut self, raw: &str, field: &'static str) -> Option<OffsetDateTime> {
        let time = raw.trim().parse::<i64>().ok().and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok());
        if time.is_none() {
            self.violations.push(Violation::new(field, "must be a Unix time in seconds"));
        }
        time
    }
}

fn refused_entity(name: &str) -> String {
    format!(
        "the entity reference &{name}; is refused: only XML's five predefined entities and character references \
         are read"
    )
}

/// nmap's port state in the import's words.
fn port_state(state: &str) -> &str {
    match state {
        "open|filtered" => "open_filtered",
        "unfiltered" | "closed|filtered" => "unknown",
        other => other,
    }
}

#[cfg(test)]
mod tests;
