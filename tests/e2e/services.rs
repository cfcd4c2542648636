//! Services of an asset: CRUD, one service per (port, protocol), validation with field
//! names, the open-service count and `port` filter of asset lists, and assets of another
//! organization that are not found.

use crate::answers::fields;
use authdb_persistence::entities::{audit_events, services};
use authdb_tests::{Backend, TestApp, Tokens, spawn_app};
use futures_util::future::join_all;
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};
use serde_json::{Value, json};

async fn organization(app: &TestApp, owner: &Tokens, slug: &str) -> String {
    app.create_organization_ok(&owner.access_token, slug).await["id"].as_str().unwrap().to_owned()
}

/// Creates an asset and answers its path.
async fn asset(app: &TestApp, token: &str, organization: &str, ip: &str) -> String {
    let assets = format!("/api/v1/organizations/{organization}/assets");
    let created = app.post(&assets, token, &json!({"ip_address": ip})).await;
    assert_eq!(created.status(), 201, "{ip}");
    let created: Value = created.json().await.unwrap();
    format!("{assets}/{}", created["id"].as_str().unwrap())
}

async fn services_are_recorded_read_changed_and_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let id = organization(&app, &alice, "acme").await;
    let asset = asset(&app, &alice.access_token, &id, "10.0.0.5").await;
    let services = format!("{asset}/services");

    let created = app
        .post(
            &services,
            &alice.access_token,
            &json!({
                "port": 443, "protocol": "TCP", "service_name": "https", "product": "nginx", "version": "1.24",
                "cpe": "cpe:/a:nginx:nginx:1.24", "banner": "HTTP/1.1 200 OK\r\nServer: nginx\r\n",
                "detection_method": "probe", "confidence": 90, "ssl_enabled": true,
                "ssl_info": {"issuer": "acme-ca"}, "http_title": "Welcome", "http_technologies": ["nginx", "nginx", "PHP"],
                "extra_info": {"note": "front"}, "last_seen": "2026-11-30T09:00:00.25-01:00",
            }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["port"], 443);
    assert_eq!(created["protocol"], "tcp");
    assert_eq!(created["state"], "open", "open by default");
    assert_eq!(created["banner"], "HTTP/1.1 200 OK\r\nServer: nginx\r\n");
    assert_eq!(created["confidence"], 90);
    assert_eq!(created["ssl_info"], json!({"issuer": "acme-ca"}));
    assert_eq!(created["http_technologies"], json!(["nginx", "PHP"]));
    assert_eq!(created["last_seen"], "2026-11-30T10:00:00Z", "UTC, whole seconds, on both backends");
    let service = format!("{services}/{}", created["id"].as_str().unwrap());
    let read: Value = app.get(&service, &alice.access_token).await.json().await.unwrap();
    assert_eq!(read, created);

    // A second service on another port, and the same port over UDP, are other services.
    let bare = app.post(&services, &alice.access_token, &json!({"port": 22, "protocol": "tcp"})).await;
    assert_eq!(bare.status(), 201);
    let bare: Value = bare.json().await.unwrap();
    assert_eq!(bare["banner"], Value::Null);
    assert_eq!(bare["confidence"], Value::Null);
    assert_eq!(bare["ssl_enabled"], false);
    assert_eq!(bare["http_technologies"], json!([]));
    let udp =
        app.post(&services, &alice.access_token, &json!({"port": 443, "protocol": "udp", "state": "filtered"})).await;
    assert_eq!(udp.status(), 201);
    // The same port and protocol twice is a conflict naming both.
    let twice = app.post(&services, &alice.access_token, &json!({"port": 443, "protocol": "Tcp"})).await;
    assert_eq!(twice.status(), 409);
    assert_eq!(fields(&twice.json().await.unwrap()), ["port", "protocol"]);

    let listed: Value = app.get(&services, &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 3);
    let order: Vec<(u64, &str)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| (item["port"].as_u64().unwrap(), item["protocol"].as_str().unwrap()))
        .collect();
    assert_eq!(order, [(22, "tcp"), (443, "tcp"), (443, "udp")], "by protocol, then port");
    let asset_read: Value = app.get(&asset, &alice.access_token).await.json().await.unwrap();
    assert_eq!(asset_read["open_services"], 2, "the filtered one does not count");

    // PATCH changes what is sent, clears what is null, leaves the rest.
    let patched = app
        .patch(
            &service,
            &alice.access_token,
            &json!({"state": "closed", "banner": null, "http_technologies": [], "last_seen": "2026-12-01T00:30:00.9+00:30"}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(patched["state"], "closed");
    assert_eq!(patched["banner"], Value::Null);
    assert_eq!(patched["http_technologies"], json!([]));
    assert_eq!(patched["product"], "nginx");
    assert_eq!(patched["last_seen"], "2026-12-01T00:00:00Z");
    assert_eq!(patched["first_seen"], created["first_seen"]);
    // Moving it onto a taken port and protocol is a conflict.
    let onto = app.patch(&service, &alice.access_token, &json!({"port": 22})).await;
    assert_eq!(onto.status(), 409);
    assert_eq!(fields(&onto.json().await.unwrap()), ["port", "protocol"]);

    assert_eq!(app.delete(&service, &alice.access_token).await.status(), 204);
    assert_eq!(app.get(&service, &alice.access_token).await.status(), 404);
    assert_eq!(app.delete(&service, &alice.access_token).await.status(), 404);

    // Deleting the asset takes its services along.
    let other = format!("{services}/{}", bare["id"].as_str().unwrap());
    assert_eq!(app.delete(&asset, &alice.access_token).await.status(), 204);
    assert_eq!(app.get(&other, &alice.access_token).await.status(), 404);
    assert_eq!(app.get(&services, &alice.access_token).await.status(), 404);

    // Every change was audited with where the service is, and no banner.
    let db = app.database().await;
    let events = audit_events::Entity::find().order_by_asc(audit_events::Column::Id).all(&db).await.unwrap();
    let actions: Vec<&str> =
        events.iter().map(|event| event.action.as_str()).filter(|action| action.starts_with("service.")).collect();
    assert_eq!(
        actions,
        ["service.created", "service.created", "service.created", "service.updated", "service.deleted"]
    );
    let first = events.iter().find(|event| event.action == "service.created").unwrap();
    assert_eq!(first.details["port"], 443);
    assert_eq!(first.details["protocol"], "tcp");
    assert!(events.iter().all(|event| !event.details.to_string().contains("Server: nginx")));
}

async fn invalid_services_name_every_wrong_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let vera = app.register_ok("vera").await;
    let id = organization(&app, &alice, "acme").await;
    app.add_member_ok(&alice.access_token, &id, &vera, "viewer").await;
    let asset = asset(&app, &alice.access_token, &id, "10.0.0.5").await;
    let services = format!("{asset}/services");

    let invalid = app
        .post(
            &services,
            &alice.access_token,
            &json!({
                "port": 65536, "protocol": "icmp", "state": "half-open", "service_name": " ",
                "banner": "bell\u{7}", "confidence": 101, "ssl_info": [1], "http_technologies": ["ok", ""],
                "extra_info": "text",
            }),
        )
        .await;
    assert_eq!(invalid.status(), 422);
    assert_eq!(
        fields(&invalid.json().await.unwrap()),
        [
            "port",
            "protocol",
            "state",
            "service_name",
            "banner",
            "confidence",
            "ssl_info",
            "http_technologies[1]",
            "extra_info"
        ]
    );
    for (body, field) in [
        (json!({"port": 0, "protocol": "tcp"}), "port"),
        (json!({"port": 22, "protocol": "tcp", "banner": "nul\u{0}byte"}), "banner"),
        (json!({"port": 22, "protocol": "tcp", "banner": "x".repeat(4097)}), "banner"),
        (json!({"port": 22, "protocol": "tcp", "confidence": -1}), "confidence"),
    ] {
        let response = app.post(&services, &alice.access_token, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        assert_eq!(fields(&response.json().await.unwrap()), [field], "{body}");
    }
    let missing = app.post(&services, &alice.access_token, &json!({"protocol": "tcp"})).await;
    assert_eq!(missing.status(), 422, "a missing port is named");
    let unknown_field = app.post(&services, &alice.access_token, &json!({"port": 22, "protocol": "tcp", "x": 1})).await;
    assert_eq!(unknown_field.status(), 422);

    let created: Value =
        app.post(&services, &alice.access_token, &json!({"port": 22, "protocol": "tcp"})).await.json().await.unwrap();
    let service = format!("{services}/{}", created["id"].as_str().unwrap());
    let patch = app.patch(&service, &alice.access_token, &json!({"port": -5, "state": "up", "confidence": 1000})).await;
    assert_eq!(patch.status(), 422);
    assert_eq!(fields(&patch.json().await.unwrap()), ["port", "state", "confidence"]);

    // Viewers read but do not write.
    assert_eq!(app.get(&services, &vera.access_token).await.status(), 200);
    assert_eq!(app.get(&service, &vera.access_token).await.status(), 200);
    let refused = app.post(&services, &vera.access_token, &json!({"port": 80, "protocol": "tcp"})).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(app.patch(&service, &vera.access_token, &json!({"state": "closed"})).await.status(), 403);
    assert_eq!(app.delete(&service, &vera.access_token).await.status(), 403);

    // An unknown asset or service, or a malformed id, is not found.
    let nowhere = format!("/api/v1/organizations/{id}/assets/00000000-0000-7000-8000-000000000000/services");
    assert_eq!(app.get(&nowhere, &alice.access_token).await.status(), 404);
    assert_eq!(app.post(&nowhere, &alice.access_token, &json!({"port": 22, "protocol": "tcp"})).await.status(), 404);
    assert_eq!(app.get(&format!("{services}/not-a-uuid"), &alice.access_token).await.status(), 404);
    assert_eq!(
        app.get(&format!("{services}/00000000-0000-7000-8000-000000000000"), &alice.access_token).await.status(),
        404
    );
}

/// The (address, open-service count) pairs a listing answers, in order.
async fn listed(app: &TestApp, token: &str, organization: &str, query: &str) -> Vec<(String, u64)> {
    let url = format!("/api/v1/organizations/{organization}/assets?{query}");
    let response = app.get(&url, token).await;
    assert_eq!(response.status(), 200, "{query}");
    let body: Value = response.json().await.unwrap();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| (item["ip_address"].as_str().unwrap().to_owned(), item["open_services"].as_u64().unwrap()))
        .collect()
}

