//! Scan import from nmap's XML output (`nmap -oX`): the real nmap's output against
//! loopback services (tests/fixtures/nmap, made by make-fixtures.sh there) imports
//! exactly, twice, and as its JSON equivalent does; hostile XML is refused and stores
//! nothing.

use authdb_tests::{Backend, TestApp, Tokens, spawn_app};
use serde_json::{Value, json};

const LOOPBACK: &str = include_str!("../fixtures/nmap/loopback-sv.xml");
const LOOPBACK_V6: &str = include_str!("../fixtures/nmap/loopback-v6.xml");
const WITH_OS: &str = include_str!("../fixtures/nmap/loopback-os.xml");
const WITH_DOWN: &str = include_str!("../fixtures/nmap/with-down.xml");

/// An organization with one network; answers (organization id, scans path).
async fn network(app: &TestApp, owner: &Tokens, slug: &str) -> (String, String) {
    let id = app.create_organization_ok(&owner.access_token, slug).await["id"].as_str().unwrap().to_owned();
    let network: Value = app
        .post(&format!("/api/v1/organizations/{id}/networks"), &owner.access_token, &json!({"name": "lan"}))
        .await
        .json()
        .await
        .unwrap();
    let scans = format!("/api/v1/organizations/{id}/networks/{}/scans", network["id"].as_str().unwrap());
    (id, scans)
}

async fn send_xml(
    app: &TestApp,
    path: &str,
    token: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn import(app: &TestApp, path: &str, token: &str, xml: &'static str) -> Value {
    let response = send_xml(app, path, token, "application/xml", xml).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

fn summary(body: &Value) -> [u64; 6] {
    ["hosts_up", "hosts_down", "assets_created", "assets_updated", "services_created", "services_updated"]
        .map(|key| body[key].as_u64().unwrap())
}

/// Every asset with its services, without ids and times: what a scan says about them.
async fn inventory(app: &TestApp, token: &str, organization: &str) -> Vec<Value> {
    let assets: Value = app
        .get(&format!("/api/v1/organizations/{organization}/assets?limit=200&sort=ip_address"), token)
        .await
        .json()
        .await
        .unwrap();
    let mut snapshot = Vec::new();
    for asset in assets["items"].as_array().unwrap() {
        let path = format!("/api/v1/organizations/{organization}/assets/{}/services", asset["id"].as_str().unwrap());
        let services: Value = app.get(&path, token).await.json().await.unwrap();
        let keep = |value: &Value, volatile: &[&str]| {
            let mut value = value.clone();
            for key in volatile {
                value.as_object_mut().unwrap().remove(*key);
            }
            value
        };
        let times =
            ["id", "network_id", "asset_id", "first_seen", "last_seen", "last_scanned", "created_at", "updated_at"];
        let services: Vec<Value> = services["items"].as_array().unwrap().iter().map(|s| keep(s, &times)).collect();
        snapshot.push(json!({"asset": keep(asset, &times), "services": services}));
    }
    snapshot
}

/// (port, protocol, state, service_name, product, version, cpe, confidence, extra_info) of each service.
fn services(snapshot: &Value) -> Vec<Value> {
    snapshot["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            json!([
                s["port"],
                s["protocol"],
                s["state"],
                s["service_name"],
                s["product"],
                s["version"],
                s["cpe"],
                s["confidence"],
                s["extra_info"]
            ])
        })
        .collect()
}

