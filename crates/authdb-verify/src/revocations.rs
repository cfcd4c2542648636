//! Following authdb's revocation stream: the client token, the SSE connection with its
//! reconnection and backoff, the bounded set of revoked sessions, and the lag report.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;

use crate::sse::{Item, Parser};

/// Where and as whom a [`crate::Verifier`] follows authdb's revocations.
#[derive(Clone)]
pub struct RevocationConfig {
    /// authdb's token endpoint, e.g. `https://auth.example.com/api/v1/auth/token`.
    pub token_url: String,
    /// authdb's revocation stream, e.g. `https://auth.example.com/api/v1/revocations/stream`.
    pub stream_url: String,
    /// The service client's id (`POST /api/v1/admin/clients` with `revocations:read`).
    pub client_id: String,
    /// The service client's secret.
    pub client_secret: String,
    /// How long a revoked session is remembered: authdb's access-token lifetime
    /// (`auth.access_ttl_secs`) plus the clock leeway, after which its tokens are expired
    /// anyway. Too short lets a revoked token through at the end of its life.
    pub retention: Duration,
    /// The first wait before reconnecting after a failure; it doubles up to
    /// [`Self::max_backoff`] and starts over after a connection succeeds.
    pub min_backoff: Duration,
    /// The longest wait between two reconnection attempts.
    pub max_backoff: Duration,
    /// How long an open stream may stay silent (authdb sends a heartbeat every 15 s)
    /// before it is taken for dead and reopened.
    pub idle_timeout: Duration,
}

impl RevocationConfig {
    /// Follows the authdb at `base_url` (e.g. `https://auth.example.com`) as the given
    /// client; retention 15 min + 60 s (authdb's defaults plus margin), backoff from
    /// 250 ms to 30 s, idle timeout 45 s.
    pub fn new(base_url: &str, client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        let base = base_url.trim_end_matches('/');
        Self {
            token_url: format!("{base}/api/v1/auth/token"),
            stream_url: format!("{base}/api/v1/revocations/stream"),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            retention: Duration::from_secs(15 * 60 + 60),
            min_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(45),
        }
    }
}

