//! The realtime socket `GET /api/v1/ws` with a real WebSocket client (tokio-tungstenite)
//! over a real socket: the three ways to authenticate and the 401s, events reaching every
//! member's sockets and nobody else's, `message.send` and its answers, sessions ending
//! sockets (4001 within a second), expiry and `auth` refresh, the slow-consumer close
//! (1013), heartbeats, and two instances on one PostgreSQL database.

use std::time::{Duration, Instant};

use crate::answers::ws_url;
use authdb_tests::{Backend, PASSWORD, TestApp, Tokens, claims_of, spawn_app, spawn_app_with};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpStream,
};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{self, Message, client::IntoClientRequest as _, http::HeaderValue},
};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for a frame it expects.
const PATIENCE: Duration = Duration::from_secs(5);
/// The bound for a session's end to close its sockets (generous tests wait for
/// the frame, then check the time).
const WITHIN: Duration = Duration::from_secs(1);

async fn connect(
    address: &str,
    customize: impl FnOnce(&mut tungstenite::handshake::client::Request),
) -> Result<(Socket, tungstenite::handshake::client::Response), tungstenite::Error> {
    let mut request = ws_url(address).into_client_request().unwrap();
    customize(&mut request);
    connect_async(request).await
}

/// A socket authenticated with the `Authorization` header, its `ready` frame read.
async fn open_at(address: &str, tokens: &Tokens) -> Socket {
    let bearer = format!("Bearer {}", tokens.access_token);
    let (mut socket, _) = connect(address, |request| {
        request.headers_mut().insert("authorization", HeaderValue::from_str(&bearer).unwrap());
    })
    .await
    .unwrap();
    let ready = next_json(&mut socket).await;
    assert_eq!(ready["type"], "ready", "{ready}");
    socket
}

async fn open(app: &TestApp, tokens: &Tokens) -> Socket {
    open_at(&app.address, tokens).await
}

/// The next JSON frame (pings are answered by the client library and skipped).
async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(PATIENCE, socket.next()).await.expect("a frame in time");
        match message.expect("the socket is open").expect("a frame") {
            Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// The next frame of one of `types`, skipping presence (whose timing is not this test's).
async fn next_of(socket: &mut Socket, kind: &str) -> Value {
    loop {
        let frame = next_json(socket).await;
        if frame["type"] == "presence" {
            continue;
        }
        assert_eq!(frame["type"], kind, "{frame}");
        return frame;
    }
}

/// Reads until the server closes; answers the close code.
async fn close_code(socket: &mut Socket, patience: Duration) -> u16 {
    let deadline = Instant::now() + patience;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = tokio::time::timeout(left, socket.next()).await.expect("closed in time");
        match message {
            Some(Ok(Message::Close(frame))) => return frame.map(|frame| u16::from(frame.code)).unwrap_or(1005),
            Some(Ok(_)) => {}
            Some(Err(error)) => panic!("no close frame: {error}"),
            None => panic!("closed without a close frame"),
        }
    }
}

async fn send(socket: &mut Socket, frame: Value) {
    socket.send(Message::text(frame.to_string())).await.unwrap();
}

