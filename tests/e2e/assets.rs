//! Assets of an organization: CRUD, normalisation of addresses, validation with field
//! names, ownership by members, listing (filters, numeric address order) identical on
//! both backends, and concurrent creates of one address.

use crate::answers::fields;
use authdb_tests::{Backend, TestApp, Tokens, spawn_app};
use futures_util::future::join_all;
use serde_json::{Value, json};

async fn organization(app: &TestApp, owner: &Tokens, slug: &str) -> String {
    app.create_organization_ok(&owner.access_token, slug).await["id"].as_str().unwrap().to_owned()
}

async fn assets_are_normalised_read_changed_and_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let id = organization(&app, &alice, "acme").await;
    app.add_member_ok(&alice.access_token, &id, &bob, "member").await;
    let assets = format!("/api/v1/organizations/{id}/assets");

    let created = app
        .post(
            &assets,
            &alice.access_token,
            &json!({
                "ip_address": "2001:DB8:0:0:0:0:0:1",
                "hostname": "Web-01.Example.COM",
                "mac_address": "AA-BB-CC-DD-EE-0F",
                "operating_system": "Debian",
                "asset_type": "Server",
                "criticality": "high",
                "tags": ["Prod", "web:443", "prod"],
                "risk_score": 70,
                "vulnerabilities": {"critical": 1, "low": 4},
                "last_seen": "2026-11-30T11:00:00.75+01:00",
                "metadata": {"rack": "B4"},
                "owner_id": bob.user_id(),
            }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["ip_address"], "2001:db8::1");
    assert_eq!(created["hostname"], "web-01.example.com");
    assert_eq!(created["mac_address"], "aa:bb:cc:dd:ee:0f");
    assert_eq!(created["asset_type"], "server");
    assert_eq!(created["tags"], json!(["prod", "web:443"]));
    assert_eq!(created["status"], "active");
    assert_eq!(created["is_reachable"], false);
    assert_eq!(created["vulnerabilities"], json!({"critical": 1, "high": 0, "medium": 0, "low": 4, "info": 0}));
    assert_eq!(created["open_services"], 0, "no service recorded yet");
    assert_eq!(created["last_seen"], "2026-11-30T10:00:00Z", "UTC, whole seconds, on both backends");
    assert_eq!(created["last_scanned"], Value::Null);
    assert_eq!(created["owner_id"], bob.user_id());
    assert_eq!(created["network_id"], Value::Null);
    let asset = format!("{assets}/{}", created["id"].as_str().unwrap());

    let read: Value = app.get(&asset, &bob.access_token).await.json().await.unwrap();
    assert_eq!(read, created);

    let changed = app
        .patch(
            &asset,
            &bob.access_token,
            &json!({"mac_address": "aabb.ccdd.ee10", "hostname": null, "tags": [], "status": "maintenance",
                    "ip_address": "::FFFF:10.0.0.1", "owner_id": null, "metadata": {},
                    "last_scanned": "2026-11-30T09:59:59.999-02:00"}),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["mac_address"], "aa:bb:cc:dd:ee:10");
    assert_eq!(changed["last_scanned"], "2026-11-30T11:59:59Z");
    assert_eq!(changed["ip_address"], "::ffff:10.0.0.1");
    assert_eq!((&changed["hostname"], &changed["owner_id"]), (&Value::Null, &Value::Null));
    assert_eq!((&changed["tags"], &changed["status"]), (&json!([]), &json!("maintenance")));
    assert_eq!(changed["criticality"], "high", "untouched");
    assert_eq!(changed["risk_score"], 70, "untouched");

    assert_eq!(app.delete(&asset, &bob.access_token).await.status(), 204);
    assert_eq!(app.get(&asset, &bob.access_token).await.status(), 404);
    assert_eq!(app.delete(&asset, &bob.access_token).await.status(), 404);
}

