//! `/api/v1/organizations/{id}/invitations` and `/api/v1/invitations/accept`.

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::{Email, InvitationId, RoleName, Violation};
use authdb_service::{AuthService, OrganizationService, PendingInvitation};

use crate::endpoint::{no_store, resource};
use crate::{
    ApiError, Authenticated, Client, DeferredJson, JsonBody, ListQuery,
    dto::{AcceptInvitationRequest, CreateInvitationRequest, InvitationList, InvitationResponse, OrganizationSummary},
    fields::invalid,
    guard::{RequirePermission, path_uuid, perm},
    pagination::{ListBody, PageParams},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/organizations/{id}/invitations")
            .route(web::get().to(list_invitations))
            .route(web::post().to(create_invitation)),
    )
    .service(resource("/organizations/{id}/invitations/{invitation_id}").route(web::delete().to(revoke_invitation)))
    .service(resource("/invitations/accept").route(web::post().to(accept_invitation)));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_invitations, create_invitation, revoke_invitation, accept_invitation),
    components(schemas(CreateInvitationRequest, InvitationResponse, InvitationList, AcceptInvitationRequest))
)]
pub(crate) struct InvitationsApi;

/// Pending invitations (needs `members:manage`).
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/invitations",
    tag = "invitations",
    params(("id" = Uuid, Path, description = "Organization id"), PageParams),
    responses(
        (status = 200, description = "One page of pending invitations (without tokens)", body = InvitationList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks members:manage", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 422, description = "Invalid limit or offset", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_invitations(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::MembersManage>,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let listed = organizations.list_invitations(&guard.member.membership, query.page).await?;
    Ok(HttpResponse::Ok().json(ListBody::from_paged(listed, |pending| InvitationResponse::new(pending, None))))
}

/// Invite someone by email (needs `members:manage` and every permission of the role).
/// The invitation is mailed to the invitee with its single-use accept link; the answer
/// carries the token too only when the server delivers no mail (`mail.transport = none`).
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/invitations",
    tag = "invitations",
    params(("id" = Uuid, Path, description = "Organization id")),
    request_body = CreateInvitationRequest,
    responses(
        (status = 201, description = "Created and mailed to the invitee (with its token only when `mail.transport = none`)", body = InvitationResponse),
        (status = 401, description = "Not signed in; or `/problems/step-up-required`: the role is or was `owner` and the session's authentication is too old, or single-factor for a user with a second factor (step up at POST /api/v1/auth/step-up)", body = Problem),
        (status = 403, description = "Lacking members:manage or the right to grant the role (only an owner invites an owner)", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 409, description = "That address belongs to a member", body = Problem),
        (status = 422, description = "Invalid email or unknown role", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn create_invitation(
    organizations: web::Data<OrganizationService>,
    auth: web::Data<AuthService>,
    guard: RequirePermission<perm::MembersManage>,
    client: Client,
    body: DeferredJson<CreateInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_result()?;
    let (email, role) = match (Email::parse(&request.email), RoleName::parse(&request.role, "role")) {
        (Ok(email), Ok(role)) => (email, role),
        (email, role) => return Err(invalid([email.err(), role.err()])),
    };
    let step_up = auth.step_up(&guard.member.principal);
    let issued = organizations.invite(&step_up, &guard.member.membership, email, &role, &client.0).await?;
    let token = issued.token.map(|token| token.into_string());
    let pending = PendingInvitation { invitation: issued.invitation, role: issued.role };
    Ok(no_store(HttpResponse::Created()).json(InvitationResponse::new(pending, token)))
}

/// Withdraw a pending invitation (needs `members:manage`).
#[utoipa::path(
    delete,
    path = "/api/v1/organizations/{id}/invitations/{invitation_id}",
    tag = "invitations",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("invitation_id" = Uuid, Path, description = "Invitation id")
    ),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks members:manage", body = Problem),
        (status = 404, description = "No such organization or pending invitation, or not a member", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn revoke_invitation(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::MembersManage>,
    req: HttpRequest,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    let id = InvitationId::from_uuid(path_uuid(&req, "invitation_id")?);
    organizations.revoke_invitation(&guard.member.membership, id, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Accept an invitation sent to the caller's email address: the caller becomes a member, and
/// the address is marked verified (the token came by mail to it). The
/// answer is the organization's id, name and slug with the caller's role. An invitation
/// whose inviter can no longer grant its role (removed, demoted) is revoked: 410.
#[utoipa::path(
    post,
    path = "/api/v1/invitations/accept",
    tag = "invitations",
    request_body = AcceptInvitationRequest,
    responses(
        (status = 200, description = "The organization joined, with the caller's role", body = OrganizationSummary),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The invitation was sent to another address, or the organization is suspended (`/problems/organization-suspended`)", body = Problem),
        (status = 404, description = "Unknown, expired or already used token", body = Problem),
        (status = 409, description = "Already a member", body = Problem),
        (status = 410, description = "Revoked: the inviter can no longer grant the role", body = Problem),
        (status = 422, description = "Missing token", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn accept_invitation(
    organizations: web::Data<OrganizationService>,
    caller: Authenticated,
    client: Client,
    body: JsonBody<AcceptInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body.into_inner().token;
    if token.is_empty() || token.len() > 512 {
        return Err(invalid([Some(Violation::new("token", "must be 1 to 512 bytes"))]));
    }
    let joined = organizations.accept_invitation(&caller.0, &token, &client.0).await?;
    Ok(HttpResponse::Ok().json(OrganizationSummary::from(joined)))
}