async fn create_group(app: &TestApp, org: &str, owner: &Tokens, members: &[&Tokens]) -> Value {
    let ids: Vec<String> = members.iter().map(|member| member.user_id()).collect();
    let response = app
        .post(
            &format!("/api/v1/organizations/{org}/chats"),
            &owner.access_token,
            &json!({"kind": "group", "name": "Team", "member_ids": ids}),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn post_message(app: &TestApp, org: &str, chat: &str, from: &Tokens, bytes: &[u8]) -> Value {
    let response = app
        .post(
            &format!("/api/v1/organizations/{org}/chats/{chat}/messages"),
            &from.access_token,
            &json!({"ciphertext": STANDARD.encode(bytes)}),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// An organization of alice (owner), bob and carol (members).
async fn team(app: &TestApp) -> (Tokens, Tokens, Tokens, String) {
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let carol = app.register_ok("carol").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &org, &bob, "member").await;
    app.add_member_ok(&alice.access_token, &org, &carol, "member").await;
    (alice, bob, carol, org)
}

async fn the_three_forms_authenticate_and_anything_else_is_401(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let sid = claims_of(&alice.access_token)["sid"].as_str().unwrap().to_owned();

    // The header.
    let mut socket = open(&app, &alice).await;
    socket.close(None).await.unwrap();

    // The subprotocol: authdb.v1 is selected and the token is never echoed.
    let offered = format!("authdb.v1, authdb.bearer.{}", alice.access_token);
    let (mut socket, response) = connect(&app.address, |request| {
        request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_str(&offered).unwrap());
    })
    .await
    .unwrap();
    let selected: Vec<_> = response.headers().get_all("sec-websocket-protocol").iter().collect();
    assert_eq!(selected, [&HeaderValue::from_static("authdb.v1")]);
    let ready = next_json(&mut socket).await;
    assert_eq!(ready, json!({"type": "ready", "user_id": alice.user_id(), "session_id": sid}));

    // The query (compatibility mode).
    let request =
        format!("{}?access_token={}", ws_url(&app.address), alice.access_token).into_client_request().unwrap();
    let (mut socket, _) = connect_async(request).await.unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "ready");

    // Missing, malformed, or of an ended session: 401 without an upgrade.
    let status = |result: Result<_, tungstenite::Error>| match result {
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("not an HTTP refusal: {other}"),
        Ok(_) => panic!("upgraded"),
    };
    assert_eq!(status(connect(&app.address, |_| {}).await), 401);
    assert_eq!(
        status(
            connect(&app.address, |request| {
                request.headers_mut().insert("authorization", HeaderValue::from_static("Bearer nope"));
            })
            .await
        ),
        401
    );
    assert_eq!(
        status(
            connect(&app.address, |request| {
                request
                    .headers_mut()
                    .insert("sec-websocket-protocol", HeaderValue::from_static("authdb.v1, authdb.bearer.nope"));
            })
            .await
        ),
        401
    );
    let bob = app.register_ok("bob").await;
    assert_eq!(app.logout(&bob.access_token).await.status(), 204);
    let query = format!("{}?access_token={}", ws_url(&app.address), bob.access_token);
    assert_eq!(status(connect_async(query.into_client_request().unwrap()).await), 401);
    // Without an upgrade, an authenticated GET is refused, never a 500.
    let plain = app.get("/api/v1/ws", &alice.access_token).await;
    assert_eq!(plain.status(), 400);
}

async fn events_reach_every_member_socket_and_nobody_else(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, bob, carol, org) = team(&app).await;
    let mut alice_phone = open(&app, &alice).await;
    let mut alice_laptop = open(&app, &alice).await;
    let mut bob_socket = open(&app, &bob).await;
    let mut carol_socket = open(&app, &carol).await;

    let group = create_group(&app, &org, &alice, &[&bob]).await;
    let chat = group["id"].as_str().unwrap();
    for socket in [&mut alice_phone, &mut alice_laptop, &mut bob_socket] {
        let created = next_of(socket, "chat.created").await;
        assert_eq!(created, json!({"type": "chat.created", "organization_id": org, "chat_id": chat}));
    }

    // A message reaches every member's sockets, byte for byte.
    let bytes: Vec<u8> = (0..=255).collect();
    let posted = post_message(&app, &org, chat, &bob, &bytes).await;
    for socket in [&mut alice_phone, &mut alice_laptop, &mut bob_socket] {
        let event = next_of(socket, "message.created").await;
        assert_eq!(event["chat_id"], chat);
        assert_eq!(event["organization_id"], org.as_str());
        assert_eq!(event["message"], posted);
        assert_eq!(STANDARD.decode(event["message"]["ciphertext"].as_str().unwrap()).unwrap(), bytes);
    }

    // Read pointers, typing (not to the typist), deletion.
    let read = app
        .post(
            &format!("/api/v1/organizations/{org}/chats/{chat}/read"),
            &alice.access_token,
            &json!({"up_to": posted["id"]}),
        )
        .await;
    assert_eq!(read.status(), 200);
    for socket in [&mut alice_phone, &mut alice_laptop, &mut bob_socket] {
        let event = next_of(socket, "message.read").await;
        assert_eq!(event["user_id"], alice.user_id().as_str());
        assert_eq!(event["up_to"], posted["id"]);
    }
    send(&mut bob_socket, json!({"type": "typing", "chat_id": chat})).await;
    for socket in [&mut alice_phone, &mut alice_laptop] {
        let event = next_of(socket, "typing").await;
        assert_eq!(event, json!({"type": "typing", "organization_id": org, "chat_id": chat, "user_id": bob.user_id()}));
    }
    let message_path = format!("/api/v1/organizations/{org}/chats/{chat}/messages/{}", posted["id"].as_str().unwrap());
    assert_eq!(app.delete(&message_path, &bob.access_token).await.status(), 204);
    for socket in [&mut alice_phone, &mut alice_laptop, &mut bob_socket] {
        let event = next_of(socket, "message.deleted").await;
        assert_eq!(event["message_id"], posted["id"]);
    }
    // The typist heard nothing of their own typing: the deletion came first.

    // Renamed, a member added, then removed: the removed member hears of it, then nothing.
    let renamed = app
        .patch(&format!("/api/v1/organizations/{org}/chats/{chat}"), &alice.access_token, &json!({"name": "Renamed"}))
        .await;
    assert_eq!(renamed.status(), 200);
    for socket in [&mut alice_phone, &mut bob_socket] {
        next_of(socket, "chat.updated").await;
    }
    let removed = app
        .delete(&format!("/api/v1/organizations/{org}/chats/{chat}/members/{}", bob.user_id()), &alice.access_token)
        .await;
    assert_eq!(removed.status(), 204);
    for socket in [&mut alice_phone, &mut bob_socket] {
        let event = next_of(socket, "chat.member_removed").await;
        assert_eq!(event["user_id"], bob.user_id().as_str());
    }
    post_message(&app, &org, chat, &alice, b"after bob left").await;
    next_of(&mut alice_phone, "message.created").await;

    // Carol, in no chat so far, and bob, removed, hear only what concerns them now.
    let direct = app
        .post(
            &format!("/api/v1/organizations/{org}/chats"),
            &alice.access_token,
            &json!({"kind": "direct", "member_id": carol.user_id()}),
        )
        .await;
    assert_eq!(direct.status(), 201);
    let direct: Value = direct.json().await.unwrap();
    assert_eq!(next_of(&mut carol_socket, "chat.created").await["chat_id"], direct["id"]);
    let bobs = app
        .post(
            &format!("/api/v1/organizations/{org}/chats"),
            &alice.access_token,
            &json!({"kind": "direct", "member_id": bob.user_id()}),
        )
        .await;
    let bobs: Value = bobs.json().await.unwrap();
    assert_eq!(next_of(&mut bob_socket, "chat.created").await["chat_id"], bobs["id"]);
}

