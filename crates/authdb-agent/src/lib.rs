//! The HTTP client for router agents (each network's commands server), behind
//! `authdb_service::RouterAgent`. The binary builds one [`HttpRouterAgent`] from
//! `inventory.agent_timeout_ms`; nothing else links this crate.
//!
//! The wire contract (docs/api.md, "Router agents"):
//! - `POST /blacklist {sessionId, routerId, ip}` and `DELETE /blacklist {...}` for deny
//!   rules, `POST /whitelist {sessionId, routerId, target}` and `DELETE /whitelist {...}`
//!   for allow rules; `GET /scan?sessionId=..&routerId=..` for a scan;
//! - `Authorization: Bearer <agent_token>` when the network has a token;
//! - answers `{"success": bool, "data": ..., "error": {"code", "message"}}`.
//!
//! Retries: a GET is tried again twice (after 100 ms, then 200 ms by default) when the
//! agent cannot be reached or answers a 5xx; a write only when the connection was never
//! made (the request cannot have reached the agent). Every attempt has the timeout.
//! TLS is rustls on ring with the bundled web roots; no OpenSSL.

use std::{fmt, time::Duration};

use authdb_domain::{RuleList, RuleTarget};
use authdb_service::{AgentCall, AgentError, AgentFuture, RouterAgent};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

/// Attempts after the first one, for a GET (and for a write whose connection failed).
const RETRIES: u32 = 2;
/// The most characters of an agent's error message passed on.
const MAX_MESSAGE_CHARS: usize = 500;

/// How the client behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentClientConfig {
    /// How long one attempt may take, from connecting to the last byte of the answer.
    pub timeout: Duration,
    /// The wait before the first retry; it doubles for the next.
    pub retry_backoff: Duration,
    /// The largest answer read (a scan can be large); over it the answer is refused.
    pub max_answer_bytes: usize,
}

impl Default for AgentClientConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_millis(5000),
            retry_backoff: Duration::from_millis(100),
            max_answer_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the router agent client: {0}")]
pub struct AgentSetupError(String);

/// The router agent client over HTTP(S).
pub struct HttpRouterAgent {
    client: reqwest::Client,
    config: AgentClientConfig,
}

impl fmt::Debug for HttpRouterAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRouterAgent").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Installs rustls' ring provider as the process default, once (later calls do nothing).
///
/// This crate turns on reqwest's `rustls-no-provider` feature, and cargo unifies features:
/// every reqwest client built in a process that links this crate (or in a workspace build
/// with it) then needs a process default provider unless, like this crate's, it brings its
/// own TLS configuration. [`HttpRouterAgent::new`] calls this; other clients built before
/// it (tests, tools) call it first.
pub fn install_crypto_provider() {
    // An error only says a default is installed already: nothing to do.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl HttpRouterAgent {
    pub fn new(config: AgentClientConfig) -> Result<Self, AgentSetupError> {
        install_crypto_provider();
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| AgentSetupError(error.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            // An agent is configured by URL; a redirect elsewhere would carry the token.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("authdb/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| AgentSetupError(error.to_string()))?;
        Ok(Self { client, config })
    }

    /// Sends one operation, with the retries its method allows, and answers the agent's
    /// `data`.
    async fn exchange(
        &self,
        call: &AgentCall,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, AgentError> {
        let url = endpoint_url(call, path, body.is_none())?;
        let is_get = method == Method::GET;
        let mut attempt = 0;
        loop {
            let mut request = self.client.request(method.clone(), url.clone());
            if let Some(token) = &call.endpoint.token {
                request = request.bearer_auth(token.expose());
            }
            if let Some(body) = &body {
                request = request.json(body);
            }
            let retry = attempt < RETRIES;
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) => {
                    let never_sent = error.is_connect() && !error.is_timeout();
                    if retry && (never_sent || (is_get && !error.is_timeout())) {
                        self.back_off(attempt).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(self.unreachable(error));
                }
            };
            let status = response.status();
            if retry && is_get && status.is_server_error() {
                self.back_off(attempt).await;
                attempt += 1;
                continue;
            }
            let body = match self.read(response).await {
                Ok(body) => body,
                Err(error) => return Err(error),
            };
            return answer(status, &body);
        }
    }

    async fn back_off(&self, attempt: u32) {
        tokio::time::sleep(self.config.retry_backoff.saturating_mul(1 << attempt)).await;
    }

    fn unreachable(&self, error: reqwest::Error) -> AgentError {
        if error.is_timeout() {
            AgentError::Unavailable(format!("no answer within {} ms", self.config.timeout.as_millis()))
        } else if error.is_connect() {
            AgentError::Unavailable("cannot connect to the agent".into())
        } else {
            AgentError::Unavailable(format!("the request failed: {}", error.without_url()))
        }
    }

    /// The answer's bytes, at most `max_answer_bytes` of them.
    async fn read(&self, mut response: reqwest::Response) -> Result<Vec<u8>, AgentError> {
        let limit = self.config.max_answer_bytes;
        if response.content_length().is_some_and(|length| length > limit as u64) {
            return Err(AgentError::BadAnswer(format!("the answer is over {limit} bytes")));
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(AgentError::BadAnswer(format!("the answer is over {limit} bytes")));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(error) => return Err(self.unreachable(error)),
            }
        }
    }
}

