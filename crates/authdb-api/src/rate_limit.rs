//! Rate limits: per client IP on the unauthenticated auth routes, per user on the rest of
//! `/api/v1`. Counters live in memory (GCRA, `governor`) or, with a Redis URL, in Redis so
//! that every instance draws on one budget. A Redis that does not answer never fails a
//! request: the request is let through, a warning logged and a metric counted.
//!
//! Every limited response carries `RateLimit-Limit`, `RateLimit-Remaining`,
//! `RateLimit-Reset` (seconds) and `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers,
//! the separate-fields form); a refusal is a 429 problem with `Retry-After`.

use std::{
    collections::HashMap,
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use actix_web::{
    HttpMessage as _, HttpRequest, HttpResponse, ResponseError as _,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderMap, HeaderName, HeaderValue},
    middleware::Next,
    web,
};
use authdb_service::{AuthService, address_key};
use governor::{
    Quota,
    clock::{Clock as _, DefaultClock},
    middleware::StateInformationMiddleware,
    state::keyed::DefaultKeyedStateStore,
};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::{
    ApiError,
    client_ip::{RequestClientIp as _, TrustedProxies},
    extract::bearer_token,
};

/// Routes limited per client IP with the auth budget: everything that signs in or creates
/// credentials without a bearer token. A request matches when the route template the
/// router matches it to (see `route_of`) starts with an entry.
pub(crate) const IP_LIMITED_PATHS: &[&str] = &[
    "/api/v1/auth/register",
    "/api/v1/auth/login",
    "/api/v1/auth/passkeys/login",
    "/api/v1/auth/token",
    "/api/v1/auth/refresh",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/password/reset",
    "/api/v1/auth/password/forgot",
    "/api/v1/auth/verify-email",
    "/api/v1/auth/confirm-email-change",
];

/// Routes that take a service client's token: limited per client with the API budget.
pub(crate) const CLIENT_PATHS: &[&str] = &["/api/v1/revocations"];

/// How often a failing Redis is reported in the log (it is counted every time).
const WARN_EVERY_SECS: u64 = 10;
/// Memory limiters forget idle keys after this many checks.
const SWEEP_EVERY_CHECKS: u64 = 4096;

#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    pub enabled: bool,
    /// Requests per minute and client IP on the routes that sign in or create
    /// credentials without a bearer token (register, login, token, refresh, password
    /// reset).
    pub auth_per_minute: u32,
    /// Requests per minute and user on the rest of `/api/v1` (per IP without a valid token).
    pub api_per_minute: u32,
    /// Messages per minute a user may post in one chat (`messaging.posts_per_minute_per_user`),
    /// on top of the API budget.
    pub chat_posts_per_minute: u32,
    pub redis: Option<RedisConfig>,
}

#[derive(Clone)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port[/db]`.
    pub url: String,
    /// The longest a Redis round trip may take before the request is let through.
    pub timeout: Duration,
    /// Prepended to every key, so that several deployments can share one Redis.
    pub key_prefix: String,
}

impl std::fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &redact(&self.url))
            .field("timeout", &self.timeout)
            .field("key_prefix", &self.key_prefix)
            .finish()
    }
}

/// A Redis URL without its password.
fn redact(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}://***{}", &url[at..]),
        _ => url.to_owned(),
    }
}

/// Which budget a request draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    Auth,
    Api,
    /// Posts of one user in one chat.
    ChatPost,
}

impl Policy {
    fn name(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::Api => "api",
            Self::ChatPost => "chat_post",
        }
    }
}

/// The outcome of one check, with what the headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) allowed: bool,
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// Seconds until the budget is whole again.
    pub(crate) reset_secs: u64,
    /// Seconds until a refused request may succeed.
    pub(crate) retry_after_secs: u64,
}

/// The shared limiter; cheap to clone. Build it once per process, outside the per-worker
/// application factory, so that every worker draws on the same counters.
#[derive(Clone)]
pub struct RateLimiter {
    inner: Option<Arc<Inner>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").field("enabled", &self.inner.is_some()).finish_non_exhaustive()
    }
}

struct Inner {
    auth_limit: NonZeroU32,
    api_limit: NonZeroU32,
    chat_post_limit: NonZeroU32,
    store: Store,
    refused: RefusedAddresses,
}

/// Addresses whose API budget refused a request, until when. A request from one of them
/// whose bearer token was not verified recently is answered from its address's budget
/// without verifying the token: a forged token naming a known `kid` would otherwise cost
/// a signature verification (RS256: several times a whole 429) on every refused request.
/// In process memory only: it saves work, it decides nothing the budget did not.
#[derive(Default)]
struct RefusedAddresses(Mutex<HashMap<String, Instant>>);

/// Entries kept before the expired ones are swept.
const REFUSED_SWEEP_AT: usize = 10_000;