async fn asset_lists_count_open_services_and_filter_by_open_port(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let id = organization(&app, &alice, "acme").await;
    let token = &alice.access_token;
    let ssh_host = asset(&app, token, &id, "10.0.0.1").await;
    let dns_host = asset(&app, token, &id, "10.0.0.2").await;
    asset(&app, token, &id, "2001:db8::1").await;
    for (asset, port, protocol, state) in [
        (&ssh_host, 22, "tcp", "open"),
        (&ssh_host, 80, "tcp", "closed"),
        (&dns_host, 80, "tcp", "open"),
        (&dns_host, 53, "udp", "open"),
        (&dns_host, 53, "tcp", "open_filtered"),
    ] {
        let body = json!({"port": port, "protocol": protocol, "state": state});
        assert_eq!(app.post(&format!("{asset}/services"), token, &body).await.status(), 201);
    }
    let assets = format!("/api/v1/organizations/{id}/assets");
    let pairs = |list: &[(&str, u64)]| list.iter().map(|(ip, count)| ((*ip).to_owned(), *count)).collect::<Vec<_>>();
    assert_eq!(listed(&app, token, &id, "").await, pairs(&[("10.0.0.1", 1), ("10.0.0.2", 2), ("2001:db8::1", 0)]));
    assert_eq!(listed(&app, token, &id, "port=22").await, pairs(&[("10.0.0.1", 1)]));
    assert_eq!(listed(&app, token, &id, "port=80").await, pairs(&[("10.0.0.2", 2)]), "a closed port does not match");
    assert_eq!(
        listed(&app, token, &id, "port=53").await,
        pairs(&[("10.0.0.2", 2)]),
        "any protocol; open_filtered is not open"
    );
    assert_eq!(listed(&app, token, &id, "port=443").await, pairs(&[]));
    assert_eq!(listed(&app, token, &id, "port=80&cidr=10.0.0.0/31").await, pairs(&[]));
    assert_eq!(listed(&app, token, &id, "port=%2022%20").await, pairs(&[("10.0.0.1", 1)]));
    let total: Value = app.get(&format!("{assets}?port=53"), token).await.json().await.unwrap();
    assert_eq!(total["total"], 1);

    // Closing the port changes both.
    let services: Value = app.get(&format!("{ssh_host}/services"), token).await.json().await.unwrap();
    let ssh = services["items"].as_array().unwrap().iter().find(|item| item["port"] == 22).unwrap();
    let ssh = format!("{ssh_host}/services/{}", ssh["id"].as_str().unwrap());
    assert_eq!(app.patch(&ssh, token, &json!({"state": "closed"})).await.status(), 200);
    assert_eq!(listed(&app, token, &id, "port=22").await, pairs(&[]));
    assert_eq!(listed(&app, token, &id, "").await, pairs(&[("10.0.0.1", 0), ("10.0.0.2", 2), ("2001:db8::1", 0)]));
}

