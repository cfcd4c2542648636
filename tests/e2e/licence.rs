//! Licence limits of the inventory: `max_assets` holds across concurrent asset creates
//! and scan imports (the one that would exceed it is a 409 and stores nothing), and past
//! `license_expires_at` every inventory write is a 403 while reads go on.

use authdb_tests::{Backend, TestApp, Tokens, spawn_app};
use futures_util::future::join_all;
use serde_json::{Value, json};

/// alice's organization with one network, and a superuser to set its licence; answers
/// (alice, root, organization id, network id).
async fn licensed(app: &TestApp) -> (Tokens, Tokens, String, String) {
    let alice = app.register_ok("alice").await;
    app.register_ok("root").await;
    let root = app.promote_to_superuser("root").await;
    let id = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let network: Value = app
        .post(&format!("/api/v1/organizations/{id}/networks"), &alice.access_token, &json!({"name": "lan"}))
        .await
        .json()
        .await
        .unwrap();
    (alice, root, id, network["id"].as_str().unwrap().to_owned())
}

async fn set_licence(app: &TestApp, root: &Tokens, organization: &str, licence: Value) {
    let response = app.patch(&format!("/api/v1/organizations/{organization}"), &root.access_token, &licence).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

async fn asset_count(app: &TestApp, token: &str, organization: &str) -> u64 {
    let assets: Value =
        app.get(&format!("/api/v1/organizations/{organization}/assets"), token).await.json().await.unwrap();
    assets["total"].as_u64().unwrap()
}

/// Checks a 409 asset-limit problem and answers its `current`.
async fn limit_reached(response: reqwest::Response, limit: u64) -> u64 {
    assert_eq!(response.status(), 409);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/asset-limit-reached", "{problem}");
    assert_eq!(problem["limit"], limit, "{problem}");
    problem["current"].as_u64().unwrap()
}

fn hosts(addresses: impl IntoIterator<Item = String>) -> Value {
    let hosts: Vec<Value> = addresses
        .into_iter()
        .map(|ip| json!({"ip": ip, "status": "up", "services": [{"port": 22, "protocol": "tcp", "state": "open"}]}))
        .collect();
    json!({ "hosts": hosts })
}

async fn concurrent_creates_and_imports_never_exceed_max_assets(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, root, id, network) = licensed(&app).await;
    let token = &alice.access_token;
    let assets = format!("/api/v1/organizations/{id}/assets");
    let scans = format!("/api/v1/organizations/{id}/networks/{network}/scans");

    // Three rounds, the limit raised each time: 8 creates of one asset and 8 imports of
    // three new hosts each, all at once, 32 assets wanted where 10 more fit.
    let (mut added, mut imported) = (0, 0);
    for round in 0..3_u64 {
        let limit = 10 * (round + 1);
        set_licence(&app, &root, &id, json!({ "max_assets": limit })).await;
        let creates: Vec<Value> = (0..8).map(|n| json!({"ip_address": format!("10.5.{round}.{n}")})).collect();
        let imports: Vec<Value> =
            (0..8).map(|n| hosts((0..3).map(|h| format!("10.6.{}.{h}", round * 10 + n)))).collect();
        let requests = creates
            .iter()
            .map(|body| (true, body))
            .chain(imports.iter().map(|body| (false, body)))
            .map(|(create, body)| app.post(if create { &assets } else { &scans }, token, body));
        let mut refused = 0;
        for (index, response) in join_all(requests).await.into_iter().enumerate() {
            if response.status() == 409 {
                assert!(limit_reached(response, limit).await <= limit);
                refused += 1;
                continue;
            }
            assert_eq!(response.status(), 201, "no 5xx, no deadlock");
            let body: Value = response.json().await.unwrap();
            if index < 8 {
                added += 1;
            } else {
                added += body["assets_created"].as_u64().unwrap();
                imported += 1;
            }
        }
        assert!(refused > 0, "round {round}");
        let total = asset_count(&app, token, &id).await;
        assert!(total <= limit, "{total} assets under a limit of {limit}");
        assert_eq!(total, added, "a refused import stored none of its hosts");
    }
    // An import that was refused left no scan behind.
    let listed: Value = app.get(&scans, token).await.json().await.unwrap();
    assert_eq!(listed["total"], imported);
}