impl RefusedAddresses {
    fn refuse(&self, key: &str, for_secs: u64) {
        let now = Instant::now();
        let Ok(mut refused) = self.0.lock() else { return };
        if refused.len() >= REFUSED_SWEEP_AT {
            refused.retain(|_, until| *until > now);
        }
        refused.insert(key.to_owned(), now + Duration::from_secs(for_secs));
    }

    fn is_refused(&self, key: &str) -> bool {
        self.0.lock().is_ok_and(|refused| refused.get(key).is_some_and(|until| *until > Instant::now()))
    }
}

/// A keyed GCRA limiter that reports the remaining budget.
type KeyedLimiter =
    governor::RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

fn keyed(limit: NonZeroU32) -> KeyedLimiter {
    governor::RateLimiter::keyed(Quota::per_minute(limit)).with_middleware::<StateInformationMiddleware>()
}

// One store per process, behind an `Arc`: its size costs nothing, and boxing the memory
// limiters would add an indirection to every check.
#[allow(clippy::large_enum_variant, reason = "one per process, never moved after start")]
enum Store {
    Memory { auth: KeyedLimiter, api: KeyedLimiter, chat_post: KeyedLimiter, checks: AtomicU64 },
    Redis(RedisStore),
}

struct RedisStore {
    connection: ConnectionManager,
    script: redis::Script,
    timeout: Duration,
    prefix: String,
    last_warning: AtomicU64,
}

/// Fixed one-minute windows: the first hit in a window sets its expiry.
const WINDOW_SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
";
const WINDOW_MS: u64 = 60_000;

impl RateLimiter {
    /// A limiter that lets everything through and sends no headers.
    pub fn disabled() -> Self {
        Self { inner: None }
    }

    /// Builds the configured limiter. Redis is connected lazily: an unreachable Redis at
    /// start-up is handled like one that goes away later.
    pub fn new(config: &RateLimitConfig) -> Result<Self, String> {
        if !config.enabled {
            return Ok(Self::disabled());
        }
        let auth_limit = NonZeroU32::new(config.auth_per_minute).ok_or("auth_per_minute must be at least 1")?;
        let api_limit = NonZeroU32::new(config.api_per_minute).ok_or("api_per_minute must be at least 1")?;
        let chat_post_limit =
            NonZeroU32::new(config.chat_posts_per_minute).ok_or("chat_posts_per_minute must be at least 1")?;
        let store = match &config.redis {
            None => Store::Memory {
                auth: keyed(auth_limit),
                api: keyed(api_limit),
                chat_post: keyed(chat_post_limit),
                checks: AtomicU64::new(0),
            },
            Some(redis_config) => {
                let client = redis::Client::open(redis_config.url.as_str()).map_err(|error| error.to_string())?;
                let manager_config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(redis_config.timeout))
                    .set_response_timeout(Some(redis_config.timeout))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_millis(500));
                let connection = ConnectionManager::new_lazy_with_config(client, manager_config)
                    .map_err(|error| error.to_string())?;
                Store::Redis(RedisStore {
                    connection,
                    script: redis::Script::new(WINDOW_SCRIPT),
                    timeout: redis_config.timeout,
                    prefix: redis_config.key_prefix.clone(),
                    last_warning: AtomicU64::new(0),
                })
            }
        };
        Ok(Self {
            inner: Some(Arc::new(Inner {
                auth_limit,
                api_limit,
                chat_post_limit,
                store,
                refused: RefusedAddresses::default(),
            })),
        })
    }

    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Whether `key`'s API budget refused a request that is not over yet.
    fn is_refused(&self, key: &str) -> bool {
        self.inner.as_ref().is_some_and(|inner| inner.refused.is_refused(key))
    }

    /// Whether Redis answers a PING in time; `None` when no Redis is configured.
    pub(crate) async fn redis_up(&self) -> Option<bool> {
        let Store::Redis(store) = &self.inner.as_ref()?.store else { return None };
        let mut connection = store.connection.clone();
        let command = redis::cmd("PING");
        let ping = command.query_async::<String>(&mut connection);
        Some(matches!(tokio::time::timeout(store.timeout, ping).await, Ok(Ok(_))))
    }

    /// Counts one request against `key`'s budget. `None` means no limit applies: the
    /// limiter is disabled, or its store failed and the request is let through.
    pub(crate) async fn check(&self, policy: Policy, key: &str) -> Option<Decision> {
        let inner = self.inner.as_ref()?;
        let limit = match policy {
            Policy::Auth => inner.auth_limit,
            Policy::Api => inner.api_limit,
            Policy::ChatPost => inner.chat_post_limit,
        };
        match &inner.store {
            Store::Memory { auth, api, chat_post, checks } => {
                let limiter = match policy {
                    Policy::Auth => auth,
                    Policy::Api => api,
                    Policy::ChatPost => chat_post,
                };
                if checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY_CHECKS == SWEEP_EVERY_CHECKS - 1 {
                    limiter.retain_recent();
                    limiter.shrink_to_fit();
                }
                Some(memory_decision(limiter, limit, key))
            }
            Store::Redis(store) => store.check(policy, limit, key).await,
        }
    }
}

