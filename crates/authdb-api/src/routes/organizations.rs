//! `/api/v1/organizations` and `/api/v1/organizations/{id}/members`.

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::{
    DomainError, Email, LicenseChanges, Member, MemberSortKey, NewOrganization, Organization, OrganizationChanges,
    OrganizationName, OrganizationWithRole, RoleName, Slug, UserId, Violation, parse_description, parse_settings,
};
use authdb_service::{MemberRef, OrganizationService};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::resource;
use crate::{
    ApiError, Authenticated, Client, DeferredJson, ListQuery,
    guard::{OrgMember, RequirePermission, path_uuid, perm},
    pagination::{ListBody, PageParams, SearchParams, list_schema},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/organizations").route(web::get().to(list_organizations)).route(web::post().to(create_organization)),
    )
    .service(
        resource("/organizations/{id}")
            .route(web::get().to(get_organization))
            .route(web::patch().to(update_organization))
            .route(web::delete().to(delete_organization)),
    )
    .service(
        resource("/organizations/{id}/members").route(web::get().to(list_members)).route(web::post().to(add_member)),
    )
    .service(
        resource("/organizations/{id}/members/{user_id}")
            .route(web::patch().to(update_member))
            .route(web::delete().to(remove_member)),
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        create_organization,
        list_organizations,
        get_organization,
        update_organization,
        delete_organization,
        list_members,
        add_member,
        update_member,
        remove_member
    ),
    components(schemas(
        CreateOrganizationRequest,
        UpdateOrganizationRequest,
        OrganizationResponse,
        OrganizationList,
        MemberResponse,
        MemberList,
        AddMemberRequest,
        UpdateMemberRequest
    ))
)]
pub(crate) struct OrganizationsApi;

// ----- DTOs ------------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateOrganizationRequest {
    name: String,
    /// 3-63 of lower-case letters, digits and inner hyphens; unique.
    slug: String,
    #[serde(default)]
    description: Option<String>,
    /// A JSON object of at most 16 KiB.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
    /// Superusers only.
    #[serde(default)]
    license_key: Option<String>,
    /// Superusers only.
    #[serde(default, with = "time::serde::rfc3339::option")]
    license_expires_at: Option<OffsetDateTime>,
    /// Superusers only.
    #[serde(default)]
    max_assets: Option<i32>,
}

/// An absent field is left alone; `null` clears a nullable one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateOrganizationRequest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    description: Option<Option<String>>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
    #[serde(default)]
    is_active: Option<bool>,
    /// Superusers only.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    license_key: Option<Option<String>>,
    /// Superusers only.
    #[serde(default, deserialize_with = "present_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    license_expires_at: Option<Option<OffsetDateTime>>,
    /// Superusers only.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    max_assets: Option<Option<i32>>,
}

fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

fn present_time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<OffsetDateTime>>, D::Error> {
    time::serde::rfc3339::option::deserialize(deserializer).map(Some)
}

#[derive(Serialize, ToSchema)]
pub(crate) struct OrganizationResponse {
    id: Uuid,
    name: String,
    slug: String,
    description: Option<String>,
    license_key: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    license_expires_at: Option<OffsetDateTime>,
    max_assets: Option<i32>,
    #[schema(value_type = Object)]
    settings: Value,
    is_active: bool,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    /// The caller's role in the organization (in the caller's own lists and on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<String>,
}

impl OrganizationResponse {
    pub(crate) fn new(organization: Organization, role: Option<String>) -> Self {
        Self {
            id: organization.id.as_uuid(),
            name: organization.name,
            slug: organization.slug,
            description: organization.description,
            license_key: organization.license_key,
            license_expires_at: organization.license_expires_at,
            max_assets: organization.max_assets,
            settings: organization.settings,
            is_active: organization.is_active,
            created_at: organization.created_at,
            updated_at: organization.updated_at,
            role,
        }
    }

    fn with_role(organization: OrganizationWithRole) -> Self {
        Self::new(organization.organization, Some(organization.role))
    }
}

list_schema!(OrganizationList, OrganizationResponse);

#[derive(Serialize, ToSchema)]
pub(crate) struct MemberResponse {
    user_id: Uuid,
    email: String,
    username: String,
    full_name: Option<String>,
    /// The role's name.
    role: String,
    #[serde(with = "time::serde::rfc3339")]
    joined_at: OffsetDateTime,
}

impl From<Member> for MemberResponse {
    fn from(member: Member) -> Self {
        Self {
            user_id: member.user_id.as_uuid(),
            email: member.email,
            username: member.username,
            full_name: member.full_name,
            role: member.role,
            joined_at: member.joined_at,
        }
    }
}

list_schema!(MemberList, MemberResponse);

