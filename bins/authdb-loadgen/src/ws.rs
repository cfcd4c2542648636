//! WebSocket workloads against `GET /api/v1/ws`: `ws-connect` (many authenticated sockets
//! held open at rest, and what they cost the server in memory) and `ws-fanout` (a group
//! whose members are all online, posted into at a fixed rate over REST, with the latency
//! of every delivery and a count of what never arrived).
//!
//! Both need the server's API rate limit off (`AUTHDB__RATE_LIMIT__ENABLED=false`): they
//! register many users from one address and post far beyond the per-chat limit.
//! `ws-fanout` brings its members into the organization through invitations, whose tokens
//! the server answers only with `AUTHDB__MAIL__TRANSPORT=none`. Registering thousands of
//! users is bcrypt-bound (about 8 hashes/s at the default cost 12 on two cores), so the
//! benchmark server runs with `AUTHDB__AUTH__BCRYPT_COST=4`; no hash is computed while
//! anything is measured.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tokio::{net::TcpStream, sync::watch, task::JoinSet};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async_with_config,
    tungstenite::{self, Message, client::IntoClientRequest as _, http::header, protocol::WebSocketConfig},
};

use crate::{
    inventory::{Owner, expect_json, field, memory_kib},
    percentile, run_id, us_to_ms,
};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How many users register at once during setup (cheap at bcrypt cost 4; the server
/// writes one at a time on SQLite anyway).
const REGISTER_PARALLELISM: usize = 16;
/// How long a socket may take to close cleanly once the run is over.
const CLOSE_PATIENCE: Duration = Duration::from_secs(5);

/// A registered user: what a socket and a post need.
#[derive(Debug, Clone)]
struct User {
    id: String,
    email: String,
    bearer: String,
}

async fn register(client: &Client, base: &str, username: String) -> Result<User, String> {
    let email = format!("{username}@loadgen.example.com");
    let body = json!({ "email": email, "username": username, "password": crate::PASSWORD });
    let answer = expect_json(
        client.post(format!("{base}/api/v1/auth/register")).json(&body),
        StatusCode::CREATED,
        "registering",
    )
    .await?;
    let id = answer.get("user").map(|user| field(user, "id")).ok_or_else(|| format!("no `user` in {answer}"))??;
    Ok(User { id, email, bearer: field(&answer, "access_token")? })
}

async fn register_many(client: &Client, base: &str, count: usize) -> Result<Vec<User>, String> {
    let run = run_id();
    let started = Instant::now();
    let users: Vec<User> = stream::iter(0..count)
        .map(|i| register(client, base, format!("lg{run}w{i}")))
        .buffered(REGISTER_PARALLELISM)
        .try_collect()
        .await?;
    eprintln!("setup: registered {count} users in {:.1} s", started.elapsed().as_secs_f64());
    Ok(users)
}

/// `ws://` for `http://`, `wss://` for `https://`.
fn socket_url(base: &str) -> String {
    format!("ws{}/api/v1/ws", base.strip_prefix("http").unwrap_or(base))
}

/// Small buffers: ten thousand sockets in one client at tungstenite's default 128 KiB
/// read buffer would take over a gigabyte of the machine the server runs on.
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0)
}

/// Why a socket did not open, as a short key for the report.
fn open_error(error: &tungstenite::Error) -> String {
    match error {
        tungstenite::Error::Http(response) => format!("http {}", response.status().as_u16()),
        tungstenite::Error::Io(error) => format!("io: {error}"),
        other => format!("ws: {other}"),
    }
}

/// Opens an authenticated socket and waits for its `ready` frame; answers the time that
/// took (handshake included).
async fn open(url: &str, bearer: &str, timeout: Duration) -> Result<(Socket, Duration), String> {
    let mut request = url.into_client_request().map_err(|error| format!("request: {error}"))?;
    let value = format!("Bearer {bearer}").parse().map_err(|_| "bearer: not a header value".to_owned())?;
    request.headers_mut().insert(header::AUTHORIZATION, value);
    let started = Instant::now();
    let opening = async {
        let (mut socket, _) =
            connect_async_with_config(request, Some(socket_config()), true).await.map_err(|e| open_error(&e))?;
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) if text.as_str().contains("\"ready\"") => return Ok(socket),
                Some(Ok(Message::Close(frame))) => return Err(format!("closed {}", close_code(frame.as_ref()))),
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(open_error(&error)),
                None => return Err("eof before ready".to_owned()),
            }
        }
    };
    match tokio::time::timeout(timeout, opening).await {
        Ok(Ok(socket)) => Ok((socket, started.elapsed())),
        Ok(Err(error)) => Err(error),
        Err(_) => Err("timeout".to_owned()),
    }
}

