//! Platform administration.

use serde::Deserialize;
use utoipa::ToSchema;

use super::UserResponse;
use crate::pagination::list_schema;

list_schema!(UserList, UserResponse);

/// Absent flags are left alone.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdminUpdateUserRequest {
    /// `false` deactivates the account: its sessions are revoked at once and its logins
    /// answer 403.
    #[serde(default)]
    pub(crate) is_active: Option<bool>,
    #[serde(default)]
    pub(crate) is_verified: Option<bool>,
    #[serde(default)]
    pub(crate) is_superuser: Option<bool>,
}
