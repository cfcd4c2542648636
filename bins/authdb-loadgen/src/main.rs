#![allow(clippy::print_stdout, reason = "a CLI that reports on stdout")]
//! `authdb-loadgen`: a small closed-loop HTTP load generator for the authdb benchmarks
//! (see docs/benchmarks.md).
//!
//! N workers each send one request at a time, back to back, for a fixed duration. A
//! request counts when it completes inside the measured window (after the warm-up), and
//! rates are completions divided by the window's length; requests still in flight when the
//! window closes are dropped. Every worker keeps the latency of each answered request (any
//! status) in its own `Vec`; the vectors are merged and sorted at the end for exact
//! percentiles. Transport failures (connection refused, timeouts) are counted as errors,
//! never panics, and the load stops at `warmup + duration` after setup.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    process::ExitCode,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use clap::{Parser, ValueEnum};
use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use tokio::task::JoinSet;

mod inventory;
mod ws;

/// The password every generated user gets (it satisfies the default policy).
const PASSWORD: &str = "Secret123";
/// How many registrations run at once during setup (the server hashes on at most one
/// thread per core anyway).
const SETUP_PARALLELISM: usize = 4;
/// How many asset creates run at once while `asset-list` seeds its organization.
const SEED_PARALLELISM: usize = 16;
/// Pause after a transport error, so a dead server is not hammered in a tight loop.
const ERROR_BACKOFF: Duration = Duration::from_millis(20);

