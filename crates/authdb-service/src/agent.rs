//! The router agent port: what the inventory asks of a network's agent (its commands
//! server), and nothing of how. The HTTP client lives in the `authdb-agent` crate and the
//! binary wires it; an embedding service may plug in its own.
//!
//! The contract every implementation keeps (docs/api.md, "Router agents"): each request
//! carries `sessionId` (the caller's session) and `routerId` (the network id), in the
//! JSON body of a POST or DELETE and in the query of a GET, and `Authorization: Bearer
//! <agent_token>` when the network has a token. Answers are `{"success", "data",
//! "error": {"code", "message"}}`.

use std::{fmt, future::Future, pin::Pin};

use authdb_domain::{AgentEndpoint, NetworkId, RuleList, RuleTarget, SessionId};
use serde_json::Value;

/// One request to a network's agent: where it goes, and on whose behalf.
#[derive(Debug, Clone)]
pub struct AgentCall {
    pub endpoint: AgentEndpoint,
    /// The network (the agent's `routerId`).
    pub router: NetworkId,
    /// The caller's session (the agent's `sessionId`); `None` for the expiry sweep, which
    /// acts for nobody (sent as `null`).
    pub session: Option<SessionId>,
}

/// Why the agent did not do what was asked; the difference decides the answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    /// The agent answered `success: false`: it will not do it (502, with its message).
    #[error("the agent refused: {message}")]
    Refused { code: Option<String>, message: String },
    /// The agent could not be reached, did not answer within the timeout, or answered a
    /// server error without an answer document (503; nothing changed here).
    #[error("the agent is unavailable: {0}")]
    Unavailable(String),
    /// The agent answered something that is not an answer document (502).
    #[error("the agent's answer is not understood: {0}")]
    BadAnswer(String),
}

/// The future a [`RouterAgent`] answers: boxed so the port can be used as `dyn`.
pub type AgentFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, AgentError>> + Send + 'a>>;

/// A client for networks' agents. Implementations never log or `Debug`-print the agent
/// token; adding a target already in a list and removing one that is not there are
/// expected to succeed (the agent's lists are sets), which is what makes the expiry sweep
/// and a retried write safe.
pub trait RouterAgent: Send + Sync + fmt::Debug {
    /// `POST /blacklist {ip}` for a deny rule, `POST /whitelist {target}` for an allow
    /// rule.
    fn add<'a>(&'a self, call: &'a AgentCall, list: RuleList, target: RuleTarget) -> AgentFuture<'a, ()>;

    /// `DELETE /blacklist {ip}` or `DELETE /whitelist {target}`.
    fn remove<'a>(&'a self, call: &'a AgentCall, list: RuleList, target: RuleTarget) -> AgentFuture<'a, ()>;

    /// `GET /scan`: the agent's `data`, an array of hosts in the JSON scan import format
    /// (checked by the caller like any import).
    fn scan<'a>(&'a self, call: &'a AgentCall) -> AgentFuture<'a, Value>;
}

/// The agent client of a process that talks to no agent: every call is unavailable. For
/// embedders without agents and for tests; the server wires `authdb-agent`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRouterAgent;

impl RouterAgent for NoRouterAgent {
    fn add<'a>(&'a self, _: &'a AgentCall, _: RuleList, _: RuleTarget) -> AgentFuture<'a, ()> {
        Box::pin(async { Err(AgentError::Unavailable("no router agent client is configured".into())) })
    }

    fn remove<'a>(&'a self, _: &'a AgentCall, _: RuleList, _: RuleTarget) -> AgentFuture<'a, ()> {
        Box::pin(async { Err(AgentError::Unavailable("no router agent client is configured".into())) })
    }

    fn scan<'a>(&'a self, _: &'a AgentCall) -> AgentFuture<'a, Value> {
        Box::pin(async { Err(AgentError::Unavailable("no router agent client is configured".into())) })
    }
}
