//! Organizations.

use authdb_domain::{Organization, OrganizationWithRole, RoleName};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pagination::list_schema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateOrganizationRequest {
    pub(crate) name: String,
    /// 3-63 of lower-case letters, digits and inner hyphens; unique.
    pub(crate) slug: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    /// A JSON object of at most 16 KiB.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub(crate) settings: Option<Value>,
    /// Superusers only.
    #[serde(default)]
    pub(crate) license_key: Option<String>,
    /// Superusers only.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub(crate) license_expires_at: Option<OffsetDateTime>,
    /// Superusers only.
    #[serde(default)]
    pub(crate) max_assets: Option<i32>,
}

/// An absent field is left alone; `null` clears a nullable one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateOrganizationRequest {
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) name: Option<String>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) slug: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) description: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(value_type = Option<Object>, nullable = false)]
    pub(crate) settings: Option<Value>,
    #[serde(default, deserialize_with = "super::given")]
    #[schema(nullable = false)]
    pub(crate) is_active: Option<bool>,
    /// Superusers only.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub(crate) license_key: Option<Option<String>>,
    /// Superusers only.
    #[serde(default, deserialize_with = "super::present_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub(crate) license_expires_at: Option<Option<OffsetDateTime>>,
    /// Superusers only.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<i32>)]
    pub(crate) max_assets: Option<Option<i32>>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct OrganizationResponse {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) slug: String,
    pub(crate) description: Option<String>,
    pub(crate) license_key: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) license_expires_at: Option<OffsetDateTime>,
    pub(crate) max_assets: Option<i32>,
    #[schema(value_type = Object)]
    pub(crate) settings: Value,
    pub(crate) is_active: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) updated_at: OffsetDateTime,
    /// The caller's role in the organization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) role: Option<String>,
}

impl OrganizationResponse {
    pub(crate) fn new(organization: Organization, role: Option<RoleName>) -> Self {
        Self {
            id: organization.id.as_uuid(),
            name: organization.name,
            slug: organization.slug.into_inner(),
            description: organization.description,
            license_key: organization.license_key,
            license_expires_at: organization.license_expires_at,
            max_assets: organization.max_assets,
            settings: organization.settings,
            is_active: organization.is_active,
            created_at: organization.created_at,
            updated_at: organization.updated_at,
            role: role.map(RoleName::into_inner),
        }
    }

    pub(crate) fn with_role(organization: OrganizationWithRole) -> Self {
        Self::new(organization.organization, Some(organization.role))
    }
}

/// An organization as the caller's list and an accepted invitation show it: who it is and
/// the caller's role, nothing more. Its details (settings, license fields) need `org:read`
/// on `GET /organizations/{id}`.
#[derive(Serialize, ToSchema)]
pub(crate) struct OrganizationSummary {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) slug: String,
    /// The caller's role in the organization.
    pub(crate) role: String,
}

impl From<OrganizationWithRole> for OrganizationSummary {
    fn from(membership: OrganizationWithRole) -> Self {
        let organization = membership.organization;
        Self {
            id: organization.id.as_uuid(),
            name: organization.name,
            slug: organization.slug.into_inner(),
            role: membership.role.into_inner(),
        }
    }
}

list_schema!(OrganizationList, OrganizationSummary);

list_schema!(AdminOrganizationList, OrganizationResponse);
