//! The message routes in `application/msgpack` (issue 12's binary protocol on REST): the
//! body by `Content-Type`, the answer by `Accept`, `ciphertext` and `nonce` as `bin`,
//! byte for byte at every length from 1 to 300 and at the maximum, and every refusal
//! (415, 406, malformed MessagePack as a 400, wrong fields as a 422 naming them).

use crate::answers::{fields, problem, pseudo_random_bytes};
use authdb_protocol::payload;
use authdb_tests::{Backend, TestApp, Tokens, spawn_app};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const MSGPACK: &str = "application/msgpack";
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

#[derive(Serialize)]
struct Post<'a> {
    #[serde(with = "payload::bin")]
    ciphertext: Vec<u8>,
    #[serde(with = "payload::option_bin", skip_serializing_if = "Option::is_none")]
    nonce: Option<Vec<u8>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Message {
    id: String,
    chat_id: String,
    sender_id: String,
    #[serde(with = "payload::bin")]
    ciphertext: Vec<u8>,
    #[serde(default, with = "payload::option_bin")]
    nonce: Option<Vec<u8>>,
    content_type: String,
    client_id: Option<String>,
    created_at: String,
    delete_at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    items: Vec<Message>,
    has_more: bool,
}

/// alice and bob in a direct chat of alice's organization; carol a member outside it.
struct Chat {
    app: TestApp,
    alice: Tokens,
    bob: Tokens,
    carol: Tokens,
    messages: String,
    chat_id: String,
}

impl Chat {
    async fn new(backend: Backend) -> Self {
        let app = spawn_app(backend).await;
        let alice = app.register_ok("alice").await;
        let bob = app.register_ok("bob").await;
        let carol = app.register_ok("carol").await;
        let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
        app.add_member_ok(&alice.access_token, &org, &bob, "member").await;
        app.add_member_ok(&alice.access_token, &org, &carol, "member").await;
        let chats = format!("/api/v1/organizations/{org}/chats");
        let chat: Value = app
            .post(&chats, &alice.access_token, &json!({"kind": "direct", "member_id": bob.user_id()}))
            .await
            .json()
            .await
            .unwrap();
        let chat_id = chat["id"].as_str().unwrap().to_owned();
        Self { messages: format!("{chats}/{chat_id}/messages"), chat_id, app, alice, bob, carol }
    }

    /// A raw POST of `body` as `content_type`, asking for `accept`.
    async fn post_raw(
        &self,
        who: &Tokens,
        content_type: &str,
        accept: Option<&str>,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut request = self
            .app
            .client
            .post(self.app.url(&self.messages))
            .bearer_auth(&who.access_token)
            .header("content-type", content_type)
            .body(body);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        request.send().await.unwrap()
    }

    async fn post(&self, who: &Tokens, post: &Post<'_>) -> reqwest::Response {
        self.post_raw(who, MSGPACK, Some(MSGPACK), payload::to_vec(post).unwrap()).await
    }

    async fn get(&self, who: &Tokens, query: &str, accept: &str) -> reqwest::Response {
        let url = self.app.url(&format!("{}{query}", self.messages));
        self.app.client.get(url).bearer_auth(&who.access_token).header("accept", accept).send().await.unwrap()
    }
}

async fn decoded<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> T {
    assert_eq!(response.headers()["content-type"], MSGPACK);
    assert_eq!(response.headers()["vary"], "Accept");
    payload::from_slice(&response.bytes().await.unwrap()).unwrap()
}