#[derive(Debug, Parser)]
#[command(name = "authdb-loadgen", version, about = "HTTP load generator for authdb benchmarks")]
struct Args {
    /// Server to load; only point this at a server you run yourself.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base_url: String,
    /// What each worker does in a loop.
    #[arg(long, value_enum)]
    scenario: Scenario,
    /// Number of concurrent workers (each with one request in flight).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=4096))]
    concurrency: u32,
    /// Length of the measured window, in seconds.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    duration_secs: u64,
    /// Load sent before the measured window and not recorded, in seconds.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=600))]
    warmup_secs: u64,
    /// Per-request timeout, in seconds (a timed-out request counts as an error).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout_secs: u64,
    /// `live-under-login` only: pause between two probe requests, in milliseconds (0: the
    /// probe sends back to back; a pause makes it sample the server like a health checker,
    /// arriving at random moments instead of keeping a worker hot).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    probe_interval_ms: u64,
    /// Print one JSON line on stdout (the human summary then goes to stderr).
    #[arg(long)]
    json: bool,
    /// `scan-import`: how the scan is encoded.
    #[arg(long, value_enum, default_value_t = inventory::ScanFormat::Json)]
    format: inventory::ScanFormat,
    /// `scan-import`: hosts in the scan (all up).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    hosts: u64,
    /// `scan-import`: open services per host (at most 8).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=8))]
    services_per_host: u64,
    /// `scan-import`: how many times the same scan is imported into the same network.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=100))]
    rounds: u32,
    /// `scan-import`, `ws-connect`, `ws-fanout`: the server's process id, to report its memory
    /// (`/proc/<pid>/status`).
    #[arg(long)]
    server_pid: Option<u32>,
    /// `asset-list`: assets created in the organization before the measured run.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    assets: u64,
    /// `chat-post`: how many group chats the workers post into (worker i posts into chat
    /// i mod chats; 1: every post goes to the same chat).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4096))]
    chats: u32,
    /// `chat-post`: ciphertext bytes per message (sent as base64, with a 12-byte nonce).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    message_bytes: u64,
    /// `ws-connect`: sockets to open and hold.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    sockets: u64,
    /// `ws-connect`: distinct users the sockets belong to (socket i is user i mod users;
    /// 0: one user per socket).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    users: u64,
    /// `ws-connect`: how long every socket is held open at rest before the server's
    /// memory is read.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=3600))]
    hold_secs: u64,
    /// `ws-fanout`: members of the group (the owner included), one socket each.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    members: u64,
    /// `ws-fanout`: posts per second, on a fixed schedule (over REST, by the members in
    /// turn).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    rate: u32,
    /// `asset-list`: the query string of the listing.
    #[arg(long, default_value = "cidr=10.1.0.0/16&tag=prod&sort=-risk_score&limit=50")]
    query: String,
    /// `asset-list`: a shell command run once the assets are seeded and before the warm-up
    /// (the run fails if it does), e.g. a `VACUUM` of the seeded tables, so that the run
    /// measures the state autovacuum would bring them to rather than the one straight
    /// after 100,000 inserts.
    #[arg(long)]
    after_seed: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// POST /api/v1/auth/login with a correct password (bcrypt-bound).
    Login,
    /// POST /api/v1/auth/refresh; each worker follows its own rotation chain.
    Refresh,
    /// GET /api/v1/auth/me with a bearer access token.
    Me,
    /// GET /api/v1/auth/me with the access token of a session that was logged out:
    /// every answer must be 401 (the revocation-set check).
    RevokedToken,
    /// GET /health/live.
    Live,
    /// `login` load at the given concurrency plus one sequential client on /health/live,
    /// whose latency is reported separately.
    #[value(alias = "mixed")]
    LiveUnderLogin,
    /// One owner imports the same generated scan `--rounds` times into a fresh network,
    /// one import at a time (a timing per import, not a closed loop).
    ScanImport,
    /// `GET .../assets?<query>` as one owner, over `--assets` assets created first.
    AssetList,
    /// `POST .../chats/{id}/messages` (JSON, a `--message-bytes` ciphertext) as one owner
    /// into `--chats` group chats created first; each answer must be 201.
    ChatPost,
    /// `--sockets` authenticated `GET /api/v1/ws` sockets (of `--users` users), opened
    /// `--concurrency` at a time and held open at rest for `--hold-secs`; reports the
    /// connect rate, failures and the server's memory (`--server-pid`).
    WsConnect,
    /// A group of `--members`, one socket each, posted into at `--rate` posts/s over
    /// REST; the latency of every delivery and what was never delivered.
    WsFanout,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Refresh => "refresh",
            Self::Me => "me",
            Self::RevokedToken => "revoked-token",
            Self::Live => "live",
            Self::LiveUnderLogin => "live-under-login",
            Self::ScanImport => "scan-import",
            Self::AssetList => "asset-list",
            Self::ChatPost => "chat-post",
            Self::WsConnect => "ws-connect",
            Self::WsFanout => "ws-fanout",
        }
    }

    fn needs_users(self) -> bool {
        !matches!(
            self,
            Self::Live | Self::ScanImport | Self::AssetList | Self::ChatPost | Self::WsConnect | Self::WsFanout
        )
    }
}

/// A registered user and its current tokens.
#[derive(Debug, Clone)]
struct Account {
    username: String,
    access_token: String,
    refresh_token: String,
}

/// What one worker sends.
#[derive(Debug)]
enum Task {
    Login {
        username: String,
    },
    Refresh {
        username: String,
        refresh_token: String,
    },
    Me {
        bearer: String,
    },
    Revoked {
        bearer: String,
    },
    Live,
    Get {
        path: String,
        bearer: String,
    },
    /// A POST of a prepared JSON body that must answer 201.
    Post {
        path: String,
        bearer: String,
        body: Vec<u8>,
    },
}

