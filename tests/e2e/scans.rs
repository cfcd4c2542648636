//! Scan import (JSON): upserts in one transaction, idempotent re-imports whose summary
//! counts only updates, known values a scan does not carry kept, all or nothing with the
//! bad host named, and the scan body's own size limit.

use crate::answers::fields;
use authdb_persistence::entities::audit_events;
use authdb_tests::{Backend, TestApp, Tokens, spawn_app, spawn_app_with};
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// An organization with one network; answers (organization id, network id).
async fn network(app: &TestApp, owner: &Tokens, slug: &str) -> (String, String) {
    let id = app.create_organization_ok(&owner.access_token, slug).await["id"].as_str().unwrap().to_owned();
    let network: Value = app
        .post(&format!("/api/v1/organizations/{id}/networks"), &owner.access_token, &json!({"name": "lan"}))
        .await
        .json()
        .await
        .unwrap();
    (id, network["id"].as_str().unwrap().to_owned())
}

fn scan() -> Value {
    json!({
        "started_at": "2026-11-30T09:00:00Z",
        "finished_at": "2026-11-30T09:05:00Z",
        "hosts": [
            {"ip": "10.0.0.1", "status": "up", "mac": "AA-BB-CC-00-00-01", "mac_vendor": "Acme", "hostname": "Gateway",
             "os": "Linux 6.1", "services": [
                {"port": 22, "protocol": "TCP", "state": "open", "service_name": "ssh", "product": "OpenSSH",
                 "version": "9.2", "banner": "SSH-2.0-OpenSSH_9.2\r\n", "confidence": 10},
                {"port": 53, "protocol": "udp", "state": "open", "service_name": "domain"},
             ]},
            {"ip": "2001:DB8::5", "status": "up", "services": [{"port": 443, "protocol": "tcp", "state": "filtered"}]},
            {"ip": "10.0.0.9", "status": "down"},
        ],
    })
}

/// Every asset of the organization with its services, less what changes with time.
async fn inventory(app: &TestApp, token: &str, organization: &str) -> Vec<Value> {
    let assets: Value =
        app.get(&format!("/api/v1/organizations/{organization}/assets?limit=200"), token).await.json().await.unwrap();
    let mut snapshot = Vec::new();
    for asset in assets["items"].as_array().unwrap() {
        let path = format!("/api/v1/organizations/{organization}/assets/{}/services", asset["id"].as_str().unwrap());
        let services: Value = app.get(&path, token).await.json().await.unwrap();
        let mut asset = asset.clone();
        for volatile in ["updated_at", "last_seen", "last_scanned"] {
            asset.as_object_mut().unwrap().remove(volatile);
        }
        let mut services = services["items"].as_array().unwrap().clone();
        for service in &mut services {
            for volatile in ["updated_at", "last_seen"] {
                service.as_object_mut().unwrap().remove(volatile);
            }
        }
        snapshot.push(json!({"asset": asset, "services": services}));
    }
    snapshot
}

fn summary(body: &Value) -> [u64; 6] {
    ["hosts_up", "hosts_down", "assets_created", "assets_updated", "services_created", "services_updated"]
        .map(|key| body[key].as_u64().unwrap())
}