async fn presence_follows_the_first_and_last_socket(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, bob, _, org) = team(&app).await;
    create_group(&app, &org, &alice, &[&bob]).await;
    let mut alice_socket = open(&app, &alice).await;
    let mut bob_socket = open(&app, &bob).await;
    let online = next_json(&mut alice_socket).await;
    assert_eq!(online, json!({"type": "presence", "user_id": bob.user_id(), "status": "online"}));
    let mut second = open(&app, &bob).await;
    second.close(None).await.unwrap();
    bob_socket.close(None).await.unwrap();
    let offline = next_json(&mut alice_socket).await;
    assert_eq!(offline, json!({"type": "presence", "user_id": bob.user_id(), "status": "offline"}));
}

/// A socket that connects is told, first, which of the users it shares a chat with are
/// online now; users it shares no chat with, and offline ones, are not announced.
async fn a_new_socket_hears_who_is_online_now(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, bob, carol, org) = team(&app).await;
    let dave = app.register_ok("dave").await;
    app.add_member_ok(&alice.access_token, &org, &dave, "member").await;
    create_group(&app, &org, &alice, &[&bob, &dave]).await;
    let mut bob_socket = open(&app, &bob).await;
    let mut carol_socket = open(&app, &carol).await;

    // Bob is online, carol too (but shares no chat with alice), dave is offline.
    let mut alice_socket = open(&app, &alice).await;
    let snapshot = next_json(&mut alice_socket).await;
    assert_eq!(snapshot, json!({"type": "presence", "user_id": bob.user_id(), "status": "online"}));
    // Nothing else of presence came before the next event: a chat with carol.
    let direct = app
        .post(
            &format!("/api/v1/organizations/{org}/chats"),
            &alice.access_token,
            &json!({"kind": "direct", "member_id": carol.user_id()}),
        )
        .await;
    assert_eq!(direct.status(), 201);
    // Bob's own coming online may still be on its way as a change when the snapshot is
    // taken (a repeat of the same fact, harmless to a client); nothing else may come first.
    let created = loop {
        let frame = next_json(&mut alice_socket).await;
        if frame != snapshot {
            break frame;
        }
    };
    assert_eq!(created["type"], "chat.created", "no presence of carol or dave before it: {created}");

    // Bob's and carol's sockets heard alice come online as a change, not a snapshot.
    assert_eq!(
        next_json(&mut bob_socket).await,
        json!({"type": "presence", "user_id": alice.user_id(), "status": "online"})
    );
    assert_eq!(next_of(&mut carol_socket, "chat.created").await["chat_id"], created["chat_id"]);

    // A second socket of alice hears both partners, now that carol shares a chat.
    let mut second = open(&app, &alice).await;
    let mut heard = vec![next_json(&mut second).await, next_json(&mut second).await];
    heard.sort_by_key(|frame| frame["user_id"].as_str().unwrap().to_owned());
    let mut expected = vec![
        json!({"type": "presence", "user_id": bob.user_id(), "status": "online"}),
        json!({"type": "presence", "user_id": carol.user_id(), "status": "online"}),
    ];
    expected.sort_by_key(|frame| frame["user_id"].as_str().unwrap().to_owned());
    assert_eq!(heard, expected);

    // Sixteen sockets of dave at once: each hears the same snapshot, nobody a 5xx.
    let sockets = futures_util::future::join_all((0..16).map(|_| open(&app, &dave))).await;
    for mut socket in sockets {
        let mut users = Vec::new();
        while users.len() < 2 {
            let frame = next_json(&mut socket).await;
            if frame["type"] == "presence" && frame["status"] == "online" {
                users.push(frame["user_id"].as_str().unwrap().to_owned());
            }
        }
        users.sort();
        let mut expected = vec![alice.user_id(), bob.user_id()];
        expected.sort();
        assert_eq!(users, expected);
    }
}

