//! Roles of an organization.

use authdb_domain::Role;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pagination::list_schema;

#[derive(Serialize, ToSchema)]
pub(crate) struct RoleResponse {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    /// Permission names from the catalogue, e.g. `members:read`.
    pub(crate) permissions: Vec<&'static str>,
    /// One of the four built-in roles (`owner`, `admin`, `member`, `viewer`).
    pub(crate) built_in: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) updated_at: OffsetDateTime,
}

impl From<Role> for RoleResponse {
    fn from(role: Role) -> Self {
        Self {
            id: role.id.as_uuid(),
            built_in: role.organization_id.is_none(),
            name: role.name.into_inner(),
            description: role.description,
            permissions: role.permissions.names(),
            created_at: role.created_at,
            updated_at: role.updated_at,
        }
    }
}

list_schema!(RoleList, RoleResponse);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRoleRequest {
    /// 1-50 of a-z, 0-9, `_`, `-`, starting with a letter; not a built-in name.
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    /// Permission names from the catalogue; an unknown one is a 422.
    pub(crate) permissions: Vec<String>,
}

/// An absent field is left alone; `description: null` clears it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateRoleRequest {
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) name: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) description: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) permissions: Option<Vec<String>>,
}