fn close_code(frame: Option<&tungstenite::protocol::CloseFrame>) -> u16 {
    frame.map_or(1005, |frame| u16::from(frame.code))
}

/// How a socket's life ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// We closed it when the run was over.
    Kept,
    /// The server closed it with this code.
    Closed(u16),
    /// The connection broke.
    Lost(String),
}

impl End {
    fn key(&self) -> Option<String> {
        match self {
            Self::Kept => None,
            Self::Closed(code) => Some(format!("closed {code}")),
            Self::Lost(why) => Some(why.clone()),
        }
    }
}

/// Reads a socket until `stop` (then closes it) or until the server ends it, handing
/// every text frame to `on_text`. Reading is also what answers the server's pings.
async fn read_until(mut socket: Socket, mut stop: watch::Receiver<bool>, mut on_text: impl FnMut(&str)) -> End {
    loop {
        tokio::select! {
            stopped = stop.wait_for(|stop| *stop) => {
                drop(stopped);
                break;
            }
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => on_text(text.as_str()),
                Some(Ok(Message::Close(frame))) => return End::Closed(close_code(frame.as_ref())),
                Some(Ok(_)) => {}
                Some(Err(error)) => return End::Lost(open_error(&error)),
                None => return End::Lost("eof".to_owned()),
            },
        }
    }
    let closing = async {
        let _ = socket.close(None).await;
        while let Some(Ok(_)) = socket.next().await {}
    };
    let _ = tokio::time::timeout(CLOSE_PATIENCE, closing).await;
    End::Kept
}

fn memory_json(pid: Option<u32>) -> Value {
    match pid.and_then(memory_kib) {
        Some((rss, hwm)) => json!({ "vm_rss_kib": rss, "vm_hwm_kib": hwm }),
        None => Value::Null,
    }
}

fn rss_kib(pid: Option<u32>) -> Option<u64> {
    pid.and_then(memory_kib).map(|(rss, _)| rss)
}

fn latency_json(sorted_us: &[u64]) -> Value {
    json!({
        "p50": us_to_ms(percentile(sorted_us, 50.0)),
        "p90": us_to_ms(percentile(sorted_us, 90.0)),
        "p99": us_to_ms(percentile(sorted_us, 99.0)),
        "max": us_to_ms(sorted_us.last().copied().unwrap_or(0)),
    })
}

fn count(map: &mut BTreeMap<String, u64>, key: String) {
    *map.entry(key).or_default() += 1;
}

/// What `ws-connect` does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectPlan {
    pub(crate) sockets: usize,
    /// Distinct users the sockets belong to (socket i is user i mod users).
    pub(crate) users: usize,
    /// Handshakes in flight at once.
    pub(crate) parallelism: usize,
    pub(crate) hold: Duration,
    pub(crate) timeout: Duration,
    pub(crate) server_pid: Option<u32>,
}

