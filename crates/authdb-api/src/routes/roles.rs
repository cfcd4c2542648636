//! `/api/v1/organizations/{id}/roles`: built-in and custom roles of an organization.

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::{PermissionSet, RoleId, RoleName, parse_description};
use authdb_service::{NewRole, OrganizationService, RoleUpdate};

use crate::endpoint::resource;
use crate::{
    ApiError, Client, DeferredJson, ListQuery,
    dto::{CreateRoleRequest, RoleList, RoleResponse, UpdateRoleRequest},
    fields::invalid,
    guard::{RequirePermission, path_uuid, perm},
    pagination::{ListBody, PageParams},
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
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_roles, create_role, get_role, update_role, delete_role),
    components(schemas(RoleResponse, RoleList, CreateRoleRequest, UpdateRoleRequest))
)]
pub(crate) struct RolesApi;

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
