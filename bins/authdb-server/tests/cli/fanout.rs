//! Realtime delivery across two real `authdb` processes on one PostgreSQL database, with
//! the change feed as the carrier and once more with Redis pub/sub (one private
//! `redis-server` for both): a message posted on one reaches a socket on the other, a
//! logout on one closes the socket on the other (4001; with Redis, after Redis was killed:
//! session ends stay on PostgreSQL), presence crosses, and a process killed with SIGKILL
//! takes its users offline within the presence time to live. Also the
//! per-chat posting limit, shared by the two processes through Redis.

use std::time::{Duration, Instant};

use authdb_testkit::PostgresDatabase;
use base64::{Engine as _, engine::general_purpose::STANDARD};
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest as _, http::HeaderValue},
};

use crate::{
    services::Redis,
    support::{Sandbox, Server, expect_json, str_field},
};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The bound for a message or a logout to cross instances.
const WITHIN: Duration = Duration::from_secs(1);
/// How long a test waits for a frame it expects (the machine may be loaded).
const PATIENCE: Duration = Duration::from_secs(10);
/// The presence heartbeat the tests run with: a killed process's users go offline after
/// three of them.
const HEARTBEAT_SECS: u64 = 1;
/// Generous: three heartbeats, the expiry check's second, and a loaded machine.
const OFFLINE_PATIENCE: Duration = Duration::from_secs(20);

fn instance(database: &PostgresDatabase, redis: Option<&Redis>) -> Sandbox {
    let sandbox = Sandbox::new()
        .with_env("AUTHDB__DATABASE__URL", database.url())
        .with_env("AUTHDB__AUTH__JWT_SECRET", "a-fixed-test-secret-shared-by-both-instances")
        // No mail is delivered, so the inviter gets the invitation's token to pass on.
        .with_env("AUTHDB__MAIL__TRANSPORT", "none")
        .with_env("AUTHDB__MESSAGING__PRESENCE_HEARTBEAT_SECS", &HEARTBEAT_SECS.to_string());
    match redis {
        Some(redis) => sandbox.with_env("AUTHDB__REDIS__URL", &redis.url()),
        None => sandbox,
    }
}

async fn send(server: &Server, path: &str, token: &str, body: &Value) -> reqwest::Response {
    server.client().post(server.url(path)).bearer_auth(token).json(body).send().await.expect("POST to authdb")
}

/// Alice (owner) and bob (member) of one organization, registered on `server`, in one
/// group chat: (alice's token, bob's token, bob's id, organization, chat).
async fn team(server: &Server) -> (String, String, String, String, String) {
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let alice_token = str_field(&alice, "access_token").to_owned();
    let bob_token = str_field(&bob, "access_token").to_owned();
    let bob_id = str_field(&bob["user"], "id").to_owned();
    let org = expect_json(
        send(server, "/api/v1/organizations", &alice_token, &json!({"name": "Acme", "slug": "acme"})).await,
        201,
    )
    .await;
    let org = str_field(&org, "id").to_owned();
    let invited = send(
        server,
        &format!("/api/v1/organizations/{org}/members"),
        &alice_token,
        &json!({"email": "bob@example.com", "role": "member"}),
    )
    .await;
    let invitation = expect_json(invited, 202).await;
    let accepted =
        send(server, "/api/v1/invitations/accept", &bob_token, &json!({"token": str_field(&invitation, "token")}))
            .await;
    assert_eq!(accepted.status(), 200);
    let chat = send(
        server,
        &format!("/api/v1/organizations/{org}/chats"),
        &alice_token,
        &json!({"kind": "group", "name": "Team", "member_ids": [bob_id]}),
    )
    .await;
    let chat = str_field(&expect_json(chat, 201).await, "id").to_owned();
    (alice_token, bob_token, bob_id, org, chat)
}

/// A socket on `server` authenticated with the `Authorization` header, `ready` read.
async fn open(server: &Server, token: &str) -> Socket {
    let mut request = server.url("/api/v1/ws").replace("http://", "ws://").into_client_request().expect("request");
    request.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).expect("header"));
    let (mut socket, _) = connect_async(request).await.expect("the socket opens");
    assert_eq!(next_json(&mut socket, PATIENCE).await["type"], "ready");
    socket
}

