//! The Inventory pages: networks (add one), the asset table (the API's filters and sort
//! keys, pages that keep them, a bad filter named), an asset's services, access rules (add,
//! delete after a confirmation page), and the scan upload (JSON and real nmap XML, the
//! summary, CSRF first, size and format refusals), with 404 for a non-member and 403
//! without the permission.

use authdb_tests::{Backend, TestApp, Tokens, spawn_app, spawn_app_with};
use reqwest::{Response, header};
use serde_json::{Value, json};

use super::browser::{Browser, assert_secure_headers, csrf_of, location, uuid_like};

on_both_backends!(
    the_inventory_pages_render_and_the_asset_table_filters_sorts_and_pages,
    a_network_is_added_from_the_console,
    a_scan_file_is_uploaded_as_json_or_nmap_xml_and_its_summary_shown,
    a_scan_upload_without_the_csrf_field_first_is_refused_and_imports_nothing,
    a_bad_scan_file_is_refused_naming_the_problem,
    access_rules_are_added_and_deleted_after_a_confirmation,
    inventory_pages_are_not_found_for_a_non_member_and_forbidden_without_the_permission,
);

const LOOPBACK: &str = include_str!("../../fixtures/nmap/loopback-sv.xml");

/// An organization of `owner` with one network `lan`; answers (organization, network).
async fn organization_with_network(app: &TestApp, owner: &Tokens) -> (String, String) {
    let org = app.create_organization_ok(&owner.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let created = app
        .post(
            &format!("/api/v1/organizations/{org}/networks"),
            &owner.access_token,
            &json!({"name": "lan", "cidrs": ["10.0.0.0/24"]}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let network = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    (org, network)
}

/// An asset through the API; answers its id.
async fn asset(app: &TestApp, token: &str, org: &str, body: Value, ports: &[u16]) -> String {
    let assets = format!("/api/v1/organizations/{org}/assets");
    let created = app.post(&assets, token, &body).await;
    assert_eq!(created.status(), 201, "{body}");
    let id = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    for port in ports {
        let service = app
            .post(&format!("{assets}/{id}/services"), token, &json!({"port": port, "protocol": "tcp", "state": "open"}))
            .await;
        assert_eq!(service.status(), 201);
    }
    id
}

/// The addresses of the asset table's rows, in order.
fn rows(html: &str) -> Vec<String> {
    html.split(r#"<th scope="row"><a href="/console/organizations/"#)
        .skip(1)
        .map(|row| row.split_once('>').unwrap().1.split('<').next().unwrap().to_owned())
        .collect()
}

/// One field of a multipart form: its name, its file name (a file field) and its content.
type Part<'a> = (&'a str, Option<&'a str>, &'a [u8]);

/// A `multipart/form-data` body of `parts`, in order.
fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "authdb-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, filename, content) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match filename {
            Some(file) => format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ),
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts a multipart form as the browser would.
async fn upload(browser: &mut Browser, app: &TestApp, path: &str, parts: &[Part<'_>]) -> Response {
    let (content_type, body) = multipart(parts);
    let response = app
        .client
        .post(app.url(path))
        .header(header::COOKIE, browser.cookie_header())
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    browser.keep(&response);
    response
}

/// Uploads `file` with the page's CSRF token first, as the form does.
async fn upload_scan(browser: &mut Browser, app: &TestApp, scans: &str, name: &str, file: &[u8]) -> Response {
    let token = browser.form_token(app, scans).await;
    upload(browser, app, scans, &[("csrf", None, token.as_bytes()), ("scan", Some(name), file)]).await
}

async fn scan_count(app: &TestApp, token: &str, org: &str, network: &str) -> u64 {
    let listed = app.get(&format!("/api/v1/organizations/{org}/networks/{network}/scans"), token).await;
    assert_eq!(listed.status(), 200);
    listed.json::<Value>().await.unwrap()["total"].as_u64().unwrap()
}

async fn api_assets(app: &TestApp, token: &str, org: &str) -> Vec<String> {
    let listed = app.get(&format!("/api/v1/organizations/{org}/assets?limit=200"), token).await;
    assert_eq!(listed.status(), 200);
    let body: Value = listed.json().await.unwrap();
    body["items"].as_array().unwrap().iter().map(|asset| asset["ip_address"].as_str().unwrap().to_owned()).collect()
}

async fn the_inventory_pages_render_and_the_asset_table_filters_sorts_and_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let token = &alice.access_token;
    let (org, network) = organization_with_network(&app, &alice).await;
    let server = json!({"ip_address": "10.0.0.10", "hostname": "web", "asset_type": "server", "criticality": "critical",
        "tags": ["prod", "web"], "risk_score": 80, "network_id": network});
    let web = asset(&app, token, &org, server, &[22, 443]).await;
    let router = json!({"ip_address": "10.0.0.1", "hostname": "gw", "asset_type": "router", "criticality": "low",
        "risk_score": 10, "network_id": network});
    asset(&app, token, &org, router, &[]).await;
    let db = json!({"ip_address": "10.0.0.9", "asset_type": "server", "criticality": "critical", "tags": ["prod"],
        "risk_score": 50});
    asset(&app, token, &org, db, &[5432]).await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;

    // The section's front page: the caller's organizations, links to each one's inventory.
    let front = browser.get(&app, "/console/inventory").await;
    assert_eq!(front.status(), 200);
    assert_secure_headers(&front, true);
    let html = front.text().await.unwrap();
    assert!(html.contains(r#"<th scope="row">Org acme</th><td>owner</td>"#), "{html}");
    for page in ["networks", "assets"] {
        assert!(html.contains(&format!(r#"href="/console/organizations/{org}/{page}""#)), "{page}: {html}");
    }
    assert!(html.contains(r#"<a href="/console/inventory" aria-current="page">Inventory</a>"#), "{html}");

    // Networks: the one network with its pages.
    let networks = browser.get(&app, &format!("/console/organizations/{org}/networks")).await.text().await.unwrap();
    assert!(networks.contains("<h1>Networks of Org acme</h1>"), "{networks}");
    assert!(networks.contains("lan") && networks.contains("<code>10.0.0.0/24</code>"), "{networks}");
    for page in ["access-rules", "scans"] {
        assert!(networks.contains(&format!("/console/organizations/{org}/networks/{network}/{page}")), "{networks}");
    }
    assert!(networks.contains(&format!("/console/organizations/{org}/assets?network_id={network}")), "{networks}");

    // The asset table: numeric address order by default, sortable by its column headings.
    let assets = format!("/console/organizations/{org}/assets");
    let page = browser.get(&app, &assets).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert_eq!(rows(&html), ["10.0.0.1", "10.0.0.9", "10.0.0.10"], "{html}");
    assert!(html.contains(r#"<th scope="col" aria-sort="ascending"><a href="/console/organizations/"#), "{html}");
    assert!(html.contains(&format!(r#"href="{assets}?sort=-ip_address""#)), "{html}");
    assert!(html.contains(&format!(r#"href="{assets}?sort=risk_score""#)), "{html}");
    assert!(html.contains(&format!(r#"href="/console/organizations/{org}/assets/{web}""#)), "{html}");
    assert!(!html.contains("<script") && !html.contains("style="), "{html}");
    let by_risk = browser.get(&app, &format!("{assets}?sort=-risk_score")).await.text().await.unwrap();
    assert_eq!(rows(&by_risk), ["10.0.0.10", "10.0.0.9", "10.0.0.1"], "{by_risk}");
    assert!(by_risk.contains(r#"aria-sort="descending""#), "{by_risk}");
    assert!(by_risk.contains(&format!(r#"href="{assets}?sort=risk_score""#)), "the heading now sorts ascending");

    // The API's filters, from the GET form (its empty fields are no filter) or a link.
    let critical = browser
        .get(
            &app,
            &format!("{assets}?q=&asset_type=&criticality=critical&status=&network_id=&tag=prod&port=&cidr=&min_risk="),
        )
        .await;
    assert_eq!(critical.status(), 200);
    let html = critical.text().await.unwrap();
    assert_eq!(rows(&html), ["10.0.0.9", "10.0.0.10"], "{html}");
    assert!(html.contains(r#"<option value="critical" selected>critical</option>"#), "the form keeps the filter");
    assert!(
        html.contains(&format!(r#"href="{assets}?criticality=critical&amp;tag=prod&amp;sort=-ip_address""#)),
        "sort links keep the filters: {html}"
    );
    let cases = [
        ("q=GW", vec!["10.0.0.1"]),
        ("asset_type=router", vec!["10.0.0.1"]),
        (&format!("network_id={network}") as &str, vec!["10.0.0.1", "10.0.0.10"]),
        ("port=5432", vec!["10.0.0.9"]),
        ("min_risk=50&sort=-risk_score", vec!["10.0.0.10", "10.0.0.9"]),
        ("cidr=10.0.0.8/29", vec!["10.0.0.9", "10.0.0.10"]),
        ("tag=prod&tag=web", vec!["10.0.0.10"]),
        ("status=decommissioned", vec![]),
    ];
    for (query, expected) in cases {
        let html = browser.get(&app, &format!("{assets}?{query}")).await.text().await.unwrap();
        assert_eq!(rows(&html), expected, "{query}: {html}");
    }

    // A bad filter is a 422 naming it, as the API answers.
    for (query, named) in [
        ("criticality=huge", "criticality: must be one of low, medium, high, critical"),
        ("port=0", "port: must be an integer from 1 to 65535"),
        ("sort=owner", "sort: must be one of ip_address"),
        ("cidr=10.0.0.1/8", "cidr:"),
        ("network_id=lan", "network_id: must be a UUID"),
        ("limit=500", "limit: must be an integer from 1 to 200"),
    ] {
        let refused = browser.get(&app, &format!("{assets}?{query}")).await;
        assert_eq!(refused.status(), 422, "{query}");
        assert_secure_headers(&refused, true);
        let html = refused.text().await.unwrap();
        assert!(html.contains("role=\"alert\"") && html.contains(named), "{query}: {html}");
        let api = app.get(&format!("/api/v1/organizations/{org}/assets?{query}"), token).await;
        assert_eq!(api.status(), 422, "the API refuses {query} too");
    }

    // Pages keep the filters and the sort.
    let first = browser.get(&app, &format!("{assets}?criticality=critical&sort=-ip_address&limit=1")).await;
    let html = first.text().await.unwrap();
    assert_eq!(rows(&html), ["10.0.0.10"], "{html}");
    assert!(html.contains("1–1 of 2 assets."), "{html}");
    let next = format!("{assets}?criticality=critical&amp;sort=-ip_address&amp;limit=1&amp;offset=1");
    assert!(html.contains(&next), "{html}");
    let second = browser.get(&app, &next.replace("&amp;", "&")).await.text().await.unwrap();
    assert_eq!(rows(&second), ["10.0.0.9"], "{second}");
    assert!(second.contains("2–2 of 2 assets.") && !second.contains("Next page"), "{second}");

    // An asset's page: its facts and its services.
    let page = browser.get(&app, &format!("{assets}/{web}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Asset 10.0.0.10</h1>") && html.contains("web"), "{html}");
    assert!(html.contains(r#"<th scope="row">22</th><td>tcp</td><td>open</td>"#), "{html}");
    assert!(html.contains(r#"<th scope="row">443</th><td>tcp</td><td>open</td>"#), "{html}");
    let services = browser.get(&app, &format!("{assets}/{web}?limit=1")).await.text().await.unwrap();
    assert!(services.contains("1–1 of 2 services."), "{services}");
    assert_eq!(browser.get(&app, &format!("{assets}/{}", uuid_like())).await.status(), 404);
    assert_eq!(browser.get(&app, &format!("{assets}/not-an-id")).await.status(), 404);
}

async fn a_network_is_added_from_the_console(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (org, _) = organization_with_network(&app, &alice).await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let networks = format!("/console/organizations/{org}/networks");
    let token = browser.form_token(&app, &networks).await;

    let created = browser
        .post(
            &app,
            &networks,
            &[("csrf", &token), ("name", "dmz"), ("site", "Paris"), ("cidrs", "192.0.2.0/24, 2001:db8::/64")],
        )
        .await;

    assert_eq!(created.status(), 303);
    assert_eq!(location(&created), networks);
    let listed: Value =
        app.get(&format!("/api/v1/organizations/{org}/networks"), &alice.access_token).await.json().await.unwrap();
    let dmz = listed["items"].as_array().unwrap().iter().find(|network| network["name"] == "dmz").expect("created");
    assert_eq!(dmz["cidrs"], json!(["192.0.2.0/24", "2001:db8::/64"]));
    assert_eq!(dmz["site"], "Paris");
    let html = browser.get(&app, &networks).await.text().await.unwrap();
    assert!(html.contains("dmz") && html.contains("Paris"), "{html}");

    let refused = browser.post(&app, &networks, &[("csrf", &token), ("name", " "), ("cidrs", "10.0.0.1/8 x")]).await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("name:") && html.contains("cidrs[0]:") && html.contains("cidrs[1]:"), "{html}");
    let taken = browser.post(&app, &networks, &[("csrf", &token), ("name", "dmz")]).await;
    assert_eq!(taken.status(), 409);
    let forged = browser.post(&app, &networks, &[("name", "other")]).await;
    assert_eq!(forged.status(), 403);
    let listed: Value =
        app.get(&format!("/api/v1/organizations/{org}/networks"), &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 2, "neither refused form created a network");
}

async fn a_scan_file_is_uploaded_as_json_or_nmap_xml_and_its_summary_shown(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let token = &alice.access_token;
    let (org, network) = organization_with_network(&app, &alice).await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let scans = format!("/console/organizations/{org}/networks/{network}/scans");

    // The form: the CSRF field first, then the file.
    let html = browser.get(&app, &scans).await.text().await.unwrap();
    let form = html.split(r#"enctype="multipart/form-data""#).nth(1).expect("an upload form");
    assert!(form.find(r#"name="csrf""#).unwrap() < form.find(r#"type="file""#).unwrap(), "{form}");

    // A JSON scan.
    let scan = json!({"started_at": "2026-11-30T09:00:00Z", "finished_at": "2026-11-30T09:05:00Z", "hosts": [
        {"ip": "10.0.0.5", "status": "up", "hostname": "printer", "services": [
            {"port": 631, "protocol": "tcp", "state": "open", "service_name": "ipp"}]},
        {"ip": "10.0.0.6", "status": "down"},
    ]});
    let imported = upload_scan(&mut browser, &app, &scans, "scan.json", scan.to_string().as_bytes()).await;
    assert_eq!(imported.status(), 303);
    let summary = location(&imported);
    assert!(summary.starts_with(&format!("{scans}/")), "{summary}");
    let page = browser.get(&app, &summary).await;
    assert_eq!(page.status(), 200);
    assert_secure_headers(&page, true);
    let html = page.text().await.unwrap();
    for fact in [
        "<dt>Source</dt><dd>json</dd>",
        "<dt>Hosts up</dt><dd>1</dd>",
        "<dt>Hosts down</dt><dd>1</dd>",
        "<dt>Assets created</dt><dd>1</dd>",
        "<dt>Services created</dt><dd>1</dd>",
    ] {
        assert!(html.contains(fact), "{fact}: {html}");
    }
    assert_eq!(api_assets(&app, token, &org).await, ["10.0.0.5"]);

    // A real nmap XML file (`nmap -oX`).
    let imported = upload_scan(&mut browser, &app, &scans, "loopback.xml", LOOPBACK.as_bytes()).await;
    assert_eq!(imported.status(), 303);
    let html = browser.get(&app, &location(&imported)).await.text().await.unwrap();
    for fact in [
        "<dt>Source</dt><dd>nmap</dd>",
        "<dt>Hosts up</dt><dd>1</dd>",
        "<dt>Assets created</dt><dd>1</dd>",
        "<dt>Services created</dt><dd>5</dd>",
    ] {
        assert!(html.contains(fact), "{fact}: {html}");
    }
    assert_eq!(api_assets(&app, token, &org).await, ["10.0.0.5", "127.0.0.1"]);
    let services: Value =
        app.get(&format!("/api/v1/organizations/{org}/assets?q=127.0.0.1"), token).await.json().await.unwrap();
    assert_eq!(services["items"][0]["open_services"], 3, "{services}");

    // The scans list links both imports; the same file again only updates.
    let html = browser.get(&app, &scans).await.text().await.unwrap();
    assert!(html.contains("<td>nmap</td>") && html.contains("<td>json</td>"), "{html}");
    let again = upload_scan(&mut browser, &app, &scans, "loopback.xml", LOOPBACK.as_bytes()).await;
    let html = browser.get(&app, &location(&again)).await.text().await.unwrap();
    assert!(
        html.contains("<dt>Assets created</dt><dd>0</dd>") && html.contains("<dt>Assets updated</dt><dd>1</dd>"),
        "{html}"
    );
    assert_eq!(scan_count(&app, token, &org, &network).await, 3);
}

async fn a_scan_upload_without_the_csrf_field_first_is_refused_and_imports_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (org, network) = organization_with_network(&app, &alice).await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let mut other = Browser::default();
    other.sign_in_ok(&app, "alice").await;
    let scans = format!("/console/organizations/{org}/networks/{network}/scans");
    let token = browser.form_token(&app, &scans).await;
    let others = other.form_token(&app, &scans).await;
    let file = LOOPBACK.as_bytes();

    let refusals: [&[Part<'_>]; 5] = [
        &[("scan", Some("loopback.xml"), file)],
        &[("scan", Some("loopback.xml"), file), ("csrf", None, token.as_bytes())],
        &[("csrf", None, b"forged"), ("scan", Some("loopback.xml"), file)],
        &[("csrf", None, others.as_bytes()), ("scan", Some("loopback.xml"), file)],
        &[],
    ];
    for parts in refusals {
        let refused = upload(&mut browser, &app, &scans, parts).await;
        assert_eq!(refused.status(), 403, "{:?}", parts.iter().map(|p| p.0).collect::<Vec<_>>());
        assert_secure_headers(&refused, true);
        assert!(refused.text().await.unwrap().contains("CSRF"));
    }
    let urlencoded = browser.post(&app, &scans, &[("csrf", &token)]).await;
    assert_eq!(urlencoded.status(), 400, "not a file upload form");
    let no_file = upload(&mut browser, &app, &scans, &[("csrf", None, token.as_bytes())]).await;
    assert_eq!(no_file.status(), 400);
    assert!(no_file.text().await.unwrap().contains("the form has no file `scan`"));

    assert_eq!(scan_count(&app, &alice.access_token, &org, &network).await, 0, "nothing imported");
    assert!(api_assets(&app, &alice.access_token, &org).await.is_empty());
    let mut stranger = Browser::default();
    let signed_out =
        upload(&mut stranger, &app, &scans, &[("csrf", None, token.as_bytes()), ("scan", Some("a.xml"), file)]).await;
    assert_eq!((signed_out.status().as_u16(), location(&signed_out)), (303, "/console/sign-in".to_owned()));
}

async fn a_bad_scan_file_is_refused_naming_the_problem(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.inventory.max_scan_bytes = 64 * 1024).await;
    let alice = app.register_ok("alice").await;
    let (org, network) = organization_with_network(&app, &alice).await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let scans = format!("/console/organizations/{org}/networks/{network}/scans");
    let big = format!(r#"{{"hosts": [], "padding": "{}"}}"#, "x".repeat(70_000));
    let cases: [(&str, &[u8], u16, &str); 9] = [
        ("big.json", big.as_bytes(), 413, "the file is larger than 65536 bytes"),
        ("empty.json", b"", 400, "the file is empty"),
        ("scan.txt", b"hosts: []", 400, "neither JSON"),
        ("broken.json", b"{\"hosts\": [", 400, "Malformed JSON"),
        ("broken.xml", b"<nmaprun><host>", 400, "Malformed XML"),
        ("hostile.xml", br#"<!DOCTYPE nmaprun [<!ENTITY lol "lol">]><nmaprun/>"#, 400, "a DOCTYPE is refused"),
        ("host.json", br#"{"hosts": [{"ip": "10.0.0.300", "status": "up"}]}"#, 422, "hosts[0].ip:"),
        ("host.xml", br#"<nmaprun><host><status state="up"/></host></nmaprun>"#, 422, "host[0].address:"),
        ("field.json", br#"{"hosts": [{"ip": "10.0.0.1", "status": "up", "colour": "red"}]}"#, 422, "hosts[0].colour:"),
    ];
    for (name, file, status, named) in cases {
        let refused = upload_scan(&mut browser, &app, &scans, name, file).await;
        assert_eq!(refused.status(), status, "{name}");
        assert_secure_headers(&refused, true);
        let html = refused.text().await.unwrap();
        assert!(html.contains("role=\"alert\"") && html.contains(named), "{name}: {html}");
    }
    assert_eq!(scan_count(&app, &alice.access_token, &org, &network).await, 0, "nothing imported");
    let unknown = format!("/console/organizations/{org}/networks/{}/scans", uuid_like());
    let token = browser.form_token(&app, &scans).await;
    let missing = upload(
        &mut browser,
        &app,
        &unknown,
        &[("csrf", None, token.as_bytes()), ("scan", Some("a.xml"), LOOPBACK.as_bytes())],
    )
    .await;
    assert_eq!(missing.status(), 404, "an unknown network");
}

async fn access_rules_are_added_and_deleted_after_a_confirmation(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (org, network) = organization_with_network(&app, &alice).await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let rules = format!("/console/organizations/{org}/networks/{network}/access-rules");
    let api = format!("/api/v1/organizations/{org}/networks/{network}/access-rules");
    let html = browser.get(&app, &rules).await.text().await.unwrap();
    assert!(html.contains("<h1>Access rules of lan</h1>") && html.contains("No access rules."), "{html}");
    let token = csrf_of(&html);

    let added = browser
        .post(
            &app,
            &rules,
            &[
                ("csrf", &token),
                ("list", "deny"),
                ("target", "10.0.0.66"),
                ("comment", "blocked"),
                ("expires_at", "2099-01-01T00:00"),
            ],
        )
        .await;

    assert_eq!(added.status(), 303);
    assert_eq!(location(&added), rules);
    let listed: Value = app.get(&api, &alice.access_token).await.json().await.unwrap();
    let rule = &listed["items"][0];
    assert_eq!(
        (rule["list"].as_str(), rule["target"].as_str(), rule["status"].as_str()),
        (Some("deny"), Some("10.0.0.66"), Some("recorded"))
    );
    assert_eq!(rule["expires_at"], "2099-01-01T00:00:00Z");
    let id = rule["id"].as_str().unwrap().to_owned();
    let html = browser.get(&app, &rules).await.text().await.unwrap();
    assert!(html.contains("<code>10.0.0.66</code>") && html.contains("blocked"), "{html}");
    assert!(html.contains(&format!(r#"href="{rules}/{id}/delete""#)), "{html}");

    for (form, named) in [
        (vec![("list", "maybe"), ("target", "10.0.0.7")], "list:"),
        (vec![("list", "allow"), ("target", "not an address")], "target:"),
        (vec![("list", "allow"), ("target", "10.0.0.7"), ("expires_at", "2001-01-01T00:00")], "expires_at:"),
        (vec![("list", "allow"), ("target", "10.0.0.7"), ("expires_at", "tomorrow")], "expires_at:"),
    ] {
        let mut fields = vec![("csrf", token.as_str())];
        fields.extend(form);
        let refused = browser.post(&app, &rules, &fields).await;
        assert_eq!(refused.status(), 422, "{fields:?}");
        assert!(refused.text().await.unwrap().contains(named), "{named}");
    }
    let twice = browser.post(&app, &rules, &[("csrf", &token), ("list", "allow"), ("target", "10.0.0.66")]).await;
    assert_eq!(twice.status(), 409, "a target is in one list at most");

    // Deleting asks first; the confirmation names the rule.
    let confirmation = browser.get(&app, &format!("{rules}/{id}/delete")).await;
    assert_eq!(confirmation.status(), 200);
    let html = confirmation.text().await.unwrap();
    assert!(html.contains("10.0.0.66 (deny list)") && html.contains("Delete the rule"), "{html}");
    assert_eq!(
        app.get(&api, &alice.access_token).await.json::<Value>().await.unwrap()["total"],
        1,
        "asking deletes nothing"
    );
    let forged = browser.post(&app, &format!("{rules}/{id}/delete"), &[]).await;
    assert_eq!(forged.status(), 403);
    let deleted = browser.post(&app, &format!("{rules}/{id}/delete"), &[("csrf", &csrf_of(&html))]).await;
    assert_eq!(deleted.status(), 303);
    assert_eq!(location(&deleted), rules);
    assert_eq!(app.get(&api, &alice.access_token).await.json::<Value>().await.unwrap()["total"], 0);
    let gone = browser.post(&app, &format!("{rules}/{id}/delete"), &[("csrf", &token)]).await;
    assert_eq!(gone.status(), 404);
}

async fn inventory_pages_are_not_found_for_a_non_member_and_forbidden_without_the_permission(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let vera = app.register_ok("vera").await;
    let rita = app.register_ok("rita").await;
    app.register_ok("mallory").await;
    let (org, network) = organization_with_network(&app, &alice).await;
    app.add_member_ok(&alice.access_token, &org, &vera, "viewer").await;
    let reader = app
        .post(
            &format!("/api/v1/organizations/{org}/roles"),
            &alice.access_token,
            &json!({"name": "reader", "permissions": ["org:read", "members:read"]}),
        )
        .await;
    assert_eq!(reader.status(), 201);
    app.add_member_ok(&alice.access_token, &org, &rita, "reader").await;
    let web = asset(&app, &alice.access_token, &org, json!({"ip_address": "10.0.0.10"}), &[443]).await;
    let rule: Value = app
        .post(
            &format!("/api/v1/organizations/{org}/networks/{network}/access-rules"),
            &alice.access_token,
            &json!({"list": "deny", "target": "10.0.0.66"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let rule = rule["id"].as_str().unwrap().to_owned();
    let base = format!("/console/organizations/{org}");
    let net = format!("{base}/networks/{network}");
    let reads = [
        format!("{base}/networks"),
        format!("{base}/assets"),
        format!("{base}/assets/{web}"),
        format!("{net}/access-rules"),
        format!("{net}/scans"),
    ];

    // A non-member: every page and every form is "not found", and shows nothing.
    let mut mallory = Browser::default();
    mallory.sign_in_ok(&app, "mallory").await;
    let token = mallory.form_token(&app, "/console/inventory").await;
    for path in reads.iter().chain([&format!("{net}/access-rules/{rule}/delete")]) {
        let refused = mallory.get(&app, path).await;
        assert_eq!(refused.status(), 404, "{path}");
        assert!(!refused.text().await.unwrap().contains("10.0.0."), "{path}");
    }
    assert_eq!(mallory.post(&app, &format!("{base}/networks"), &[("csrf", &token), ("name", "x")]).await.status(), 404);
    let rule_form = [("csrf", token.as_str()), ("list", "allow"), ("target", "10.0.0.7")];
    assert_eq!(mallory.post(&app, &format!("{net}/access-rules"), &rule_form).await.status(), 404);
    assert_eq!(
        mallory.post(&app, &format!("{net}/access-rules/{rule}/delete"), &[("csrf", &token)]).await.status(),
        404
    );
    let parts: [Part<'_>; 2] = [("csrf", None, token.as_bytes()), ("scan", Some("a.xml"), LOOPBACK.as_bytes())];
    assert_eq!(upload(&mut mallory, &app, &format!("{net}/scans"), &parts).await.status(), 404);
    let listed = mallory.get(&app, "/console/inventory").await.text().await.unwrap();
    assert!(listed.contains("You are not a member of any organization.") && !listed.contains("Org acme"), "{listed}");

    // A viewer reads everything, sees no form, and every write is forbidden.
    let mut viewer = Browser::default();
    viewer.sign_in_ok(&app, "vera").await;
    for path in &reads {
        let page = viewer.get(&app, path).await;
        assert_eq!(page.status(), 200, "{path}");
        let html = page.text().await.unwrap();
        assert!(!html.contains("method=\"post\" action=\"/console/organizations"), "{path}: no form for a viewer");
    }
    let token = viewer.form_token(&app, "/console/inventory").await;
    let network_form = viewer.post(&app, &format!("{base}/networks"), &[("csrf", &token), ("name", "x")]).await;
    assert_eq!(network_form.status(), 403);
    assert!(network_form.text().await.unwrap().contains("Forbidden"));
    let rule_form = [("csrf", token.as_str()), ("list", "allow"), ("target", "10.0.0.7")];
    assert_eq!(viewer.post(&app, &format!("{net}/access-rules"), &rule_form).await.status(), 403);
    assert_eq!(viewer.get(&app, &format!("{net}/access-rules/{rule}/delete")).await.status(), 403);
    assert_eq!(
        viewer.post(&app, &format!("{net}/access-rules/{rule}/delete"), &[("csrf", &token)]).await.status(),
        403
    );
    let parts: [Part<'_>; 2] = [("csrf", None, token.as_bytes()), ("scan", Some("a.xml"), LOOPBACK.as_bytes())];
    assert_eq!(upload(&mut viewer, &app, &format!("{net}/scans"), &parts).await.status(), 403);
    assert_eq!(scan_count(&app, &alice.access_token, &org, &network).await, 0, "the viewer imported nothing");
    let rules: Value = app
        .get(&format!("/api/v1/organizations/{org}/networks/{network}/access-rules"), &alice.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rules["total"], 1, "the rule is still there");

    // A role without `assets:read` sees no inventory.
    let mut reader = Browser::default();
    reader.sign_in_ok(&app, "rita").await;
    for path in &reads {
        assert_eq!(reader.get(&app, path).await.status(), 403, "{path}");
    }
}
