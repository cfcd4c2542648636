//! Networks of an organization: CRUD, the write-only agent token, validation with field
//! names, and deletion that refuses while assets are in the network unless cascading.

use crate::answers::fields;
use authdb_persistence::entities::audit_events;
use authdb_tests::{Backend, spawn_app};
use futures_util::future::join_all;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

async fn networks_are_created_read_changed_and_keep_their_token_secret(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let vera = app.register_ok("vera").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let id = org["id"].as_str().unwrap();
    app.add_member_ok(&alice.access_token, id, &vera, "viewer").await;
    let networks = format!("/api/v1/organizations/{id}/networks");
    let token = "agent-s3cret-token-value";

    let created = app
        .post(
            &networks,
            &alice.access_token,
            &json!({
                "name": "HQ router",
                "site": "Paris",
                "cidrs": ["10.1.0.0/16", "2001:DB8::/32"],
                "agent_url": "https://10.1.0.1:8443",
                "agent_token": token,
            }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let text = created.text().await.unwrap();
    assert!(!text.contains(token), "the token is write-only: {text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(created["cidrs"], json!(["10.1.0.0/16", "2001:db8::/32"]));
    assert_eq!(created["has_agent_token"], true);
    assert!(created.get("agent_token").is_none());
    let network = format!("{networks}/{}", created["id"].as_str().unwrap());

    // A viewer reads (assets:read) but cannot write.
    let listed: Value = app.get(&networks, &vera.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["name"], "HQ router");
    assert!(!listed.to_string().contains(token));
    let one = app.get(&network, &vera.access_token).await;
    assert_eq!(one.status(), 200);
    assert!(!one.text().await.unwrap().contains(token));
    assert_eq!(app.post(&networks, &vera.access_token, &json!({"name": "x"})).await.status(), 403);
    assert_eq!(app.patch(&network, &vera.access_token, &json!({"name": "x"})).await.status(), 403);
    assert_eq!(app.delete(&network, &vera.access_token).await.status(), 403);

    let duplicate = app.post(&networks, &alice.access_token, &json!({"name": "HQ router"})).await;
    assert_eq!(duplicate.status(), 409);
    assert_eq!(fields(&duplicate.json().await.unwrap()), ["name"]);

    let changed = app
        .patch(&network, &alice.access_token, &json!({"name": "HQ", "site": null, "agent_token": null, "cidrs": []}))
        .await;
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(
        (&changed["name"], &changed["site"], &changed["has_agent_token"], &changed["cidrs"]),
        (&json!("HQ"), &Value::Null, &json!(false), &json!([]))
    );
    assert_eq!(changed["agent_url"], "https://10.1.0.1:8443", "untouched");
    // The name is free again, and a second network may take the old one.
    assert_eq!(app.post(&networks, &alice.access_token, &json!({"name": "HQ router"})).await.status(), 201);
    let taken = app.patch(&network, &alice.access_token, &json!({"name": "HQ router"})).await;
    assert_eq!(taken.status(), 409);
    assert_eq!(fields(&taken.json().await.unwrap()), ["name"]);

    let deleted = app.delete(&network, &alice.access_token).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(deleted.json::<Value>().await.unwrap()["assets_deleted"], 0);
    assert_eq!(app.get(&network, &alice.access_token).await.status(), 404);

    // Every change was audited, and no event holds the token.
    let db = app.database().await;
    let events = audit_events::Entity::find().order_by_asc(audit_events::Column::Id).all(&db).await.unwrap();
    let actions: Vec<&str> =
        events.iter().map(|event| event.action.as_str()).filter(|action| action.starts_with("network.")).collect();
    assert_eq!(actions, ["network.created", "network.updated", "network.created", "network.deleted"]);
    for event in &events {
        assert!(!event.details.to_string().contains(token), "{:?}", event.details);
    }
    let created_event = events.iter().find(|event| event.action == "network.created").unwrap();
    assert_eq!(created_event.details["agent_token_set"], true);
}

async fn invalid_networks_name_every_wrong_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let networks = format!("/api/v1/organizations/{}/networks", org["id"].as_str().unwrap());

    let invalid = app
        .post(
            &networks,
            &alice.access_token,
            &json!({
                "name": "  ",
                "cidrs": ["10.0.0.0/8", "10.1.2.3/16", "nonsense"],
                "agent_url": "ftp://router",
                "agent_token": "has spaces",
            }),
        )
        .await;
    assert_eq!(invalid.status(), 422);
    let body: Value = invalid.json().await.unwrap();
    assert_eq!(fields(&body), ["name", "cidrs[1]", "cidrs[2]", "agent_url", "agent_token"]);
    assert!(body["errors"][1]["message"].as_str().unwrap().contains("10.1.0.0/16"), "{body}");
    let unknown = app.post(&networks, &alice.access_token, &json!({"name": "x", "agent": "y"})).await;
    assert_eq!(unknown.status(), 422);
    assert_eq!(fields(&unknown.json().await.unwrap()), ["agent"]);

    let created: Value = app.post(&networks, &alice.access_token, &json!({"name": "lab"})).await.json().await.unwrap();
    let network = format!("{networks}/{}", created["id"].as_str().unwrap());
    let patch = app.patch(&network, &alice.access_token, &json!({"cidrs": ["fd00::/129"], "agent_url": ""})).await;
    assert_eq!(patch.status(), 422);
    assert_eq!(fields(&patch.json().await.unwrap()), ["cidrs[0]", "agent_url"]);
    assert_eq!(app.get(&format!("{networks}/not-a-uuid"), &alice.access_token).await.status(), 404);
    let unknown_id = format!("{networks}/00000000-0000-7000-8000-00000000abcd");
    assert_eq!(app.get(&unknown_id, &alice.access_token).await.status(), 404);
    assert_eq!(app.patch(&unknown_id, &alice.access_token, &json!({"name": "y"})).await.status(), 404);
    assert_eq!(app.delete(&unknown_id, &alice.access_token).await.status(), 404);
}

async fn a_network_with_assets_is_deleted_only_with_cascade(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let id = org["id"].as_str().unwrap();
    let networks = format!("/api/v1/organizations/{id}/networks");
    let assets = format!("/api/v1/organizations/{id}/assets");
    let created: Value = app.post(&networks, &alice.access_token, &json!({"name": "lab"})).await.json().await.unwrap();
    let network_id = created["id"].as_str().unwrap();
    let network = format!("{networks}/{network_id}");
    for ip in ["10.0.0.1", "10.0.0.2"] {
        let asset = app.post(&assets, &alice.access_token, &json!({"ip_address": ip, "network_id": network_id})).await;
        assert_eq!(asset.status(), 201);
    }
    let outside = app.post(&assets, &alice.access_token, &json!({"ip_address": "10.0.0.1"})).await;
    assert_eq!(outside.status(), 201, "the same address without a network is another asset");

    let in_network: Value =
        app.get(&format!("{assets}?network_id={network_id}"), &alice.access_token).await.json().await.unwrap();
    assert_eq!(in_network["total"], 2);
    let refused = app.delete(&network, &alice.access_token).await;
    assert_eq!(refused.status(), 409);
    assert!(refused.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("2 asset"));
    assert_eq!(app.delete(&format!("{network}?cascade=false"), &alice.access_token).await.status(), 409);
    let bad = app.delete(&format!("{network}?cascade=yes"), &alice.access_token).await;
    assert_eq!(bad.status(), 422);
    assert_eq!(fields(&bad.json().await.unwrap()), ["cascade"]);
    assert_eq!(app.get(&network, &alice.access_token).await.status(), 200, "still there");

    let cascaded = app.delete(&format!("{network}?cascade=true"), &alice.access_token).await;
    assert_eq!(cascaded.status(), 200);
    assert_eq!(cascaded.json::<Value>().await.unwrap()["assets_deleted"], 2);
    let left: Value = app.get(&assets, &alice.access_token).await.json().await.unwrap();
    assert_eq!(left["total"], 1);
    assert_eq!(left["items"][0]["network_id"], Value::Null);

    // An organization with networks and assets can still be deleted, and takes them along.
    let again: Value = app.post(&networks, &alice.access_token, &json!({"name": "lab"})).await.json().await.unwrap();
    let body = json!({"ip_address": "10.0.0.3", "network_id": again["id"]});
    assert_eq!(app.post(&assets, &alice.access_token, &body).await.status(), 201);
    assert_eq!(app.delete(&format!("/api/v1/organizations/{id}"), &alice.access_token).await.status(), 204);
    let db = app.database().await;
    use sea_orm::PaginatorTrait as _;
    assert_eq!(authdb_persistence::entities::assets::Entity::find().count(&db).await.unwrap(), 0);
    assert_eq!(authdb_persistence::entities::networks::Entity::find().count(&db).await.unwrap(), 0);
}

async fn concurrent_creates_of_one_name_give_one_network(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let networks = format!("/api/v1/organizations/{}/networks", org["id"].as_str().unwrap());
    let body = json!({"name": "edge", "cidrs": ["192.168.0.0/24"]});

    let responses = join_all((0..16).map(|_| app.post(&networks, &alice.access_token, &body))).await;
    let mut statuses: Vec<u16> = responses.iter().map(|response| response.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [[201].as_slice(), &[409; 15]].concat(), "one wins, the rest conflict, no 5xx");
    let listed: Value = app.get(&networks, &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);
    // Another organization may use the same name.
    let other = app.create_organization_ok(&alice.access_token, "other").await;
    let elsewhere = format!("/api/v1/organizations/{}/networks", other["id"].as_str().unwrap());
    assert_eq!(app.post(&elsewhere, &alice.access_token, &body).await.status(), 201);
}

on_both_backends!(
    concurrent_creates_of_one_name_give_one_network,
    networks_are_created_read_changed_and_keep_their_token_secret,
    invalid_networks_name_every_wrong_field,
    a_network_with_assets_is_deleted_only_with_cascade,
);
