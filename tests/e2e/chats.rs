//! Encrypted messaging: chats (direct unique per pair, groups), their members and
//! configuration, opaque messages (byte-exact round trips, idempotent `client_id`,
//! acceptance order, read pointers, deletion), auto-deletion with its sweep, and who may
//! see what: a member who is not in a chat gets 404 for all of it.

use std::time::Duration;

use crate::answers::{fields, pseudo_random_bytes};
use authdb_persistence::entities::{audit_events, chat_messages, chats, roles};
use authdb_tests::{Backend, TestApp, Tokens, spawn_app, spawn_app_with};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

async fn expect_422(response: reqwest::Response, expected: &[&str]) {
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(fields(&body), expected, "{body}");
}

/// An organization owned by alice, with bob and carol as members and vera as a viewer.
struct Team {
    app: TestApp,
    alice: Tokens,
    bob: Tokens,
    carol: Tokens,
    vera: Tokens,
    org: String,
}

impl Team {
    async fn new(app: TestApp) -> Self {
        let alice = app.register_ok("alice").await;
        let bob = app.register_ok("bob").await;
        let carol = app.register_ok("carol").await;
        let vera = app.register_ok("vera").await;
        let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
        app.add_member_ok(&alice.access_token, &org, &bob, "member").await;
        app.add_member_ok(&alice.access_token, &org, &carol, "member").await;
        app.add_member_ok(&alice.access_token, &org, &vera, "viewer").await;
        Self { app, alice, bob, carol, vera, org }
    }

    fn chats(&self) -> String {
        format!("/api/v1/organizations/{}/chats", self.org)
    }

    fn chat(&self, chat: &Value) -> String {
        format!("{}/{}", self.chats(), chat["id"].as_str().unwrap())
    }

    async fn direct(&self, from: &Tokens, to: &Tokens) -> Value {
        let response = self
            .app
            .post(&self.chats(), &from.access_token, &json!({"kind": "direct", "member_id": to.user_id()}))
            .await;
        assert!(response.status() == 201 || response.status() == 200, "{}", response.status());
        response.json().await.unwrap()
    }

    async fn post(&self, chat: &Value, from: &Tokens, bytes: &[u8]) -> Value {
        let response = self
            .app
            .post(
                &format!("{}/messages", self.chat(chat)),
                &from.access_token,
                &json!({"ciphertext": STANDARD.encode(bytes)}),
            )
            .await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }
}