async fn the_same_scan_twice_gives_the_same_inventory(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (id, network) = network(&app, &alice, "acme").await;
    let scans = format!("/api/v1/organizations/{id}/networks/{network}/scans");

    let first = app.post(&scans, &alice.access_token, &scan()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(summary(&first), [2, 1, 2, 0, 3, 0], "the unknown down host creates nothing");
    assert_eq!(first["source"], "json");
    assert_eq!(first["network_id"], network);
    assert_eq!(first["started_at"], "2026-11-30T09:00:00Z");
    assert_eq!(first["finished_at"], "2026-11-30T09:05:00Z");
    assert_eq!(first["created_by"], alice.user["id"]);
    let after_first = inventory(&app, &alice.access_token, &id).await;
    assert_eq!(after_first.len(), 2);
    let gateway = &after_first[0]["asset"];
    assert_eq!(gateway["ip_address"], "10.0.0.1");
    assert_eq!(gateway["hostname"], "gateway");
    assert_eq!(gateway["mac_address"], "aa:bb:cc:00:00:01");
    assert_eq!(gateway["operating_system"], "Linux 6.1");
    assert_eq!(gateway["network_id"], network);
    assert_eq!(gateway["is_reachable"], true);
    assert_eq!(gateway["open_services"], 2);
    assert_eq!(after_first[1]["asset"]["ip_address"], "2001:db8::5");
    assert_eq!(after_first[1]["asset"]["open_services"], 0, "a filtered port is not open");
    let ssh = &after_first[0]["services"][0];
    assert_eq!((ssh["port"].as_u64(), ssh["protocol"].as_str()), (Some(22), Some("tcp")));
    assert_eq!(ssh["banner"], "SSH-2.0-OpenSSH_9.2\r\n");
    assert_eq!(ssh["confidence"], 10);

    let second = app.post(&scans, &alice.access_token, &scan()).await;
    assert_eq!(second.status(), 201);
    let second: Value = second.json().await.unwrap();
    assert_eq!(summary(&second), [2, 1, 0, 2, 0, 3], "the second import only updates");
    assert_ne!(second["id"], first["id"]);
    assert_eq!(inventory(&app, &alice.access_token, &id).await, after_first);

    // Both imports are listed, newest first, and each can be read.
    let listed: Value = app.get(&scans, &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 2);
    assert_eq!(listed["items"][0]["id"], second["id"]);
    let one: Value =
        app.get(&format!("{scans}/{}", first["id"].as_str().unwrap()), &alice.access_token).await.json().await.unwrap();
    assert_eq!(one, first);

    // One audit event per import, with its counts.
    let db = app.database().await;
    let events =
        audit_events::Entity::find().filter(audit_events::Column::Action.eq("scan.imported")).all(&db).await.unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().any(|event| event.details["assets_created"] == 2 && event.details["services_created"] == 3));
    assert!(events.iter().any(|event| event.details["assets_updated"] == 2 && event.details["services_updated"] == 3));
}

