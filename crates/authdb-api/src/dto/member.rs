//! Members of an organization.

use authdb_domain::Member;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pagination::list_schema;

#[derive(Serialize, ToSchema)]
pub(crate) struct MemberResponse {
    pub(crate) user_id: Uuid,
    pub(crate) email: String,
    pub(crate) username: String,
    pub(crate) full_name: Option<String>,
    /// The role's name.
    pub(crate) role: String,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) joined_at: OffsetDateTime,
}

impl From<Member> for MemberResponse {
    fn from(member: Member) -> Self {
        Self {
            user_id: member.user_id.as_uuid(),
            email: member.email.into_inner(),
            username: member.username.into_inner(),
            full_name: member.full_name,
            role: member.role.into_inner(),
            joined_at: member.joined_at,
        }
    }
}

list_schema!(MemberList, MemberResponse);

/// Names the person to add by `email` (an invitation) or, for superusers only, an existing
/// user by `user_id` (added directly); exactly one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddMemberRequest {
    #[serde(default)]
    pub(crate) email: Option<String>,
    #[serde(default)]
    pub(crate) user_id: Option<Uuid>,
    /// A role name: `owner`, `admin`, `member`, `viewer` or a custom role.
    pub(crate) role: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateMemberRequest {
    pub(crate) role: String,
}