/// How one request ended.
enum Outcome {
    Ok,
    /// An HTTP answer other than the expected one.
    Status(StatusCode),
    /// The expected status but a body we could not use.
    BadBody,
    /// No HTTP answer at all.
    Transport(&'static str),
}

#[derive(Debug, Clone, Copy)]
struct Window {
    record_from: Instant,
    end: Instant,
}

/// What one worker observed in the measured window.
#[derive(Debug, Default)]
struct Stats {
    /// Microseconds, one entry per answered request.
    latencies_us: Vec<u64>,
    requests: u64,
    successes: u64,
    errors: BTreeMap<String, u64>,
    /// Refresh chains re-established by logging in again after a failed refresh.
    relogins: u64,
}

impl Stats {
    fn record(&mut self, elapsed: Duration, outcome: &Outcome) {
        self.requests += 1;
        let error = match outcome {
            Outcome::Ok => None,
            Outcome::Status(status) => Some(status.as_u16().to_string()),
            Outcome::BadBody => Some("bad-body".to_owned()),
            Outcome::Transport(kind) => Some((*kind).to_owned()),
        };
        if !matches!(outcome, Outcome::Transport(_)) {
            self.latencies_us.push(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
        }
        match error {
            None => self.successes += 1,
            Some(key) => *self.errors.entry(key).or_default() += 1,
        }
    }

    fn merge(&mut self, other: Self) {
        self.latencies_us.extend(other.latencies_us);
        self.requests += other.requests;
        self.successes += other.successes;
        for (key, count) in other.errors {
            *self.errors.entry(key).or_default() += count;
        }
        self.relogins += other.relogins;
    }
}

/// The merged figures of one group of workers.
#[derive(Debug)]
struct Report {
    name: &'static str,
    workers: u32,
    requests: u64,
    successes: u64,
    errors: BTreeMap<String, u64>,
    relogins: u64,
    elapsed: Duration,
    p50_us: u64,
    p90_us: u64,
    p99_us: u64,
    max_us: u64,
}

impl Report {
    fn from_stats(name: &'static str, workers: u32, mut stats: Stats, window: Window) -> Self {
        stats.latencies_us.sort_unstable();
        let sorted = &stats.latencies_us;
        let elapsed = window.end.saturating_duration_since(window.record_from);
        Self {
            name,
            workers,
            requests: stats.requests,
            successes: stats.successes,
            errors: stats.errors,
            relogins: stats.relogins,
            elapsed,
            p50_us: percentile(sorted, 50.0),
            p90_us: percentile(sorted, 90.0),
            p99_us: percentile(sorted, 99.0),
            max_us: sorted.last().copied().unwrap_or(0),
        }
    }

    fn rate(&self, count: u64) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { count as f64 / secs } else { 0.0 }
    }

    fn human(&self) -> String {
        let mut out = format!(
            "{}: {} workers, {} requests, {} ok, {} errors in {:.2} s: {:.1} req/s ({:.1} ok/s)\n  latency ms: p50 {} p90 {} p99 {} max {}",
            self.name,
            self.workers,
            self.requests,
            self.successes,
            self.requests - self.successes,
            self.elapsed.as_secs_f64(),
            self.rate(self.requests),
            self.rate(self.successes),
            ms(self.p50_us),
            ms(self.p90_us),
            ms(self.p99_us),
            ms(self.max_us),
        );
        if !self.errors.is_empty() {
            let errors: Vec<String> = self.errors.iter().map(|(key, count)| format!("{key} x{count}")).collect();
            let _ = write!(out, "\n  errors: {}", errors.join(", "));
        }
        if self.relogins > 0 {
            let _ = write!(out, "\n  refresh chains re-established by login: {}", self.relogins);
        }
        out
    }

    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "workers": self.workers,
            "requests": self.requests,
            "successes": self.successes,
            "errors": self.errors,
            "relogins": self.relogins,
            "elapsed_secs": round3(self.elapsed.as_secs_f64()),
            "rps": round3(self.rate(self.requests)),
            "ok_rps": round3(self.rate(self.successes)),
            "latency_ms": {
                "p50": us_to_ms(self.p50_us),
                "p90": us_to_ms(self.p90_us),
                "p99": us_to_ms(self.p99_us),
                "max": us_to_ms(self.max_us),
            },
        })
    }
}