async fn message_send_is_acknowledged_or_answered_with_a_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, bob, carol, org) = team(&app).await;
    let group = create_group(&app, &org, &alice, &[&bob]).await;
    let chat = group["id"].as_str().unwrap();
    let mut socket = open(&app, &alice).await;
    let mut bobs = open(&app, &bob).await;

    let ciphertext = STANDARD.encode(b"sealed");
    send(&mut socket, json!({"type": "message.send", "chat_id": chat, "ciphertext": ciphertext, "nonce": STANDARD.encode([7u8; 12]), "client_id": "c-1"})).await;
    let ack = next_of(&mut socket, "message.ack").await;
    assert_eq!(ack["client_id"], "c-1");
    assert_eq!(ack["message"]["ciphertext"], ciphertext.as_str());
    assert_eq!(ack["message"]["client_id"], "c-1");
    // The others hear it like any post; the sender's own sockets too.
    assert_eq!(next_of(&mut bobs, "message.created").await["message"], ack["message"]);
    assert_eq!(next_of(&mut socket, "message.created").await["message"], ack["message"]);
    // A retry answers the original.
    send(&mut socket, json!({"type": "message.send", "chat_id": chat, "ciphertext": ciphertext, "client_id": "c-1"}))
        .await;
    assert_eq!(next_of(&mut socket, "message.ack").await["message"]["id"], ack["message"]["id"]);

    // The REST rules: a bad field is a 422 naming it, with the client_id.
    send(
        &mut socket,
        json!({"type": "message.send", "chat_id": chat, "ciphertext": "not base64!", "client_id": "c-2"}),
    )
    .await;
    let error = next_of(&mut socket, "error").await;
    assert_eq!(error["client_id"], "c-2");
    assert_eq!(error["problem"]["status"], 422);
    assert_eq!(error["problem"]["errors"][0]["field"], "ciphertext");
    send(&mut socket, json!({"type": "message.send", "chat_id": chat, "ciphertext": ciphertext})).await;
    let error = next_of(&mut socket, "error").await;
    assert_eq!(error["problem"]["status"], 422);
    assert_eq!(error["problem"]["errors"][0]["field"], "client_id");
    // A chat the caller is not in, or that does not exist: 404.
    let mut carols = open(&app, &carol).await;
    send(&mut carols, json!({"type": "message.send", "chat_id": chat, "ciphertext": ciphertext, "client_id": "x"}))
        .await;
    let error = next_of(&mut carols, "error").await;
    assert_eq!((error["client_id"].as_str(), error["problem"]["status"].as_u64()), (Some("x"), Some(404)));
    send(
        &mut carols,
        json!({"type": "message.send", "chat_id": uuid::Uuid::now_v7(), "ciphertext": ciphertext, "client_id": "y"}),
    )
    .await;
    assert_eq!(next_of(&mut carols, "error").await["problem"]["status"], 404);
    send(&mut carols, json!({"type": "typing", "chat_id": chat})).await;
    assert_eq!(next_of(&mut carols, "error").await["problem"]["status"], 404);
    // Frames that are no command.
    send(&mut socket, json!({"type": "dance"})).await;
    assert_eq!(next_of(&mut socket, "error").await["problem"]["errors"][0]["field"], "type");
    socket.send(Message::text("{not json")).await.unwrap();
    assert_eq!(next_of(&mut socket, "error").await["problem"]["status"], 400);
    send(&mut socket, json!({"type": "typing"})).await;
    assert_eq!(next_of(&mut socket, "error").await["problem"]["errors"][0]["field"], "chat_id");
    socket.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(next_of(&mut socket, "error").await["problem"]["status"], 400);
    // The socket is still there.
    send(&mut socket, json!({"type": "message.send", "chat_id": chat, "ciphertext": ciphertext, "client_id": "c-3"}))
        .await;
    assert_eq!(next_of(&mut socket, "message.ack").await["client_id"], "c-3");
}