async fn services_of_another_organizations_asset_are_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let mallory = app.register_ok("mallory").await;
    let victim = organization(&app, &alice, "victim").await;
    let own = organization(&app, &mallory, "mallory-inc").await;
    let victim_asset = asset(&app, &alice.access_token, &victim, "10.9.9.9").await;
    let victim_service: Value = app
        .post(&format!("{victim_asset}/services"), &alice.access_token, &json!({"port": 22, "protocol": "tcp"}))
        .await
        .json()
        .await
        .unwrap();
    let victim_asset_id = victim_asset.rsplit('/').next().unwrap();
    let victim_service_id = victim_service["id"].as_str().unwrap();
    let own_asset = asset(&app, &mallory.access_token, &own, "10.9.9.9").await;

    // The victim's asset under the attacker's own organization, where she holds every
    // permission: not found, and nothing written.
    let smuggled = format!("/api/v1/organizations/{own}/assets/{victim_asset_id}/services");
    let token = &mallory.access_token;
    assert_eq!(app.get(&smuggled, token).await.status(), 404);
    assert_eq!(app.post(&smuggled, token, &json!({"port": 80, "protocol": "tcp"})).await.status(), 404);
    let one = format!("{smuggled}/{victim_service_id}");
    assert_eq!(app.get(&one, token).await.status(), 404);
    assert_eq!(app.patch(&one, token, &json!({"state": "closed"})).await.status(), 404);
    assert_eq!(app.delete(&one, token).await.status(), 404);
    // The victim's service under the attacker's own asset: not found either.
    let crossed = format!("{own_asset}/services/{victim_service_id}");
    assert_eq!(app.get(&crossed, token).await.status(), 404);
    assert_eq!(app.patch(&crossed, token, &json!({"state": "closed"})).await.status(), 404);
    assert_eq!(app.delete(&crossed, token).await.status(), 404);

    let read: Value = app
        .get(&format!("{victim_asset}/services/{victim_service_id}"), &alice.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["state"], "open", "the attacker changed nothing");
    let listed: Value = app.get(&format!("{victim_asset}/services"), &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);

    // Deleting the organization takes its assets' services along, and the attacker's stay.
    let deleted = app.delete(&format!("/api/v1/organizations/{victim}"), &alice.access_token).await;
    assert_eq!(deleted.status(), 204);
    let own_listed: Value = app.get(&format!("{own_asset}/services"), token).await.json().await.unwrap();
    assert_eq!(own_listed["total"], 0);
    assert_eq!(app.get(&own_asset, token).await.status(), 200);
    let db = app.database().await;
    assert_eq!(services::Entity::find().count(&db).await.unwrap(), 0, "no service row outlives its organization");
}

