//! The caller's own security events: a read of the audit log limited to the events the
//! caller is the actor of.

use authdb_domain::{AuditEventId, SessionId};
use authdb_persistence::audit::{self, AuditEvent};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::AuthService;
use crate::{Principal, Result};

/// Detail keys shown to the user. Everything else an event records stays in the audit
/// log: details may one day hold things only operators should see, so this is a list of
/// what is safe, not of what is not.
const SHOWN_DETAILS: [&str; 6] = ["reason", "scope", "failures", "retry_after_secs", "sessions", "sessions_revoked"];

/// One event in the caller's security log.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityEvent {
    pub id: AuditEventId,
    /// The stored action, such as `login.failed`.
    pub action: String,
    pub outcome: String,
    pub occurred_at: OffsetDateTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session the event is about, when it is about one.
    pub session_id: Option<SessionId>,
    /// The shown subset of the event's details (an object).
    pub details: Value,
}

/// A page of the caller's security events and how many there are in all.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityEvents {
    pub items: Vec<SecurityEvent>,
    pub total: u64,
}

impl AuthService {
    /// The caller's own audit events, newest first: `limit` of them from `offset`.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn security_events(&self, principal: &Principal, limit: u64, offset: u64) -> Result<SecurityEvents> {
        let (events, total) = audit::list_for_actor(self.inner.core.db(), principal.user.id, limit, offset).await?;
        Ok(SecurityEvents { items: events.into_iter().map(shown).collect(), total })
    }
}

fn shown(event: AuditEvent) -> SecurityEvent {
    let session_id = event
        .target
        .as_deref()
        .and_then(|target| target.strip_prefix("session:"))
        .and_then(|id| id.parse::<SessionId>().ok());
    let details = match event.details {
        Value::Object(all) => {
            all.into_iter().filter(|(key, _)| SHOWN_DETAILS.contains(&key.as_str())).collect::<Map<_, _>>()
        }
        _ => Map::new(),
    };
    SecurityEvent {
        id: event.id,
        action: event.action,
        outcome: event.outcome,
        occurred_at: event.occurred_at,
        ip: event.ip,
        user_agent: event.user_agent,
        session_id,
        details: Value::Object(details),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_safe_details_and_session_targets_are_shown() {
        let session = SessionId::new();
        let event = AuditEvent {
            id: AuditEventId::new(),
            action: "login.failed".into(),
            outcome: "failure".into(),
            target: Some(format!("session:{session}")),
            ip: Some("127.0.0.1".into()),
            user_agent: None,
            details: json!({ "reason": "invalid_credentials", "login": "x@example.com", "secret": "s" }),
            occurred_at: OffsetDateTime::UNIX_EPOCH,
        };

        let shown = shown(event);

        assert_eq!(shown.details, json!({ "reason": "invalid_credentials" }));
        assert_eq!(shown.session_id, Some(session));
        let user_target = AuditEvent { target: Some("user:abc".into()), details: json!(null), ..shown_source() };
        let shown = super::shown(user_target);
        assert_eq!((shown.session_id, shown.details), (None, json!({})));
    }

    fn shown_source() -> AuditEvent {
        AuditEvent {
            id: AuditEventId::new(),
            action: "user.registered".into(),
            outcome: "success".into(),
            target: None,
            ip: None,
            user_agent: None,
            details: json!({}),
            occurred_at: OffsetDateTime::UNIX_EPOCH,
        }
    }
}
