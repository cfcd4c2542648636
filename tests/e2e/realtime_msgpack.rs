//! The realtime socket's binary subprotocol `authdb.msgpack.v1` (docs/protocol.md) with a
//! real WebSocket client (tokio-tungstenite) speaking the protocol through
//! `authdb-protocol`: negotiation beside the bearer entry, the `ready` frame's key, signed
//! events with byte-exact ciphertext, `message.send` answered by `message.ack` or `error`,
//! the refusals (bad signature, stale `ts`, replayed id: 4400; a text frame: 1003), `auth`
//! refresh and a session's end (4001) on a binary socket; and a Python client (the
//! `websockets` and `msgpack` packages and the standard library's `hmac`, over
//! tests/python/authdb_msgpack.py) over the real socket.
//!
//! Python: `AUTHDB_TEST_PYTHON`, else `target/tools/venv/bin/python`, with `msgpack` and
//! `websockets` installed (scripts/test.sh pins them).

use std::{
    path::PathBuf,
    process::Command,
    time::{Duration, Instant},
};

use authdb_protocol::{
    Clock as _, Frame, KEY_LEN, Key, Ready, SUBPROTOCOL_MSGPACK, SystemClock, Verifier, decode, payload,
};
use authdb_tests::{Backend, TestApp, Tokens, claims_of, spawn_app, spawn_app_with};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{self, Message, client::IntoClientRequest as _, http::HeaderValue},
};

use crate::{answers::ws_url, python::python};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for a frame it expects.
const PATIENCE: Duration = Duration::from_secs(5);
/// The bound for a session's end to close its sockets.
const WITHIN: Duration = Duration::from_secs(1);

/// A client's end of a binary socket: the key from `ready`, a verifier of the server's
/// frames, and a signer of its own.
struct Client {
    socket: Socket,
    key: Key,
    verifier: Verifier<SystemClock>,
    ready: Ready,
}

/// A message as the binary frames carry it.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct MessageFields {
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
struct MessageCreated {
    organization_id: String,
    chat_id: String,
    message: MessageFields,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ack {
    client_id: String,
    message: MessageFields,
}

/// Connects offering `protocols` in `Sec-WebSocket-Protocol` (and the bearer header when
/// `bearer` is given).
async fn connect(
    app: &TestApp,
    protocols: &str,
    bearer: Option<&str>,
) -> Result<(Socket, tungstenite::handshake::client::Response), tungstenite::Error> {
    let mut request = ws_url(&app.address).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_str(protocols).unwrap());
    if let Some(token) = bearer {
        request.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
    }
    connect_async(request).await
}