async fn invalid_assets_name_every_wrong_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let stranger = app.register_ok("stranger").await;
    let vera = app.register_ok("vera").await;
    let id = organization(&app, &alice, "acme").await;
    let other = organization(&app, &stranger, "other").await;
    app.add_member_ok(&alice.access_token, &id, &vera, "viewer").await;
    let assets = format!("/api/v1/organizations/{id}/assets");

    let invalid = app
        .post(
            &assets,
            &alice.access_token,
            &json!({
                "ip_address": "10.0.0.256",
                "hostname": "bad host",
                "mac_address": "aa:bb:cc:dd:ee",
                "asset_type": "toaster",
                "criticality": "urgent",
                "tags": ["ok", "fine", "also-ok", "Not OK!"],
                "status": "lost",
                "risk_score": 101,
                "vulnerabilities": {"high": -1},
                "metadata": [1, 2],
            }),
        )
        .await;
    assert_eq!(invalid.status(), 422);
    assert_eq!(
        fields(&invalid.json().await.unwrap()),
        [
            "ip_address",
            "hostname",
            "mac_address",
            "asset_type",
            "criticality",
            "tags[3]",
            "status",
            "risk_score",
            "vulnerabilities.high",
            "metadata"
        ]
    );
    let many: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
    let too_many = app.post(&assets, &alice.access_token, &json!({"ip_address": "10.0.0.1", "tags": many})).await;
    assert_eq!(fields(&too_many.json().await.unwrap()), ["tags"]);
    let big = json!({"ip_address": "10.0.0.1", "metadata": {"blob": "x".repeat(17 * 1024)}});
    let big = app.post(&assets, &alice.access_token, &big).await;
    assert_eq!(big.status(), 422);
    assert_eq!(fields(&big.json().await.unwrap()), ["metadata"]);

    // The owner must be a member; the network must be this organization's.
    let other_network: Value = app
        .post(&format!("/api/v1/organizations/{other}/networks"), &stranger.access_token, &json!({"name": "theirs"}))
        .await
        .json()
        .await
        .unwrap();
    let foreign = app
        .post(
            &assets,
            &alice.access_token,
            &json!({"ip_address": "10.0.0.1", "owner_id": stranger.user_id(), "network_id": other_network["id"]}),
        )
        .await;
    assert_eq!(foreign.status(), 422);
    assert_eq!(fields(&foreign.json().await.unwrap()), ["network_id", "owner_id"]);

    let created: Value =
        app.post(&assets, &alice.access_token, &json!({"ip_address": "10.0.0.1"})).await.json().await.unwrap();
    let asset = format!("{assets}/{}", created["id"].as_str().unwrap());
    let patch = app.patch(&asset, &alice.access_token, &json!({"owner_id": stranger.user_id(), "tags": ["a b"]})).await;
    assert_eq!(patch.status(), 422);
    assert_eq!(fields(&patch.json().await.unwrap()), ["tags[0]"], "values are checked before references");
    let patch = app.patch(&asset, &alice.access_token, &json!({"owner_id": stranger.user_id()})).await;
    assert_eq!(fields(&patch.json().await.unwrap()), ["owner_id"]);
    assert_eq!(app.patch(&asset, &alice.access_token, &json!({"owner_id": vera.user_id()})).await.status(), 200);
    let owned: Value =
        app.get(&format!("{assets}?owner_id={}", vera.user_id()), &alice.access_token).await.json().await.unwrap();
    assert_eq!((owned["total"].as_u64(), &owned["items"][0]["id"]), (Some(1), &created["id"]));
    let nobody: Value =
        app.get(&format!("{assets}?owner_id={}", alice.user_id()), &alice.access_token).await.json().await.unwrap();
    assert_eq!(nobody["total"], 0);

    // A viewer reads but does not write.
    assert_eq!(app.get(&asset, &vera.access_token).await.status(), 200);
    assert_eq!(app.post(&assets, &vera.access_token, &json!({"ip_address": "10.0.0.2"})).await.status(), 403);
    assert_eq!(app.delete(&asset, &vera.access_token).await.status(), 403);

    // Another organization's asset id is unknown here, and this one unknown there.
    let theirs: Value = app
        .post(
            &format!("/api/v1/organizations/{other}/assets"),
            &stranger.access_token,
            &json!({"ip_address": "10.9.9.9"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let theirs_here = format!("{assets}/{}", theirs["id"].as_str().unwrap());
    assert_eq!(app.get(&theirs_here, &alice.access_token).await.status(), 404);
    assert_eq!(app.patch(&theirs_here, &alice.access_token, &json!({"risk_score": 1})).await.status(), 404);
    assert_eq!(app.delete(&theirs_here, &alice.access_token).await.status(), 404);
    let mine_there = format!("/api/v1/organizations/{other}/assets/{}", created["id"].as_str().unwrap());
    assert_eq!(app.get(&mine_there, &stranger.access_token).await.status(), 404);
}

/// One asset of the listing tests: address, hostname, criticality, risk, tags, status.
type Row = (&'static str, Option<&'static str>, &'static str, i64, &'static [&'static str], &'static str);

const INVENTORY: &[Row] = &[
    ("10.0.0.10", Some("db-1"), "critical", 90, &["prod", "db"], "active"),
    ("10.0.0.9", Some("web-2"), "high", 40, &["prod", "web"], "active"),
    // Tags that contain `prod` without being it: the tag filter matches whole tags.
    ("10.0.0.100", None, "low", 10, &["lab", "preprod", "prod-eu"], "maintenance"),
    ("9.1.1.1", Some("edge"), "medium", 60, &["prod", "web"], "inactive"),
    ("2001:db8::10", Some("v6-b"), "low", 20, &["web"], "active"),
    ("2001:db8::9", Some("v6-a"), "critical", 95, &[], "active"),
];

async fn fill(app: &TestApp, token: &str, organization: &str) {
    let assets = format!("/api/v1/organizations/{organization}/assets");
    for (ip, hostname, criticality, risk, tags, status) in INVENTORY {
        let body = json!({
            "ip_address": ip, "hostname": hostname, "criticality": criticality, "risk_score": risk,
            "tags": tags, "status": status, "mac_address": format!("02-00-00-00-00-{risk:02X}"),
            "metadata": {"risk": risk, "nested": {"ip": ip}}, "vulnerabilities": {"high": risk / 10, "info": 1},
            "is_reachable": *risk > 50, "operating_system": "Linux",
        });
        assert_eq!(app.post(&assets, token, &body).await.status(), 201, "{ip}");
    }
}

/// The addresses a listing answers, in order.
async fn listed(app: &TestApp, token: &str, organization: &str, query: &str) -> Vec<String> {
    let response = app.get(&format!("/api/v1/organizations/{organization}/assets?{query}"), token).await;
    assert_eq!(response.status(), 200, "{query}");
    let body: Value = response.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    let total = body["total"].as_u64().unwrap();
    if query.contains("limit=") {
        assert!(total >= items.len() as u64, "{query}");
    } else {
        assert_eq!(total, items.len() as u64, "{query}: every match fits the default page");
    }
    items.iter().map(|item| item["ip_address"].as_str().unwrap().to_owned()).collect()
}

/// Every listing of the shared inventory, as (query, addresses).
async fn listings(app: &TestApp, token: &str, organization: &str) -> Vec<(String, Vec<String>)> {
    let queries = [
        "",
        "sort=-ip_address",
        "sort=hostname",
        "sort=-hostname",
        "sort=-risk_score",
        "sort=criticality",
        "sort=-criticality",
        "sort=last_seen",
        "tag=prod&tag=web",
        "tag=PROD",
        "status=active,maintenance",
        "criticality=critical&asset_type=unknown",
        "cidr=10.0.0.0/24",
        "cidr=10.0.0.8/29",
        "cidr=2001:db8::/120",
        "cidr=0.0.0.0/0",
        "q=10.0.0.1",
        "q=WEB",
        "min_risk=60&sort=-risk_score",
        "limit=2&offset=1",
        "tag=prod-eu",
    ];
    let mut answers = Vec::new();
    for query in queries {
        answers.push((query.to_owned(), listed(app, token, organization, query).await));
    }
    answers
}

fn ips(list: &[&str]) -> Vec<String> {
    list.iter().map(|ip| (*ip).to_owned()).collect()
}

async fn lists_filter_and_sort_by_numeric_address(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let id = organization(&app, &alice, "acme").await;
    fill(&app, &alice.access_token, &id).await;
    let answers = listings(&app, &alice.access_token, &id).await;
    let expected: Vec<(&str, Vec<&str>)> = vec![
        ("", vec!["9.1.1.1", "10.0.0.9", "10.0.0.10", "10.0.0.100", "2001:db8::9", "2001:db8::10"]),
        ("sort=-ip_address", vec!["2001:db8::10", "2001:db8::9", "10.0.0.100", "10.0.0.10", "10.0.0.9", "9.1.1.1"]),
        ("sort=hostname", vec!["10.0.0.10", "9.1.1.1", "2001:db8::9", "2001:db8::10", "10.0.0.9", "10.0.0.100"]),
        ("sort=-hostname", vec!["10.0.0.9", "2001:db8::10", "2001:db8::9", "9.1.1.1", "10.0.0.10", "10.0.0.100"]),
        ("sort=-risk_score", vec!["2001:db8::9", "10.0.0.10", "9.1.1.1", "10.0.0.9", "2001:db8::10", "10.0.0.100"]),
        ("sort=criticality", vec!["10.0.0.100", "2001:db8::10", "9.1.1.1", "10.0.0.9", "10.0.0.10", "2001:db8::9"]),
        ("sort=-criticality", vec!["10.0.0.10", "2001:db8::9", "10.0.0.9", "9.1.1.1", "10.0.0.100", "2001:db8::10"]),
        ("sort=last_seen", vec!["9.1.1.1", "10.0.0.9", "10.0.0.10", "10.0.0.100", "2001:db8::9", "2001:db8::10"]),
        ("tag=prod&tag=web", vec!["9.1.1.1", "10.0.0.9"]),
        ("tag=PROD", vec!["9.1.1.1", "10.0.0.9", "10.0.0.10"]),
        ("status=active,maintenance", vec!["10.0.0.9", "10.0.0.10", "10.0.0.100", "2001:db8::9", "2001:db8::10"]),
        ("criticality=critical&asset_type=unknown", vec!["10.0.0.10", "2001:db8::9"]),
        ("cidr=10.0.0.0/24", vec!["10.0.0.9", "10.0.0.10", "10.0.0.100"]),
        ("cidr=10.0.0.8/29", vec!["10.0.0.9", "10.0.0.10"]),
        ("cidr=2001:db8::/120", vec!["2001:db8::9", "2001:db8::10"]),
        ("cidr=0.0.0.0/0", vec!["9.1.1.1", "10.0.0.9", "10.0.0.10", "10.0.0.100"]),
        ("q=10.0.0.1", vec!["10.0.0.10", "10.0.0.100"]),
        ("q=WEB", vec!["10.0.0.9"]),
        ("min_risk=60&sort=-risk_score", vec!["2001:db8::9", "10.0.0.10", "9.1.1.1"]),
        ("limit=2&offset=1", vec!["10.0.0.9", "10.0.0.10"]),
        ("tag=prod-eu", vec!["10.0.0.100"]),
    ];
    for ((query, answer), (expected_query, expected)) in answers.iter().zip(&expected) {
        assert_eq!(query, expected_query);
        assert_eq!(answer, &ips(expected), "{query}");
    }

    let assets = format!("/api/v1/organizations/{id}/assets");
    for (query, field) in [
        ("sort=mac", "sort"),
        ("status=active,lost", "status"),
        ("tag=a%20b", "tag"),
        ("cidr=10.0.0.1/24", "cidr"),
        ("network_id=x", "network_id"),
        ("min_risk=101", "min_risk"),
        ("port=0", "port"),
        ("port=ssh", "port"),
        ("limit=0", "limit"),
    ] {
        let response = app.get(&format!("{assets}?{query}"), &alice.access_token).await;
        assert_eq!(response.status(), 422, "{query}");
        assert_eq!(fields(&response.json().await.unwrap()), [field], "{query}");
    }
}

/// One inventory on SQLite and on PostgreSQL lists the same way for every query.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_are_identical_on_sqlite_and_postgres() {
    let mut answers = Vec::new();
    let mut bodies = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = spawn_app(backend).await;
        let alice = app.register_ok("alice").await;
        let id = organization(&app, &alice, "acme").await;
        fill(&app, &alice.access_token, &id).await;
        answers.push(listings(&app, &alice.access_token, &id).await);
        // Whole items too, but for what differs by nature (ids, times of creation).
        let body: Value = app
            .get(&format!("/api/v1/organizations/{id}/assets?sort=-criticality&limit=200"), &alice.access_token)
            .await
            .json()
            .await
            .unwrap();
        let mut items = body["items"].as_array().unwrap().clone();
        for item in &mut items {
            for volatile in ["id", "created_at", "updated_at", "first_seen"] {
                item.as_object_mut().unwrap().remove(volatile);
            }
        }
        bodies.push(items);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0].len(), INVENTORY.len());
}

