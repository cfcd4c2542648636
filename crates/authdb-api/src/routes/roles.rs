//! `/api/v1/organizations/{id}/roles`, `/api/v1/organizations/{id}/invitations` and
//! `/api/v1/invitations/accept`.

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::{Email, InvitationId, PermissionSet, Role, RoleId, RoleName, parse_description};
use authdb_service::{NewRole, OrganizationService, PendingInvitation, RoleUpdate};
use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    organizations::{OrganizationResponse, invalid},
    resource,
};
use crate::{
    ApiError, Authenticated, Client, DeferredJson, JsonBody, ListQuery,
    guard::{RequirePermission, path_uuid, perm},
    pagination::{ListBody, PageParams, list_schema},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/organizations/{id}/roles").route(web::get().to(list_roles)).route(web::post().to(create_role)),
    )
    .service(
        resource("/organizations/{id}/roles/{role_id}")
            .route(web::get().to(get_role))
            .route(web::patch().to(update_role))
            .route(web::delete().to(delete_role)),
    )
    .service(
        resource("/organizations/{id}/invitations")
            .route(web::get().to(list_invitations))
            .route(web::post().to(create_invitation)),
    )
    .service(resource("/organizations/{id}/invitations/{invitation_id}").route(web::delete().to(revoke_invitation)))
    .service(resource("/invitations/accept").route(web::post().to(accept_invitation)));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list_roles,
        create_role,
        get_role,
        update_role,
        delete_role,
        list_invitations,
        create_invitation,
        revoke_invitation,
        accept_invitation
    ),
    components(schemas(
        RoleResponse,
        RoleList,
        CreateRoleRequest,
        UpdateRoleRequest,
        CreateInvitationRequest,
        InvitationResponse,
        InvitationList,
        AcceptInvitationRequest
    ))
)]
pub(crate) struct RolesApi;

// ----- DTOs ------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub(crate) struct RoleResponse {
    id: Uuid,
    name: String,
    description: Option<String>,
    /// Permission names from the catalogue, e.g. `members:read`.
    permissions: Vec<&'static str>,
    /// One of the four built-in roles (`owner`, `admin`, `member`, `viewer`).
    built_in: bool,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