async fn real_nmap_scans_import_exactly(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (id, scans) = network(&app, &alice, "acme").await;
    let token = &alice.access_token;

    let first = import(&app, &scans, token, LOOPBACK).await;
    assert_eq!(first["source"], "nmap");
    assert_eq!(summary(&first), [1, 0, 1, 0, 5, 0]);
    assert_eq!(first["started_at"], "2026-11-30T17:07:19Z", "nmaprun@start");
    assert_eq!(first["finished_at"], "2026-11-30T17:08:59Z", "runstats/finished@time");
    let snapshot = inventory(&app, token, &id).await;
    assert_eq!(snapshot.len(), 1);
    let asset = &snapshot[0]["asset"];
    assert_eq!(asset["ip_address"], "127.0.0.1");
    assert_eq!(asset["hostname"], "localhost");
    assert_eq!(asset["is_reachable"], true);
    assert_eq!(asset["open_services"], 3, "open|filtered is not open");
    assert_eq!(asset["mac_address"], Value::Null);
    assert_eq!(asset["operating_system"], Value::Null);
    assert_eq!(asset["os_cpe"], Value::Null);
    assert_eq!(asset["os_version"], Value::Null);
    let python = json!({"extrainfo": "Python 3.11.7"});
    assert_eq!(
        services(&snapshot[0]),
        [
            json!([18025, "tcp", "open", "smtp", "Postfix smtpd", null, "cpe:/a:postfix:postfix", 100, null]),
            json!([
                18080,
                "tcp",
                "open",
                "http",
                "SimpleHTTPServer",
                "0.6",
                "cpe:/a:python:simplehttpserver:0.6",
                100,
                python
            ]),
            json!([18081, "tcp", "open", "tcpwrapped", null, null, null, 80, null]),
            json!([18099, "tcp", "closed", null, null, null, null, null, null]),
            json!([18053, "udp", "open_filtered", "unknown", null, null, null, 30, null]),
        ]
    );

    // IPv6, sent as text/xml.
    let response = send_xml(&app, &scans, token, "text/xml; charset=utf-8", LOOPBACK_V6).await;
    assert_eq!(response.status(), 201);
    assert_eq!(summary(&response.json().await.unwrap()), [1, 0, 1, 0, 2, 0]);
    let snapshot = inventory(&app, token, &id).await;
    assert_eq!(snapshot[1]["asset"]["ip_address"], "::1");
    assert_eq!(snapshot[1]["asset"]["hostname"], Value::Null);
    assert_eq!(
        services(&snapshot[1]),
        [
            json!([
                18080,
                "tcp",
                "open",
                "http",
                "SimpleHTTPServer",
                "0.6",
                "cpe:/a:python:simplehttpserver:0.6",
                100,
                python
            ]),
            json!([18099, "tcp", "closed", null, null, null, null, null, null]),
        ]
    );

    // OS detection: the most accurate match; the other ports stay as they were.
    let with_os = import(&app, &scans, token, WITH_OS).await;
    assert_eq!(summary(&with_os), [1, 0, 0, 1, 0, 3]);
    let snapshot = inventory(&app, token, &id).await;
    assert_eq!(snapshot[0]["asset"]["operating_system"], "Linux 5.0 - 5.2");
    assert_eq!(snapshot[0]["asset"]["os_cpe"], "cpe:/o:linux:linux_kernel:5", "the best osmatch's osclass/cpe");
    assert_eq!(snapshot[0]["asset"]["os_version"], "5.X", "that osclass's osgen");
    assert_eq!(services(&snapshot[0]).len(), 5);

    // A host down that was never seen creates nothing; the one up is refreshed.
    let with_down = import(&app, &scans, token, WITH_DOWN).await;
    assert_eq!(summary(&with_down), [1, 1, 0, 1, 0, 2]);
    let after = inventory(&app, token, &id).await;
    assert_eq!(after.len(), 2);
    assert_eq!(after, snapshot, "nothing the later scans carry differs, nothing they lack is erased");
}

async fn an_nmap_scan_imported_twice_counts_only_updates(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (id, scans) = network(&app, &alice, "acme").await;
    let token = &alice.access_token;
    let first = import(&app, &scans, token, LOOPBACK).await;
    assert_eq!(summary(&first), [1, 0, 1, 0, 5, 0]);
    let before = inventory(&app, token, &id).await;
    let second = import(&app, &scans, token, LOOPBACK).await;
    assert_eq!(summary(&second), [1, 0, 0, 1, 0, 5]);
    assert_eq!(inventory(&app, token, &id).await, before);
}

async fn json_and_nmap_xml_of_one_scan_give_the_same_inventory(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (from_xml, xml_scans) = network(&app, &alice, "from-xml").await;
    let (from_json, json_scans) = network(&app, &alice, "from-json").await;
    let token = &alice.access_token;
    // with-down.xml, written out in the JSON import format.
    let body = json!({
        "started_at": "2026-11-30T17:09:27Z",
        "finished_at": "2026-11-30T17:09:36Z",
        "hosts": [
            {"ip": "192.0.2.77", "status": "down"},
            {"ip": "127.0.0.1", "status": "up", "hostname": "localhost", "services": [
                {"port": 18025, "protocol": "tcp", "state": "open", "service_name": "smtp", "product": "Postfix smtpd",
                 "cpe": "cpe:/a:postfix:postfix", "confidence": 100},
                {"port": 18080, "protocol": "tcp", "state": "open", "service_name": "http", "product": "SimpleHTTPServer",
                 "version": "0.6", "cpe": "cpe:/a:python:simplehttpserver:0.6", "confidence": 100,
                 "extra_info": {"extrainfo": "Python 3.11.7"}},
            ]},
        ],
    });
    let xml = import(&app, &xml_scans, token, WITH_DOWN).await;
    let json = app.post(&json_scans, token, &body).await;
    assert_eq!(json.status(), 201);
    let json: Value = json.json().await.unwrap();
    assert_eq!(summary(&xml), summary(&json));
    assert_eq!((&xml["started_at"], &xml["finished_at"]), (&json["started_at"], &json["finished_at"]));
    assert_eq!((xml["source"].as_str(), json["source"].as_str()), (Some("nmap"), Some("json")));
    let inventory_from_xml = inventory(&app, token, &from_xml).await;
    assert_eq!(inventory_from_xml.len(), 1);
    assert_eq!(inventory_from_xml, inventory(&app, token, &from_json).await);
}