async fn chats_are_created_once_per_pair_and_seen_only_by_their_members(backend: Backend) {
    let team = Team::new(spawn_app(backend).await).await;
    let (app, alice, bob, carol) = (&team.app, &team.alice, &team.bob, &team.carol);
    let chats = team.chats();

    let created = app
        .post(
            &chats,
            &alice.access_token,
            &json!({"kind": "direct", "member_id": bob.user_id(), "encryption_type": "AES-256-GCM"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let direct: Value = created.json().await.unwrap();
    assert_eq!(direct["kind"], "direct");
    assert_eq!(direct["name"], Value::Null);
    assert_eq!(direct["encryption_type"], "AES-256-GCM");
    assert_eq!(direct["created_by"], alice.user_id().as_str());
    let mut members: Vec<_> =
        direct["members"].as_array().unwrap().iter().map(|m| m["user_id"].as_str().unwrap().to_owned()).collect();
    members.sort();
    let mut expected = vec![alice.user_id(), bob.user_id()];
    expected.sort();
    assert_eq!(members, expected);
    // Asking again, from either side, answers the same chat with 200.
    for (from, to) in [(alice, bob), (bob, alice)] {
        let again = app.post(&chats, &from.access_token, &json!({"kind": "direct", "member_id": to.user_id()})).await;
        assert_eq!(again.status(), 200);
        assert_eq!(again.json::<Value>().await.unwrap()["id"], direct["id"]);
    }

    // Every member must belong to the organization, named by position.
    let outsider = app.register_ok("outsider").await;
    expect_422(
        app.post(
            &chats,
            &alice.access_token,
            &json!({"kind": "group", "name": "Team", "member_ids": [bob.user_id(), outsider.user_id()]}),
        )
        .await,
        &["member_ids[1]"],
    )
    .await;
    expect_422(
        app.post(&chats, &alice.access_token, &json!({"kind": "direct", "member_id": outsider.user_id()})).await,
        &["member_id"],
    )
    .await;
    expect_422(
        app.post(&chats, &alice.access_token, &json!({"kind": "direct", "member_id": alice.user_id()})).await,
        &["member_id"],
    )
    .await;
    expect_422(app.post(&chats, &alice.access_token, &json!({"kind": "direct"})).await, &["member_id"]).await;
    expect_422(app.post(&chats, &alice.access_token, &json!({"kind": "group"})).await, &["name"]).await;
    expect_422(app.post(&chats, &alice.access_token, &json!({"kind": "channel"})).await, &["kind"]).await;
    expect_422(
        app.post(
            &chats,
            &alice.access_token,
            &json!({"kind": "group", "name": "x", "encryption_type": "x".repeat(65), "auto_delete_secs": 59}),
        )
        .await,
        &["encryption_type", "auto_delete_secs"],
    )
    .await;
    expect_422(
        app.post(&chats, &alice.access_token, &json!({"kind": "group", "name": "x", "auto_delete_secs": 31_536_001}))
            .await,
        &["auto_delete_secs"],
    )
    .await;
    // A viewer has no chats:use.
    let refused =
        app.post(&chats, &team.vera.access_token, &json!({"kind": "direct", "member_id": alice.user_id()})).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(app.get(&chats, &team.vera.access_token).await.status(), 403);

    let group: Value = app
        .post(
            &chats,
            &alice.access_token,
            &json!({"kind": "group", "name": " Team ", "member_ids": [bob.user_id(), bob.user_id()], "auto_delete_secs": 3600}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(group["name"], "Team");
    assert_eq!(group["auto_delete_secs"], 3600);
    assert_eq!(group["members"].as_array().unwrap().len(), 2);

    // Carol is in the organization but in neither chat: 404 for all of it.
    for chat in [&direct, &group] {
        let path = team.chat(chat);
        assert_eq!(app.get(&path, &carol.access_token).await.status(), 404);
        assert_eq!(app.get(&format!("{path}/messages"), &carol.access_token).await.status(), 404);
        assert_eq!(app.get(&format!("{path}/receipts"), &carol.access_token).await.status(), 404);
        let posted = app.post(&format!("{path}/messages"), &carol.access_token, &json!({"ciphertext": "AAAA"})).await;
        assert_eq!(posted.status(), 404);
        let read =
            app.post(&format!("{path}/read"), &carol.access_token, &json!({"up_to": uuid::Uuid::now_v7()})).await;
        assert_eq!(read.status(), 404);
        assert_eq!(app.patch(&path, &carol.access_token, &json!({"name": "mine"})).await.status(), 404);
        assert_eq!(
            app.patch(&format!("{path}/config"), &carol.access_token, &json!({"auto_delete_secs": null}))
                .await
                .status(),
            404
        );
    }
    let carols: Value = app.get(&chats, &carol.access_token).await.json().await.unwrap();
    assert_eq!(carols["total"], 0);

    // Most recent activity first, with the last message and the caller's unread count.
    let listed: Value = app.get(&chats, &bob.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 2);
    assert_eq!(listed["items"][0]["id"], group["id"]);
    let message = team.post(&direct, alice, b"hello").await;
    let listed: Value = app.get(&chats, &bob.access_token).await.json().await.unwrap();
    assert_eq!(listed["items"][0]["id"], direct["id"]);
    assert_eq!(listed["items"][0]["last_message"]["id"], message["id"]);
    assert_eq!(listed["items"][0]["last_message"]["sender_id"], alice.user_id().as_str());
    assert!(listed["items"][0]["last_message"].get("ciphertext").is_none());
    assert_eq!(listed["items"][0]["unread_count"], 1);
    assert_eq!(listed["items"][1]["unread_count"], 0);
    let alices: Value = app.get(&chats, &alice.access_token).await.json().await.unwrap();
    assert_eq!(alices["items"][0]["unread_count"], 0, "one's own messages are not unread");
    let one: Value = app.get(&team.chat(&direct), &bob.access_token).await.json().await.unwrap();
    assert_eq!(one["unread_count"], 1);
}

async fn groups_are_renamed_configured_and_manned_by_their_creator_or_chats_manage(backend: Backend) {
    let team = Team::new(spawn_app(backend).await).await;
    let (app, alice, bob, carol) = (&team.app, &team.alice, &team.bob, &team.carol);
    // Bob creates the group; alice (owner) holds chats:manage.
    let group: Value = app
        .post(
            &team.chats(),
            &bob.access_token,
            &json!({"kind": "group", "name": "Ops", "member_ids": [alice.user_id()]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = team.chat(&group);
    let members = format!("{path}/members");

    // Adding: the creator may; carol joins and may not add or remove others.
    let added = app.post(&members, &bob.access_token, &json!({"user_id": carol.user_id()})).await;
    assert_eq!(added.status(), 200);
    assert_eq!(added.json::<Value>().await.unwrap()["members"].as_array().unwrap().len(), 3);
    let again = app.post(&members, &bob.access_token, &json!({"user_id": carol.user_id()})).await;
    assert_eq!(again.status(), 409);
    assert_eq!(fields(&again.json().await.unwrap()), ["user_id"]);
    let dave = app.register_ok("dave").await;
    expect_422(app.post(&members, &bob.access_token, &json!({"user_id": dave.user_id()})).await, &["user_id"]).await;
    assert_eq!(app.post(&members, &carol.access_token, &json!({"user_id": team.vera.user_id()})).await.status(), 403);
    assert_eq!(app.delete(&format!("{members}/{}", alice.user_id()), &carol.access_token).await.status(), 403);
    expect_422(app.post(&members, &bob.access_token, &json!({"user_id": "nope"})).await, &["user_id"]).await;

    // Renaming: carol may not; the creator and a chats:manage holder may.
    assert_eq!(app.patch(&path, &carol.access_token, &json!({"name": "Mine"})).await.status(), 403);
    let renamed = app.patch(&path, &bob.access_token, &json!({"name": "Operations"})).await;
    assert_eq!(renamed.status(), 200);
    assert_eq!(renamed.json::<Value>().await.unwrap()["name"], "Operations");
    assert_eq!(app.patch(&path, &alice.access_token, &json!({"name": "Ops 2"})).await.status(), 200);
    expect_422(app.patch(&path, &bob.access_token, &json!({"name": ""})).await, &["name"]).await;

    // Configuration, with null turning auto-deletion off.
    let config = format!("{path}/config");
    assert_eq!(app.patch(&config, &carol.access_token, &json!({"auto_delete_secs": 60})).await.status(), 403);
    let configured = app
        .patch(
            &config,
            &bob.access_token,
            &json!({"auto_delete_secs": 86_400, "encryption_type": "XChaCha20-Poly1305"}),
        )
        .await;
    assert_eq!(configured.status(), 200);
    let configured: Value = configured.json().await.unwrap();
    assert_eq!(configured["auto_delete_secs"], 86_400);
    assert_eq!(configured["encryption_type"], "XChaCha20-Poly1305");
    let off: Value =
        app.patch(&config, &alice.access_token, &json!({"auto_delete_secs": null})).await.json().await.unwrap();
    assert_eq!(off["auto_delete_secs"], Value::Null);
    assert_eq!(off["encryption_type"], "XChaCha20-Poly1305");
    expect_422(app.patch(&config, &bob.access_token, &json!({"auto_delete_secs": 10})).await, &["auto_delete_secs"])
        .await;
    expect_422(app.patch(&config, &bob.access_token, &json!({})).await, &["body"]).await;

    // Removing: carol leaves by herself; the manager removes the creator.
    assert_eq!(app.delete(&format!("{members}/{}", carol.user_id()), &carol.access_token).await.status(), 204);
    assert_eq!(app.get(&path, &carol.access_token).await.status(), 404);
    assert_eq!(app.delete(&format!("{members}/{}", carol.user_id()), &bob.access_token).await.status(), 404);
    assert_eq!(app.delete(&format!("{members}/{}", bob.user_id()), &alice.access_token).await.status(), 204);
    assert_eq!(app.get(&path, &bob.access_token).await.status(), 404);

    // A direct chat has no name and fixed members; either member configures it.
    let direct = team.direct(alice, bob).await;
    let direct_path = team.chat(&direct);
    assert_eq!(app.patch(&direct_path, &alice.access_token, &json!({"name": "x"})).await.status(), 409);
    assert_eq!(
        app.post(&format!("{direct_path}/members"), &alice.access_token, &json!({"user_id": carol.user_id()}))
            .await
            .status(),
        409
    );
    assert_eq!(app.delete(&format!("{direct_path}/members/{}", bob.user_id()), &bob.access_token).await.status(), 409);
    let configured =
        app.patch(&format!("{direct_path}/config"), &bob.access_token, &json!({"auto_delete_secs": 60})).await;
    assert_eq!(configured.status(), 200);

    let db = app.database().await;
    let events = audit_events::Entity::find().order_by_asc(audit_events::Column::Id).all(&db).await.unwrap();
    let actions: Vec<&str> =
        events.iter().map(|event| event.action.as_str()).filter(|action| action.starts_with("chat.")).collect();
    assert_eq!(
        actions,
        [
            "chat.created",
            "chat.member_added",
            "chat.updated",
            "chat.updated",
            "chat.config_changed",
            "chat.config_changed",
            "chat.member_removed",
            "chat.member_removed",
            "chat.created",
            "chat.config_changed",
        ]
    );
}

async fn messages_page_in_acceptance_order_and_read_pointers_only_move_forward(backend: Backend) {
    let team = Team::new(spawn_app(backend).await).await;
    let (app, alice, bob, carol) = (&team.app, &team.alice, &team.bob, &team.carol);
    let group: Value = app
        .post(
            &team.chats(),
            &bob.access_token,
            &json!({"kind": "group", "name": "Ops", "member_ids": [alice.user_id(), carol.user_id()]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = team.chat(&group);
    let messages = format!("{path}/messages");
    let mut posted = Vec::new();
    for i in 0..7u8 {
        posted.push(team.post(&group, if i % 2 == 0 { bob } else { carol }, &[i; 3]).await);
    }
    let ids: Vec<&str> = posted.iter().map(|m| m["id"].as_str().unwrap()).collect();
    let page_ids = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect()
    };

    let newest: Value = app.get(&format!("{messages}?limit=3"), &alice.access_token).await.json().await.unwrap();
    assert_eq!(page_ids(&newest), [ids[6], ids[5], ids[4]]);
    assert_eq!(newest["has_more"], true);
    let older: Value =
        app.get(&format!("{messages}?limit=3&before={}", ids[4]), &alice.access_token).await.json().await.unwrap();
    assert_eq!(page_ids(&older), [ids[3], ids[2], ids[1]]);
    assert_eq!(older["has_more"], true);
    let oldest: Value =
        app.get(&format!("{messages}?limit=3&before={}", ids[1]), &alice.access_token).await.json().await.unwrap();
    assert_eq!(page_ids(&oldest), [ids[0]]);
    assert_eq!(oldest["has_more"], false);
    let after: Value =
        app.get(&format!("{messages}?limit=4&after={}", ids[1]), &alice.access_token).await.json().await.unwrap();
    assert_eq!(page_ids(&after), [ids[2], ids[3], ids[4], ids[5]]);
    assert_eq!(after["has_more"], true);
    let all: Value = app.get(&messages, &alice.access_token).await.json().await.unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 7);
    assert_eq!(all["has_more"], false);
    assert_eq!(all["items"][0]["content_type"], "application/octet-stream");
    expect_422(app.get(&format!("{messages}?limit=201"), &alice.access_token).await, &["limit"]).await;
    expect_422(app.get(&format!("{messages}?limit=0"), &alice.access_token).await, &["limit"]).await;
    expect_422(
        app.get(&format!("{messages}?before={}&after={}", ids[1], ids[2]), &alice.access_token).await,
        &["after"],
    )
    .await;
    expect_422(app.get(&format!("{messages}?before=x"), &alice.access_token).await, &["before"]).await;
    expect_422(app.get(&format!("{messages}?after={}", uuid::Uuid::now_v7()), &alice.access_token).await, &["after"])
        .await;

    // Read pointers: forward only; receipts list every member's.
    let read = format!("{path}/read");
    let receipt: Value = app.post(&read, &alice.access_token, &json!({"up_to": ids[4]})).await.json().await.unwrap();
    assert_eq!(receipt["up_to"], ids[4]);
    assert_eq!(receipt["user_id"], alice.user_id().as_str());
    let back = app.post(&read, &alice.access_token, &json!({"up_to": ids[1]})).await;
    assert_eq!(back.status(), 200);
    assert_eq!(back.json::<Value>().await.unwrap()["up_to"], ids[4], "the pointer never moves backwards");
    let one: Value = app.get(&path, &alice.access_token).await.json().await.unwrap();
    assert_eq!(one["unread_count"], 2);
    assert_eq!(app.post(&read, &alice.access_token, &json!({"up_to": uuid::Uuid::now_v7()})).await.status(), 404);
    expect_422(app.post(&read, &alice.access_token, &json!({"up_to": "x"})).await, &["up_to"]).await;
    let receipts: Value = app.get(&format!("{path}/receipts"), &carol.access_token).await.json().await.unwrap();
    let items = receipts["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let alices = items.iter().find(|r| r["user_id"] == alice.user_id().as_str()).unwrap();
    assert_eq!(alices["up_to"], ids[4]);
    assert!(alices["read_at"].is_string());
    let bobs = items.iter().find(|r| r["user_id"] == bob.user_id().as_str()).unwrap();
    assert_eq!(bobs["up_to"], Value::Null);

    // Deleting: the sender may; another member may not; chats:manage (alice) may.
    let message = |i: usize| format!("{messages}/{}", ids[i]);
    assert_eq!(app.delete(&message(0), &carol.access_token).await.status(), 403);
    assert_eq!(app.delete(&message(0), &bob.access_token).await.status(), 204);
    assert_eq!(app.delete(&message(0), &bob.access_token).await.status(), 404);
    assert_eq!(app.delete(&message(1), &alice.access_token).await.status(), 204);
    let db = app.database().await;
    assert_eq!(chat_messages::Entity::find().count(&db).await.unwrap(), 5, "deleted for real");
    let events = audit_events::Entity::find().all(&db).await.unwrap();
    let deletions: Vec<_> = events.iter().filter(|event| event.action == "chat.message_deleted").collect();
    assert_eq!(deletions.len(), 1, "only a deletion by someone else is audited");
    assert_eq!(deletions[0].details["sender_id"], carol.user_id().as_str());

    // Validation, each field named; nothing of the input is echoed.
    let max = 64 * 1024;
    expect_422(app.post(&messages, &bob.access_token, &json!({"ciphertext": "not base64!"})).await, &["ciphertext"])
        .await;
    expect_422(app.post(&messages, &bob.access_token, &json!({"ciphertext": ""})).await, &["ciphertext"]).await;
    expect_422(
        app.post(&messages, &bob.access_token, &json!({"ciphertext": STANDARD.encode(vec![1u8; max + 1])})).await,
        &["ciphertext"],
    )
    .await;
    expect_422(
        app.post(
            &messages,
            &bob.access_token,
            &json!({
                "ciphertext": "AAAA",
                "nonce": STANDARD.encode([0u8; 65]),
                "content_type": "x".repeat(101),
                "client_id": "y".repeat(65),
            }),
        )
        .await,
        &["nonce", "content_type", "client_id"],
    )
    .await;
    expect_422(app.post(&messages, &bob.access_token, &json!({})).await, &["ciphertext"]).await;
    let not_json = app
        .client
        .post(app.url(&messages))
        .bearer_auth(&bob.access_token)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 415);
    let huge = app
        .client
        .post(app.url(&messages))
        .bearer_auth(&bob.access_token)
        .header("content-type", "application/json")
        .body(format!("{{\"ciphertext\": \"{}\"}}", "A".repeat(200 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
}

async fn ciphertexts_round_trip_byte_for_byte(backend: Backend) {
    let team = Team::new(spawn_app(backend).await).await;
    let (app, alice, bob) = (&team.app, &team.alice, &team.bob);
    let direct = team.direct(alice, bob).await;
    let messages = format!("{}/messages", team.chat(&direct));
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64 ^ u64::from(std::process::id());
    let mut lengths: Vec<usize> = (1..=300).collect();
    lengths.push(64 * 1024);
    let mut sent = Vec::new();
    for chunk in lengths.chunks(10) {
        let bodies: Vec<(Vec<u8>, Vec<u8>)> = chunk
            .iter()
            .map(|&length| (pseudo_random_bytes(&mut seed, length), pseudo_random_bytes(&mut seed, length % 64 + 1)))
            .collect();
        let requests: Vec<Value> = bodies
            .iter()
            .map(|(ciphertext, nonce)| {
                json!({
                    "ciphertext": STANDARD.encode(ciphertext),
                    "nonce": STANDARD.encode(nonce),
                    "content_type": "application/x-test",
                })
            })
            .collect();
        let responses =
            join_all(requests.iter().map(|request| app.post(&messages, &alice.access_token, request))).await;
        for ((ciphertext, nonce), response) in bodies.into_iter().zip(responses) {
            assert_eq!(response.status(), 201);
            let message: Value = response.json().await.unwrap();
            assert_eq!(STANDARD.decode(message["ciphertext"].as_str().unwrap()).unwrap(), ciphertext);
            assert_eq!(STANDARD.decode(message["nonce"].as_str().unwrap()).unwrap(), nonce);
            sent.push((message["id"].as_str().unwrap().to_owned(), ciphertext, nonce));
        }
    }
    // Read back by bob, page by page, and compare every byte.
    let mut received = std::collections::HashMap::new();
    let mut before: Option<String> = None;
    loop {
        let query = before.as_ref().map(|id| format!("?limit=200&before={id}")).unwrap_or_else(|| "?limit=200".into());
        let page: Value = app.get(&format!("{messages}{query}"), &bob.access_token).await.json().await.unwrap();
        for message in page["items"].as_array().unwrap() {
            let id = message["id"].as_str().unwrap().to_owned();
            let ciphertext = STANDARD.decode(message["ciphertext"].as_str().unwrap()).unwrap();
            let nonce = STANDARD.decode(message["nonce"].as_str().unwrap()).unwrap();
            assert_eq!(message["content_type"], "application/x-test");
            before = Some(id.clone());
            received.insert(id, (ciphertext, nonce));
        }
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(received.len(), sent.len());
    for (id, ciphertext, nonce) in sent {
        let (got_ciphertext, got_nonce) = &received[&id];
        assert_eq!(got_ciphertext, &ciphertext, "ciphertext of {} bytes", ciphertext.len());
        assert_eq!(got_nonce, &nonce);
    }
}

async fn concurrent_retries_of_one_client_id_store_one_message(backend: Backend) {
    let team = Team::new(spawn_app(backend).await).await;
    let (app, alice, bob) = (&team.app, &team.alice, &team.bob);
    let direct = team.direct(alice, bob).await;
    let messages = format!("{}/messages", team.chat(&direct));
    let body = json!({"ciphertext": STANDARD.encode(b"once"), "client_id": "retry-1"});
    let responses = join_all((0..8).map(|_| app.post(&messages, &alice.access_token, &body))).await;
    let mut statuses = Vec::new();
    let mut ids = Vec::new();
    for response in responses {
        statuses.push(response.status().as_u16());
        ids.push(response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 200, 201]);
    assert!(ids.iter().all(|id| id == &ids[0]), "{ids:?}");
    // Another sender, or another chat, may use the same client_id.
    let from_bob = app.post(&messages, &bob.access_token, &body).await;
    assert_eq!(from_bob.status(), 201);
    let again = app.post(&messages, &alice.access_token, &body).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["client_id"], "retry-1");
    let db = app.database().await;
    assert_eq!(chat_messages::Entity::find().count(&db).await.unwrap(), 2);
}

async fn concurrent_creates_of_a_direct_chat_make_one(backend: Backend) {
    let team = Team::new(spawn_app(backend).await).await;
    let (app, alice, bob) = (&team.app, &team.alice, &team.bob);
    let chats = team.chats();
    let requests: Vec<(&Tokens, Value)> = (0..8)
        .map(|i| {
            let (from, to) = if i % 2 == 0 { (alice, bob) } else { (bob, alice) };
            (from, json!({"kind": "direct", "member_id": to.user_id()}))
        })
        .collect();
    let responses =
        join_all(requests.iter().map(|(from, request)| app.post(&chats, &from.access_token, request))).await;
    let mut statuses = Vec::new();
    let mut ids = Vec::new();
    for response in responses {
        statuses.push(response.status().as_u16());
        ids.push(response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 200, 201]);
    assert!(ids.iter().all(|id| id == &ids[0]), "{ids:?}");
    let listed: Value = app.get(&chats, &bob.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);
}

async fn expired_messages_are_never_returned_and_the_sweep_deletes_them(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.messaging.min_auto_delete_secs = 1;
        settings.messaging.sweep_interval_secs = 1;
    })
    .await;
    let team = Team::new(app).await;
    let (app, alice, bob) = (&team.app, &team.alice, &team.bob);
    let direct = team.direct(alice, bob).await;
    let path = team.chat(&direct);
    let kept = team.post(&direct, alice, b"kept").await;
    assert_eq!(kept["delete_at"], Value::Null);
    let configured = app.patch(&format!("{path}/config"), &bob.access_token, &json!({"auto_delete_secs": 1})).await;
    assert_eq!(configured.status(), 200);
    let fleeting = team.post(&direct, alice, b"fleeting").await;
    let created = time::OffsetDateTime::parse(
        fleeting["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let delete_at = time::OffsetDateTime::parse(
        fleeting["delete_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(delete_at - created, time::Duration::seconds(1));

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let listed: Value = app.get(&format!("{path}/messages"), &bob.access_token).await.json().await.unwrap();
    let ids: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [kept["id"].as_str().unwrap()], "the expired message is never returned");
    let chat: Value = app.get(&path, &bob.access_token).await.json().await.unwrap();
    assert_eq!(chat["last_message"]["id"], kept["id"]);
    let delete =
        app.delete(&format!("{path}/messages/{}", fleeting["id"].as_str().unwrap()), &alice.access_token).await;
    assert_eq!(delete.status(), 404);

    // The sweep deletes it for real within a few intervals.
    let db = app.database().await;
    let mut remaining = u64::MAX;
    for _ in 0..50 {
        remaining = chat_messages::Entity::find().count(&db).await.unwrap();
        if remaining == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(remaining, 1, "the sweep deleted the expired message");
}

async fn leaving_the_organization_leaves_its_chats_and_deleting_it_deletes_them(backend: Backend) {
    let team = Team::new(spawn_app(backend).await).await;
    let (app, alice, bob, carol) = (&team.app, &team.alice, &team.bob, &team.carol);
    let group: Value = app
        .post(
            &team.chats(),
            &alice.access_token,
            &json!({"kind": "group", "name": "Ops", "member_ids": [bob.user_id(), carol.user_id()]}),
        )
        .await
        .json()
        .await
        .unwrap();
    team.post(&group, bob, b"from bob").await;
    let direct = team.direct(alice, bob).await;
    let bob_member = format!("/api/v1/organizations/{}/members/{}", team.org, bob.user_id());
    assert_eq!(app.delete(&bob_member, &alice.access_token).await.status(), 204);
    let chat: Value = app.get(&team.chat(&group), &alice.access_token).await.json().await.unwrap();
    let members: Vec<&str> =
        chat["members"].as_array().unwrap().iter().map(|m| m["user_id"].as_str().unwrap()).collect();
    assert!(!members.contains(&bob.user_id().as_str()), "{members:?}");
    assert_eq!(members.len(), 2);
    let messages: Value =
        app.get(&format!("{}/messages", team.chat(&group)), &carol.access_token).await.json().await.unwrap();
    assert_eq!(messages["items"].as_array().unwrap().len(), 1, "what bob posted stays");
    // Coming back does not bring the old chats back.
    app.add_member_ok(&alice.access_token, &team.org, bob, "member").await;
    assert_eq!(app.get(&team.chat(&group), &bob.access_token).await.status(), 404);
    let bobs: Value = app.get(&team.chats(), &bob.access_token).await.json().await.unwrap();
    assert_eq!(bobs["total"], 0);
    assert_eq!(app.get(&team.chat(&direct), &bob.access_token).await.status(), 404);
    // The pair starts a new direct chat; alice keeps the old one, alone.
    let fresh =
        app.post(&team.chats(), &bob.access_token, &json!({"kind": "direct", "member_id": alice.user_id()})).await;
    assert_eq!(fresh.status(), 201);
    assert_ne!(fresh.json::<Value>().await.unwrap()["id"], direct["id"]);
    let old: Value = app.get(&team.chat(&direct), &alice.access_token).await.json().await.unwrap();
    assert_eq!(old["members"].as_array().unwrap().len(), 1);

    let organization = format!("/api/v1/organizations/{}", team.org);
    assert_eq!(app.delete(&organization, &alice.access_token).await.status(), 204);
    let db = app.database().await;
    assert_eq!(chat_messages::Entity::find().count(&db).await.unwrap(), 0);
    assert_eq!(chats::Entity::find().count(&db).await.unwrap(), 0);
}

/// The messaging migrations have real downs: the tables go, owner and admin lose
/// `chats:manage`; up again, everything works.
async fn the_messaging_migrations_go_down_and_up_again(backend: Backend) {
    let team = Team::new(spawn_app(backend).await).await;
    let (app, alice, bob) = (&team.app, &team.alice, &team.bob);
    let direct = team.direct(alice, bob).await;
    team.post(&direct, alice, b"before").await;
    let db = app.database().await;
    let owner_permissions = |role: roles::Model| -> Vec<String> { serde_json::from_value(role.permissions).unwrap() };
    let owner_id = uuid::Uuid::from_u128(1 | 0x0000_0000_0000_7000_8000_0000_0000_0000);
    let owner = roles::Entity::find_by_id(owner_id).one(&db).await.unwrap().unwrap();
    assert!(owner_permissions(owner).contains(&"chats:manage".to_owned()));

    // Down to just before the first messaging migration, however many came after it.
    let names = authdb_persistence::migration_names();
    let first = names.iter().position(|name| name.starts_with("m20261201_000050_")).unwrap();
    let steps = u32::try_from(names.len() - first).unwrap();
    authdb_persistence::migrate_down(&db, Some(steps)).await.unwrap();
    assert!(chat_messages::Entity::find().count(&db).await.is_err(), "the table is gone");
    let owner = roles::Entity::find_by_id(owner_id).one(&db).await.unwrap().unwrap();
    assert!(!owner_permissions(owner).contains(&"chats:manage".to_owned()));

    authdb_persistence::migrate_up(&db).await.unwrap();
    let owner = roles::Entity::find_by_id(owner_id).one(&db).await.unwrap().unwrap();
    assert!(owner_permissions(owner).contains(&"chats:manage".to_owned()));
    assert_eq!(chat_messages::Entity::find().count(&db).await.unwrap(), 0);
    let again =
        app.post(&team.chats(), &alice.access_token, &json!({"kind": "direct", "member_id": bob.user_id()})).await;
    assert_eq!(again.status(), 201);
}

async fn posting_is_limited_per_user_and_chat(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.messaging.posts_per_minute_per_user = 3).await;
    let team = Team::new(app).await;
    let (app, alice, bob, carol) = (&team.app, &team.alice, &team.bob, &team.carol);
    let direct = team.direct(alice, bob).await;
    let other = team.direct(alice, carol).await;
    let messages = format!("{}/messages", team.chat(&direct));
    for _ in 0..3 {
        team.post(&direct, alice, b"ok").await;
    }
    let refused = app.post(&messages, &alice.access_token, &json!({"ciphertext": "AAAA"})).await;
    assert_eq!(refused.status(), 429);
    let header = |name: &str| refused.headers().get(name).map(|value| value.to_str().unwrap().to_owned());
    assert_eq!(header("ratelimit-limit").as_deref(), Some("3"));
    assert_eq!(header("ratelimit-remaining").as_deref(), Some("0"));
    assert_eq!(header("ratelimit-policy").as_deref(), Some("3;w=60"));
    assert!(header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(header("content-type").as_deref(), Some("application/problem+json"));
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["status"], 429);
    // Another member in the same chat, and the same member in another chat, post on.
    team.post(&direct, bob, b"ok").await;
    team.post(&other, alice, b"ok").await;
    // Reading is not posting.
    assert_eq!(app.get(&messages, &alice.access_token).await.status(), 200);
    let db = app.database().await;
    assert_eq!(chat_messages::Entity::find().count(&db).await.unwrap(), 5);
}

/// A chat's last activity moves with every message stored in it (in the insert itself, by
/// a trigger) and never backwards: after 16 concurrent posts into one chat its
/// `activity_seq` is its newest message's, and the chat lists first until another moves.
async fn a_chats_last_activity_follows_its_newest_message_under_concurrent_posts(backend: Backend) {
    let team = Team::new(spawn_app(backend).await).await;
    let (app, alice, bob) = (&team.app, &team.alice, &team.bob);
    let direct = team.direct(alice, bob).await;
    let group = app
        .post(
            &team.chats(),
            &alice.access_token,
            &json!({"kind": "group", "name": "race", "member_ids": [bob.user_id()]}),
        )
        .await;
    assert_eq!(group.status(), 201);
    let group: Value = group.json().await.unwrap();
    team.post(&direct, alice, b"first").await;

    let messages = format!("{}/messages", team.chat(&group));
    let bodies: Vec<Value> = (0..16u8).map(|i| json!({"ciphertext": STANDARD.encode([i])})).collect();
    let posts = bodies.iter().enumerate().map(|(i, body)| {
        let from = if i % 2 == 0 { alice } else { bob };
        app.post(&messages, &from.access_token, body)
    });
    for response in join_all(posts).await {
        assert_eq!(response.status(), 201);
    }
    let db = app.database().await;
    let group_id = uuid::Uuid::parse_str(group["id"].as_str().unwrap()).unwrap();
    let newest = chat_messages::Entity::find()
        .filter(chat_messages::Column::ChatId.eq(group_id))
        .order_by_desc(chat_messages::Column::Seq)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let row = chats::Entity::find_by_id(group_id).one(&db).await.unwrap().unwrap();
    assert_eq!(row.activity_seq, newest.seq);
    assert_eq!(row.last_activity_at, newest.created_at);
    let listed: Value = app.get(&team.chats(), &bob.access_token).await.json().await.unwrap();
    assert_eq!(listed["items"][0]["id"], group["id"]);
    assert_eq!(listed["items"][0]["last_message"]["id"], newest.id.to_string());

    let latest = team.post(&direct, bob, b"latest").await;
    let listed: Value = app.get(&team.chats(), &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["items"][0]["id"], direct["id"]);
    assert_eq!(listed["items"][0]["last_message"]["id"], latest["id"]);
}

on_both_backends!(
    a_chats_last_activity_follows_its_newest_message_under_concurrent_posts,
    posting_is_limited_per_user_and_chat,
    leaving_the_organization_leaves_its_chats_and_deleting_it_deletes_them,
    the_messaging_migrations_go_down_and_up_again,
    chats_are_created_once_per_pair_and_seen_only_by_their_members,
    groups_are_renamed_configured_and_manned_by_their_creator_or_chats_manage,
    messages_page_in_acceptance_order_and_read_pointers_only_move_forward,
    ciphertexts_round_trip_byte_for_byte,
    concurrent_retries_of_one_client_id_store_one_message,
    concurrent_creates_of_a_direct_chat_make_one,
    expired_messages_are_never_returned_and_the_sweep_deletes_them,
);
