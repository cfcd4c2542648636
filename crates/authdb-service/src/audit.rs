//! Audit events, built one way: who did what, to what, from where, with what outcome.

use std::fmt;

use authdb_domain::{
    AccessRuleId, AssetId, AssetServiceId, AuditAction, AuditOutcome, ChatId, ClientId, InvitationId, NetworkId,
    OrganizationId, PasskeyId, RoleId, ScanId, SessionId, UserId,
};
use authdb_persistence::audit::NewAuditEvent;
use serde_json::{Value, json};

use crate::ClientInfo;

/// What an event is about, stored as `kind:id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    User(UserId),
    Session(SessionId),
    Organization(OrganizationId),
    Role(RoleId),
    Invitation(InvitationId),
    Network(NetworkId),
    Asset(AssetId),
    Service(AssetServiceId),
    Scan(ScanId),
    AccessRule(AccessRuleId),
    Chat(ChatId),
    Client(ClientId),
    Passkey(PasskeyId),
    /// A login counter, by its key (`ip:<address>`).
    Counter(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(id) => write!(f, "user:{id}"),
            Self::Session(id) => write!(f, "session:{id}"),
            Self::Organization(id) => write!(f, "organization:{id}"),
            Self::Role(id) => write!(f, "role:{id}"),
            Self::Invitation(id) => write!(f, "invitation:{id}"),
            Self::Network(id) => write!(f, "network:{id}"),
            Self::Asset(id) => write!(f, "asset:{id}"),
            Self::Service(id) => write!(f, "service:{id}"),
            Self::Scan(id) => write!(f, "scan:{id}"),
            Self::AccessRule(id) => write!(f, "access_rule:{id}"),
            Self::Chat(id) => write!(f, "chat:{id}"),
            Self::Client(id) => write!(f, "client:{id}"),
            Self::Passkey(id) => write!(f, "passkey:{id}"),
            Self::Counter(key) => f.write_str(key),
        }
    }
}

/// An audit event about to be recorded (by `crate::write::Write::audit`, or by a
/// tenant write's commit).
#[derive(Debug, Clone)]
pub(crate) struct Audit(NewAuditEvent);

impl Audit {
    /// `actor` did `action` from `client`; the event is about the actor's own account
    /// until [`Audit::target`] says otherwise.
    pub(crate) fn new(action: AuditAction, outcome: AuditOutcome, actor: Option<UserId>, client: &ClientInfo) -> Self {
        Self(NewAuditEvent {
            actor,
            organization: None,
            action,
            target: actor.map(|id| Target::User(id).to_string()),
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            outcome,
            details: json!({}),
        })
    }

    pub(crate) fn success(action: AuditAction, actor: UserId, client: &ClientInfo) -> Self {
        Self::new(action, AuditOutcome::Success, Some(actor), client)
    }

    pub(crate) fn failure(action: AuditAction, actor: Option<UserId>, client: &ClientInfo) -> Self {
        Self::new(action, AuditOutcome::Failure, actor, client)
    }

    pub(crate) fn target(mut self, target: Target) -> Self {
        self.0.target = Some(target.to_string());
        self
    }

    pub(crate) fn organization(mut self, organization: OrganizationId) -> Self {
        self.0.organization = Some(organization);
        self
    }

    pub(crate) fn details(mut self, details: Value) -> Self {
        self.0.details = details;
        self
    }

    pub(crate) fn into_event(self) -> NewAuditEvent {
        self.0
    }
}