async fn a_scan_never_erases_what_it_does_not_carry(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (id, network) = network(&app, &alice, "acme").await;
    let token = &alice.access_token;
    let assets = format!("/api/v1/organizations/{id}/assets");
    let scans = format!("/api/v1/organizations/{id}/networks/{network}/scans");
    // Known by hand: a host name, an OS, a criticality, tags and a service's product.
    let known: Value = app
        .post(
            &assets,
            token,
            &json!({"ip_address": "10.0.0.1", "network_id": network, "hostname": "keep-me", "operating_system": "BSD",
                    "os_version": "14.1", "os_cpe": "cpe:/o:freebsd:freebsd:14.1", "criticality": "critical", "tags": ["prod"], "is_reachable": false}),
        )
        .await
        .json()
        .await
        .unwrap();
    let asset = format!("{assets}/{}", known["id"].as_str().unwrap());
    let service = app
        .post(&format!("{asset}/services"), token, &json!({"port": 22, "protocol": "tcp", "product": "OpenSSH"}))
        .await;
    assert_eq!(service.status(), 201);
    // The same address without a network is another asset, which the scan leaves alone.
    let outside: Value = app
        .post(&assets, token, &json!({"ip_address": "10.0.0.1", "hostname": "elsewhere"}))
        .await
        .json()
        .await
        .unwrap();

    let body = json!({"hosts": [{"ip": "10.0.0.1", "status": "up", "mac": "aabbccddeeff",
        "services": [{"port": 22, "protocol": "tcp", "state": "open", "version": "9.2"}]}]});
    let imported: Value = app.post(&scans, token, &body).await.json().await.unwrap();
    assert_eq!(summary(&imported), [1, 0, 0, 1, 0, 1]);
    let read: Value = app.get(&asset, token).await.json().await.unwrap();
    assert_eq!(read["hostname"], "keep-me");
    assert_eq!(read["operating_system"], "BSD");
    assert_eq!(read["os_version"], "14.1");
    assert_eq!(read["os_cpe"], "cpe:/o:freebsd:freebsd:14.1");
    assert_eq!(read["criticality"], "critical");
    assert_eq!(read["tags"], json!(["prod"]));
    assert_eq!(read["mac_address"], "aa:bb:cc:dd:ee:ff", "what the scan carries is recorded");
    assert_eq!(read["is_reachable"], true);
    assert_eq!(read["first_seen"], known["first_seen"]);
    assert!(read["last_seen"].is_string() && read["last_scanned"].is_string());
    let services: Value = app.get(&format!("{asset}/services"), token).await.json().await.unwrap();
    assert_eq!(services["items"][0]["product"], "OpenSSH");
    assert_eq!(services["items"][0]["version"], "9.2");
    let untouched: Value =
        app.get(&format!("{assets}/{}", outside["id"].as_str().unwrap()), token).await.json().await.unwrap();
    assert_eq!(untouched, outside);

    // Down: unreachable and scanned, nothing else changes.
    let down: Value =
        app.post(&scans, token, &json!({"hosts": [{"ip": "10.0.0.1", "status": "DOWN"}]})).await.json().await.unwrap();
    assert_eq!(summary(&down), [0, 1, 0, 1, 0, 0]);
    let read: Value = app.get(&asset, token).await.json().await.unwrap();
    assert_eq!(read["is_reachable"], false);
    assert_eq!(read["hostname"], "keep-me");
    assert_eq!(read["open_services"], 1);

    // A scan that carries the OS's version and CPE records them; the next without keeps them.
    let with_os = json!({"hosts": [{"ip": "10.0.0.1", "status": "up", "os": "Linux 5.0 - 5.2", "os_version": "5.X",
        "os_cpe": "cpe:/o:linux:linux_kernel:5"}]});
    assert_eq!(app.post(&scans, token, &with_os).await.status(), 201);
    let bare = json!({"hosts": [{"ip": "10.0.0.1", "status": "up"}]});
    assert_eq!(app.post(&scans, token, &bare).await.status(), 201);
    let read: Value = app.get(&asset, token).await.json().await.unwrap();
    assert_eq!(read["operating_system"], "Linux 5.0 - 5.2");
    assert_eq!(read["os_version"], "5.X");
    assert_eq!(read["os_cpe"], "cpe:/o:linux:linux_kernel:5");
}