/// The next binary frame (pings are answered by the library and skipped).
async fn next_binary(socket: &mut Socket) -> Vec<u8> {
    loop {
        let message = tokio::time::timeout(PATIENCE, socket.next()).await.expect("a frame in time");
        match message.expect("the socket is open").expect("a frame") {
            Message::Binary(bytes) => return bytes.to_vec(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// A binary socket authenticated by the subprotocol entry, its `ready` frame read.
async fn open(app: &TestApp, tokens: &Tokens) -> Client {
    let offered = format!("{SUBPROTOCOL_MSGPACK}, authdb.bearer.{}", tokens.access_token);
    let (mut socket, response) = connect(app, &offered, None).await.unwrap();
    let selected: Vec<_> = response.headers().get_all("sec-websocket-protocol").iter().collect();
    assert_eq!(selected, [&HeaderValue::from_static(SUBPROTOCOL_MSGPACK)]);
    let ready = next_binary(&mut socket).await;
    let (frame, ready) = Ready::from_decoded(decode(&ready).expect("the ready frame decodes")).expect("ready");
    assert!(frame.ts().abs_diff(SystemClock.now_ms()) < 30_000);
    let key = ready.key.clone();
    Client { socket, verifier: Verifier::new(key.clone(), SystemClock), key, ready }
}

impl Client {
    /// The next frame, verified: its type and payload bytes.
    async fn next(&mut self) -> (String, Vec<u8>) {
        let bytes = next_binary(&mut self.socket).await;
        let frame = self.verifier.accept(&bytes).expect("a server frame verifies under the ready key");
        (frame.kind().to_owned(), frame.into_payload())
    }

    /// The next frame of `kind`, skipping presence, and the sender's own
    /// `message.created` (which may come before or after the answer) when waiting for an
    /// answer.
    async fn next_of(&mut self, kind: &str) -> Vec<u8> {
        loop {
            let (got, payload) = self.next().await;
            if got == "presence" || (got == "message.created" && matches!(kind, "message.ack" | "error")) {
                continue;
            }
            assert_eq!(got, kind, "{:?}", payload::from_slice::<Value>(&payload));
            return payload;
        }
    }

    /// The next frame of `kind` read as a JSON value (no byte fields in it).
    async fn next_json(&mut self, kind: &str) -> Value {
        payload::from_slice(&self.next_of(kind).await).unwrap()
    }

    /// A signed frame of ours.
    fn frame(&self, kind: &str, fields: &impl serde::Serialize, id: [u8; 16], ts: u64) -> Vec<u8> {
        Frame::new(kind, id, ts, payload::to_vec(fields).unwrap()).unwrap().to_signed_bytes(&self.key)
    }

    async fn send_bytes(&mut self, bytes: Vec<u8>) {
        self.socket.send(Message::binary(bytes)).await.unwrap();
    }

    async fn send(&mut self, kind: &str, fields: &impl serde::Serialize) {
        let bytes = self.frame(kind, fields, uuid::Uuid::new_v4().into_bytes(), SystemClock.now_ms());
        self.send_bytes(bytes).await;
    }

    /// Reads until the server closes; answers the close code and reason.
    async fn close(&mut self, patience: Duration) -> (u16, String) {
        let deadline = Instant::now() + patience;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.socket.next()).await.expect("closed in time") {
                Some(Ok(Message::Close(Some(frame)))) => return (u16::from(frame.code), frame.reason.to_string()),
                Some(Ok(Message::Close(None))) => return (1005, String::new()),
                Some(Ok(_)) => {}
                Some(Err(error)) => panic!("no close frame: {error}"),
                None => panic!("closed without a close frame"),
            }
        }
    }
}

/// `message.send`'s fields, bytes as `bin`.
#[derive(serde::Serialize)]
struct Send<'a> {
    chat_id: &'a str,
    #[serde(with = "payload::bin")]
    ciphertext: Vec<u8>,
    #[serde(with = "payload::option_bin", skip_serializing_if = "Option::is_none")]
    nonce: Option<Vec<u8>>,
    client_id: &'a str,
}

/// An organization of alice (owner), bob and carol (members), and a group of alice and
/// bob.
async fn team(app: &TestApp) -> (Tokens, Tokens, Tokens, String, String) {
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let carol = app.register_ok("carol").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &org, &bob, "member").await;
    app.add_member_ok(&alice.access_token, &org, &carol, "member").await;
    let response = app
        .post(
            &format!("/api/v1/organizations/{org}/chats"),
            &alice.access_token,
            &json!({"kind": "group", "name": "Team", "member_ids": [bob.user_id()]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let chat = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    (alice, bob, carol, org, chat)
}

/// Random bytes (no RNG crate needed: UUID v4s are random).
fn random_bytes(len: usize) -> Vec<u8> {
    std::iter::repeat_with(|| uuid::Uuid::new_v4().into_bytes()).flatten().take(len).collect()
}

async fn msgpack_is_negotiated_beside_the_bearer_entry_with_a_key_per_connection(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let sid = claims_of(&alice.access_token)["sid"].as_str().unwrap().to_owned();
    let first = open(&app, &alice).await;
    assert_eq!(first.ready.user_id, alice.user_id());
    assert_eq!(first.ready.session_id, sid);
    assert_eq!(first.key.as_bytes().len(), KEY_LEN);
    let second = open(&app, &alice).await;
    assert_ne!(first.key, second.key, "each connection draws its own key");

    // With the Authorization header, offering only the subprotocol.
    let (mut socket, response) = connect(&app, SUBPROTOCOL_MSGPACK, Some(&alice.access_token)).await.unwrap();
    assert_eq!(response.headers().get("sec-websocket-protocol").unwrap(), SUBPROTOCOL_MSGPACK);
    let ready = next_binary(&mut socket).await;
    assert!(Ready::from_decoded(decode(&ready).unwrap()).is_ok());
    // The first offered wins: JSON when authdb.v1 comes first.
    let (mut socket, response) =
        connect(&app, &format!("authdb.v1, {SUBPROTOCOL_MSGPACK}"), Some(&alice.access_token)).await.unwrap();
    assert_eq!(response.headers().get("sec-websocket-protocol").unwrap(), "authdb.v1");
    let message = tokio::time::timeout(PATIENCE, socket.next()).await.unwrap().unwrap().unwrap();
    assert!(matches!(message, Message::Text(_)), "{message:?}");
    // No valid token: 401, no upgrade, whatever the subprotocol.
    match connect(&app, &format!("{SUBPROTOCOL_MSGPACK}, authdb.bearer.nope"), None).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status().as_u16(), 401),
        other => panic!("not refused: {:?}", other.map(|(_, response)| response.status())),
    }
}

async fn events_arrive_signed_with_byte_exact_ciphertext(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, bob, _, org, chat) = team(&app).await;
    let mut alices = open(&app, &alice).await;
    let mut bobs = open(&app, &bob).await;
    let path = format!("/api/v1/organizations/{org}/chats/{chat}/messages");
    for len in [1, 2, 255, 256, 300, 65_536] {
        let bytes = random_bytes(len);
        let response = app.post(&path, &bob.access_token, &json!({"ciphertext": STANDARD.encode(&bytes)})).await;
        assert_eq!(response.status(), 201);
        let posted: Value = response.json().await.unwrap();
        for client in [&mut alices, &mut bobs] {
            let event: MessageCreated = payload::from_slice(&client.next_of("message.created").await).unwrap();
            assert_eq!((event.organization_id.as_str(), event.chat_id.as_str()), (org.as_str(), chat.as_str()));
            assert_eq!(event.message.id, posted["id"].as_str().unwrap());
            assert_eq!(event.message.sender_id, bob.user_id());
            assert_eq!(event.message.created_at, posted["created_at"].as_str().unwrap());
            assert_eq!(event.message.ciphertext, bytes, "{len} bytes arrive as they were posted");
            assert_eq!(event.message.nonce, None);
        }
    }
    // Other events carry the JSON frames' fields.
    let renamed = app
        .patch(&format!("/api/v1/organizations/{org}/chats/{chat}"), &alice.access_token, &json!({"name": "Renamed"}))
        .await;
    assert_eq!(renamed.status(), 200);
    for client in [&mut alices, &mut bobs] {
        assert_eq!(client.next_json("chat.updated").await, json!({"organization_id": org, "chat_id": chat}));
    }
    bobs.send("typing", &json!({"chat_id": chat})).await;
    assert_eq!(
        alices.next_json("typing").await,
        json!({"organization_id": org, "chat_id": chat, "user_id": bob.user_id()})
    );
}