async fn concurrent_creates_of_one_address_give_one_asset(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let id = organization(&app, &alice, "acme").await;
    let assets = format!("/api/v1/organizations/{id}/assets");
    let body = json!({"ip_address": "10.20.30.40", "hostname": "twin"});

    let responses = join_all((0..16).map(|_| app.post(&assets, &alice.access_token, &body))).await;
    let mut statuses: Vec<u16> = responses.iter().map(|response| response.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [[201].as_slice(), &[409; 15]].concat(), "one wins, the rest conflict, no 5xx");
    for response in responses.into_iter().filter(|response| response.status() == 409) {
        assert_eq!(fields(&response.json().await.unwrap()), ["ip_address"]);
    }
    let listed: Value = app.get(&assets, &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);
    // The same address in a network is another asset; twice in that network is not.
    let network: Value = app
        .post(&format!("/api/v1/organizations/{id}/networks"), &alice.access_token, &json!({"name": "lab"}))
        .await
        .json()
        .await
        .unwrap();
    let in_network = json!({"ip_address": "10.20.30.40", "network_id": network["id"]});
    assert_eq!(app.post(&assets, &alice.access_token, &in_network).await.status(), 201);
    assert_eq!(app.post(&assets, &alice.access_token, &in_network).await.status(), 409);
    // Moving an asset onto a taken address is a conflict too.
    let other: Value =
        app.post(&assets, &alice.access_token, &json!({"ip_address": "10.20.30.41"})).await.json().await.unwrap();
    let moved = app
        .patch(
            &format!("{assets}/{}", other["id"].as_str().unwrap()),
            &alice.access_token,
            &json!({"ip_address": "10.20.30.40"}),
        )
        .await;
    assert_eq!(moved.status(), 409);
}