async fn msgpack_ciphertexts_round_trip_byte_for_byte(backend: Backend) {
    let chat = Chat::new(backend).await;
    let (alice, bob) = (&chat.alice, &chat.bob);
    let mut seed = 0x2545_F491_4F6C_DD1D_u64 ^ u64::from(std::process::id());
    let mut lengths: Vec<usize> = (1..=300).collect();
    lengths.push(MAX_MESSAGE_BYTES);
    let mut sent = std::collections::HashMap::new();
    for chunk in lengths.chunks(10) {
        let bodies: Vec<(Vec<u8>, Vec<u8>)> = chunk
            .iter()
            .map(|&length| (pseudo_random_bytes(&mut seed, length), pseudo_random_bytes(&mut seed, length % 64 + 1)))
            .collect();
        let posts: Vec<Post<'_>> = bodies
            .iter()
            .map(|(ciphertext, nonce)| Post {
                ciphertext: ciphertext.clone(),
                nonce: Some(nonce.clone()),
                content_type: Some("application/x-test"),
                client_id: None,
            })
            .collect();
        let responses = join_all(posts.iter().map(|post| chat.post(alice, post))).await;
        for ((ciphertext, nonce), response) in bodies.into_iter().zip(responses) {
            assert_eq!(response.status(), 201);
            let message: Message = decoded(response).await;
            assert_eq!(message.ciphertext, ciphertext);
            assert_eq!(message.nonce.as_ref(), Some(&nonce));
            assert_eq!(message.chat_id, chat.chat_id);
            assert_eq!(message.sender_id, alice.user_id());
            assert_eq!(message.content_type, "application/x-test");
            assert!(message.client_id.is_none() && message.delete_at.is_none());
            assert!(
                time::OffsetDateTime::parse(&message.created_at, &time::format_description::well_known::Rfc3339)
                    .is_ok()
            );
            sent.insert(message.id, (ciphertext, nonce));
        }
    }
    // Read back by bob in MessagePack, page by page, and compare every byte.
    let mut received = 0;
    let mut before: Option<String> = None;
    loop {
        let query = before.as_ref().map_or_else(|| "?limit=200".to_owned(), |id| format!("?limit=200&before={id}"));
        let response = chat.get(bob, &query, MSGPACK).await;
        assert_eq!(response.status(), 200);
        let page: Page = decoded(response).await;
        for message in page.items {
            let (ciphertext, nonce) = &sent[&message.id];
            assert_eq!(&message.ciphertext, ciphertext, "ciphertext of {} bytes", ciphertext.len());
            assert_eq!(message.nonce.as_ref(), Some(nonce));
            before = Some(message.id);
            received += 1;
        }
        if !page.has_more {
            break;
        }
    }
    assert_eq!(received, sent.len());
    // The formats are two views of the same bytes: a JSON reader sees the base64 of them.
    let json: Value = chat.get(bob, "?limit=200", "application/json").await.json().await.unwrap();
    for message in json["items"].as_array().unwrap() {
        let (ciphertext, _) = &sent[message["id"].as_str().unwrap()];
        assert_eq!(&STANDARD.decode(message["ciphertext"].as_str().unwrap()).unwrap(), ciphertext);
    }
    // One byte over the maximum, and a nonce over 64 bytes, are named.
    let over = Post {
        ciphertext: vec![7; MAX_MESSAGE_BYTES + 1],
        nonce: Some(vec![1; 65]),
        content_type: None,
        client_id: None,
    };
    assert_eq!(fields(&problem(chat.post(alice, &over).await, 422).await), ["ciphertext", "nonce"]);
    // A JSON post answered in MessagePack, and a MessagePack post answered in JSON.
    let json_post = chat
        .app
        .client
        .post(chat.app.url(&chat.messages))
        .bearer_auth(&alice.access_token)
        .header("accept", MSGPACK)
        .json(&json!({"ciphertext": STANDARD.encode([0, 255]), "content_type": "text/plain"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_post.status(), 201);
    let message: Message = decoded(json_post).await;
    assert_eq!((message.ciphertext, message.nonce), (vec![0, 255], None));
    let post = Post { ciphertext: vec![1, 2, 3], nonce: None, content_type: None, client_id: None };
    let response = chat.post_raw(alice, MSGPACK, None, payload::to_vec(&post).unwrap()).await;
    assert_eq!(response.status(), 201);
    let message: Value = response.json().await.unwrap();
    assert_eq!(message["ciphertext"], STANDARD.encode([1, 2, 3]));
    assert_eq!(message["content_type"], "application/octet-stream");
}

async fn msgpack_retries_of_one_client_id_store_one_message(backend: Backend) {
    let chat = Chat::new(backend).await;
    let post = Post { ciphertext: b"once".to_vec(), nonce: None, content_type: None, client_id: Some("mp-1") };
    let responses = join_all((0..8).map(|_| chat.post(&chat.alice, &post))).await;
    let mut statuses = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for response in responses {
        statuses.push(response.status().as_u16());
        let message: Message = decoded(response).await;
        assert_eq!(message.client_id.as_deref(), Some("mp-1"));
        ids.insert(message.id);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 200, 201]);
    assert_eq!(ids.len(), 1);
}

async fn msgpack_refusals_are_problems(backend: Backend) {
    let chat = Chat::new(backend).await;
    let (alice, carol) = (&chat.alice, &chat.carol);
    let good =
        payload::to_vec(&Post { ciphertext: vec![1], nonce: None, content_type: None, client_id: None }).unwrap();

    // Neither JSON nor MessagePack: 415, naming both.
    let refused = problem(chat.post_raw(alice, "text/plain", None, good.clone()).await, 415).await;
    assert!(refused["detail"].as_str().unwrap().contains("application/msgpack"), "{refused}");
    // An Accept that allows neither format: 406, on POST and GET, and nothing is stored.
    let refused = problem(chat.post_raw(alice, MSGPACK, Some("text/html"), good.clone()).await, 406).await;
    assert_eq!(refused["type"], "/problems/not-acceptable");
    problem(chat.get(alice, "", "application/msgpack;q=0, application/json;q=0").await, 406).await;
    let page: Page = decoded(chat.get(alice, "", MSGPACK).await).await;
    assert!(page.items.is_empty());

    // Not MessagePack: 400 with a clear problem (truncated, a reserved marker, bytes after
    // the value, an empty body).
    let mut trailing = good.clone();
    trailing.push(0xc0);
    for body in [good[..good.len() - 1].to_vec(), vec![0xc1], trailing, Vec::new()] {
        let refused = problem(chat.post_raw(alice, MSGPACK, Some(MSGPACK), body.clone()).await, 400).await;
        assert_eq!(refused["type"], "/problems/malformed-msgpack", "{body:02x?}: {refused}");
        assert_eq!(refused["title"], "Malformed MessagePack");
        assert!(!refused["detail"].as_str().unwrap().is_empty());
    }

    // Well-formed MessagePack with wrong fields: 422 naming them, never quoting values.
    let cases: [(Value, &str); 4] = [
        (json!({"ciphertext": "c2VjcmV0IHRleHQ="}), "ciphertext"),
        (json!({"nonce": null}), "ciphertext"),
        (json!({"ciphertext": null, "colour": 1}), "ciphertext"),
        (json!(["not", "a", "map"]), "body"),
    ];
    for (body, field) in cases {
        let refused = problem(chat.post_raw(alice, MSGPACK, None, payload::to_vec(&body).unwrap()).await, 422).await;
        assert_eq!(fields(&refused), [field], "{body}: {refused}");
        assert!(!refused.to_string().contains("c2VjcmV0"), "{refused}");
    }
    let unknown = [0x82, 0xaa, b'c', b'i', b'p', b'h', b'e', b'r', b't', b'e', b'x', b't', 0xc4, 1, 7, 0xa1, b'x', 1];
    assert_eq!(fields(&problem(chat.post_raw(alice, MSGPACK, None, unknown.to_vec()).await, 422).await), ["x"]);
    let bad_text = Post { ciphertext: vec![1], nonce: None, content_type: Some("bad\u{0}type"), client_id: Some("") };
    let refused = problem(chat.post(alice, &bad_text).await, 422).await;
    assert_eq!(fields(&refused), ["content_type", "client_id"]);

    // A member outside the chat gets 404 in either format, and cannot read it either.
    problem(chat.post_raw(carol, MSGPACK, Some(MSGPACK), good).await, 404).await;
    problem(chat.get(carol, "", MSGPACK).await, 404).await;
    let db_count: Page = decoded(chat.get(alice, "", MSGPACK).await).await;
    assert!(db_count.items.is_empty(), "no refused post was stored");
}

on_both_backends!(
    msgpack_ciphertexts_round_trip_byte_for_byte,
    msgpack_retries_of_one_client_id_store_one_message,
    msgpack_refusals_are_problems,
);