fn memory_decision(limiter: &KeyedLimiter, limit: NonZeroU32, key: &str) -> Decision {
    let limit = limit.get();
    // One token comes back every minute / limit.
    let per_token = 60.0 / f64::from(limit);
    match limiter.check_key(&key.to_owned()) {
        Ok(snapshot) => {
            let remaining = snapshot.remaining_burst_capacity();
            let reset_secs = (f64::from(limit - remaining.min(limit)) * per_token).ceil() as u64;
            Decision { allowed: true, limit, remaining, reset_secs, retry_after_secs: 0 }
        }
        Err(not_until) => {
            let wait = not_until.wait_time_from(limiter.clock().now());
            let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let reset_secs = (f64::from(limit) * per_token).ceil() as u64;
            Decision { allowed: false, limit, remaining: 0, reset_secs, retry_after_secs: retry_after_secs.max(1) }
        }
    }
}

impl RedisStore {
    async fn check(&self, policy: Policy, limit: NonZeroU32, key: &str) -> Option<Decision> {
        let window = now_ms() / WINDOW_MS;
        let redis_key = format!("{}{}:{}:{}", self.prefix, policy.name(), key, window);
        let mut connection = self.connection.clone();
        let mut invocation = self.script.key(redis_key);
        invocation.arg(WINDOW_MS);
        let counted = tokio::time::timeout(self.timeout, invocation.invoke_async::<(u64, i64)>(&mut connection)).await;
        let (count, ttl_ms) = match counted {
            Ok(Ok(answer)) => answer,
            Ok(Err(error)) => return self.fail_open(&error.to_string()),
            Err(_) => return self.fail_open("no answer within the timeout"),
        };
        let limit = limit.get();
        let reset_secs = u64::try_from(ttl_ms).unwrap_or(0).div_ceil(1000).max(1);
        let allowed = count <= u64::from(limit);
        let remaining = u32::try_from(u64::from(limit).saturating_sub(count)).unwrap_or(0);
        let retry_after_secs = if allowed { 0 } else { reset_secs };
        Some(Decision { allowed, limit, remaining, reset_secs, retry_after_secs })
    }

    /// Lets the request through: a limiter outage must not become an auth outage.
    fn fail_open(&self, error: &str) -> Option<Decision> {
        metrics::counter!("authdb_rate_limit_store_errors_total").increment(1);
        let now = now_ms() / 1000;
        let last = self.last_warning.load(Ordering::Relaxed);
        if now >= last + WARN_EVERY_SECS
            && self.last_warning.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
        {
            tracing::warn!(error, "rate limit store (Redis) failed; letting requests through without a limit");
        }
        None
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(0))
}

/// The budget and key of a request: the auth budget per client IP on the sign-in routes,
/// else the API budget per user (per client IP when the bearer token is missing or invalid).
/// A verified token is left in the request's extensions, where [`crate::Authenticated`]
/// takes it instead of verifying the token a second time.
///
/// A token not verified recently, from an address whose API budget is refusing, is not
/// verified at all: the request is keyed (and refused) by its address.
fn classify(req: &ServiceRequest, limiter: &RateLimiter) -> (Policy, String) {
    let ip = req
        .app_data::<web::Data<TrustedProxies>>()
        .map_or_else(|| req.peer_addr().map(|addr| addr.ip()), |proxies| proxies.client_ip_of(req.request()));
    // IPv6 clients by their /64, as the login lockout counts them: one host commonly
    // holds a whole /64, and would otherwise have 2^64 budgets.
    let ip_key = |ip: Option<IpAddr>| format!("ip:{}", address_key(ip.map(|ip| ip.to_string()).as_deref()));
    let route = route_of(req);
    if is_ip_limited(&route) {
        return (Policy::Auth, ip_key(ip));
    }
    let refused = || limiter.is_refused(&ip_key(ip));
    let verified = bearer_token(req.request()).and_then(|token| {
        let auth = req.app_data::<web::Data<AuthService>>()?;
        // One cache lookup: a token verified recently is answered from it, whatever the
        // address; any other is verified only while the address's budget is not refusing.
        match auth.recently_verified(token) {
            Some(verified) => Some(verified),
            None if refused() => None,
            None => auth.verify_signature(token).ok(),
        }
    });
    match verified {
        Some(verified) => {
            let key = format!("user:{}", verified.user_id());
            req.extensions_mut().insert(verified);
            (Policy::Api, key)
        }
        // A service client's token (only the client routes take one) is not a user's: its
        // budget is the client's, checked under the same rule for refusing addresses.
        None if is_client_route(&route) && !refused() => {
            let client = bearer_token(req.request())
                .and_then(|token| req.app_data::<web::Data<AuthService>>()?.client_of(token));
            match client {
                Some(client) => (Policy::Api, format!("client:{client}")),
                None => (Policy::Api, ip_key(ip)),
            }
        }
        None => (Policy::Api, ip_key(ip)),
    }
}