async fn ending_the_session_closes_its_sockets_within_a_second(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let other = app.login_ok("alice").await;
    let third = app.login_ok("alice").await;

    // Logout.
    let mut socket = open(&app, &alice).await;
    let mut kept = open(&app, &other).await;
    let started = Instant::now();
    assert_eq!(app.logout(&alice.access_token).await.status(), 204);
    assert_eq!(close_code(&mut socket, PATIENCE).await, 4001);
    assert!(started.elapsed() < WITHIN, "took {:?}", started.elapsed());

    // Revoking one session from another.
    let mut socket = open(&app, &third).await;
    let sid = claims_of(&third.access_token)["sid"].as_str().unwrap().to_owned();
    let started = Instant::now();
    assert_eq!(app.delete(&format!("/api/v1/auth/sessions/{sid}"), &other.access_token).await.status(), 204);
    assert_eq!(close_code(&mut socket, PATIENCE).await, 4001);
    assert!(started.elapsed() < WITHIN, "took {:?}", started.elapsed());

    // A password change ends the other sessions.
    let fourth = app.login_ok("alice").await;
    let mut socket = open(&app, &fourth).await;
    let started = Instant::now();
    let changed = app
        .post(
            "/api/v1/auth/change-password",
            &other.access_token,
            &json!({"current_password": PASSWORD, "new_password": "Another123"}),
        )
        .await;
    assert!(changed.status().is_success(), "{}", changed.status());
    assert_eq!(close_code(&mut socket, PATIENCE).await, 4001);
    assert!(started.elapsed() < WITHIN, "took {:?}", started.elapsed());

    // Logout everywhere.
    let started = Instant::now();
    assert!(app.post("/api/v1/auth/logout-all", &other.access_token, &json!({})).await.status().is_success());
    assert_eq!(close_code(&mut kept, PATIENCE).await, 4001);
    assert!(started.elapsed() < WITHIN, "took {:?}", started.elapsed());
}

