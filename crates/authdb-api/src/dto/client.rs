//! Service clients (OAuth2 client credentials), administered by superusers.

use authdb_domain::ServiceClient;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pagination::list_schema;

/// A new service client.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateClientRequest {
    /// 1-100 characters, for people (need not be unique).
    #[schema(example = "billing-service")]
    pub(crate) name: String,
    /// Scopes from the fixed catalogue, at least one: `revocations:read`. An unknown one
    /// is a 422 naming `scopes[i]`.
    #[schema(example = json!(["revocations:read"]))]
    pub(crate) scopes: Vec<String>,
}

/// A service client (never its secret).
#[derive(Serialize, ToSchema)]
pub(crate) struct ClientResponse {
    /// The `client_id` it authenticates with, and the `sub` of its tokens.
    pub(crate) client_id: Uuid,
    pub(crate) name: String,
    #[schema(example = json!(["revocations:read"]))]
    pub(crate) scopes: Vec<&'static str>,
    /// The superuser who registered it; `null` once that account is gone.
    pub(crate) created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) updated_at: OffsetDateTime,
    /// When the current secret was made.
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) secret_created_at: OffsetDateTime,
    /// When it last obtained a token.
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) last_used_at: Option<OffsetDateTime>,
}

impl From<ServiceClient> for ClientResponse {
    fn from(client: ServiceClient) -> Self {
        Self {
            client_id: client.id.as_uuid(),
            name: client.name.as_str().to_owned(),
            scopes: client.scopes.names(),
            created_by: client.created_by.map(|id| id.as_uuid()),
            created_at: client.created_at,
            updated_at: client.updated_at,
            secret_created_at: client.secret_created_at,
            last_used_at: client.last_used_at,
        }
    }
}

/// A service client with its secret: the answer to registering it or rotating its secret,
/// the only time the secret is ever shown. Sent with `Cache-Control: no-store`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ClientSecretResponse {
    #[serde(flatten)]
    pub(crate) client: ClientResponse,
    /// 256 random bits, base64url. Only its hash is stored: keep it now.
    pub(crate) client_secret: String,
}

list_schema!(ClientList, ClientResponse);