/// Nearest-rank percentile of sorted samples (0 when there are none).
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn us_to_ms(us: u64) -> f64 {
    round3(us as f64 / 1000.0)
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

fn transport_kind(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else {
        "transport"
    }
}

/// Reads the whole body, so the request is timed to its last byte.
async fn drain(response: Response, expected: StatusCode) -> Outcome {
    let status = response.status();
    match response.bytes().await {
        Err(error) => Outcome::Transport(transport_kind(&error)),
        Ok(_) if status == expected => Outcome::Ok,
        Ok(_) => Outcome::Status(status),
    }
}

/// Sends a request and returns the body as JSON when the status is `expected`.
async fn send_for_json(request: reqwest::RequestBuilder, expected: StatusCode) -> (Outcome, Option<Value>) {
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => return (Outcome::Transport(transport_kind(&error)), None),
    };
    let status = response.status();
    if status != expected {
        return (drain(response, expected).await, None);
    }
    match response.json::<Value>().await {
        Ok(body) => (Outcome::Ok, Some(body)),
        Err(error) if error.is_decode() => (Outcome::BadBody, None),
        Err(error) => (Outcome::Transport(transport_kind(&error)), None),
    }
}

fn token_from(body: Option<&Value>, field: &str) -> Option<String> {
    body?.get(field)?.as_str().map(str::to_owned)
}

struct Target {
    client: Client,
    base: String,
}

impl Target {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn register(&self, username: &str) -> Result<Account, String> {
        let body = json!({
            "email": format!("{username}@loadgen.example.com"),
            "username": username,
            "password": PASSWORD,
        });
        let request = self.client.post(self.url("/api/v1/auth/register")).json(&body);
        let (outcome, body) = send_for_json(request, StatusCode::CREATED).await;
        let body = match outcome {
            Outcome::Ok => body,
            Outcome::Status(status) => return Err(format!("registering {username}: HTTP {status}")),
            Outcome::BadBody => return Err(format!("registering {username}: unexpected response body")),
            Outcome::Transport(kind) => return Err(format!("registering {username}: {kind} error")),
        };
        match (token_from(body.as_ref(), "access_token"), token_from(body.as_ref(), "refresh_token")) {
            (Some(access_token), Some(refresh_token)) => {
                Ok(Account { username: username.to_owned(), access_token, refresh_token })
            }
            _ => Err(format!("registering {username}: no tokens in the response")),
        }
    }

    async fn login(&self, username: &str) -> (Outcome, Option<Value>) {
        let body = json!({ "login": username, "password": PASSWORD });
        send_for_json(self.client.post(self.url("/api/v1/auth/login")).json(&body), StatusCode::OK).await
    }

    async fn get(&self, path: &str, bearer: Option<&str>) -> Outcome {
        self.get_expecting(path, bearer, StatusCode::OK).await
    }

    async fn get_expecting(&self, path: &str, bearer: Option<&str>, expected: StatusCode) -> Outcome {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        match request.send().await {
            Ok(response) => drain(response, expected).await,
            Err(error) => Outcome::Transport(transport_kind(&error)),
        }
    }

    /// Ends the account's session, so its access token is revoked.
    async fn logout(&self, account: &Account) -> Result<(), String> {
        let request = self.client.post(self.url("/api/v1/auth/logout")).bearer_auth(&account.access_token);
        match request.send().await {
            Ok(response) if response.status() == StatusCode::NO_CONTENT => Ok(()),
            Ok(response) => Err(format!("logging {} out: HTTP {}", account.username, response.status())),
            Err(error) => Err(format!("logging {} out: {} error", account.username, transport_kind(&error))),
        }
    }