async fn message_send_is_acknowledged_or_answered_with_a_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, bob, carol, _, chat) = team(&app).await;
    let mut alices = open(&app, &alice).await;
    let mut bobs = open(&app, &bob).await;

    let sealed = random_bytes(300);
    let nonce = random_bytes(12);
    let send = Send { chat_id: &chat, ciphertext: sealed.clone(), nonce: Some(nonce.clone()), client_id: "c-1" };
    alices.send("message.send", &send).await;
    let ack: Ack = payload::from_slice(&alices.next_of("message.ack").await).unwrap();
    assert_eq!(ack.client_id, "c-1");
    assert_eq!((ack.message.ciphertext.as_slice(), ack.message.nonce.as_deref()), (&sealed[..], Some(&nonce[..])));
    assert_eq!(ack.message.client_id.as_deref(), Some("c-1"));
    assert_eq!(ack.message.content_type, "application/octet-stream");
    let event: MessageCreated = payload::from_slice(&bobs.next_of("message.created").await).unwrap();
    assert_eq!(event.message, ack.message);
    // A retry answers the original.
    alices.send("message.send", &send).await;
    let again: Ack = payload::from_slice(&alices.next_of("message.ack").await).unwrap();
    assert_eq!(again.message.id, ack.message.id);

    // The REST rules: a nonce over 64 bytes is a 422 naming it, with the client_id.
    let long = Send { chat_id: &chat, ciphertext: vec![1], nonce: Some(vec![0; 65]), client_id: "c-2" };
    alices.send("message.send", &long).await;
    let error = alices.next_json("error").await;
    assert_eq!(error["client_id"], "c-2");
    assert_eq!(error["problem"]["status"], 422);
    assert_eq!(error["problem"]["errors"][0]["field"], "nonce");
    // Base64 text where bytes belong, a missing client_id, an unknown type.
    alices.send("message.send", &json!({"chat_id": chat, "ciphertext": "c2VhbGVk", "client_id": "c-3"})).await;
    let error = alices.next_json("error").await;
    assert_eq!(
        (error["client_id"].as_str(), error["problem"]["errors"][0]["field"].as_str()),
        (Some("c-3"), Some("ciphertext"))
    );
    alices.send("message.send", &Send { chat_id: &chat, ciphertext: vec![1], nonce: None, client_id: "" }).await;
    assert_eq!(alices.next_json("error").await["problem"]["errors"][0]["field"], "client_id");
    alices.send("dance", &json!({})).await;
    assert_eq!(alices.next_json("error").await["problem"]["errors"][0]["field"], "type");
    // A chat the caller is not in: 404.
    let mut carols = open(&app, &carol).await;
    carols.send("message.send", &Send { chat_id: &chat, ciphertext: vec![1], nonce: None, client_id: "x" }).await;
    let error = carols.next_json("error").await;
    assert_eq!((error["client_id"].as_str(), error["problem"]["status"].as_u64()), (Some("x"), Some(404)));
    // The socket is still there.
    alices.send("message.send", &Send { chat_id: &chat, ciphertext: vec![2], nonce: None, client_id: "c-4" }).await;
    let ack: Ack = payload::from_slice(&alices.next_of("message.ack").await).unwrap();
    assert_eq!(ack.client_id, "c-4");
}

