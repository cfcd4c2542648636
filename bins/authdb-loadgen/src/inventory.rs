//! Inventory workloads: scan imports (JSON or nmap XML) and asset listings over a seeded
//! organization.
//!
//! Both run as one user who owns one organization, so the server must run with the API
//! rate limit off or raised (`AUTHDB__RATE_LIMIT__ENABLED=false`): the per-user budget
//! would otherwise answer 429 long before the database is the limit.

use std::{fmt::Write as _, time::Instant};

use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::run_id;

/// Ports every generated host offers, with the service nmap would name on them.
const SERVICES: [(u16, &str, &str, &str); 8] = [
    (22, "ssh", "OpenSSH", "9.2p1"),
    (80, "http", "nginx", "1.22.1"),
    (443, "https", "nginx", "1.22.1"),
    (3306, "mysql", "MySQL", "8.0.35"),
    (5432, "postgresql", "PostgreSQL DB", "15.5"),
    (6379, "redis", "Redis key-value store", "7.0.15"),
    (8080, "http-proxy", "Jetty", "9.4.53"),
    (9100, "jetdirect", "HP JetDirect", "1.0"),
];

/// How a scan body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ScanFormat {
    Json,
    /// What `nmap -sV -O -oX` writes.
    Nmap,
}

impl ScanFormat {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Nmap => "nmap",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Nmap => "application/xml",
        }
    }
}

/// The address of generated host `i`: 10.x.y.z, spread over four /16s.
fn host_ip(i: usize) -> String {
    let n = i / 4;
    format!("10.{}.{}.{}", i % 4, (n / 256) % 256, n % 256)
}

fn host_mac(i: usize) -> String {
    let b = i.to_be_bytes();
    let len = b.len();
    format!("02:00:{:02X}:{:02X}:{:02X}:{:02X}", b[len - 4], b[len - 3], b[len - 2], b[len - 1])
}