/// Names an existing user by `email` or by `user_id` (exactly one).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddMemberRequest {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    user_id: Option<Uuid>,
    /// A role name: `owner`, `admin`, `member`, `viewer` or a custom role.
    role: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateMemberRequest {
    role: String,
}

pub(crate) fn invalid(violations: impl IntoIterator<Item = Option<Violation>>) -> ApiError {
    match DomainError::collect(violations) {
        Err(error) => ApiError::Service(error.into()),
        Ok(()) => ApiError::BadRequest("invalid request".into()),
    }
}

fn license(
    license_key: Option<Option<String>>,
    license_expires_at: Option<Option<OffsetDateTime>>,
    max_assets: Option<Option<i32>>,
) -> Result<LicenseChanges, Violation> {
    if let Some(Some(key)) = &license_key
        && (key.is_empty() || key.len() > 255)
    {
        return Err(Violation::new("license_key", "must be 1 to 255 characters long"));
    }
    if let Some(Some(max)) = max_assets
        && max < 0
    {
        return Err(Violation::new("max_assets", "must be at least 0"));
    }
    Ok(LicenseChanges { license_key, license_expires_at, max_assets })
}

// ----- handlers --------------------------------------------------------------------

/// Create an organization; the caller becomes its owner.
#[utoipa::path(
    post,
    path = "/api/v1/organizations",
    tag = "organizations",
    request_body = CreateOrganizationRequest,
    responses(
        (status = 201, description = "Created; the caller is its owner", body = OrganizationResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "License fields set by a non-superuser", body = Problem),
        (status = 409, description = "The slug is taken", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn create_organization(
    organizations: web::Data<OrganizationService>,
    caller: Authenticated,
    client: Client,
    body: DeferredJson<CreateOrganizationRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_result()?;
    let name = OrganizationName::parse(&request.name);
    let slug = Slug::parse(&request.slug);
    let description = request.description.as_deref().map(|d| parse_description(d, "description")).transpose();
    let settings = request.settings.map(parse_settings).transpose();
    let license =
        license(request.license_key.map(Some), request.license_expires_at.map(Some), request.max_assets.map(Some));
    let new = match (name, slug, description, settings, license) {
        (Ok(name), Ok(slug), Ok(description), Ok(settings), Ok(license)) => NewOrganization {
            name,
            slug,
            description,
            settings: settings.unwrap_or_else(|| serde_json::json!({})),
            license,
        },
        (name, slug, description, settings, license) => {
            return Err(invalid([name.err(), slug.err(), description.err(), settings.err(), license.err()]));
        }
    };
    let created = organizations.create(&caller.0, new, &client.0).await?;
    Ok(HttpResponse::Created().json(OrganizationResponse::with_role(created)))
}

/// The caller's organizations, with their role in each, oldest membership first.
#[utoipa::path(
    get,
    path = "/api/v1/organizations",
    tag = "organizations",
    params(PageParams),
    responses(
        (status = 200, description = "One page of the caller's organizations", body = OrganizationList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 422, description = "Invalid limit or offset", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_organizations(
    organizations: web::Data<OrganizationService>,
    caller: Authenticated,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let listed = organizations.list_mine(&caller.0, query.page).await?;
    Ok(HttpResponse::Ok().json(ListBody::from_paged(listed, OrganizationResponse::with_role)))
}

/// One organization (needs `org:read`).
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}",
    tag = "organizations",
    params(("id" = Uuid, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The organization", body = OrganizationResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks org:read", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn get_organization(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::OrgRead>,
) -> Result<HttpResponse, ApiError> {
    let membership = guard.member.membership;
    let organization = organizations.get(&membership).await?;
    Ok(HttpResponse::Ok().json(OrganizationResponse::new(organization, Some(membership.role().name.clone()))))
}

/// Change an organization (needs `org:update`; license fields need a superuser).
#[utoipa::path(
    patch,
    path = "/api/v1/organizations/{id}",
    tag = "organizations",
    params(("id" = Uuid, Path, description = "Organization id")),
    request_body = UpdateOrganizationRequest,
    responses(
        (status = 200, description = "The updated organization", body = OrganizationResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks org:update, or license fields without superuser", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 409, description = "The slug is taken", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn update_organization(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::OrgUpdate>,
    client: Client,
    body: DeferredJson<UpdateOrganizationRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_result()?;
    let name = request.name.as_deref().map(OrganizationName::parse).transpose();
    let slug = request.slug.as_deref().map(Slug::parse).transpose();
    let description = request
        .description
        .map(|description| description.as_deref().map(|d| parse_description(d, "description")).transpose())
        .transpose();
    let settings = request.settings.map(parse_settings).transpose();
    let license = license(request.license_key, request.license_expires_at, request.max_assets);
    let changes = match (name, slug, description, settings, license) {
        (Ok(name), Ok(slug), Ok(description), Ok(settings), Ok(license)) => {
            OrganizationChanges { name, slug, description, settings, is_active: request.is_active, license }
        }
        (name, slug, description, settings, license) => {
            return Err(invalid([name.err(), slug.err(), description.err(), settings.err(), license.err()]));
        }
    };
    let member = guard.member;
    let organization = organizations.update(&member.principal, &member.membership, changes, &client.0).await?;
    Ok(HttpResponse::Ok().json(OrganizationResponse::new(organization, Some(member.membership.role().name.clone()))))
}

/// Delete an organization with its memberships, custom roles and invitations (owners only).
#[utoipa::path(
    delete,
    path = "/api/v1/organizations/{id}",
    tag = "organizations",
    params(("id" = Uuid, Path, description = "Organization id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not an owner", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn delete_organization(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::OrgDelete>,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    organizations.delete(&guard.member.membership, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The organization's members (needs `members:read`). `q` searches email and username;
/// `sort` is `joined_at` (default), `email` or `username`, `-` for descending.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/members",
    tag = "members",
    params(("id" = Uuid, Path, description = "Organization id"), SearchParams),
    responses(
        (status = 200, description = "One page of members", body = MemberList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks members:read", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 422, description = "Invalid limit, offset, q or sort", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_members(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::MembersRead>,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let search = query.search()?;
    let sort = query.sort::<MemberSortKey>()?;
    let listed = organizations.list_members(&guard.member.membership, search.as_deref(), sort, query.page).await?;
    Ok(HttpResponse::Ok().json(ListBody::from_paged(listed, MemberResponse::from)))
}

/// Add an existing user as a member (needs `members:manage`, and every permission of the role).
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/members",
    tag = "members",
    params(("id" = Uuid, Path, description = "Organization id")),
    request_body = AddMemberRequest,
    responses(
        (status = 201, description = "Added", body = MemberResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Lacking members:manage or a permission of the role", body = Problem),
        (status = 404, description = "No such organization or user, or not a member", body = Problem),
        (status = 409, description = "Already a member", body = Problem),
        (status = 422, description = "Invalid fields or unknown role", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn add_member(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::MembersManage>,
    client: Client,
    body: DeferredJson<AddMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_result()?;
    let who = match (request.email.as_deref(), request.user_id) {
        (Some(email), None) => Email::parse(email).map(MemberRef::Email),
        (None, Some(id)) => Ok(MemberRef::Id(UserId::from_uuid(id))),
        _ => Err(Violation::new("email", "send exactly one of email and user_id")),
    };
    let role = RoleName::parse(&request.role, "role");
    let (who, role) = match (who, role) {
        (Ok(who), Ok(role)) => (who, role),
        (who, role) => return Err(invalid([who.err(), role.err()])),
    };
    let member = organizations.add_member(&guard.member.membership, who, &role, &client.0).await?;
    Ok(HttpResponse::Created().json(MemberResponse::from(member)))
}

/// Give a member another role (needs `members:manage`; the last owner cannot be demoted).
#[utoipa::path(
    patch,
    path = "/api/v1/organizations/{id}/members/{user_id}",
    tag = "members",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("user_id" = Uuid, Path, description = "The member's user id")
    ),
    request_body = UpdateMemberRequest,
    responses(
        (status = 200, description = "The member with the new role", body = MemberResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Lacking members:manage or a permission involved", body = Problem),
        (status = 404, description = "No such organization or member, or not a member", body = Problem),
        (status = 409, description = "The last owner cannot be demoted", body = Problem),
        (status = 422, description = "Invalid or unknown role", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn update_member(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::MembersManage>,
    req: HttpRequest,
    client: Client,
    body: DeferredJson<UpdateMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = UserId::from_uuid(path_uuid(&req, "user_id")?);
    let request = body.into_result()?;
    let role = RoleName::parse(&request.role, "role").map_err(|violation| invalid([Some(violation)]))?;
    let membership = &guard.member.membership;
    let member = organizations.change_member_role(membership, user, &role, &client.0).await?;
    Ok(HttpResponse::Ok().json(MemberResponse::from(member)))
}

/// Remove a member (needs `members:manage`, except to remove oneself; the last owner cannot leave).
#[utoipa::path(
    delete,
    path = "/api/v1/organizations/{id}/members/{user_id}",
    tag = "members",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("user_id" = Uuid, Path, description = "The member's user id")
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Lacking members:manage or a permission the member holds", body = Problem),
        (status = 404, description = "No such organization or member, or not a member", body = Problem),
        (status = 409, description = "The last owner cannot be removed", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn remove_member(
    organizations: web::Data<OrganizationService>,
    guard: OrgMember,
    req: HttpRequest,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    let user = UserId::from_uuid(path_uuid(&req, "user_id")?);
    organizations.remove_member(&guard.membership, user, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