    /// One request of `task`; a refresh task moves on to the token it was given.
    async fn step(&self, task: &mut Task) -> Outcome {
        match task {
            Task::Login { username } => self.login(username).await.0,
            Task::Me { bearer } => self.get("/api/v1/auth/me", Some(bearer)).await,
            Task::Revoked { bearer } => {
                self.get_expecting("/api/v1/auth/me", Some(bearer), StatusCode::UNAUTHORIZED).await
            }
            Task::Live => self.get("/health/live", None).await,
            Task::Get { path, bearer } => self.get(path, Some(bearer)).await,
            Task::Post { path, bearer, body } => {
                let request = self
                    .client
                    .post(self.url(path))
                    .bearer_auth(bearer.as_str())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
                match request.send().await {
                    Ok(response) => drain(response, StatusCode::CREATED).await,
                    Err(error) => Outcome::Transport(transport_kind(&error)),
                }
            }
            Task::Refresh { refresh_token, .. } => {
                let body = json!({ "refresh_token": refresh_token.as_str() });
                let request = self.client.post(self.url("/api/v1/auth/refresh")).json(&body);
                let (outcome, body) = send_for_json(request, StatusCode::OK).await;
                match (outcome, token_from(body.as_ref(), "refresh_token")) {
                    (Outcome::Ok, Some(next)) => {
                        *refresh_token = next;
                        Outcome::Ok
                    }
                    (Outcome::Ok, None) => Outcome::BadBody,
                    (other, _) => other,
                }
            }
        }
    }

    /// A broken refresh chain (the token was refused or lost in transit) is restarted
    /// with a fresh login; that login is not counted as a refresh request.
    async fn restart_chain(&self, task: &mut Task) -> bool {
        let Task::Refresh { username, refresh_token } = task else { return true };
        let (outcome, body) = self.login(username).await;
        match (outcome, token_from(body.as_ref(), "refresh_token")) {
            (Outcome::Ok, Some(next)) => {
                *refresh_token = next;
                true
            }
            _ => false,
        }
    }

    /// Sends `task` in a loop until the window ends, `pause` apart.
    async fn run_worker(self, mut task: Task, window: Window, pause: Duration) -> Stats {
        let mut stats = Stats::default();
        let mut first = true;
        loop {
            if !first && !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            first = false;
            let started = Instant::now();
            // A request still in flight when the window closes is dropped, uncounted.
            let Ok(outcome) = tokio::time::timeout_at(window.end.into(), self.step(&mut task)).await else {
                break;
            };
            let finished = Instant::now();
            if finished >= window.record_from {
                stats.record(finished - started, &outcome);
            }
            if matches!(outcome, Outcome::Transport(_)) {
                tokio::time::sleep(ERROR_BACKOFF).await;
            }
            if !matches!(outcome, Outcome::Ok) && matches!(task, Task::Refresh { .. }) {
                match tokio::time::timeout_at(window.end.into(), self.restart_chain(&mut task)).await {
                    Ok(true) => stats.relogins += 1,
                    Ok(false) => tokio::time::sleep(ERROR_BACKOFF).await,
                    Err(_) => break,
                }
            }
        }
        stats
    }
}

/// Standard base64 with padding (a few hundred bytes, once, at setup).
fn base64_of(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub(crate) fn run_id() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{:x}{:x}", std::process::id() & 0xffff, nanos & 0xffff_ffff_ffff)
}

/// Registers `count` users, a few at a time.
async fn register_pool(client: &Client, base: &str, count: usize) -> Result<Vec<Account>, String> {
    let run = run_id();
    stream::iter(0..count)
        .map(|i| {
            let target = Target { client: client.clone(), base: base.to_owned() };
            let username = format!("lg{run}u{i}");
            async move { target.register(&username).await }
        })
        .buffer_unordered(SETUP_PARALLELISM)
        .try_collect()
        .await
}