/// 1,600 assets of a scan, 64 of them given a risk and half of those `prod`: enough
/// matches that SQLite pages `sort=-risk_score` by walking its risk index, and pages past
/// that walk's reach, small ranges, a tag and the ascending order by sorting the matches.
/// Each page is the one the rule (risk, then numeric address) gives, on both backends.
async fn large_listings_by_risk_page_alike_whichever_plan(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let id = organization(&app, &alice, "acme").await;
    let network: Value = app
        .post(&format!("/api/v1/organizations/{id}/networks"), &alice.access_token, &json!({"name": "lan"}))
        .await
        .json()
        .await
        .unwrap();
    let address = |n: u32| std::net::Ipv4Addr::new(10, 7, (n / 250) as u8, (n % 250) as u8);
    let hosts: Vec<Value> = (0..1600).map(|n| json!({"ip": address(n).to_string(), "status": "up"})).collect();
    let scans = format!("/api/v1/organizations/{id}/networks/{}/scans", network["id"].as_str().unwrap());
    assert_eq!(app.post(&scans, &alice.access_token, &json!({ "hosts": hosts })).await.status(), 201);

    // Every 25th host gets a risk (with ties) and every other one of those the tag.
    let assets = format!("/api/v1/organizations/{id}/assets");
    let mut risk = vec![0_i64; 1600];
    let mut prod = vec![false; 1600];
    for n in (0..1600).step_by(25) {
        let listed: Value = app
            .get(&format!("{assets}?cidr={}/32", address(n as u32)), &alice.access_token)
            .await
            .json()
            .await
            .unwrap();
        risk[n] = (n as i64 * 37) % 97 + 1;
        prod[n] = n % 50 == 0;
        let tags: &[&str] = if prod[n] { &["prod"] } else { &[] };
        let path = format!("{assets}/{}", listed["items"][0]["id"].as_str().unwrap());
        let changed = app.patch(&path, &alice.access_token, &json!({"risk_score": risk[n], "tags": tags})).await;
        assert_eq!(changed.status(), 200);
    }

    // The expected page: the matches by risk (descending or not), then by address.
    let expected = |matches: &dyn Fn(u32) -> bool, descending: bool, offset: usize, limit: usize| {
        let mut hosts: Vec<u32> = (0..1600).filter(|n| matches(*n)).collect();
        hosts.sort_by_key(|n| (if descending { -risk[*n as usize] } else { risk[*n as usize] }, address(*n)));
        let page = hosts.iter().skip(offset).take(limit).map(|n| address(*n).to_string()).collect::<Vec<_>>();
        (hosts.len() as u64, page)
    };
    let all = |_: u32| true;
    let in_first = |blocks: u32| move |n: u32| n / 250 < blocks;
    let cases: Vec<(&str, (u64, Vec<String>))> = vec![
        ("sort=-risk_score&limit=50", expected(&all, true, 0, 50)),
        ("sort=-risk_score&limit=50&offset=40", expected(&all, true, 40, 50)),
        ("sort=-risk_score&limit=50&offset=60", expected(&all, true, 60, 50)),
        ("sort=-risk_score&limit=200&offset=1500", expected(&all, true, 1500, 200)),
        ("cidr=10.7.0.0/22&sort=-risk_score&limit=20", expected(&in_first(4), true, 0, 20)),
        ("cidr=10.7.0.0/23&sort=-risk_score&limit=30", expected(&in_first(2), true, 0, 30)),
        ("tag=prod&sort=-risk_score", expected(&|n| prod[n as usize], true, 0, 50)),
        ("sort=risk_score&limit=70", expected(&all, false, 0, 70)),
    ];
    for (query, (total, page)) in cases {
        let body: Value = app.get(&format!("{assets}?{query}"), &alice.access_token).await.json().await.unwrap();
        assert_eq!(body["total"], total, "{query}");
        let listed: Vec<&str> =
            body["items"].as_array().unwrap().iter().map(|item| item["ip_address"].as_str().unwrap()).collect();
        assert_eq!(listed, page, "{query}");
    }

    // On SQLite each page is read the way its plan says: the walk down the risk index
    // without sorting, or the address range sorted (PostgreSQL plans by itself).
    if backend == Backend::Sqlite {
        let walked = page_plan(&app, &alice, &id, None, "50").await;
        assert!(walked.iter().any(|step| step.contains("idx_assets_risk")), "{walked:#?}");
        assert!(!walked.iter().any(|step| step.contains("TEMP B-TREE")), "{walked:#?}");
        let sorted = page_plan(&app, &alice, &id, Some("10.7.0.0/23"), "30").await;
        assert!(sorted.iter().any(|step| step.contains("idx_assets_listing")), "{sorted:#?}");
        assert!(!sorted.iter().any(|step| step.contains("idx_assets_risk")), "{sorted:#?}");
        assert!(sorted.iter().any(|step| step.contains("USE TEMP B-TREE FOR ORDER BY")), "{sorted:#?}");
    }
}