async fn an_expired_token_closes_the_socket_unless_a_fresh_one_is_presented(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.access_ttl_secs = 3).await;
    let alice = app.register_ok("alice").await;
    let mut lapsing = open(&app, &alice).await;
    let mut refreshed = open(&app, &alice).await;
    // Into the next second, so that the fresh token expires at a later second; the first
    // one still has more than a second to live.
    let first_expiry = claims_of(&alice.access_token)["exp"].as_i64().unwrap();
    let issued = claims_of(&alice.access_token)["iat"].as_i64().unwrap();
    while unix_now() < (issued + 1) as f64 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let fresh = app.refresh_ok(&alice.refresh_token).await;
    let fresh_expiry = claims_of(&fresh.access_token)["exp"].as_i64().unwrap();
    assert!(fresh_expiry > first_expiry);
    send(&mut refreshed, json!({"type": "auth", "token": fresh.access_token})).await;
    assert_eq!(next_json(&mut refreshed).await, json!({"type": "auth.ok", "expires_at": fresh_expiry}));
    // Another session's token is refused and changes nothing; so is garbage.
    let bob = app.register_ok("bob").await;
    send(&mut refreshed, json!({"type": "auth", "token": bob.access_token})).await;
    assert_eq!(next_of(&mut refreshed, "error").await["problem"]["errors"][0]["field"], "token");
    send(&mut refreshed, json!({"type": "auth", "token": "garbage"})).await;
    assert_eq!(next_of(&mut refreshed, "error").await["problem"]["status"], 401);

    // Each socket closes when its own token expires, not before (late is only load).
    assert_eq!(close_code(&mut lapsing, Duration::from_secs(10)).await, 4001);
    assert!(unix_now() >= first_expiry as f64 - CLOCK_GRAIN, "closed before the first token expired");
    assert_eq!(close_code(&mut refreshed, Duration::from_secs(10)).await, 4001);
    assert!(unix_now() >= fresh_expiry as f64 - CLOCK_GRAIN, "closed before the fresh token expired");
}

/// How far the test's reading of the clock may trail the server's.
const CLOCK_GRAIN: f64 = 0.05;

/// Seconds since the epoch, with their fraction.
fn unix_now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()
}

async fn a_slow_consumer_is_closed_with_1013(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.messaging.socket_queue = 4).await;
    let (alice, bob, _, org) = team(&app).await;
    let group = create_group(&app, &org, &alice, &[&bob]).await;
    let chat = group["id"].as_str().unwrap();
    // Bob reads nothing while alice posts far more than the socket buffers hold.
    let mut slow = open(&app, &bob).await;
    let big = vec![42u8; 60_000];
    // Ten posts at a time: the close must come while the server still waits (up to
    // 30 s) for the slow client to read up to it.
    for _ in 0..300 / 10 {
        futures_util::future::join_all((0..10).map(|_| post_message(&app, &org, chat, &alice, &big))).await;
    }
    let mut received = 0;
    let code = loop {
        let message = tokio::time::timeout(Duration::from_secs(20), slow.next()).await.expect("a frame in time");
        match message {
            Some(Ok(Message::Text(_))) => received += 1,
            Some(Ok(Message::Close(frame))) => break frame.map(|frame| u16::from(frame.code)),
            Some(Ok(_)) => {}
            Some(Err(error)) => panic!("no close frame after {received} frames: {error}"),
            None => panic!("closed without a close frame after {received} frames"),
        }
    };
    assert_eq!(code, Some(1013));
    assert!(received < 300, "the slow socket was dropped before all 300 ({received})");
    // The messages are all there to catch up with.
    let page =
        app.get(&format!("/api/v1/organizations/{org}/chats/{chat}/messages?limit=200"), &bob.access_token).await;
    assert_eq!(page.status(), 200);
}

async fn heartbeats_keep_a_live_client_and_close_a_silent_one(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.messaging.ping_interval_secs = 1).await;
    let alice = app.register_ok("alice").await;
    let mut live = open(&app, &alice).await;
    // The live client reads (and so answers pings) all along.
    let live = tokio::spawn(async move {
        let until = Instant::now() + Duration::from_secs(4);
        let mut pings = 0;
        while Instant::now() < until {
            match tokio::time::timeout(Duration::from_millis(200), live.next()).await {
                Ok(Some(Ok(Message::Ping(_)))) => pings += 1,
                Ok(Some(Ok(Message::Close(frame)))) => panic!("the live client was closed: {frame:?}"),
                _ => {}
            }
        }
        (live, pings)
    });

    // A client that never answers pings: the handshake by hand, then silence.
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut silent = TcpStream::connect(&address).await.unwrap();
    let handshake = format!(
        "GET /api/v1/ws HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Authorization: Bearer {}\r\n\r\n",
        alice.access_token
    );
    silent.write_all(handshake.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut read = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), silent.read(&mut buffer))
            .await
            .expect("the silent client is dropped in time")
            .unwrap_or(0);
        if n == 0 {
            break;
        }
        read.extend_from_slice(&buffer[..n]);
    }
    let elapsed = started.elapsed();
    assert!(String::from_utf8_lossy(&read).starts_with("HTTP/1.1 101"), "upgraded");
    // Two pings (opcode 0x9) went unanswered before the close (0x8).
    assert!(read.windows(2).filter(|pair| pair == &[0x89, 0x00]).count() >= 2, "pings were sent");
    assert!(elapsed >= Duration::from_secs(2), "closed after two pings, not before: {elapsed:?}");

    // The live client, which answered its pings, is still served.
    let (mut live, pings) = live.await.unwrap();
    assert!(pings >= 2, "{pings} pings");
    let bob = app.register_ok("bob").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &org, &bob, "member").await;
    create_group(&app, &org, &alice, &[&bob]).await;
    assert_eq!(next_of(&mut live, "chat.created").await["organization_id"], org.as_str());
}

