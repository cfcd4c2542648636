//! Access rules of a network: entries of its allow and deny lists.

use authdb_domain::AccessRule;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pagination::list_schema;

/// A rule to add to a network's allow or deny list.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateAccessRuleRequest {
    /// `allow` or `deny`.
    #[schema(example = "deny")]
    pub(crate) list: String,
    /// An IP address, a CIDR block or a MAC address (any usual notation); stored in
    /// canonical form, a `/32` or `/128` block as its address.
    #[schema(example = "203.0.113.7")]
    pub(crate) target: String,
    /// At most 500 characters.
    #[serde(default)]
    pub(crate) comment: Option<String>,
    /// RFC 3339, in the future; the expiry sweep removes the rule after it.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub(crate) expires_at: Option<OffsetDateTime>,
}

/// An entry of a network's allow or deny list.
#[derive(Serialize, ToSchema)]
pub(crate) struct AccessRuleResponse {
    pub(crate) id: Uuid,
    pub(crate) network_id: Uuid,
    /// `allow` or `deny`.
    pub(crate) list: &'static str,
    /// Canonical form: `10.0.0.1`, `2001:db8::/32`, `aa:bb:cc:dd:ee:ff`.
    pub(crate) target: String,
    /// `ip`, `cidr` or `mac`.
    pub(crate) target_kind: &'static str,
    pub(crate) comment: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) expires_at: Option<OffsetDateTime>,
    /// `applied` (confirmed by the network's agent), `recorded` (the network has no agent:
    /// stored only) or `expired` (removed by the expiry sweep).
    pub(crate) status: &'static str,
    pub(crate) created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) updated_at: OffsetDateTime,
}

impl From<AccessRule> for AccessRuleResponse {
    fn from(rule: AccessRule) -> Self {
        Self {
            id: rule.id.as_uuid(),
            network_id: rule.network_id.as_uuid(),
            list: rule.list.as_str(),
            target: rule.target.to_string(),
            target_kind: rule.target.kind(),
            comment: rule.comment,
            expires_at: rule.expires_at,
            status: rule.status.as_str(),
            created_by: rule.created_by.map(|user| user.as_uuid()),
            created_at: rule.created_at,
            updated_at: rule.updated_at,
        }
    }
}

list_schema!(AccessRuleList, AccessRuleResponse);