/// SQLite's plan for choosing the page of `alice`'s listing by `-risk_score` (within
/// `cidr`, if any, `limit` rows): the steps under the subquery of the page statement that
/// `assets::list` sends, as `EXPLAIN QUERY PLAN` details.
async fn page_plan(app: &TestApp, alice: &Tokens, organization: &str, cidr: Option<&str>, limit: &str) -> Vec<String> {
    use authdb_domain::{AssetFilter, AssetSortKey, Cidr, Page, Sort};
    use sea_orm::ConnectionTrait;
    use std::sync::{Arc, Mutex};

    let mut db = app.database().await;
    let statements = Arc::new(Mutex::new(Vec::new()));
    let sent = Arc::clone(&statements);
    db.set_metric_callback(move |info| sent.lock().unwrap().push(info.statement.clone()));
    let user = alice.user_id().parse().unwrap();
    let tenant = authdb_persistence::memberships::resolve(&db, user, organization.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .tenant;
    let filter = AssetFilter { cidr: cidr.map(|cidr| Cidr::parse(cidr, "cidr").unwrap()), ..AssetFilter::default() };
    let sort = Sort { key: AssetSortKey::RiskScore, descending: true };
    let page = Page::parse(Some(limit), None).unwrap();
    authdb_persistence::assets::list(&db, tenant, &filter, sort, page).await.unwrap();
    // The last statement reads the page's rows, whose ids a subquery chooses.
    let mut explain = statements.lock().unwrap().last().unwrap().clone();
    explain.sql = format!("EXPLAIN QUERY PLAN {}", explain.sql);
    let steps: Vec<(i64, i64, String)> = db
        .query_all_raw(explain)
        .await
        .unwrap()
        .iter()
        .map(|row| {
            (row.try_get("", "id").unwrap(), row.try_get("", "parent").unwrap(), row.try_get("", "detail").unwrap())
        })
        .collect();
    let subquery = steps.iter().find(|(_, _, detail)| detail.contains("SUBQUERY")).expect("a subquery").0;
    steps.into_iter().filter(|(_, parent, _)| *parent == subquery).map(|(_, _, detail)| detail).collect()
}

/// The count of a listing filtered by tags (and an address range) is read from the
/// tags' own table, which triggers keep in step with `assets.tags`: it follows creates,
/// changes of tags and of address, deletes (one, and a network's with `cascade`), and
/// scan imports, and agrees with the assets listed, on both backends.
async fn tag_counts_follow_every_write(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let id = organization(&app, &alice, "acme").await;
    let token = &alice.access_token;
    let assets = format!("/api/v1/organizations/{id}/assets");
    let network: Value = app
        .post(&format!("/api/v1/organizations/{id}/networks"), token, &json!({"name": "lan"}))
        .await
        .json()
        .await
        .unwrap();
    let network_id = network["id"].as_str().unwrap();
    let mut ids = Vec::new();
    for (ip, tags, in_network) in [
        ("10.0.0.1", vec!["prod", "web"], false),
        ("10.0.0.2", vec!["prod"], false),
        ("10.0.1.3", vec!["web"], false),
        ("10.0.0.4", vec!["prod", "web"], true),
        ("2001:db8::1", vec!["prod"], false),
    ] {
        let mut body = json!({"ip_address": ip, "tags": tags});
        if in_network {
            body["network_id"] = json!(network_id);
        }
        let created: Value = app.post(&assets, token, &body).await.json().await.unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    // (query, total) pairs; each total is also the number of assets listed.
    let check = |expected: Vec<(&'static str, u64)>| {
        let app = &app;
        let assets = &assets;
        async move {
            for (query, total) in expected {
                let body: Value = app.get(&format!("{assets}?{query}&limit=200"), token).await.json().await.unwrap();
                assert_eq!(
                    (body["total"].as_u64(), body["items"].as_array().map(Vec::len)),
                    (Some(total), Some(total as usize)),
                    "{query}"
                );
            }
        }
    };
    check(vec![
        ("tag=prod", 4),
        ("tag=web", 3),
        ("tag=prod&tag=web", 2),
        ("tag=web&tag=prod&tag=web", 2),
        ("tag=prod&cidr=10.0.0.0/24", 3),
        ("tag=prod&cidr=2001:db8::/64", 1),
        ("tag=prod&tag=web&cidr=10.0.0.0/31", 1),
        ("tag=absent", 0),
    ])
    .await;

    // New tags, a new address, one asset deleted.
    let path = |n: usize| format!("{assets}/{}", ids[n]);
    assert_eq!(app.patch(&path(1), token, &json!({"tags": ["web", "db"]})).await.status(), 200);
    assert_eq!(app.patch(&path(0), token, &json!({"ip_address": "10.9.0.1"})).await.status(), 200);
    assert_eq!(app.delete(&path(2), token).await.status(), 204);
    check(vec![
        ("tag=prod", 3),
        ("tag=web", 3),
        ("tag=db&tag=web", 1),
        ("tag=prod&cidr=10.0.0.0/24", 1),
        ("tag=prod&cidr=10.9.0.0/16", 1),
    ])
    .await;

    // An import refreshes the network's tagged asset and adds untagged ones.
    let scans = format!("/api/v1/organizations/{id}/networks/{network_id}/scans");
    let scan = json!({"hosts": [{"ip": "10.0.0.4", "status": "up"}, {"ip": "10.0.0.5", "status": "up"}]});
    assert_eq!(app.post(&scans, token, &scan).await.status(), 201);
    check(vec![("tag=prod&tag=web&cidr=10.0.0.0/24", 1), ("tag=web", 3)]).await;
    // Deleting the network with its assets takes their tags along.
    let network_path = format!("/api/v1/organizations/{id}/networks/{network_id}?cascade=true");
    assert_eq!(app.delete(&network_path, token).await.status(), 200);
    check(vec![("tag=prod", 2), ("tag=web", 2), ("tag=prod&tag=web", 1), ("tag=prod&cidr=10.0.0.0/24", 0)]).await;
}

on_both_backends!(
    assets_are_normalised_read_changed_and_deleted,
    invalid_assets_name_every_wrong_field,
    lists_filter_and_sort_by_numeric_address,
    concurrent_creates_of_one_address_give_one_asset,
    large_listings_by_risk_page_alike_whichever_plan,
    tag_counts_follow_every_write,
);