async fn concurrent_creates_of_one_port_give_one_service(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let id = organization(&app, &alice, "acme").await;
    let services = format!("{}/services", asset(&app, &alice.access_token, &id, "10.1.1.1").await);
    let body = json!({"port": 8443, "protocol": "tcp"});

    let responses = join_all((0..16).map(|_| app.post(&services, &alice.access_token, &body))).await;
    let mut statuses: Vec<u16> = responses.iter().map(|response| response.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [[201].as_slice(), &[409; 15]].concat(), "one wins, the rest conflict, no 5xx");
    let listed: Value = app.get(&services, &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);
}

/// The same services list, count and filter alike on SQLite and PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_list_the_same_on_sqlite_and_postgres() {
    let mut answers = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = spawn_app(backend).await;
        let alice = app.register_ok("alice").await;
        let id = organization(&app, &alice, "acme").await;
        let token = &alice.access_token;
        let host = asset(&app, token, &id, "10.0.0.7").await;
        asset(&app, token, &id, "10.0.0.8").await;
        for (port, protocol, state) in [
            (443, "udp", "open"),
            (22, "tcp", "open"),
            (443, "tcp", "closed"),
            (9, "sctp", "unknown"),
            (80, "tcp", "open"),
        ] {
            let body = json!({
                "port": port, "protocol": protocol, "state": state, "banner": format!("banner {port}\r\n"),
                "ssl_info": {"port": port}, "http_technologies": ["b", "a"], "confidence": port % 100,
                "last_seen": "2026-11-30T10:00:00Z",
            });
            assert_eq!(app.post(&format!("{host}/services"), token, &body).await.status(), 201);
        }
        let body: Value = app.get(&format!("{host}/services?limit=200"), token).await.json().await.unwrap();
        let mut items = body["items"].as_array().unwrap().clone();
        for item in &mut items {
            for volatile in ["id", "asset_id", "created_at", "updated_at", "first_seen"] {
                item.as_object_mut().unwrap().remove(volatile);
            }
        }
        let mut filtered = Vec::new();
        for query in ["", "port=443", "port=22", "port=9", "port=80&sort=-ip_address"] {
            filtered.push(listed(&app, token, &id, query).await);
        }
        answers.push((items, filtered));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0.len(), 5);
}

on_both_backends!(
    concurrent_creates_of_one_port_give_one_service,
    services_are_recorded_read_changed_and_deleted,
    invalid_services_name_every_wrong_field,
    asset_lists_count_open_services_and_filter_by_open_port,
    services_of_another_organizations_asset_are_not_found,
);
