//! Networks of an organization.

use authdb_domain::Network;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pagination::list_schema;

/// A network. Its agent token is never shown: only whether one is set.
#[derive(Serialize, ToSchema)]
pub(crate) struct NetworkResponse {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) site: Option<String>,
    /// CIDR blocks in canonical form, e.g. `10.0.0.0/8`, `2001:db8::/32`.
    pub(crate) cidrs: Vec<String>,
    /// The network's agent (its commands server), if any.
    pub(crate) agent_url: Option<String>,
    /// Whether an agent token is stored (the token itself is write-only).
    pub(crate) has_agent_token: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) updated_at: OffsetDateTime,
}

impl From<Network> for NetworkResponse {
    fn from(network: Network) -> Self {
        Self {
            id: network.id.as_uuid(),
            name: network.name.as_str().to_owned(),
            description: network.description,
            site: network.site,
            cidrs: network.cidrs.iter().map(ToString::to_string).collect(),
            agent_url: network.agent_url.map(|url| url.as_str().to_owned()),
            has_agent_token: network.has_agent_token,
            created_at: network.created_at,
            updated_at: network.updated_at,
        }
    }
}

list_schema!(NetworkList, NetworkResponse);

/// No `Debug`: the body carries the agent token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateNetworkRequest {
    /// 1-100 characters, unique in the organization.
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) site: Option<String>,
    /// CIDR blocks without host bits (`10.1.0.0/16`); at most 64.
    #[serde(default)]
    pub(crate) cidrs: Vec<String>,
    /// An http:// or https:// URL.
    #[serde(default)]
    pub(crate) agent_url: Option<String>,
    /// Sent to the agent as `Authorization: Bearer`; write-only.
    #[serde(default)]
    #[schema(write_only)]
    pub(crate) agent_token: Option<String>,
}

/// An absent field is left alone; `null` clears a nullable one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateNetworkRequest {
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) name: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) description: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) site: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) cidrs: Option<Vec<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) agent_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>, write_only)]
    pub(crate) agent_token: Option<Option<String>>,
}

/// What deleting a network did.
#[derive(Serialize, ToSchema)]
pub(crate) struct NetworkDeleted {
    /// How many assets were deleted with it (`cascade=true`).
    pub(crate) assets_deleted: u64,
}