/// The next JSON frame within `patience` (pings are answered by the library, skipped).
async fn next_json(socket: &mut Socket, patience: Duration) -> Value {
    loop {
        let frame = tokio::time::timeout(patience, socket.next()).await.expect("a frame in time");
        match frame {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(text.as_str()).expect("JSON frame"),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a JSON frame, got {other:?}"),
        }
    }
}

/// Skips frames until one matches `wanted`.
async fn next_matching(socket: &mut Socket, patience: Duration, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + patience;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = next_json(socket, left).await;
        if wanted(&frame) {
            return frame;
        }
    }
}

/// The close code of the socket's close frame, skipping event frames before it.
async fn close_code(socket: &mut Socket, patience: Duration) -> u16 {
    loop {
        let frame = tokio::time::timeout(patience, socket.next()).await.expect("closed in time");
        match frame {
            Some(Ok(Message::Close(frame))) => return frame.map_or(1005, |frame| u16::from(frame.code)),
            Some(Ok(_)) => {}
            other => panic!("no close frame: {other:?}"),
        }
    }
}

async fn across_two_processes(redis: Option<&mut Redis>) {
    let database = PostgresDatabase::create().await;
    let (sandbox_a, sandbox_b) = (instance(&database, redis.as_deref()), instance(&database, redis.as_deref()));
    let mut a = sandbox_a.serve().await;
    let b = sandbox_b.serve().await;
    let (alice_token, bob_token, bob_id, org, chat) = team(&a).await;

    // Presence crosses: alice is on B, bob comes online on A.
    let mut alice_on_b = open(&b, &alice_token).await;
    let _bob_on_a = open(&a, &bob_token).await;
    let online = next_matching(&mut alice_on_b, PATIENCE, |frame| frame["type"] == "presence").await;
    assert_eq!(online, json!({"type": "presence", "user_id": bob_id, "status": "online"}));

    // A message posted on A reaches the socket on B within a second.
    let started = Instant::now();
    let posted = send(
        &a,
        &format!("/api/v1/organizations/{org}/chats/{chat}/messages"),
        &bob_token,
        &json!({"ciphertext": STANDARD.encode(b"across processes")}),
    )
    .await;
    let posted = expect_json(posted, 201).await;
    let event = next_matching(&mut alice_on_b, PATIENCE, |frame| frame["type"] == "message.created").await;
    let elapsed = started.elapsed();
    assert_eq!(event["message"], posted);
    assert!(elapsed < WITHIN, "the message took {elapsed:?} to reach the other process");
    if let Some(redis) = redis {
        // It travelled on Redis: both subscribers are up.
        for server in [&a, &b] {
            let metrics = server.client().get(server.url("/metrics")).send().await.expect("GET").text().await;
            let metrics = metrics.expect("text");
            let carrier: Vec<&str> = metrics.lines().filter(|line| line.contains("carrier")).collect();
            assert!(metrics.contains("authdb_realtime_carrier_up 1"), "the Redis carrier is up: {carrier:?}");
        }
        // Session ends never depend on Redis: with Redis gone, the logout below must still
        // close the socket on the other process.
        redis.kill();
    }

    // A logout on A closes alice's socket on B with 4001 within a second.
    let started = Instant::now();
    let logout = a.client().post(a.url("/api/v1/auth/logout")).bearer_auth(&alice_token).send().await.expect("logout");
    assert_eq!(logout.status(), 204);
    assert_eq!(close_code(&mut alice_on_b, PATIENCE).await, 4001);
    let elapsed = started.elapsed();
    assert!(elapsed < WITHIN, "the logout took {elapsed:?} to close the socket on the other process");

    // A killed without a clean shutdown: bob, online only there, goes offline for alice on
    // B within the presence time to live.
    let fresh = expect_json(b.login("alice", crate::support::PASSWORD).await, 200).await;
    let mut alice_again = open(&b, str_field(&fresh, "access_token")).await;
    // A new socket first hears who is online now: bob, on A.
    let snapshot = next_matching(&mut alice_again, PATIENCE, |frame| frame["type"] == "presence").await;
    assert_eq!(snapshot, json!({"type": "presence", "user_id": bob_id, "status": "online"}));
    a.signal("KILL");
    let _killed = a.wait_for_exit(Duration::from_secs(10)).await;
    let started = Instant::now();
    let offline = next_matching(&mut alice_again, OFFLINE_PATIENCE, |frame| frame["type"] == "presence").await;
    assert_eq!(offline, json!({"type": "presence", "user_id": bob_id, "status": "offline"}));
    eprintln!("offline {:?} after the kill (time to live {}s)", started.elapsed(), 3 * HEARTBEAT_SECS);
}