impl std::fmt::Debug for RevocationConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationConfig")
            .field("token_url", &self.token_url)
            .field("stream_url", &self.stream_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("retention", &self.retention)
            .field("min_backoff", &self.min_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

/// How current the revocation set is ([`crate::Verifier::health`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The stream is open: a revocation on authdb reaches this process within
    /// milliseconds.
    pub connected: bool,
    /// When the last revocation event arrived (not a heartbeat).
    pub last_event_at: Option<SystemTime>,
    /// The id of the last event received; a reconnection resumes after it.
    pub last_event_id: Option<String>,
    /// Since when the set may be missing revocations: the stream is not open (never was,
    /// or was lost then). `None` while connected.
    pub behind_since: Option<SystemTime>,
    /// The sessions remembered as revoked.
    pub revoked_sessions: usize,
    /// Why the last connection attempt or stream failed, if it did.
    pub last_error: Option<String>,
}

/// The state shared by the follower task and every verifier clone.
pub(crate) struct Revocations {
    state: Mutex<State>,
    retention: Duration,
}

struct State {
    /// Session id -> when this process learnt of its revocation.
    revoked: HashMap<String, Instant>,
    last_pruned: Instant,
    health: Health,
}

/// How often the revoked set drops entries older than the retention.
const PRUNE_EVERY: Duration = Duration::from_secs(10);

impl Revocations {
    pub(crate) fn new(retention: Duration) -> Self {
        let health = Health {
            connected: false,
            last_event_at: None,
            last_event_id: None,
            behind_since: Some(SystemTime::now()),
            revoked_sessions: 0,
            last_error: None,
        };
        Self { state: Mutex::new(State { revoked: HashMap::new(), last_pruned: Instant::now(), health }), retention }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn is_revoked(&self, sid: &str) -> bool {
        let state = self.lock();
        state.revoked.get(sid).is_some_and(|at| at.elapsed() < self.retention)
    }

    pub(crate) fn health(&self) -> Health {
        let state = self.lock();
        Health { revoked_sessions: state.revoked.len(), ..state.health.clone() }
    }

    fn revoke(&self, sid: String, event_id: Option<String>) {
        let mut state = self.lock();
        let now = Instant::now();
        state.revoked.insert(sid, now);
        if now.duration_since(state.last_pruned) >= PRUNE_EVERY {
            state.last_pruned = now;
            let retention = self.retention;
            state.revoked.retain(|_, at| now.duration_since(*at) < retention);
        }
        state.health.last_event_at = Some(SystemTime::now());
        if event_id.is_some() {
            state.health.last_event_id = event_id;
        }
        metrics::counter!("authdb_verify_revocation_events_total").increment(1);
        metrics::gauge!("authdb_verify_revoked_sessions").set(state.revoked.len() as f64);
    }

    fn last_event_id(&self) -> Option<String> {
        self.lock().health.last_event_id.clone()
    }

    fn connected(&self) {
        let mut state = self.lock();
        state.health.connected = true;
        state.health.behind_since = None;
        state.health.last_error = None;
        metrics::gauge!("authdb_verify_revocations_connected").set(1.0);
        metrics::gauge!("authdb_verify_revocations_behind_since_seconds").set(0.0);
    }

    fn disconnected(&self, error: Option<String>) {
        let mut state = self.lock();
        if state.health.connected || state.health.behind_since.is_none() {
            state.health.behind_since = Some(SystemTime::now());
        }
        state.health.connected = false;
        if error.is_some() {
            state.health.last_error = error;
        }
        let since = state.health.behind_since.and_then(|at| at.duration_since(SystemTime::UNIX_EPOCH).ok());
        metrics::gauge!("authdb_verify_revocations_connected").set(0.0);
        metrics::gauge!("authdb_verify_revocations_behind_since_seconds")
            .set(since.map_or(0.0, |since| since.as_secs_f64()));
    }
}

/// A stream that ends sooner than this after it opened counts as a failure.
const MIN_STREAM_LIFE: Duration = Duration::from_secs(1);

/// Aborts the follower task when the last verifier clone holding it is dropped.
pub(crate) struct FollowerTask(pub(crate) tokio::task::JoinHandle<()>);

impl Drop for FollowerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A client token and when to replace it.
struct ClientToken {
    token: String,
    renew_at: Instant,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

#[derive(Deserialize)]
struct RevocationData {
    session_id: String,
}

/// Why one connection ended.
enum Ended {
    /// The client token is due for renewal, or authdb closed the stream (at the token's
    /// expiry): reconnect at once.
    Renew,
    /// Something failed: reconnect after a backoff (at least `retry_after`).
    Failed { error: String, retry_after: Option<Duration> },
}

/// Follows the stream until the task is aborted.
pub(crate) async fn follow(config: RevocationConfig, http: reqwest::Client, revocations: Arc<Revocations>) {
    let mut backoff = config.min_backoff;
    let mut token: Option<ClientToken> = None;
    let mut server_retry: Option<Duration> = None;
    loop {
        let ended = connection(&config, &http, &revocations, &mut token, &mut server_retry).await;
        match ended {
            Ended::Renew => {
                revocations.disconnected(None);
                backoff = config.min_backoff;
            }
            Ended::Failed { error, retry_after } => {
                revocations.disconnected(Some(error));
                metrics::counter!("authdb_verify_revocation_reconnects_total").increment(1);
                let wait = jitter(backoff).max(retry_after.unwrap_or_default()).max(server_retry.unwrap_or_default());
                tokio::time::sleep(wait).await;
                backoff = (backoff * 2).min(config.max_backoff);
            }
        }
    }
}

/// `wait` plus up to a quarter more, so that many services do not reconnect in step.
fn jitter(wait: Duration) -> Duration {
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    wait + wait.mul_f64(f64::from(nanos % 1000) / 4000.0)
}

/// One connection: a valid client token, the stream opened with `Last-Event-ID`, events
/// read until it ends, fails, goes silent or the token is due.
async fn connection(
    config: &RevocationConfig,
    http: &reqwest::Client,
    revocations: &Revocations,
    token: &mut Option<ClientToken>,
    server_retry: &mut Option<Duration>,
) -> Ended {
    if token.as_ref().is_none_or(|t| Instant::now() >= t.renew_at) {
        match client_token(config, http).await {
            Ok(fresh) => *token = Some(fresh),
            Err(ended) => return ended,
        }
    }
    let Some(ClientToken { token: bearer, renew_at }) = token.as_ref() else {
        return Ended::Renew;
    };
    let mut request = http.get(&config.stream_url).bearer_auth(bearer).header("accept", "text/event-stream");
    if let Some(id) = revocations.last_event_id() {
        request = request.header("last-event-id", id);
    }
    let mut response = match tokio::time::timeout(config.idle_timeout, request.send()).await {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => return failed(format!("connecting to the revocation stream: {error}")),
        Err(_) => return failed("connecting to the revocation stream timed out".into()),
    };
    let status = response.status();
    if !status.is_success() {
        if status == reqwest::StatusCode::UNAUTHORIZED {
            // The token was refused (the client deleted, the keys rotated): get another.
            *token = None;
        }
        return Ended::Failed {
            error: format!("the revocation stream answered {status}"),
            retry_after: retry_after(&response),
        };
    }
    revocations.connected();
    let opened = Instant::now();
    let renew_at = tokio::time::Instant::from_std(*renew_at);
    let mut parser = Parser::default();
    let mut items = Vec::new();
    loop {
        let chunk = tokio::select! {
            chunk = tokio::time::timeout(config.idle_timeout, response.chunk()) => chunk,
            () = tokio::time::sleep_until(renew_at) => return Ended::Renew,
        };
        let bytes = match chunk {
            Ok(Ok(Some(bytes))) => bytes,
            // authdb ends a stream when the client token expires: renew it and go on. A
            // stream that ends at once (the database away, the client deleted) is a
            // failure, waited for like any other, so that it cannot make a busy loop.
            Ok(Ok(None)) if opened.elapsed() >= MIN_STREAM_LIFE => return Ended::Renew,
            Ok(Ok(None)) => {
                *token = None;
                return failed("the revocation stream ended at once".into());
            }
            Ok(Err(error)) => return failed(format!("reading the revocation stream: {error}")),
            Err(_) => return failed("the revocation stream went silent".into()),
        };
        parser.feed(&bytes, &mut items);
        for item in items.drain(..) {
            match item {
                Item::Event { event, data, id } if event == "revocation" => {
                    match serde_json::from_str::<RevocationData>(&data) {
                        Ok(data) => revocations.revoke(data.session_id, id),
                        Err(error) => return failed(format!("a revocation event was not understood: {error}")),
                    }
                }
                Item::Retry(wait) => *server_retry = Some(wait),
                Item::Event { .. } | Item::Comment(_) => {}
            }
        }
    }
}

fn failed(error: String) -> Ended {
    Ended::Failed { error, retry_after: None }
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?;
    value.trim().parse().ok().map(Duration::from_secs)
}

/// A client token by the client credentials grant (HTTP Basic client authentication),
/// renewed when four fifths of its lifetime have passed.
async fn client_token(config: &RevocationConfig, http: &reqwest::Client) -> Result<ClientToken, Ended> {
    let requested = Instant::now();
    let response = http
        .post(&config.token_url)
        .basic_auth(&config.client_id, Some(&config.client_secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .map_err(|error| failed(format!("requesting a client token: {error}")))?;
    let status = response.status();
    if !status.is_success() {
        let retry_after = retry_after(&response);
        let body = response.text().await.unwrap_or_default();
        let body: String = body.chars().take(200).collect();
        return Err(Ended::Failed { error: format!("the token endpoint answered {status}: {body}"), retry_after });
    }
    let answer: TokenAnswer =
        response.json().await.map_err(|error| failed(format!("the token endpoint's answer: {error}")))?;
    let lifetime = Duration::from_secs(answer.expires_in);
    Ok(ClientToken { token: answer.access_token, renew_at: requested + lifetime.mul_f64(0.8) })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests: a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn revoked_sessions_are_forgotten_after_the_retention() {
        let revocations = Revocations::new(Duration::from_millis(50));
        revocations.revoke("a".into(), Some("1".into()));
        assert!(revocations.is_revoked("a"));
        assert!(!revocations.is_revoked("b"));
        assert_eq!(revocations.last_event_id().as_deref(), Some("1"));
        std::thread::sleep(Duration::from_millis(60));
        assert!(!revocations.is_revoked("a"), "its tokens have expired by now");
        // The set itself is pruned on a later insert.
        revocations.lock().last_pruned -= PRUNE_EVERY;
        revocations.revoke("b".into(), None);
        assert_eq!(revocations.health().revoked_sessions, 1);
        assert_eq!(revocations.last_event_id().as_deref(), Some("1"), "an event without id keeps the last one");
    }

    #[test]
    fn health_says_since_when_the_set_is_behind() {
        let revocations = Revocations::new(Duration::from_secs(60));
        let initial = revocations.health();
        assert!(!initial.connected);
        assert!(initial.behind_since.is_some(), "behind until the first connection");
        revocations.connected();
        assert_eq!(revocations.health().behind_since, None);
        revocations.disconnected(Some("gone".into()));
        let lost = revocations.health();
        assert!(!lost.connected);
        let since = lost.behind_since.unwrap();
        assert_eq!(lost.last_error.as_deref(), Some("gone"));
        revocations.disconnected(Some("still gone".into()));
        assert_eq!(revocations.health().behind_since, Some(since), "behind since the first failure");
    }

    #[test]
    fn the_config_derives_authdb_urls_and_hides_the_secret() {
        let config = RevocationConfig::new("https://auth.example.com/", "id", "s3cret");
        assert_eq!(config.token_url, "https://auth.example.com/api/v1/auth/token");
        assert_eq!(config.stream_url, "https://auth.example.com/api/v1/revocations/stream");
        assert!(!format!("{config:?}").contains("s3cret"));
        let wait = jitter(Duration::from_millis(400));
        assert!(wait >= Duration::from_millis(400) && wait <= Duration::from_millis(500));
    }
}