async fn an_import_over_the_limit_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, root, id, network) = licensed(&app).await;
    set_licence(&app, &root, &id, json!({"max_assets": 3})).await;
    let token = &alice.access_token;
    let assets = format!("/api/v1/organizations/{id}/assets");
    let scans = format!("/api/v1/organizations/{id}/networks/{network}/scans");

    let first = app.post(&scans, token, &hosts(["10.0.0.1".to_owned(), "10.0.0.2".to_owned()])).await;
    assert_eq!(first.status(), 201);
    let before: Value = app.get(&format!("{assets}?sort=ip_address"), token).await.json().await.unwrap();

    // One known host and two new ones: 2 + 2 > 3, so nothing of it is stored.
    let over = hosts(["10.0.0.1".to_owned(), "10.0.0.3".to_owned(), "10.0.0.4".to_owned()]);
    assert_eq!(limit_reached(app.post(&scans, token, &over).await, 3).await, 2);
    let xml = r#"<nmaprun><host><status state="up"/><address addr="10.0.0.8" addrtype="ipv4"/></host>
        <host><status state="up"/><address addr="10.0.0.9" addrtype="ipv4"/></host></nmaprun>"#;
    let response = app
        .client
        .post(app.url(&scans))
        .bearer_auth(token)
        .header("content-type", "application/xml")
        .body(xml)
        .send()
        .await
        .unwrap();
    assert_eq!(limit_reached(response, 3).await, 2);
    let after: Value = app.get(&format!("{assets}?sort=ip_address"), token).await.json().await.unwrap();
    assert_eq!(after, before, "not even the known host was refreshed");
    let listed: Value = app.get(&scans, token).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);

    // One more fits; then the limit is reached for creates too.
    assert_eq!(app.post(&assets, token, &json!({"ip_address": "10.9.0.1"})).await.status(), 201);
    let refused = app.post(&assets, token, &json!({"ip_address": "10.9.0.2"})).await;
    assert_eq!(limit_reached(refused, 3).await, 3);
    // At the limit, or over a limit lowered below it, refreshing known hosts still works,
    // and so does every write that adds no asset.
    set_licence(&app, &root, &id, json!({"max_assets": 1})).await;
    let refresh = app.post(&scans, token, &hosts(["10.0.0.2".to_owned(), "10.0.0.1".to_owned()])).await;
    assert_eq!(refresh.status(), 201);
    assert_eq!(refresh.json::<Value>().await.unwrap()["assets_updated"], 2);
    let down = app.post(&scans, token, &json!({"hosts": [{"ip": "10.7.7.7", "status": "down"}]})).await;
    assert_eq!(down.status(), 201, "an unknown host down adds nothing");
    let id_of_first = after["items"][0]["id"].as_str().unwrap();
    let patched = app.patch(&format!("{assets}/{id_of_first}"), token, &json!({"hostname": "kept"})).await;
    assert_eq!(patched.status(), 200);
    assert_eq!(limit_reached(app.post(&assets, token, &json!({"ip_address": "10.9.0.3"})).await, 1).await, 3);
    // Without a limit, anything goes.
    set_licence(&app, &root, &id, json!({"max_assets": null})).await;
    assert_eq!(app.post(&scans, token, &over).await.status(), 201);
    assert_eq!(asset_count(&app, token, &id).await, 5);
}