/// `ws-connect`: registers the users, opens every socket (a few at a time), holds them
/// open at rest, and reports the connect rate, failures and the server's memory before,
/// at rest and after the sockets are gone.
pub(crate) async fn connect(client: &Client, base: &str, plan: ConnectPlan) -> Result<Value, String> {
    let pid = plan.server_pid;
    let at_start = memory_json(pid);
    let users = register_many(client, base, plan.users.max(1)).await?;
    let after_setup = memory_json(pid);
    let rss_before = rss_kib(pid);
    let url = socket_url(base);
    let (stop_tx, stop) = watch::channel(false);
    let lost = Arc::new(AtomicU64::new(0));
    let mut holders = JoinSet::new();
    let mut connect_us = Vec::with_capacity(plan.sockets);
    let mut errors = BTreeMap::new();

    let started = Instant::now();
    let mut opening = stream::iter(0..plan.sockets)
        .map(|i| {
            let (url, bearer) = (&url, users[i % users.len()].bearer.as_str());
            async move { open(url, bearer, plan.timeout).await }
        })
        .buffer_unordered(plan.parallelism.max(1));
    while let Some(opened) = opening.next().await {
        match opened {
            Ok((socket, took)) => {
                connect_us.push(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
                let (stop, lost) = (stop.clone(), Arc::clone(&lost));
                holders.spawn(async move {
                    let end = read_until(socket, stop, |_| {}).await;
                    if end != End::Kept {
                        lost.fetch_add(1, Ordering::Relaxed);
                    }
                    end
                });
                if connect_us.len() % 1000 == 0 {
                    eprintln!("connect: {} open after {:.1} s", connect_us.len(), started.elapsed().as_secs_f64());
                }
            }
            Err(error) => count(&mut errors, error),
        }
    }
    drop(opening);
    let connect_secs = started.elapsed().as_secs_f64();
    let connected = connect_us.len();
    eprintln!(
        "connect: {connected} of {} open in {connect_secs:.1} s, {} failed",
        plan.sockets,
        plan.sockets - connected
    );

    tokio::time::sleep(plan.hold).await;
    let at_rest = memory_json(pid);
    let rss_at_rest = rss_kib(pid);
    let open_at_rest = connected as u64 - lost.load(Ordering::Relaxed);
    eprintln!("hold: {open_at_rest} still open after {} s at rest; server {at_rest}", plan.hold.as_secs());

    let _ = stop_tx.send(true);
    let mut ends = BTreeMap::new();
    while let Some(end) = holders.join_next().await {
        if let Some(key) = end.map_err(|error| format!("a socket task failed: {error}"))?.key() {
            count(&mut ends, key);
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after_close = memory_json(pid);

    connect_us.sort_unstable();
    let per_socket = match (rss_before, rss_at_rest) {
        (Some(before), Some(rest)) if connected > 0 => {
            json!(round1((rest.saturating_sub(before)) as f64 / connected as f64))
        }
        _ => Value::Null,
    };
    Ok(json!({
        "scenario": "ws-connect",
        "sockets": plan.sockets,
        "users": users.len(),
        "parallelism": plan.parallelism,
        "connected": connected,
        "connect_errors": errors,
        "connect_secs": crate::round3(connect_secs),
        "connects_per_sec": crate::round3(if connect_secs > 0.0 { connected as f64 / connect_secs } else { 0.0 }),
        "connect_ms": latency_json(&connect_us),
        "hold_secs": plan.hold.as_secs(),
        "open_at_rest": open_at_rest,
        "ended_by_server_or_lost": ends,
        "server_memory": {
            "at_start": at_start,
            "after_setup": after_setup,
            "at_rest": at_rest,
            "after_close": after_close,
            "rest_minus_setup_kib_per_socket": per_socket,
        },
    }))
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// What `ws-fanout` does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FanoutPlan {
    /// Members of the group, the owner included; each has one socket.
    pub(crate) members: usize,
    /// Posts per second, sent on a fixed schedule whatever the answers take.
    pub(crate) rate: u32,
    pub(crate) warmup: Duration,
    pub(crate) duration: Duration,
    pub(crate) message_bytes: usize,
    pub(crate) timeout: Duration,
    pub(crate) server_pid: Option<u32>,
}

/// One post as the poster saw it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Post {
    pub(crate) sent: Instant,
    pub(crate) answered: Instant,
    /// Answered 201.
    pub(crate) accepted: bool,
}

/// What one socket received: the index of each post delivered, when, and how it ended.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) deliveries: Vec<(u64, Instant)>,
    pub(crate) end: End,
}

/// The delivery figures of a fan-out run.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Accepted posts times sockets.
    pub(crate) expected: u64,
    pub(crate) delivered: u64,
    /// Accepted posts a socket never received.
    pub(crate) missing: u64,
    pub(crate) duplicates: u64,
    /// Deliveries of posts that were not accepted or not sent by this run.
    pub(crate) unexpected: u64,
    /// From the post being sent to its delivery, sorted (measured posts only).
    pub(crate) from_send_us: Vec<u64>,
    /// From the post's 201 reaching the poster to its delivery, sorted; a delivery that
    /// came first counts as 0 here and in `before_answer`.
    pub(crate) from_answer_us: Vec<u64>,
    pub(crate) before_answer: u64,
    /// Sockets the server closed (a 1013 is a slow consumer) or that broke, by reason.
    pub(crate) socket_ends: BTreeMap<String, u64>,
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// Matches every delivery to its post: latencies for the posts from `measured_from` on,
/// and for every accepted post whether each socket got it exactly once.
pub(crate) fn tally(posts: &[Option<Post>], sockets: &[Received], measured_from: usize) -> Tally {
    let mut tally = Tally::default();
    let accepted: Vec<usize> =
        posts.iter().enumerate().filter(|(_, post)| post.is_some_and(|post| post.accepted)).map(|(i, _)| i).collect();
    for socket in sockets {
        tally.expected += accepted.len() as u64;
        let mut seen = vec![false; posts.len()];
        for &(index, at) in &socket.deliveries {
            let Some(post) = usize::try_from(index).ok().and_then(|i| posts.get(i).copied().flatten()) else {
                tally.unexpected += 1;
                continue;
            };
            let index = index as usize;
            if !post.accepted {
                tally.unexpected += 1;
                continue;
            }
            if seen[index] {
                tally.duplicates += 1;
                continue;
            }
            seen[index] = true;
            tally.delivered += 1;
            if index >= measured_from {
                tally.from_send_us.push(micros(at.saturating_duration_since(post.sent)));
                if at < post.answered {
                    tally.before_answer += 1;
                }
                tally.from_answer_us.push(micros(at.saturating_duration_since(post.answered)));
            }
        }
        tally.missing += accepted.iter().filter(|&&i| !seen[i]).count() as u64;
        if let Some(key) = socket.end.key() {
            count(&mut tally.socket_ends, key);
        }
    }
    tally.from_send_us.sort_unstable();
    tally.from_answer_us.sort_unstable();
    tally
}

/// The index of the post a text frame delivers: a `message.created` whose message's
/// `client_id` is `<prefix><index>`. Scans instead of parsing: the client shares the CPU
/// with the server, and parses 50,000 frames a second.
pub(crate) fn delivered_post(frame: &str, prefix: &str) -> Option<u64> {
    if !frame.contains("\"type\":\"message.created\"") {
        return None;
    }
    let start = frame.find("\"client_id\":\"")? + "\"client_id\":\"".len();
    let rest = frame[start..].strip_prefix(prefix)?;
    let end = rest.find('"')?;
    rest[..end].parse().ok()
}

async fn invite(client: &Client, base: &str, owner: &Owner, user: &User) -> Result<(), String> {
    let body = json!({ "email": user.email, "role": "member" });
    let request = client.post(format!("{base}{}", owner.path("/invitations"))).bearer_auth(owner.bearer()).json(&body);
    let invitation = expect_json(request, StatusCode::CREATED, "inviting a member").await?;
    let token = field(&invitation, "token").map_err(|_| {
        "the invitation carries no token: start the server with AUTHDB__MAIL__TRANSPORT=none".to_owned()
    })?;
    let request = client
        .post(format!("{base}/api/v1/invitations/accept"))
        .bearer_auth(&user.bearer)
        .json(&json!({ "token": token }));
    expect_json(request, StatusCode::OK, "accepting the invitation").await.map(drop)
}

/// `ws-fanout`: a group of `members` (the owner and `members - 1` invited users), one
/// socket each, posted into by its members in turn at `rate` posts a second over REST;
/// every socket must receive every accepted post once.
pub(crate) async fn fanout(client: &Client, base: &str, plan: FanoutPlan) -> Result<Value, String> {
    let pid = plan.server_pid;
    let owner = Owner::create(client, base).await?;
    let others = register_many(client, base, plan.members.saturating_sub(1)).await?;
    stream::iter(&others)
        .map(|user| invite(client, base, &owner, user))
        .buffer_unordered(REGISTER_PARALLELISM)
        .try_collect::<()>()
        .await?;
    let body = json!({
        "kind": "group",
        "name": "fan-out bench",
        "member_ids": others.iter().map(|user| user.id.as_str()).collect::<Vec<_>>(),
    });
    let chat = expect_json(
        client.post(format!("{base}{}", owner.path("/chats"))).bearer_auth(owner.bearer()).json(&body),
        StatusCode::CREATED,
        "creating the group",
    )
    .await?;
    let messages = owner.path(&format!("/chats/{}/messages", field(&chat, "id")?));
    let bearers: Vec<String> =
        std::iter::once(owner.bearer().to_owned()).chain(others.iter().map(|user| user.bearer.clone())).collect();
    eprintln!("setup: a group of {} members", bearers.len());

    let url = socket_url(base);
    let prefix = format!("{}-", run_id());
    let (stop_tx, stop) = watch::channel(false);
    let delivered = Arc::new(AtomicU64::new(0));
    let mut readers = JoinSet::new();
    for bearer in &bearers {
        let (socket, _) = open(&url, bearer, plan.timeout).await?;
        let (stop, prefix, delivered) = (stop.clone(), prefix.clone(), Arc::clone(&delivered));
        readers.spawn(async move {
            let mut deliveries = Vec::new();
            let end = read_until(socket, stop, |text| {
                if let Some(index) = delivered_post(text, &prefix) {
                    deliveries.push((index, Instant::now()));
                    delivered.fetch_add(1, Ordering::Relaxed);
                }
            })
            .await;
            Received { deliveries, end }
        });
    }
    // Let the presence announcements of the sockets just opened pass.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let memory_before = memory_json(pid);

    let ciphertext: Vec<u8> = (0..plan.message_bytes).map(|i| (i * 131 % 251) as u8).collect();
    let ciphertext = crate::base64_of(&ciphertext);
    let nonce = crate::base64_of(&[7; 12]);
    let rate = f64::from(plan.rate.max(1));
    let total = ((plan.warmup + plan.duration).as_secs_f64() * rate).round() as usize;
    let measured_from = (plan.warmup.as_secs_f64() * rate).round() as usize;
    let mut posting = JoinSet::new();
    let mut late_us = Vec::with_capacity(total);
    let started = tokio::time::Instant::now();
    for i in 0..total {
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due).await;
        late_us.push(micros(tokio::time::Instant::now().saturating_duration_since(due)));
        let body = json!({
            "ciphertext": ciphertext,
            "nonce": nonce,
            "content_type": "application/octet-stream",
            "client_id": format!("{prefix}{i}"),
        });
        let request = client
            .post(format!("{base}{messages}"))
            .bearer_auth(&bearers[i % bearers.len()])
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(&body).unwrap_or_default());
        posting.spawn(async move {
            let sent = Instant::now();
            let status = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let _ = response.bytes().await;
                    status.as_u16().to_string()
                }
                Err(error) => crate::transport_kind(&error).to_owned(),
            };
            (i, Post { sent, answered: Instant::now(), accepted: status == "201" }, status)
        });
    }
    let posting_secs = started.elapsed().as_secs_f64();
    let mut posts: Vec<Option<Post>> = vec![None; total];
    let mut post_us = Vec::with_capacity(total);
    let mut post_errors = BTreeMap::new();
    while let Some(done) = posting.join_next().await {
        let (i, post, status) = done.map_err(|error| format!("a post task failed: {error}"))?;
        if i >= measured_from {
            post_us.push(micros(post.answered - post.sent));
        }
        if !post.accepted {
            count(&mut post_errors, status);
        }
        posts[i] = Some(post);
    }
    // Wait for the deliveries still on their way (or for a few seconds more).
    let accepted = posts.iter().flatten().filter(|post| post.accepted).count() as u64;
    let expected = accepted * bearers.len() as u64;
    let waiting = Instant::now();
    while delivered.load(Ordering::Relaxed) < expected && waiting.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let memory_after = memory_json(pid);
    let _ = stop_tx.send(true);
    let mut sockets = Vec::new();
    while let Some(received) = readers.join_next().await {
        sockets.push(received.map_err(|error| format!("a socket task failed: {error}"))?);
    }

    let tally = tally(&posts, &sockets, measured_from);
    post_us.sort_unstable();
    late_us.sort_unstable();
    let measured_secs = plan.duration.as_secs_f64();
    Ok(json!({
        "scenario": "ws-fanout",
        "members": bearers.len(),
        "rate": plan.rate,
        "message_bytes": plan.message_bytes,
        "warmup_secs": plan.warmup.as_secs(),
        "duration_secs": plan.duration.as_secs(),
        "posts": total,
        "posts_accepted": accepted,
        "post_errors": post_errors,
        "posting_secs": crate::round3(posting_secs),
        "post_latency_ms": latency_json(&post_us),
        "schedule_lag_ms": latency_json(&late_us),
        "deliveries_expected": tally.expected,
        "deliveries": tally.delivered,
        "missing": tally.missing,
        "duplicates": tally.duplicates,
        "unexpected": tally.unexpected,
        "socket_ends": tally.socket_ends,
        "measured_deliveries_per_sec": crate::round3(tally.from_send_us.len() as f64 / measured_secs),
        "delivery_ms_from_post_sent": latency_json(&tally.from_send_us),
        "delivery_ms_from_post_answered": latency_json(&tally.from_answer_us),
        "delivered_before_the_answer": tally.before_answer,
        "server_memory": { "before": memory_before, "after": memory_after },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(sent: Instant, sent_ms: u64, answered_ms: u64, accepted: bool) -> Option<Post> {
        Some(Post {
            sent: sent + Duration::from_millis(sent_ms),
            answered: sent + Duration::from_millis(answered_ms),
            accepted,
        })
    }

    #[test]
    fn every_delivery_is_matched_to_its_post() {
        let t = Instant::now();
        let at = |ms| t + Duration::from_millis(ms);
        // Post 0 is warm-up, post 1 is measured, post 2 was refused, post 3 never answered.
        let posts = vec![post(t, 0, 5, true), post(t, 10, 14, true), post(t, 20, 21, false), None];
        let sockets = vec![
            // Got both accepted posts; post 1 before its answer reached the poster.
            Received { deliveries: vec![(0, at(6)), (1, at(12))], end: End::Kept },
            // Missed post 1, got post 0 twice, and a delivery of the refused post and of
            // an index this run never sent; then closed as too slow.
            Received { deliveries: vec![(0, at(7)), (0, at(8)), (2, at(22)), (99, at(30))], end: End::Closed(1013) },
            // Got post 1 only, 20 ms after it was sent.
            Received { deliveries: vec![(1, at(30))], end: End::Lost("eof".into()) },
        ];
        let tally = tally(&posts, &sockets, 1);
        assert_eq!(tally.expected, 6);
        assert_eq!(tally.delivered, 4);
        assert_eq!(tally.missing, 2);
        assert_eq!(tally.duplicates, 1);
        assert_eq!(tally.unexpected, 2);
        // Latencies of measured posts only (post 1, on sockets 0 and 2).
        assert_eq!(tally.from_send_us, vec![2_000, 20_000]);
        assert_eq!(tally.from_answer_us, vec![0, 16_000]);
        assert_eq!(tally.before_answer, 1);
        assert_eq!(tally.socket_ends.get("closed 1013"), Some(&1));
        assert_eq!(tally.socket_ends.get("eof"), Some(&1));
        assert_eq!(tally.socket_ends.len(), 2);
    }

    #[test]
    fn a_delivery_is_read_from_a_message_created_frame_only() {
        let frame = r#"{"type":"message.created","organization_id":"o","chat_id":"c","message":{"id":"m","client_id":"ab12-42","ciphertext":"AAEC"}}"#;
        assert_eq!(delivered_post(frame, "ab12-"), Some(42));
        assert_eq!(delivered_post(frame, "other-"), None);
        let ack = r#"{"type":"message.ack","client_id":"ab12-42"}"#;
        assert_eq!(delivered_post(ack, "ab12-"), None);
        let presence = r#"{"type":"presence","user_id":"u","status":"online"}"#;
        assert_eq!(delivered_post(presence, "ab12-"), None);
        let foreign = r#"{"type":"message.created","message":{"client_id":"ab12-x"}}"#;
        assert_eq!(delivered_post(foreign, "ab12-"), None);
    }

    #[test]
    fn socket_urls_follow_the_base_scheme() {
        assert_eq!(socket_url("http://127.0.0.1:8080"), "ws://127.0.0.1:8080/api/v1/ws");
        assert_eq!(socket_url("https://example.com"), "wss://example.com/api/v1/ws");
    }
}