async fn a_scan_with_one_bad_host_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let vera = app.register_ok("vera").await;
    let (id, network) = network(&app, &alice, "acme").await;
    app.add_member_ok(&alice.access_token, &id, &vera, "viewer").await;
    let token = &alice.access_token;
    let scans = format!("/api/v1/organizations/{id}/networks/{network}/scans");
    let mut hosts: Vec<Value> = (0..20)
        .map(|n| json!({"ip": format!("10.1.0.{n}"), "status": "up", "services": [{"port": 80, "protocol": "tcp", "state": "open"}]}))
        .collect();
    hosts[17]["ip"] = json!("10.1.0.300");
    let refused = app.post(&scans, token, &json!({ "hosts": hosts })).await;
    assert_eq!(refused.status(), 422);
    assert_eq!(fields(&refused.json().await.unwrap()), ["hosts[17].ip"]);

    // Every bad field is named by its place; a repeated address or port too.
    hosts[17]["ip"] = json!("10.1.0.17");
    hosts[3]["status"] = json!("sleeping");
    hosts[5]["services"] = json!([{"port": 0, "protocol": "icmp", "state": "open"}, {"port": 80, "protocol": "tcp", "state": "open"}, {"port": 80, "protocol": "tcp", "state": "closed"}]);
    hosts[6]["ip"] = json!("10.1.0.7");
    hosts[8]["mac"] = json!("nope");
    hosts[9]["os_cpe"] = json!("");
    hosts[10]["os_version"] = json!("x".repeat(256));
    hosts[8]["services"] =
        json!([{"port": 80, "protocol": "tcp", "state": "open", "extra_info": ["not", "an", "object"]}]);
    let refused = app.post(&scans, token, &json!({ "hosts": hosts })).await;
    assert_eq!(refused.status(), 422);
    assert_eq!(
        fields(&refused.json().await.unwrap()),
        [
            "hosts[3].status",
            "hosts[5].services[0].port",
            "hosts[5].services[0].protocol",
            "hosts[5].services[2].port",
            "hosts[7].ip",
            "hosts[8].mac",
            "hosts[8].services[0].extra_info",
            "hosts[9].os_cpe",
            "hosts[10].os_version"
        ]
    );
    // A mistyped field is a 422 with its path; broken JSON a 400 saying where.
    let mistyped = app
        .post(&scans, token, &json!({"hosts": [{"ip": "10.0.0.1", "status": "up", "services": [{"port": "x"}]}]}))
        .await;
    assert_eq!(mistyped.status(), 422);
    assert_eq!(fields(&mistyped.json().await.unwrap()), ["hosts[0].services[0].port"]);
    let broken = app
        .client
        .post(app.url(&scans))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body("{\"hosts\": [\n{\"ip\": \"10.0.0.1\",, }]}")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    let problem: Value = broken.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("line 2"), "{problem}");
    let xml = app
        .client
        .post(app.url(&scans))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(xml.status(), 415);
    // Viewers may not import; an unknown network is not found.
    assert_eq!(app.post(&scans, &vera.access_token, &json!({"hosts": []})).await.status(), 403);
    let nowhere = format!("/api/v1/organizations/{id}/networks/00000000-0000-7000-8000-000000000000/scans");
    assert_eq!(app.post(&nowhere, token, &json!({"hosts": []})).await.status(), 404);
    assert_eq!(app.get(&nowhere, token).await.status(), 404);

    // Nothing was stored by any refused import.
    let assets: Value = app.get(&format!("/api/v1/organizations/{id}/assets"), token).await.json().await.unwrap();
    assert_eq!(assets["total"], 0);
    let listed: Value = app.get(&scans, token).await.json().await.unwrap();
    assert_eq!(listed["total"], 0);
}

async fn scan_bodies_have_their_own_limit(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.inventory.max_scan_bytes = 256 * 1024).await;
    let alice = app.register_ok("alice").await;
    let (id, network) = network(&app, &alice, "acme").await;
    let scans = format!("/api/v1/organizations/{id}/networks/{network}/scans");
    // About 100 KiB: over the 64 KiB of every other body, within the scan limit.
    let hosts: Vec<Value> = (0..1000)
        .map(|n| json!({"ip": format!("10.2.{}.{}", n / 250, n % 250), "status": "up", "os": "x".repeat(40)}))
        .collect();
    let body = json!({ "hosts": hosts });
    assert!(body.to_string().len() > 64 * 1024);
    let imported = app.post(&scans, &alice.access_token, &body).await;
    assert_eq!(imported.status(), 201);
    assert_eq!(imported.json::<Value>().await.unwrap()["assets_created"], 1000);
    // Other routes keep their limit.
    let other = app
        .post(
            &format!("/api/v1/organizations/{id}/assets"),
            &alice.access_token,
            &json!({"ip_address": "10.9.9.9", "os_cpe": "x".repeat(70 * 1024)}),
        )
        .await;
    assert_eq!(other.status(), 413);
    assert_eq!(other.json::<Value>().await.unwrap()["detail"], "the request body must be at most 65536 bytes");
    // Over the scan limit: 413 naming that limit, and nothing more stored.
    let hosts: Vec<Value> = (0..4000)
        .map(|n| json!({"ip": format!("10.3.{}.{}", n / 250, n % 250), "status": "up", "os": "y".repeat(60)}))
        .collect();
    let too_big = app.post(&scans, &alice.access_token, &json!({ "hosts": hosts })).await;
    assert_eq!(too_big.status(), 413);
    assert_eq!(too_big.json::<Value>().await.unwrap()["detail"], "the request body must be at most 262144 bytes");
    let listed: Value = app.get(&scans, &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);
}

