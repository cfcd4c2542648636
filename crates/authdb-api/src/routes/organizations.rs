//! `/api/v1/organizations` and `/api/v1/organizations/{id}`: the organizations themselves.

use actix_web::{HttpResponse, web};
use authdb_domain::{
    LicenseChanges, NewOrganization, OrganizationChanges, OrganizationName, Slug, parse_description, parse_settings,
};
use authdb_service::{AuthService, OrganizationService};

use crate::endpoint::resource;
use crate::{
    ApiError, Authenticated, Client, DeferredJson, ListQuery,
    dto::{
        CreateOrganizationRequest, OrganizationList, OrganizationResponse, OrganizationSummary,
        UpdateOrganizationRequest,
    },
    fields::invalid,
    guard::{RequirePermission, perm},
    pagination::{ListBody, PageParams},
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
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create_organization, list_organizations, get_organization, update_organization, delete_organization),
    components(schemas(
        CreateOrganizationRequest,
        UpdateOrganizationRequest,
        OrganizationResponse,
        OrganizationSummary,
        OrganizationList
    ))
)]
pub(crate) struct OrganizationsApi;

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
    let license = LicenseChanges::parse(
        request.license_key.map(Some),
        request.license_expires_at.map(Some),
        request.max_assets.map(Some),
    );
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

/// The caller's organizations, oldest membership first: id, name, slug and the caller's role
/// in each (the details need `org:read`, on `GET /organizations/{id}`). Suspended
/// organizations are listed too: their members can still read them.
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
    Ok(HttpResponse::Ok().json(ListBody::from_paged(listed, OrganizationSummary::from)))
}

/// One organization (needs `org:read`). The one route a suspended organization still answers
/// its members, with `is_active: false`.
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
    guard: RequirePermission<perm::OrgReadWhileSuspended>,
) -> Result<HttpResponse, ApiError> {
    let membership = guard.member.membership;
    let organization = organizations.get(&membership).await?;
    Ok(HttpResponse::Ok().json(OrganizationResponse::new(organization, Some(membership.role().name.clone()))))
}

/// Change an organization (needs `org:update`; license fields and `is_active` need a
/// superuser). `is_active: false` suspends it: its members then get 403
/// `/problems/organization-suspended` everywhere but on reading the organization.
#[utoipa::path(
    patch,
    path = "/api/v1/organizations/{id}",
    tag = "organizations",
    params(("id" = Uuid, Path, description = "Organization id")),
    request_body = UpdateOrganizationRequest,
    responses(
        (status = 200, description = "The updated organization", body = OrganizationResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks org:update, or license fields or is_active without superuser", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 409, description = "The slug is taken", body = Problem),
        (status = 422, description = "Invalid fields; `settings.require_mfa` not a boolean, or true while the caller has no second factor", body = Problem),
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
    let license = LicenseChanges::parse(request.license_key, request.license_expires_at, request.max_assets);
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
        (status = 401, description = "Not signed in; or `/problems/step-up-required`: the session's authentication is too old, or single-factor for a user with a second factor (step up at POST /api/v1/auth/step-up)", body = Problem),
        (status = 403, description = "Not an owner", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn delete_organization(
    organizations: web::Data<OrganizationService>,
    auth: web::Data<AuthService>,
    guard: RequirePermission<perm::OrgDelete>,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    let step_up = auth.step_up(&guard.member.principal);
    organizations.delete(&step_up, &guard.member.membership, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