/// A scan of `hosts` hosts that are up, each with `services` open ports (at most 8). Both
/// formats carry the same facts (nmap's `conf="10"` is the JSON's confidence 100, its
/// service `cpe` the JSON's `cpe`), so that the two imports write the same rows.
pub(crate) fn scan_body(format: ScanFormat, hosts: usize, services: usize) -> Vec<u8> {
    let services = &SERVICES[..services.min(SERVICES.len())];
    match format {
        ScanFormat::Json => {
            let hosts: Vec<Value> = (0..hosts)
                .map(|i| {
                    json!({
                        "ip": host_ip(i),
                        "status": "up",
                        "mac": host_mac(i),
                        "mac_vendor": "Loadgen Devices",
                        "hostname": format!("host-{i}.bench.example"),
                        "os": "Linux 5.15 - 6.1",
                        "os_version": "5.X",
                        "os_cpe": "cpe:/o:linux:linux_kernel:5",
                        "services": services.iter().map(|(port, name, product, version)| json!({
                            "port": port,
                            "protocol": "tcp",
                            "state": "open",
                            "service_name": name,
                            "product": product,
                            "version": version,
                            "cpe": format!("cpe:/a:bench:{name}:{version}"),
                            "confidence": 100,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::to_vec(&json!({ "hosts": hosts })).unwrap_or_default()
        }
        ScanFormat::Nmap => {
            let mut xml = String::with_capacity(hosts * (400 + 260 * services.len()));
            xml.push_str(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <nmaprun scanner=\"nmap\" args=\"nmap -sV -O -oX - 10.0.0.0/14\" start=\"1764518400\" \
                 startstr=\"Sun Nov 30 16:00:00 2026\" version=\"7.93\" xmloutputversion=\"1.05\">\n\
                 <scaninfo type=\"syn\" protocol=\"tcp\" numservices=\"1000\" services=\"1-1000\"/>\n\
                 <verbose level=\"0\"/>\n<debugging level=\"0\"/>\n",
            );
            for i in 0..hosts {
                let _ = write!(
                    xml,
                    "<host starttime=\"1764518400\" endtime=\"1764518460\"><status state=\"up\" reason=\"arp-response\" reason_ttl=\"0\"/>\n\
                     <address addr=\"{}\" addrtype=\"ipv4\"/>\n<address addr=\"{}\" addrtype=\"mac\" vendor=\"Loadgen Devices\"/>\n\
                     <hostnames>\n<hostname name=\"host-{i}.bench.example\" type=\"PTR\"/>\n</hostnames>\n<ports>",
                    host_ip(i),
                    host_mac(i),
                );
                for (port, name, product, version) in services {
                    let _ = writeln!(
                        xml,
                        "<port protocol=\"tcp\" portid=\"{port}\"><state state=\"open\" reason=\"syn-ack\" reason_ttl=\"64\"/>\
                         <service name=\"{name}\" product=\"{product}\" version=\"{version}\" method=\"probed\" conf=\"10\">\
                         <cpe>cpe:/a:bench:{name}:{version}</cpe></service></port>"
                    );
                }
                xml.push_str(
                    "</ports>\n<os><osmatch name=\"Linux 5.15 - 6.1\" accuracy=\"96\" line=\"67000\">\
                     <osclass type=\"general purpose\" vendor=\"Linux\" osfamily=\"Linux\" osgen=\"5.X\" accuracy=\"96\">\
                     <cpe>cpe:/o:linux:linux_kernel:5</cpe></osclass></osmatch></os>\n</host>\n",
                );
            }
            let _ = writeln!(
                xml,
                "<runstats><finished time=\"1764518460\" timestr=\"Sun Nov 30 16:01:00 2026\" elapsed=\"60.00\" exit=\"success\"/>\
                 <hosts up=\"{hosts}\" down=\"0\" total=\"{hosts}\"/></runstats>\n</nmaprun>"
            );
            xml.into_bytes()
        }
    }
}

/// One user who owns one organization.
pub(crate) struct Owner {
    client: Client,
    base: String,
    bearer: String,
    organization: String,
}

impl Owner {
    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/organizations/{}{path}", self.base, self.organization)
    }

    /// Registers a fresh user and creates its organization.
    pub(crate) async fn create(client: &Client, base: &str) -> Result<Self, String> {
        let run = run_id();
        let username = format!("lg{run}inv");
        let body = json!({
            "email": format!("{username}@loadgen.example.com"),
            "username": username,
            "password": crate::PASSWORD,
        });
        let registered = expect_json(
            client.post(format!("{base}/api/v1/auth/register")).json(&body),
            StatusCode::CREATED,
            "registering",
        )
        .await?;
        let bearer = field(&registered, "access_token")?;
        let body = json!({ "name": format!("Loadgen {run}"), "slug": format!("lg-{run}") });
        let organization = expect_json(
            client.post(format!("{base}/api/v1/organizations")).bearer_auth(&bearer).json(&body),
            StatusCode::CREATED,
            "creating the organization",
        )
        .await?;
        let organization = field(&organization, "id")?;
        Ok(Self { client: client.clone(), base: base.to_owned(), bearer, organization })
    }

    pub(crate) fn bearer(&self) -> &str {
        &self.bearer
    }

    /// The path of an organization-scoped route, for a worker's GET.
    pub(crate) fn path(&self, path: &str) -> String {
        format!("/api/v1/organizations/{}{path}", self.organization)
    }

    /// Creates a group chat of the owner alone (for `chat-post`) and answers its id.
    pub(crate) async fn create_group_chat(&self, name: &str) -> Result<String, String> {
        let body = json!({ "kind": "group", "name": name, "member_ids": [] });
        let chat = expect_json(
            self.client.post(self.url("/chats")).bearer_auth(&self.bearer).json(&body),
            StatusCode::CREATED,
            "creating a chat",
        )
        .await?;
        field(&chat, "id")
    }

    pub(crate) async fn create_network(&self, name: &str) -> Result<String, String> {
        let body = json!({ "name": name, "cidrs": ["10.0.0.0/14"] });
        let network = expect_json(
            self.client.post(self.url("/networks")).bearer_auth(&self.bearer).json(&body),
            StatusCode::CREATED,
            "creating a network",
        )
        .await?;
        field(&network, "id")
    }

    /// Imports one scan and answers its summary.
    pub(crate) async fn import(&self, network: &str, format: ScanFormat, body: Vec<u8>) -> Result<Value, String> {
        let request = self
            .client
            .post(self.url(&format!("/networks/{network}/scans")))
            .bearer_auth(&self.bearer)
            .header(reqwest::header::CONTENT_TYPE, format.content_type())
            .body(body);
        expect_json(request, StatusCode::CREATED, "importing the scan").await
    }

    /// Creates `count` assets without a network, `parallelism` at a time: address
    /// [`host_ip`], tag `prod` on every other /16 row, a spread of risk scores.
    pub(crate) async fn seed_assets(&self, count: usize, parallelism: usize) -> Result<(), String> {
        stream::iter(0..count)
            .map(|i| async move {
                let criticality = ["low", "medium", "high", "critical"][i % 4];
                let tags = if (i / 4) % 2 == 0 { vec!["prod", "bench"] } else { vec!["dev", "bench"] };
                let body = json!({
                    "ip_address": host_ip(i),
                    "hostname": format!("asset-{i}.bench.example"),
                    "tags": tags,
                    "risk_score": (i * 37) % 101,
                    "criticality": criticality,
                });
                let request = self.client.post(self.url("/assets")).bearer_auth(&self.bearer).json(&body);
                expect_json(request, StatusCode::CREATED, "creating an asset").await.map(drop)
            })
            .buffer_unordered(parallelism)
            .try_collect::<()>()
            .await
    }
}

pub(crate) async fn expect_json(
    request: reqwest::RequestBuilder,
    expected: StatusCode,
    what: &str,
) -> Result<Value, String> {
    let response = request.send().await.map_err(|error| format!("{what}: {error}"))?;
    let status = response.status();
    if status != expected {
        let body = response.text().await.unwrap_or_default();
        return Err(format!("{what}: HTTP {status}: {}", body.chars().take(300).collect::<String>()));
    }
    response.json::<Value>().await.map_err(|error| format!("{what}: {error}"))
}

pub(crate) fn field(body: &Value, name: &str) -> Result<String, String> {
    body.get(name).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| format!("no `{name}` in {body}"))
}

/// `VmRSS` and `VmHWM` of a process, in KiB (Linux only; `None` elsewhere or if it is gone).
pub(crate) fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let read = |key: &str| {
        status.lines().find_map(|line| line.strip_prefix(key)?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
    };
    Some((read("VmRSS:")?, read("VmHWM:")?))
}

/// Imports the same generated scan `rounds` times into a fresh network and reports each.
pub(crate) async fn scan_import(
    client: &Client,
    base: &str,
    format: ScanFormat,
    hosts: usize,
    services: usize,
    rounds: u32,
    server_pid: Option<u32>,
) -> Result<Value, String> {
    let owner = Owner::create(client, base).await?;
    let network = owner.create_network(&format!("bench-{}", run_id())).await?;
    let body = scan_body(format, hosts, services);
    eprintln!("setup: a {} scan of {hosts} hosts x {services} services, {} bytes", format.name(), body.len());
    let mut results = Vec::new();
    for round in 1..=rounds {
        let before = server_pid.and_then(memory_kib);
        let started = Instant::now();
        let summary = owner.import(&network, format, body.clone()).await?;
        let secs = started.elapsed().as_secs_f64();
        let after = server_pid.and_then(memory_kib);
        eprintln!(
            "import {round}: {secs:.3} s; created {} / updated {} assets, created {} / updated {} services{}",
            summary["assets_created"],
            summary["assets_updated"],
            summary["services_created"],
            summary["services_updated"],
            match (before, after) {
                (Some((rss0, _)), Some((rss1, hwm))) => format!("; server RSS {rss0} -> {rss1} KiB (peak {hwm})"),
                _ => String::new(),
            }
        );
        results.push(json!({
            "round": round,
            "secs": (secs * 1000.0).round() / 1000.0,
            "summary": summary,
            "rss_kib_before": before.map(|m| m.0),
            "rss_kib_after": after.map(|m| m.0),
            "hwm_kib_after": after.map(|m| m.1),
        }));
    }
    Ok(json!({
        "scenario": "scan-import",
        "format": format.name(),
        "hosts": hosts,
        "services_per_host": services,
        "body_bytes": body.len(),
        "rounds": results,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_hosts_are_distinct_and_spread() {
        let ips: std::collections::HashSet<String> = (0..100_000).map(host_ip).collect();
        assert_eq!(ips.len(), 100_000);
        assert_eq!(host_ip(1), "10.1.0.0");
        assert_eq!(host_ip(5), "10.1.0.1");
        assert_eq!(host_mac(258), "02:00:00:00:01:02");
    }

    #[test]
    fn json_scan_has_every_host_and_service() {
        let body: Value = serde_json::from_slice(&scan_body(ScanFormat::Json, 3, 5)).expect("json");
        let hosts = body["hosts"].as_array().expect("hosts");
        assert_eq!(hosts.len(), 3);
        assert_eq!(hosts[2]["ip"], "10.2.0.0");
        assert_eq!(hosts[0]["services"].as_array().map(Vec::len), Some(5));
    }

    #[test]
    fn nmap_scan_names_every_host_and_port() {
        let xml = String::from_utf8(scan_body(ScanFormat::Nmap, 2, 5)).expect("utf-8");
        assert_eq!(xml.matches("<host ").count(), 2);
        assert_eq!(xml.matches("<port ").count(), 10);
        assert!(xml.contains("<address addr=\"10.1.0.0\" addrtype=\"ipv4\"/>"));
        assert!(xml.ends_with("</nmaprun>\n"));
    }
}