impl From<Role> for RoleResponse {
    fn from(role: Role) -> Self {
        Self {
            id: role.id.as_uuid(),
            built_in: role.organization_id.is_none(),
            name: role.name,
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
    name: String,
    #[serde(default)]
    description: Option<String>,
    /// Permission names from the catalogue; an unknown one is a 422.
    permissions: Vec<String>,
}

/// An absent field is left alone; `description: null` clears it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateRoleRequest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    description: Option<Option<String>>,
    #[serde(default)]
    permissions: Option<Vec<String>>,
}

fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateInvitationRequest {
    email: String,
    /// A role name.
    role: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct InvitationResponse {
    id: Uuid,
    organization_id: Uuid,
    email: String,
    role: String,
    invited_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    /// The single-use token, only in the answer to its creation: hand it to the invitee.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

impl InvitationResponse {
    fn new(pending: PendingInvitation, token: Option<String>) -> Self {
        let invitation = pending.invitation;
        Self {
            id: invitation.id.as_uuid(),
            organization_id: invitation.organization_id.as_uuid(),
            email: invitation.email,
            role: pending.role,
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
    token: String,
}

// ----- handlers --------------------------------------------------------------------

/// The roles usable in the organization: the built-in ones, then its custom roles.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/roles",
    tag = "roles",
    params(("id" = Uuid, Path, description = "Organization id"), PageParams),
    responses(
        (status = 200, description = "One page of roles", body = RoleList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks org:read", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 422, description = "Invalid limit or offset", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_roles(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::OrgRead>,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let listed = organizations.list_roles(&guard.member.membership, query.page).await?;
    Ok(HttpResponse::Ok().json(ListBody::from_paged(listed, RoleResponse::from)))
}

/// One role.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/roles/{role_id}",
    tag = "roles",
    params(("id" = Uuid, Path, description = "Organization id"), ("role_id" = Uuid, Path, description = "Role id")),
    responses(
        (status = 200, description = "The role", body = RoleResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks org:read", body = Problem),
        (status = 404, description = "No such organization or role, or not a member", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn get_role(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::OrgRead>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = RoleId::from_uuid(path_uuid(&req, "role_id")?);
    let role = organizations.get_role(&guard.member.membership, id).await?;
    Ok(HttpResponse::Ok().json(RoleResponse::from(role)))
}

/// Create a custom role (needs `roles:manage` and every permission it grants).
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/roles",
    tag = "roles",
    params(("id" = Uuid, Path, description = "Organization id")),
    request_body = CreateRoleRequest,
    responses(
        (status = 201, description = "Created", body = RoleResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Lacking roles:manage or a permission the role grants", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 409, description = "The name is taken in this organization", body = Problem),
        (status = 422, description = "Invalid name or unknown permission", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn create_role(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::RolesManage>,
    client: Client,
    body: DeferredJson<CreateRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_result()?;
    let name = RoleName::parse_custom(&request.name, "name");
    let description = request.description.as_deref().map(|d| parse_description(d, "description")).transpose();
    let permissions = PermissionSet::parse_names(&request.permissions, "permissions");
    let new = match (name, description, permissions) {
        (Ok(name), Ok(description), Ok(permissions)) => NewRole { name, description, permissions },
        (name, description, permissions) => return Err(invalid([name.err(), description.err(), permissions.err()])),
    };
    let role = organizations.create_role(&guard.member.membership, new, &client.0).await?;
    Ok(HttpResponse::Created().json(RoleResponse::from(role)))
}

/// Change a custom role (needs `roles:manage` and every permission involved); its
/// members' rights change on their next request.
#[utoipa::path(
    patch,
    path = "/api/v1/organizations/{id}/roles/{role_id}",
    tag = "roles",
    params(("id" = Uuid, Path, description = "Organization id"), ("role_id" = Uuid, Path, description = "Role id")),
    request_body = UpdateRoleRequest,
    responses(
        (status = 200, description = "The updated role", body = RoleResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Lacking roles:manage or a permission involved, or a built-in role", body = Problem),
        (status = 404, description = "No such organization or role, or not a member", body = Problem),
        (status = 409, description = "The name is taken in this organization", body = Problem),
        (status = 422, description = "Invalid name or unknown permission", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn update_role(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::RolesManage>,
    req: HttpRequest,
    client: Client,
    body: DeferredJson<UpdateRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = RoleId::from_uuid(path_uuid(&req, "role_id")?);
    let request = body.into_result()?;
    let name = request.name.as_deref().map(|name| RoleName::parse_custom(name, "name")).transpose();
    let description = request
        .description
        .map(|description| description.as_deref().map(|d| parse_description(d, "description")).transpose())
        .transpose();
    let permissions =
        request.permissions.as_deref().map(|names| PermissionSet::parse_names(names, "permissions")).transpose();
    let update = match (name, description, permissions) {
        (Ok(name), Ok(description), Ok(permissions)) => RoleUpdate { name, description, permissions },
        (name, description, permissions) => return Err(invalid([name.err(), description.err(), permissions.err()])),
    };
    let role = organizations.update_role(&guard.member.membership, id, update, &client.0).await?;
    Ok(HttpResponse::Ok().json(RoleResponse::from(role)))
}

/// Delete a custom role that no member holds and no pending invitation offers.
#[utoipa::path(
    delete,
    path = "/api/v1/organizations/{id}/roles/{role_id}",
    tag = "roles",
    params(("id" = Uuid, Path, description = "Organization id"), ("role_id" = Uuid, Path, description = "Role id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Lacking roles:manage, or a built-in role", body = Problem),
        (status = 404, description = "No such organization or role, or not a member", body = Problem),
        (status = 409, description = "The role is in use", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn delete_role(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::RolesManage>,
    req: HttpRequest,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    let id = RoleId::from_uuid(path_uuid(&req, "role_id")?);
    organizations.delete_role(&guard.member.membership, id, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

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
/// The answer carries the single-use token, shown only here.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/invitations",
    tag = "invitations",
    params(("id" = Uuid, Path, description = "Organization id")),
    request_body = CreateInvitationRequest,
    responses(
        (status = 201, description = "Created, with its token", body = InvitationResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Lacking members:manage or a permission of the role", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 409, description = "That user is already a member", body = Problem),
        (status = 422, description = "Invalid email or unknown role", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn create_invitation(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::MembersManage>,
    client: Client,
    body: DeferredJson<CreateInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_result()?;
    let (email, role) = match (Email::parse(&request.email), RoleName::parse(&request.role, "role")) {
        (Ok(email), Ok(role)) => (email, role),
        (email, role) => return Err(invalid([email.err(), role.err()])),
    };
    let issued = organizations.invite(&guard.member.membership, email, &role, &client.0).await?;
    let token = issued.token.into_string();
    let pending = PendingInvitation { invitation: issued.invitation, role: issued.role };
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(InvitationResponse::new(pending, Some(token))))
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

/// Accept an invitation sent to the caller's email address: the caller becomes a member.
#[utoipa::path(
    post,
    path = "/api/v1/invitations/accept",
    tag = "invitations",
    request_body = AcceptInvitationRequest,
    responses(
        (status = 200, description = "The organization joined, with the caller's role", body = OrganizationResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The invitation was sent to another address", body = Problem),
        (status = 404, description = "Unknown, expired or already used token", body = Problem),
        (status = 409, description = "Already a member", body = Problem),
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
        return Err(invalid([Some(authdb_domain::Violation::new("token", "must be 1 to 512 bytes"))]));
    }
    let joined = organizations.accept_invitation(&caller.0, &token, &client.0).await?;
    Ok(HttpResponse::Ok().json(OrganizationResponse::new(joined.organization, Some(joined.role))))
}