async fn hostile_or_broken_xml_is_refused_and_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (id, scans) = network(&app, &alice, "acme").await;
    let token = &alice.access_token;
    let host = r#"<host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/></host>"#;

    let laughs = format!(
        r#"<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY lol "lol">{}]><nmaprun>{host}<!-- &lol9; --></nmaprun>"#,
        (1..10).map(|n| format!(r#"<!ENTITY lol{n} "{}">"#, format!("&lol{};", n - 1).repeat(10))).collect::<String>()
    );
    let external = format!(
        r#"<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY passwd SYSTEM "file:///etc/passwd">]><nmaprun>{host}<x>&passwd;</x></nmaprun>"#
    );
    let external_dtd = format!(r#"<!DOCTYPE nmaprun SYSTEM "http://127.0.0.1:9/nmap.dtd"><nmaprun>{host}</nmaprun>"#);
    let custom_entity =
        format!(r#"<nmaprun>{host}<host><status state="up"/><address addr="&x;" addrtype="ipv4"/></host></nmaprun>"#);
    let deep = format!("<nmaprun>{host}{}{}</nmaprun>", "<a>".repeat(10_000), "</a>".repeat(10_000));
    for (name, body, says) in [
        ("billion laughs", laughs, "DOCTYPE"),
        ("external entity", external, "DOCTYPE"),
        ("external DTD", external_dtd, "DOCTYPE"),
        ("custom entity", custom_entity, "&x;"),
        ("10,000 levels", deep, "nest deeper than 64"),
        ("broken", format!("<nmaprun>\n{host}\n<host><status state=up/></host></nmaprun>"), "line 3"),
        ("unclosed", format!("<nmaprun>{host}"), "still open"),
        ("not nmap", "<html><body/></html>".to_owned(), "<nmaprun>"),
    ] {
        let response = send_xml(&app, &scans, token, "application/xml", body).await;
        assert_eq!(response.status(), 400, "{name}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["type"], "/problems/malformed-xml", "{name}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(says) && detail.contains("at byte"), "{name}: {detail}");
    }

    // 40 MiB, over the default 32 MiB scan limit: refused before it is read.
    let huge = format!("<nmaprun>{host}<!-- {} --></nmaprun>", "x".repeat(40 * 1024 * 1024));
    let response = send_xml(&app, &scans, token, "application/xml", huge).await;
    assert_eq!(response.status(), 413);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/payload-too-large");
    assert_eq!(problem["detail"], "the request body must be at most 33554432 bytes");

    // An invalid host is named by its element, and nothing of the others is stored.
    let mut hosts: Vec<String> = (0..20)
        .map(|n| format!(r#"<host><status state="up"/><address addr="10.1.0.{n}" addrtype="ipv4"/></host>"#))
        .collect();
    hosts[17] = r#"<host><status state="up"/><address addr="10.1.0.300" addrtype="ipv4"/></host>"#.to_owned();
    hosts[3] = r#"<host><status state="up"/><address addr="10.1.0.3" addrtype="ipv4"/><address addr="nope" addrtype="mac"/>
        <ports><port protocol="icmp" portid="0"><state state="open"/></port><port protocol="tcp" portid="22"><state state="sleepy"/><service conf="12"/></port></ports></host>"#
        .to_owned();
    hosts[5] = r#"<host><status state="unknown"/></host>"#.to_owned();
    let body = format!("<nmaprun>{}</nmaprun>", hosts.concat());
    let response = send_xml(&app, &scans, token, "application/xml", body).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        [
            "host[3].ports.port[1].service.conf",
            "host[3].address[mac]",
            "host[3].ports.port[0].portid",
            "host[3].ports.port[0].protocol",
            "host[3].ports.port[1].state",
            "host[5].address",
            "host[5].status",
            "host[17].address",
        ]
    );

    // A thousand empty hosts: the 422 names the first hundred.
    let body = format!("<nmaprun>{}</nmaprun>", "<host/>".repeat(1000));
    let response = send_xml(&app, &scans, token, "application/xml", body).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["errors"].as_array().unwrap().len(), 100);
    assert_eq!(problem["errors"][99]["field"], "host[49].status");
    // Neither JSON nor XML.
    let response = send_xml(&app, &scans, token, "text/csv", "ip,status\n10.0.0.1,up").await;
    assert_eq!(response.status(), 415);
    let problem: Value = response.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("application/xml"), "{problem}");

    let assets: Value = app.get(&format!("/api/v1/organizations/{id}/assets"), token).await.json().await.unwrap();
    assert_eq!(assets["total"], 0);
    let listed: Value = app.get(&scans, token).await.json().await.unwrap();
    assert_eq!(listed["total"], 0);
}

on_both_backends!(
    real_nmap_scans_import_exactly,
    an_nmap_scan_imported_twice_counts_only_updates,
    json_and_nmap_xml_of_one_scan_give_the_same_inventory,
    hostile_or_broken_xml_is_refused_and_stores_nothing,
);
