//! Invitations to an organization.

use authdb_service::PendingInvitation;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pagination::list_schema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateInvitationRequest {
    pub(crate) email: String,
    /// A role name.
    pub(crate) role: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct InvitationResponse {
    pub(crate) id: Uuid,
    pub(crate) organization_id: Uuid,
    pub(crate) email: String,
    pub(crate) role: String,
    pub(crate) invited_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) expires_at: OffsetDateTime,
    /// The single-use token, only in the answer to its creation and only when the server
    /// delivers no mail (`mail.transport = none`): then hand it to the invitee. Otherwise
    /// it is mailed to the invitee alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) token: Option<String>,
}

impl InvitationResponse {
    pub(crate) fn new(pending: PendingInvitation, token: Option<String>) -> Self {
        let invitation = pending.invitation;
        Self {
            id: invitation.id.as_uuid(),
            organization_id: invitation.organization_id.as_uuid(),
            email: invitation.email.into_inner(),
            role: pending.role.into_inner(),
            invited_by: invitation.invited_by.map(|id| id.as_uuid()),
            created_at: invitation.created_at,
            expires_at: invitation.expires_at,
            token,
        }
    }
}

list_schema!(InvitationList, InvitationResponse);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AcceptInvitationRequest {
    pub(crate) token: String,
}