on_both_backends!(
    the_three_forms_authenticate_and_anything_else_is_401,
    events_reach_every_member_socket_and_nobody_else,
    presence_follows_the_first_and_last_socket,
    a_new_socket_hears_who_is_online_now,
    message_send_is_acknowledged_or_answered_with_a_problem,
    ending_the_session_closes_its_sockets_within_a_second,
    an_expired_token_closes_the_socket_unless_a_fresh_one_is_presented,
    a_slow_consumer_is_closed_with_1013,
    heartbeats_keep_a_live_client_and_close_a_silent_one,
);

/// Two instances on one PostgreSQL database, as behind a load balancer: a message posted
/// on one reaches a socket on the other, and a logout on one closes a socket on the
/// other, each within a second; presence counts both.
async fn events_and_session_ends_cross_instances(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = authdb_server::Application::build(app.settings.clone()).await.unwrap();
    let other_address = format!("http://127.0.0.1:{}", other.port());
    let other_handle = other.handle();
    tokio::spawn(other.run_until_stopped());
    let (alice, bob, _, org) = team(&app).await;
    let group = create_group(&app, &org, &alice, &[&bob]).await;
    let chat = group["id"].as_str().unwrap();

    let mut alice_there = open_at(&other_address, &alice).await;
    let mut bob_there = open_at(&other_address, &bob).await;
    // Bob also online here: alice, there, hears of bob once.
    let mut bob_here = open(&app, &bob).await;
    // The group's own events (raised on the first instance before the sockets opened) may
    // still arrive over the carrier first.
    let online = loop {
        let frame = next_json(&mut alice_there).await;
        if frame["type"] == "presence" {
            break frame;
        }
    };
    assert_eq!(online["status"], "online", "{online}");

    let started = Instant::now();
    let posted = post_message(&app, &org, chat, &alice, b"across").await;
    let event = next_of(&mut alice_there, "message.created").await;
    assert!(started.elapsed() < WITHIN, "took {:?}", started.elapsed());
    assert_eq!(event["message"], posted);
    // Bob's new socket here first heard that alice is online, on the other instance.
    assert_eq!(
        next_json(&mut bob_here).await,
        json!({"type": "presence", "user_id": alice.user_id(), "status": "online"})
    );
    assert_eq!(next_of(&mut bob_here, "message.created").await["message"], posted);

    // Bob leaves the other instance but is still here: no offline.
    bob_there.close(None).await.unwrap();
    // A logout here closes alice's socket there.
    let started = Instant::now();
    assert_eq!(app.logout(&alice.access_token).await.status(), 204);
    loop {
        let message = tokio::time::timeout(PATIENCE, alice_there.next()).await.expect("closed in time");
        match message {
            Some(Ok(Message::Close(frame))) => {
                assert_eq!(frame.map(|frame| u16::from(frame.code)), Some(4001));
                break;
            }
            Some(Ok(Message::Text(text))) => {
                let frame: Value = serde_json::from_str(text.as_str()).unwrap();
                assert_ne!(frame["status"], "offline", "bob is still online on the first instance: {frame}");
            }
            Some(Ok(_)) => {}
            other => panic!("no close frame: {other:?}"),
        }
    }
    assert!(started.elapsed() < WITHIN, "took {:?}", started.elapsed());
    other_handle.stop(false).await;
}

/// Several instances share a database only on PostgreSQL.
mod events_and_session_ends_cross_instances {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::events_and_session_ends_cross_instances(authdb_tests::Backend::Postgres).await;
    }
}