async fn refused_frames_close_the_socket_with_4400(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, _, _, _, chat) = team(&app).await;
    let typing = json!({"chat_id": chat});

    // A bad signature: signed under another key.
    let mut client = open(&app, &alice).await;
    let forged = Frame::new(
        "typing",
        uuid::Uuid::new_v4().into_bytes(),
        SystemClock.now_ms(),
        payload::to_vec(&typing).unwrap(),
    )
    .unwrap()
    .to_signed_bytes(&Key::from_bytes([9; KEY_LEN]));
    client.send_bytes(forged).await;
    let (code, reason) = client.close(PATIENCE).await;
    assert_eq!((code, reason.as_str()), (4400, "the signature does not match"));

    // A tampered frame: one payload byte changed after signing.
    let mut client = open(&app, &alice).await;
    let mut tampered = client.frame("typing", &typing, uuid::Uuid::new_v4().into_bytes(), SystemClock.now_ms());
    let at = tampered.len() - 40;
    tampered[at] ^= 0x01;
    client.send_bytes(tampered).await;
    assert_eq!(client.close(PATIENCE).await.0, 4400);

    // A `ts` more than 30 s old, and one more than 30 s ahead.
    for skew in [-31_000_i64, 31_000] {
        let mut client = open(&app, &alice).await;
        let ts = SystemClock.now_ms().checked_add_signed(skew).unwrap();
        let stale = client.frame("typing", &typing, uuid::Uuid::new_v4().into_bytes(), ts);
        client.send_bytes(stale).await;
        let (code, reason) = client.close(PATIENCE).await;
        assert_eq!(code, 4400);
        assert!(reason.contains("timestamp"), "{reason}");
    }

    // A replayed id: the first frame is acted on, the same bytes again close.
    let mut client = open(&app, &alice).await;
    let send = Send { chat_id: &chat, ciphertext: vec![1, 2, 3], nonce: None, client_id: "once" };
    let frame = client.frame("message.send", &send, uuid::Uuid::new_v4().into_bytes(), SystemClock.now_ms());
    client.send_bytes(frame.clone()).await;
    client.next_of("message.ack").await;
    client.send_bytes(frame).await;
    let (code, reason) = client.close(PATIENCE).await;
    assert_eq!((code, reason.as_str()), (4400, "the frame id was already seen on this connection"));

    // An unsigned frame and bytes that are no frame.
    for bytes in [
        Frame::new(
            "typing",
            uuid::Uuid::new_v4().into_bytes(),
            SystemClock.now_ms(),
            payload::to_vec(&typing).unwrap(),
        )
        .unwrap()
        .to_unsigned_bytes(),
        vec![0x93, 0x01, 0x02, 0x03],
    ] {
        let mut client = open(&app, &alice).await;
        client.send_bytes(bytes).await;
        assert_eq!(client.close(PATIENCE).await.0, 4400);
    }

    // A text frame on a binary socket: 1003.
    let mut client = open(&app, &alice).await;
    client.socket.send(Message::text(json!({"type": "typing", "chat_id": chat}).to_string())).await.unwrap();
    assert_eq!(client.close(PATIENCE).await.0, 1003);
}