/// Whether a route template is one of [`IP_LIMITED_PATHS`]. An embedding service may
/// mount the API under a prefix of its own (`/auth/api/v1/auth/login`): the template is
/// compared from its `/api/v1/`, which this middleware's scope always has.
fn is_ip_limited(route: &str) -> bool {
    let route = route.find("/api/v1/").map_or(route, |at| &route[at..]);
    IP_LIMITED_PATHS.iter().any(|prefix| route.starts_with(prefix))
}

/// Whether a route template is one that takes a service client's token.
fn is_client_route(route: &str) -> bool {
    let route = route.find("/api/v1/").map_or(route, |at| &route[at..]);
    CLIENT_PATHS.iter().any(|prefix| route.starts_with(prefix))
}

/// What the router will match `req` to: the route template (`/api/v1/auth/register`), or
/// the decoded path when no route matches. Never the raw path: the router decodes
/// percent-escapes (`/api/v1/auth/regist%65r` is the register route), and a limiter that
/// compared raw paths would put such a request into another budget.
fn route_of(req: &ServiceRequest) -> String {
    let decoded = req.match_info().as_str();
    req.request().resource_map().match_pattern(decoded).unwrap_or_else(|| decoded.to_owned())
}

/// Middleware for the `/api/v1` scope.
pub(crate) async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // A disabled limiter must cost nothing: no key, and above all no token verification.
    let Some(limiter) =
        req.app_data::<web::Data<RateLimiter>>().map(|data| data.get_ref().clone()).filter(RateLimiter::is_enabled)
    else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let (policy, key) = classify(&req, &limiter);
    let Some(decision) = limiter.check(policy, &key).await else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if decision.allowed {
        let mut response = next.call(req).await?;
        // A route's own limit (a chat's posting limit) that refused the request reports
        // its own budget.
        if !response.headers().contains_key(HeaderName::from_static("ratelimit-policy")) {
            insert_headers(response.headers_mut(), &decision);
        }
        return Ok(response.map_into_left_body());
    }
    metrics::counter!("authdb_rate_limit_rejections_total", "policy" => policy.name()).increment(1);
    if policy == Policy::Api
        && key.starts_with("ip:")
        && let Some(inner) = &limiter.inner
    {
        inner.refused.refuse(&key, decision.retry_after_secs);
    }
    let mut response = ApiError::RateLimited { retry_after_secs: decision.retry_after_secs }.error_response();
    insert_headers(response.headers_mut(), &decision);
    Ok(req.into_response(response).map_into_right_body())
}

/// Counts one post of `user` in `chat` against the posting limit; a refusal is the 429
/// problem with `Retry-After` and the RateLimit headers of that limit. `None` lets the post
/// through (the limiter is disabled, or its store failed).
pub(crate) async fn refuse_chat_post(req: &HttpRequest, chat: uuid::Uuid, user: uuid::Uuid) -> Option<HttpResponse> {
    let limiter = req.app_data::<web::Data<RateLimiter>>()?;
    let decision = check_chat_post(limiter, chat, user).await?;
    let mut response = ApiError::RateLimited { retry_after_secs: decision.retry_after_secs }.error_response();
    insert_headers(response.headers_mut(), &decision);
    Some(response)
}

/// Counts one post of `user` in `chat`; answers the refusing decision, if any (the
/// realtime socket's `message.send` answers it as an `error` frame).
pub(crate) async fn check_chat_post(limiter: &RateLimiter, chat: uuid::Uuid, user: uuid::Uuid) -> Option<Decision> {
    let decision = limiter.check(Policy::ChatPost, &format!("chat:{chat}:user:{user}")).await?;
    if decision.allowed {
        return None;
    }
    metrics::counter!("authdb_rate_limit_rejections_total", "policy" => Policy::ChatPost.name()).increment(1);
    Some(decision)
}

fn insert_headers(headers: &mut HeaderMap, decision: &Decision) {
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("ratelimit-limit", decision.limit.to_string());
    set("ratelimit-remaining", decision.remaining.to_string());
    set("ratelimit-reset", decision.reset_secs.to_string());
    set("ratelimit-policy", format!("{};w=60", decision.limit));
}

#[cfg(test)]
mod tests;