async fn an_expired_licence_refuses_every_inventory_write_and_allows_reads(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, root, id, network) = licensed(&app).await;
    let token = &alice.access_token;
    let org = format!("/api/v1/organizations/{id}");
    let asset: Value =
        app.post(&format!("{org}/assets"), token, &json!({"ip_address": "10.0.0.1"})).await.json().await.unwrap();
    let asset = format!("{org}/assets/{}", asset["id"].as_str().unwrap());
    let service: Value = app
        .post(&format!("{asset}/services"), token, &json!({"port": 22, "protocol": "tcp"}))
        .await
        .json()
        .await
        .unwrap();
    let service = format!("{asset}/services/{}", service["id"].as_str().unwrap());
    let scans = format!("{org}/networks/{network}/scans");
    let scan: Value = app.post(&scans, token, &hosts(["10.0.0.2".to_owned()])).await.json().await.unwrap();
    let rules = format!("{org}/networks/{network}/access-rules");
    let rule: Value =
        app.post(&rules, token, &json!({"list": "deny", "target": "10.9.9.9"})).await.json().await.unwrap();
    let rule = format!("{rules}/{}", rule["id"].as_str().unwrap());
    set_licence(&app, &root, &id, json!({"license_expires_at": "2020-01-01T00:00:00Z"})).await;

    let network_path = format!("{org}/networks/{network}");
    let writes = [
        ("create network", app.post(&format!("{org}/networks"), token, &json!({"name": "dmz"})).await),
        ("update network", app.patch(&network_path, token, &json!({"site": "hq"})).await),
        ("delete network", app.delete(&format!("{network_path}?cascade=true"), token).await),
        ("create asset", app.post(&format!("{org}/assets"), token, &json!({"ip_address": "10.0.0.9"})).await),
        ("update asset", app.patch(&asset, token, &json!({"hostname": "x"})).await),
        ("delete asset", app.delete(&asset, token).await),
        (
            "create service",
            app.post(&format!("{asset}/services"), token, &json!({"port": 80, "protocol": "tcp"})).await,
        ),
        ("update service", app.patch(&service, token, &json!({"product": "x"})).await),
        ("delete service", app.delete(&service, token).await),
        ("create access rule", app.post(&rules, token, &json!({"list": "allow", "target": "10.8.8.8"})).await),
        ("delete access rule", app.delete(&rule, token).await),
        ("run a scan through the agent", app.post(&format!("{scans}/run"), token, &json!({})).await),
        ("import JSON", app.post(&scans, token, &hosts(["10.0.0.3".to_owned()])).await),
        (
            "import nmap XML",
            app.client
                .post(app.url(&scans))
                .bearer_auth(token)
                .header("content-type", "application/xml")
                .body(
                    r#"<nmaprun><host><status state="up"/><address addr="10.0.0.4" addrtype="ipv4"/></host></nmaprun>"#,
                )
                .send()
                .await
                .unwrap(),
        ),
    ];
    for (name, response) in writes {
        assert_eq!(response.status(), 403, "{name}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["type"], "/problems/license-expired", "{name}");
    }
    let scan_path = format!("{scans}/{}", scan["id"].as_str().unwrap());
    for read in [
        format!("{org}/networks"),
        network_path.clone(),
        format!("{org}/assets"),
        asset.clone(),
        format!("{asset}/services"),
        service.clone(),
        scans.clone(),
        scan_path,
        rules.clone(),
    ] {
        assert_eq!(app.get(&read, token).await.status(), 200, "{read}");
    }
    assert_eq!(asset_count(&app, token, &id).await, 2, "nothing was written");

    // A renewed licence allows writes again.
    set_licence(&app, &root, &id, json!({"license_expires_at": "2099-01-01T00:00:00Z"})).await;
    assert_eq!(app.patch(&asset, token, &json!({"hostname": "renewed"})).await.status(), 200);
}

on_both_backends!(
    concurrent_creates_and_imports_never_exceed_max_assets,
    an_import_over_the_limit_stores_nothing,
    an_expired_licence_refuses_every_inventory_write_and_allows_reads,
);