#[tokio::test]
async fn delivery_logout_and_presence_cross_two_processes_over_the_change_feed() {
    across_two_processes(None).await;
}

#[tokio::test]
async fn delivery_logout_and_presence_cross_two_processes_over_redis() {
    let mut redis = Redis::start();
    across_two_processes(Some(&mut redis)).await;
}

/// A user who joins a chat after the other instance's users came online still learns of
/// them: an instance that starts late asks the others for their online users.
#[tokio::test]
async fn a_late_instance_learns_who_is_online_elsewhere() {
    let redis = Redis::start();
    let database = PostgresDatabase::create().await;
    let sandbox_a = instance(&database, Some(&redis));
    let a = sandbox_a.serve().await;
    let (alice_token, bob_token, bob_id, _, _) = team(&a).await;
    let bob_on_a = open(&a, &bob_token).await;
    // B starts after bob came online on A, then bob's socket on B closes: B must still
    // count bob online (on A), so alice on B hears no offline; and when bob leaves A too,
    // alice hears it.
    let sandbox_b = instance(&database, Some(&redis));
    let b = sandbox_b.serve().await;
    let mut alice_on_b = open(&b, &alice_token).await;
    // Give B a few heartbeats to hear A's users.
    tokio::time::sleep(Duration::from_secs(3 * HEARTBEAT_SECS)).await;
    let mut bob_on_b = open(&b, &bob_token).await;
    bob_on_b.close(None).await.expect("close");
    // Alice may hear bob online (her socket's snapshot, or B learning of him), but no
    // offline while bob is still on A.
    let offline = |frame: &Value| frame["type"] == "presence" && frame["status"] == "offline";
    let early = tokio::time::timeout(Duration::from_secs(1), next_matching(&mut alice_on_b, PATIENCE, offline)).await;
    assert!(early.is_err(), "bob is still online on A: {early:?}");
    drop(bob_on_a);
    let frame = next_matching(&mut alice_on_b, PATIENCE, offline).await;
    assert_eq!(frame, json!({"type": "presence", "user_id": bob_id, "status": "offline"}));
}

/// `messaging.posts_per_minute_per_user` is one budget across instances sharing a Redis.
#[tokio::test]
async fn the_per_chat_posting_limit_is_shared_through_redis() {
    let redis = Redis::start();
    let database = PostgresDatabase::create().await;
    let limited = |sandbox: Sandbox| sandbox.with_env("AUTHDB__MESSAGING__POSTS_PER_MINUTE_PER_USER", "3");
    let (sandbox_a, sandbox_b) =
        (limited(instance(&database, Some(&redis))), limited(instance(&database, Some(&redis))));
    let a = sandbox_a.serve().await;
    let b = sandbox_b.serve().await;
    let (_, bob_token, _, org, chat) = team(&a).await;
    let path = format!("/api/v1/organizations/{org}/chats/{chat}/messages");
    let body = json!({"ciphertext": STANDARD.encode(b"counted")});
    for server in [&a, &b, &a] {
        assert_eq!(send(server, &path, &bob_token, &body).await.status(), 201);
    }
    for server in [&b, &a] {
        let refused = send(server, &path, &bob_token, &body).await;
        assert_eq!(refused.status(), 429, "the fourth post in a minute, on either instance");
        assert!(refused.headers().contains_key("retry-after"));
    }
}