/// The HTTP client of every scenario: each request (and each connect) bounded by
/// `timeout`, at most `pool` idle connections kept per host.
fn build_client(timeout: Duration, pool: usize) -> Result<Client, String> {
    Client::builder()
        .user_agent(concat!("authdb-loadgen/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .connect_timeout(timeout)
        .pool_max_idle_per_host(pool)
        .tcp_nodelay(true)
        .build()
        .map_err(|error| format!("building the HTTP client: {error}"))
}

async fn run(args: &Args) -> Result<Vec<Report>, String> {
    let base = args.base_url.trim_end_matches('/').to_owned();
    let concurrency = args.concurrency as usize;
    let timeout = Duration::from_secs(args.timeout_secs);
    let client = build_client(timeout, concurrency)?;

    let setup_started = Instant::now();
    let listing = if args.scenario == Scenario::AssetList {
        let owner = inventory::Owner::create(&client, &base).await?;
        let count = usize::try_from(args.assets).map_err(|_| "--assets is too large".to_owned())?;
        owner.seed_assets(count, SEED_PARALLELISM).await?;
        eprintln!("setup: created {count} assets in {:.1} s", setup_started.elapsed().as_secs_f64());
        if let Some(command) = &args.after_seed {
            let status = tokio::process::Command::new("sh")
                .args(["-c", command])
                .status()
                .await
                .map_err(|error| format!("running --after-seed: {error}"))?;
            if !status.success() {
                return Err(format!("--after-seed failed: {status}"));
            }
        }
        Some(Task::Get { path: owner.path(&format!("/assets?{}", args.query)), bearer: owner.bearer().to_owned() })
    } else {
        None
    };
    let posting = if args.scenario == Scenario::ChatPost {
        let owner = inventory::Owner::create(&client, &base).await?;
        let mut chats = Vec::new();
        for i in 0..args.chats {
            chats.push(owner.create_group_chat(&format!("bench {i}")).await?);
        }
        eprintln!("setup: created {} chats in {:.1} s", chats.len(), setup_started.elapsed().as_secs_f64());
        let bytes = usize::try_from(args.message_bytes).map_err(|_| "--message-bytes is too large".to_owned())?;
        let body = json!({
            "ciphertext": base64_of(&(0..bytes).map(|i| (i * 131 % 251) as u8).collect::<Vec<_>>()),
            "nonce": base64_of(&[7; 12]),
            "content_type": "application/octet-stream",
        });
        let body = serde_json::to_vec(&body).map_err(|error| format!("encoding the message: {error}"))?;
        Some((owner, chats, body))
    } else {
        None
    };
    let accounts =
        if args.scenario.needs_users() { register_pool(&client, &base, concurrency).await? } else { Vec::new() };
    if !accounts.is_empty() {
        eprintln!("setup: registered {} users in {:.1} s", accounts.len(), setup_started.elapsed().as_secs_f64());
    }

    let started = Instant::now();
    let record_from = started + Duration::from_secs(args.warmup_secs);
    let window = Window { record_from, end: record_from + Duration::from_secs(args.duration_secs) };

    let mut workers = JoinSet::new();
    for i in 0..concurrency {
        let account = accounts.get(i);
        let task = match (args.scenario, account) {
            (Scenario::Live, _) => Task::Live,
            (Scenario::AssetList, _) => match &listing {
                Some(Task::Get { path, bearer }) => Task::Get { path: path.clone(), bearer: bearer.clone() },
                _ => return Err("internal: no listing task".to_owned()),
            },
            (Scenario::ChatPost, _) => match &posting {
                Some((owner, chats, body)) => Task::Post {
                    path: owner.path(&format!("/chats/{}/messages", chats[i % chats.len()])),
                    bearer: owner.bearer().to_owned(),
                    body: body.clone(),
                },
                None => return Err("internal: no chats".to_owned()),
            },
            (Scenario::ScanImport | Scenario::WsConnect | Scenario::WsFanout, _) => {
                return Err(format!("internal: {} is not a closed loop", args.scenario.name()));
            }
            (Scenario::Login | Scenario::LiveUnderLogin, Some(a)) => Task::Login { username: a.username.clone() },
            (Scenario::Refresh, Some(a)) => {
                Task::Refresh { username: a.username.clone(), refresh_token: a.refresh_token.clone() }
            }
            (Scenario::Me, Some(a)) => Task::Me { bearer: a.access_token.clone() },
            (Scenario::RevokedToken, Some(a)) => {
                Target { client: client.clone(), base: base.clone() }.logout(a).await?;
                Task::Revoked { bearer: a.access_token.clone() }
            }
            (_, None) => return Err("internal: fewer users than workers".to_owned()),
        };
        let target = Target { client: client.clone(), base: base.clone() };
        workers.spawn(target.run_worker(task, window, Duration::ZERO));
    }
    let probe = if args.scenario == Scenario::LiveUnderLogin {
        // Its own client, hence its own connection: it never waits behind a login.
        let target = Target { client: build_client(timeout, 1)?, base: base.clone() };
        let pause = Duration::from_millis(args.probe_interval_ms);
        Some(tokio::spawn(target.run_worker(Task::Live, window, pause)))
    } else {
        None
    };

    // Every request is bounded by the client timeout, so this only guards against a bug.
    let hard_deadline = window.end + timeout + Duration::from_secs(5);
    let mut merged = Stats::default();
    loop {
        match tokio::time::timeout_at(hard_deadline.into(), workers.join_next()).await {
            Ok(Some(Ok(stats))) => merged.merge(stats),
            Ok(Some(Err(error))) => return Err(format!("a worker failed: {error}")),
            Ok(None) => break,
            Err(_) => return Err("workers did not stop by the deadline".to_owned()),
        }
    }
    let main_name = if args.scenario == Scenario::LiveUnderLogin { "login" } else { args.scenario.name() };
    let mut reports = vec![Report::from_stats(main_name, args.concurrency, merged, window)];
    if let Some(probe) = probe {
        match tokio::time::timeout_at(hard_deadline.into(), probe).await {
            Ok(Ok(stats)) => reports.push(Report::from_stats("live_probe", 1, stats, window)),
            Ok(Err(error)) => return Err(format!("the probe failed: {error}")),
            Err(_) => return Err("the probe did not stop by the deadline".to_owned()),
        }
    }
    Ok(reports)
}

fn main() -> ExitCode {
    let args = Args::parse();
    // reqwest's rustls features are unified with authdb-agent's in a workspace build
    // (reqwest then needs a process default crypto provider): ring, as the server uses.
    rustls::crypto::ring::default_provider().install_default().ok();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("authdb-loadgen: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    if args.scenario == Scenario::ScanImport {
        return scan_import(&runtime, &args);
    }
    if matches!(args.scenario, Scenario::WsConnect | Scenario::WsFanout) {
        return websocket(&runtime, &args);
    }
    let reports = match runtime.block_on(run(&args)) {
        Ok(reports) => reports,
        Err(error) => {
            eprintln!("authdb-loadgen: {error}");
            return ExitCode::FAILURE;
        }
    };

    let mut header = format!(
        "scenario {} against {}: concurrency {}, {} s measured after {} s warm-up",
        args.scenario.name(),
        args.base_url,
        args.concurrency,
        args.duration_secs,
        args.warmup_secs
    );
    if args.scenario == Scenario::LiveUnderLogin {
        let _ = write!(header, ", probe every {} ms", args.probe_interval_ms);
    }
    let summary: Vec<String> = std::iter::once(header).chain(reports.iter().map(Report::human)).collect();
    if args.json {
        eprintln!("{}", summary.join("\n"));
        let line = json!({
            "scenario": args.scenario.name(),
            "base_url": args.base_url,
            "concurrency": args.concurrency,
            "duration_secs": args.duration_secs,
            "warmup_secs": args.warmup_secs,
            "probe_interval_ms": (args.scenario == Scenario::LiveUnderLogin).then_some(args.probe_interval_ms),
            "results": reports.iter().map(Report::to_json).collect::<Vec<_>>(),
        });
        println!("{line}");
    } else {
        println!("{}", summary.join("\n"));
    }
    ExitCode::SUCCESS
}

/// Runs `scan-import` and prints its figures (one JSON line with `--json`).
fn scan_import(runtime: &tokio::runtime::Runtime, args: &Args) -> ExitCode {
    let base = args.base_url.trim_end_matches('/');
    let client = match build_client(Duration::from_secs(args.timeout_secs), usize::MAX) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("authdb-loadgen: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (Ok(hosts), Ok(services)) = (usize::try_from(args.hosts), usize::try_from(args.services_per_host)) else {
        eprintln!("authdb-loadgen: --hosts is too large");
        return ExitCode::FAILURE;
    };
    let run = inventory::scan_import(&client, base, args.format, hosts, services, args.rounds, args.server_pid);
    match runtime.block_on(run) {
        Ok(figures) => {
            if args.json {
                println!("{figures}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("authdb-loadgen: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `ws-connect` or `ws-fanout` and prints its figures (one JSON line with `--json`,
/// indented JSON otherwise).
fn websocket(runtime: &tokio::runtime::Runtime, args: &Args) -> ExitCode {
    let base = args.base_url.trim_end_matches('/');
    let timeout = Duration::from_secs(args.timeout_secs);
    let client = match build_client(timeout, 256) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("authdb-loadgen: {error}");
            return ExitCode::FAILURE;
        }
    };
    let as_usize = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
    let run = async {
        if args.scenario == Scenario::WsConnect {
            let sockets = as_usize(args.sockets);
            let users = if args.users == 0 { sockets } else { as_usize(args.users) };
            let plan = ws::ConnectPlan {
                sockets,
                users,
                parallelism: args.concurrency as usize,
                hold: Duration::from_secs(args.hold_secs),
                timeout,
                server_pid: args.server_pid,
            };
            ws::connect(&client, base, plan).await
        } else {
            let plan = ws::FanoutPlan {
                members: as_usize(args.members),
                rate: args.rate,
                warmup: Duration::from_secs(args.warmup_secs),
                duration: Duration::from_secs(args.duration_secs),
                message_bytes: as_usize(args.message_bytes),
                timeout,
                server_pid: args.server_pid,
            };
            ws::fanout(&client, base, plan).await
        }
    };
    match runtime.block_on(run) {
        Ok(figures) => {
            if args.json {
                println!("{figures}");
            } else {
                println!("{figures:#}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("authdb-loadgen: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let samples: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&samples, 50.0), 50);
        assert_eq!(percentile(&samples, 90.0), 90);
        assert_eq!(percentile(&samples, 99.0), 99);
        assert_eq!(percentile(&samples, 100.0), 100);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 99.0), 0);
    }

    #[test]
    fn transport_errors_have_no_latency() {
        let mut stats = Stats::default();
        stats.record(Duration::from_millis(3), &Outcome::Ok);
        stats.record(Duration::from_millis(4), &Outcome::Status(StatusCode::UNAUTHORIZED));
        stats.record(Duration::from_millis(5), &Outcome::Transport("connect"));
        assert_eq!(stats.requests, 3);
        assert_eq!(stats.successes, 1);
        assert_eq!(stats.latencies_us, vec![3000, 4000]);
        assert_eq!(stats.errors.get("401"), Some(&1));
        assert_eq!(stats.errors.get("connect"), Some(&1));
    }

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        let vectors =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("foobar", "Zm9vYmFy")];
        for (plain, encoded) in vectors {
            assert_eq!(base64_of(plain.as_bytes()), encoded);
        }
        assert_eq!(base64_of(&[0xff, 0xfe]), "//4=");
    }

    #[test]
    fn cli_parses_the_documented_invocation() {
        let args = Args::try_parse_from([
            "authdb-loadgen",
            "--base-url",
            "http://127.0.0.1:8080",
            "--scenario",
            "mixed",
            "--concurrency",
            "8",
            "--duration-secs",
            "15",
            "--warmup-secs",
            "2",
            "--json",
        ]);
        let args = args.expect("parses");
        assert_eq!(args.scenario, Scenario::LiveUnderLogin);
        assert_eq!(args.concurrency, 8);
        assert!(args.json);
        assert!(Args::try_parse_from(["authdb-loadgen", "--scenario", "me", "--concurrency", "0"]).is_err());
    }
}