async fn concurrent_imports_of_overlapping_scans_keep_one_asset_per_address(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (id, network) = network(&app, &alice, "acme").await;
    let scans = format!("/api/v1/organizations/{id}/networks/{network}/scans");
    let hosts: Vec<Value> = (0..40)
        .map(|n| {
            json!({"ip": format!("10.4.0.{n}"), "status": "up",
                   "services": [{"port": 22, "protocol": "tcp", "state": "open"}, {"port": 80, "protocol": "tcp", "state": "open"}]})
        })
        .collect();
    // The same hosts in opposite orders, eight imports at once.
    let bodies: Vec<Value> = (0..8)
        .map(|n| {
            let mut hosts = hosts.clone();
            if n % 2 == 1 {
                hosts.reverse();
            }
            json!({ "hosts": hosts })
        })
        .collect();
    let responses = join_all(bodies.iter().map(|body| app.post(&scans, &alice.access_token, body))).await;
    let mut created = [0, 0];
    for response in responses {
        assert_eq!(response.status(), 201, "no conflict, deadlock or 5xx");
        let body: Value = response.json().await.unwrap();
        created[0] += body["assets_created"].as_u64().unwrap();
        created[1] += body["services_created"].as_u64().unwrap();
    }
    assert_eq!(created, [40, 80], "imports into one network run in turn, so each asset is counted created once");
    let assets: Value = app
        .get(&format!("/api/v1/organizations/{id}/assets?limit=200"), &alice.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(assets["total"], 40);
    assert!(assets["items"].as_array().unwrap().iter().all(|asset| asset["open_services"] == 2));
    let listed: Value = app.get(&scans, &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 8);
}

/// A scan that finds known and new hosts at once: a new asset's services are inserted
/// (nothing of it can exist yet), a known asset's are upserted, and the counts say which.
async fn a_scan_of_new_and_known_hosts_counts_each(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (id, network) = network(&app, &alice, "acme").await;
    let token = &alice.access_token;
    let scans = format!("/api/v1/organizations/{id}/networks/{network}/scans");
    let first = json!({"hosts": [{"ip": "10.6.0.1", "status": "up",
        "services": [{"port": 22, "protocol": "tcp", "state": "open", "product": "OpenSSH"}]}]});
    let imported: Value = app.post(&scans, token, &first).await.json().await.unwrap();
    assert_eq!(summary(&imported), [1, 0, 1, 0, 1, 0]);

    let second = json!({"hosts": [
        {"ip": "10.6.0.2", "status": "up", "services": [
            {"port": 22, "protocol": "tcp", "state": "open"}, {"port": 53, "protocol": "udp", "state": "open"}]},
        {"ip": "10.6.0.1", "status": "up", "services": [
            {"port": 22, "protocol": "tcp", "state": "closed"}, {"port": 443, "protocol": "tcp", "state": "open"}]},
    ]});
    let imported: Value = app.post(&scans, token, &second).await.json().await.unwrap();
    assert_eq!(summary(&imported), [2, 0, 1, 1, 3, 1], "{imported}");

    let inventory = inventory(&app, token, &id).await;
    let ports = |ip: &str| {
        let entry = inventory.iter().find(|entry| entry["asset"]["ip_address"] == ip).unwrap();
        let services = entry["services"].as_array().unwrap().iter();
        services
            .map(|service| (service["protocol"].clone(), service["port"].clone(), service["state"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ports("10.6.0.1"),
        [(json!("tcp"), json!(22), json!("closed")), (json!("tcp"), json!(443), json!("open"))]
    );
    assert_eq!(ports("10.6.0.2"), [(json!("tcp"), json!(22), json!("open")), (json!("udp"), json!(53), json!("open"))]);
    let product = |ip: &str| {
        inventory.iter().find(|entry| entry["asset"]["ip_address"] == ip).unwrap()["services"][0]["product"].clone()
    };
    assert_eq!(product("10.6.0.1"), "OpenSSH", "a known service keeps what the scan does not carry");
    // Importing it again finds everything: only updates.
    let again: Value = app.post(&scans, token, &second).await.json().await.unwrap();
    assert_eq!(summary(&again), [2, 0, 0, 2, 0, 4], "{again}");
}

/// 6,000 hosts with a service each: more rows than one statement of the upserts takes on
/// either backend (SQLite: 3,000 assets or 2,000 services; PostgreSQL: 5,000 of either),
/// so the import crosses its batches, and the second import finds every row again.
async fn a_scan_larger_than_a_batch_imports_whole_twice(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (id, network) = network(&app, &alice, "acme").await;
    let scans = format!("/api/v1/organizations/{id}/networks/{network}/scans");
    let hosts: Vec<Value> = (0..6000)
        .map(|n| {
            json!({"ip": format!("10.5.{}.{}", n / 250, n % 250), "status": "up", "hostname": format!("h{n}"),
                   "services": [{"port": 22 + n % 3, "protocol": "tcp", "state": "open"}]})
        })
        .collect();
    let body = json!({ "hosts": hosts });
    let counts = |summary: &Value| {
        ["assets_created", "assets_updated", "services_created", "services_updated"].map(|key| summary[key].clone())
    };
    let first: Value = app.post(&scans, &alice.access_token, &body).await.json().await.unwrap();
    assert_eq!(counts(&first), [6000, 0, 6000, 0].map(Value::from), "{first}");
    let second: Value = app.post(&scans, &alice.access_token, &body).await.json().await.unwrap();
    assert_eq!(counts(&second), [0, 6000, 0, 6000].map(Value::from), "{second}");
    let assets = format!("/api/v1/organizations/{id}/assets?limit=1&sort=-ip_address");
    let listed: Value = app.get(&assets, &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 6000);
    let last = &listed["items"][0];
    assert_eq!(
        (&last["ip_address"], &last["hostname"], &last["open_services"]),
        (&json!("10.5.23.249"), &json!("h5999"), &json!(1))
    );
}

/// A scan's times are kept as every time is, in UTC and whole seconds, so that both
/// backends answer the same whatever offset and fraction the scan gave.
async fn a_scans_times_are_kept_in_utc_and_whole_seconds(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (id, network) = network(&app, &alice, "acme").await;
    let scans = format!("/api/v1/organizations/{id}/networks/{network}/scans");
    let body = json!({
        "started_at": "2026-11-30T10:00:00.123456789+01:00",
        "finished_at": "2026-11-30T09:05:00.5Z",
        "hosts": [{"ip": "10.0.0.1", "status": "up"}],
    });
    let imported = app.post(&scans, &alice.access_token, &body).await;
    assert_eq!(imported.status(), 201);
    let imported: Value = imported.json().await.unwrap();
    let read: Value = app
        .get(&format!("{scans}/{}", imported["id"].as_str().unwrap()), &alice.access_token)
        .await
        .json()
        .await
        .unwrap();
    let listed: Value = app.get(&scans, &alice.access_token).await.json().await.unwrap();
    for scan in [&imported, &read, &listed["items"][0]] {
        assert_eq!(scan["started_at"], "2026-11-30T09:00:00Z");
        assert_eq!(scan["finished_at"], "2026-11-30T09:05:00Z");
    }
}

on_both_backends!(
    a_scans_times_are_kept_in_utc_and_whole_seconds,
    a_scan_larger_than_a_batch_imports_whole_twice,
    a_scan_of_new_and_known_hosts_counts_each,
    the_same_scan_twice_gives_the_same_inventory,
    a_scan_never_erases_what_it_does_not_carry,
    a_scan_with_one_bad_host_stores_nothing,
    scan_bodies_have_their_own_limit,
    concurrent_imports_of_overlapping_scans_keep_one_asset_per_address,
);