async fn auth_refreshes_and_a_session_end_closes_with_4001(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.access_ttl_secs = 3).await;
    let alice = app.register_ok("alice").await;
    let mut refreshed = open(&app, &alice).await;
    let mut lapsing = open(&app, &alice).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let fresh = app.refresh_ok(&alice.refresh_token).await;
    let fresh_expiry = claims_of(&fresh.access_token)["exp"].as_i64().unwrap();
    refreshed.send("auth", &json!({"token": fresh.access_token})).await;
    assert_eq!(refreshed.next_json("auth.ok").await, json!({"expires_at": fresh_expiry}));
    // Another session's token is refused and changes nothing.
    let bob = app.register_ok("bob").await;
    refreshed.send("auth", &json!({"token": bob.access_token})).await;
    assert_eq!(refreshed.next_json("error").await["problem"]["errors"][0]["field"], "token");
    // The first token lapses: 4001 on the socket that did not refresh.
    assert_eq!(lapsing.close(Duration::from_secs(8)).await.0, 4001);

    // A logout closes the refreshed socket within a second.
    let started = Instant::now();
    assert_eq!(app.logout(&fresh.access_token).await.status(), 204);
    assert_eq!(refreshed.close(PATIENCE).await.0, 4001);
    assert!(started.elapsed() < WITHIN, "took {:?}", started.elapsed());
}

/// tests/python/ws_client.py sends a message over the socket and reads its ack and event,
/// then sends a tampered frame and reports the close code.
async fn a_python_client_speaks_msgpack_over_the_socket(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, bob, _, org, chat) = team(&app).await;
    let mut bobs = open(&app, &bob).await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/ws_client.py");
    let url = ws_url(&app.address);
    let token = alice.access_token.clone();
    let chat_arg = chat.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python()).arg(&script).args([&url, &token, &chat_arg]).output().unwrap_or_else(|error| {
            panic!("cannot run {}: {error} (pip install msgpack websockets)", python().display())
        })
    })
    .await
    .unwrap();
    assert!(output.status.success(), "python failed: {}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["selected"], SUBPROTOCOL_MSGPACK);
    assert_eq!(report["user_id"], alice.user_id());
    assert_eq!(report["ack"]["client_id"], "py-1");
    assert_eq!(report["event"]["chat_id"], chat.as_str());
    assert_eq!(report["event"]["message"]["id"], report["ack"]["message"]["id"]);
    assert_eq!(report["tampered_close_code"], 4400);
    // What the Python client sent is stored, byte for byte, and reached bob's socket.
    let sent = hex_decode(report["ciphertext_hex"].as_str().unwrap());
    let event: MessageCreated = payload::from_slice(&bobs.next_of("message.created").await).unwrap();
    assert_eq!(event.message.ciphertext, sent);
    assert_eq!(event.message.id, report["ack"]["message"]["id"].as_str().unwrap());
    let page = app.get(&format!("/api/v1/organizations/{org}/chats/{chat}/messages"), &bob.access_token).await;
    let page: Value = page.json().await.unwrap();
    assert_eq!(STANDARD.decode(page["items"][0]["ciphertext"].as_str().unwrap()).unwrap(), sent);
}

fn hex_decode(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap()).collect()
}

on_both_backends!(
    msgpack_is_negotiated_beside_the_bearer_entry_with_a_key_per_connection,
    events_arrive_signed_with_byte_exact_ciphertext,
    message_send_is_acknowledged_or_answered_with_a_problem,
    refused_frames_close_the_socket_with_4400,
    auth_refreshes_and_a_session_end_closes_with_4001,
    a_python_client_speaks_msgpack_over_the_socket,
);