/// The agent's URL with `path` appended, and for a GET the call's identifiers in the
/// query.
fn endpoint_url(call: &AgentCall, path: &str, in_query: bool) -> Result<reqwest::Url, AgentError> {
    let mut url = reqwest::Url::parse(call.endpoint.url.as_str())
        .map_err(|error| AgentError::Unavailable(format!("the agent URL does not parse: {error}")))?;
    url.path_segments_mut()
        .map_err(|()| AgentError::Unavailable("the agent URL cannot take a path".into()))?
        .pop_if_empty()
        .push(path);
    if in_query {
        let mut query = url.query_pairs_mut();
        if let Some(session) = call.session {
            query.append_pair("sessionId", &session.to_string());
        }
        query.append_pair("routerId", &call.router.to_string());
    }
    Ok(url)
}

/// The body of a POST or DELETE: the call's identifiers and the operation's fields.
fn write_body(call: &AgentCall, list: RuleList, target: RuleTarget) -> Value {
    let mut body = json!({ "sessionId": call.session, "routerId": call.router });
    let key = match list {
        RuleList::Deny => "ip",
        RuleList::Allow => "target",
    };
    body[key] = Value::String(target.to_string());
    body
}

fn list_path(list: RuleList) -> &'static str {
    match list {
        RuleList::Deny => "blacklist",
        RuleList::Allow => "whitelist",
    }
}

#[derive(Deserialize)]
struct Envelope {
    success: bool,
    #[serde(default)]
    data: Value,
    #[serde(default)]
    error: Option<ErrorBody>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    message: Option<String>,
}

/// Reads an answer document: `success: true` with a 2xx is the data, `success: false` a
/// refusal (whatever the status), anything else not understood (or, on a 5xx,
/// unavailable).
fn answer(status: StatusCode, body: &[u8]) -> Result<Value, AgentError> {
    match serde_json::from_slice::<Envelope>(body) {
        Ok(envelope) if envelope.success && status.is_success() => Ok(envelope.data),
        Ok(envelope) if !envelope.success => {
            let error = envelope.error.unwrap_or(ErrorBody { code: None, message: None });
            let code = error.code.map(|code| match code {
                Value::String(text) => clean(&text),
                other => clean(&other.to_string()),
            });
            let message = error
                .message
                .map(|message| clean(&message))
                .filter(|message| !message.is_empty())
                .unwrap_or_else(|| "the agent gave no reason".into());
            Err(AgentError::Refused { code, message })
        }
        Ok(_) => Err(AgentError::BadAnswer(format!("HTTP {} with success: true", status.as_u16()))),
        Err(_) if status.is_server_error() => {
            Err(AgentError::Unavailable(format!("the agent answered HTTP {}", status.as_u16())))
        }
        Err(error) => {
            Err(AgentError::BadAnswer(format!("HTTP {} without an answer document ({error})", status.as_u16())))
        }
    }
}

/// An agent's text as passed on: no control characters, at most [`MAX_MESSAGE_CHARS`].
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(MAX_MESSAGE_CHARS).collect::<String>().trim().to_owned()
}

impl RouterAgent for HttpRouterAgent {
    fn add<'a>(&'a self, call: &'a AgentCall, list: RuleList, target: RuleTarget) -> AgentFuture<'a, ()> {
        Box::pin(async move {
            self.exchange(call, Method::POST, list_path(list), Some(write_body(call, list, target))).await.map(|_| ())
        })
    }

    fn remove<'a>(&'a self, call: &'a AgentCall, list: RuleList, target: RuleTarget) -> AgentFuture<'a, ()> {
        Box::pin(async move {
            self.exchange(call, Method::DELETE, list_path(list), Some(write_body(call, list, target))).await.map(|_| ())
        })
    }

    fn scan<'a>(&'a self, call: &'a AgentCall) -> AgentFuture<'a, Value> {
        Box::pin(async move { self.exchange(call, Method::GET, "scan", None).await })
    }
}

#[cfg(test)]
mod tests;
