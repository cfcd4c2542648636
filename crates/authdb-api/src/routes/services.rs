//! `/api/v1/organizations/{id}/assets/{asset_id}/services`: what listens on an asset's
//! ports.

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::{
    AssetId, AssetServiceChanges, AssetServiceId, Banner, Confidence, Metadata, NewAssetService, Port, PortState,
    Protocol, ServiceDetails, Violation, parse_label, parse_technologies, stored_time,
};
use authdb_service::InventoryService;
use serde_json::Value;

use crate::endpoint::resource;
use crate::{
    ApiError, Client, DeferredJson, ListQuery,
    dto::{CreateServiceRequest, ServiceList, ServiceResponse, UpdateServiceRequest},
    fields::{collect, collect_all, invalid},
    guard::{RequirePermission, path_uuid, perm},
    pagination::{ListBody, PageParams},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/organizations/{id}/assets/{asset_id}/services")
            .route(web::get().to(list_services))
            .route(web::post().to(create_service)),
    )
    .service(
        resource("/organizations/{id}/assets/{asset_id}/services/{service_id}")
            .route(web::get().to(get_service))
            .route(web::patch().to(update_service))
            .route(web::delete().to(delete_service)),
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_services, create_service, get_service, update_service, delete_service),
    components(schemas(ServiceResponse, ServiceList, CreateServiceRequest, UpdateServiceRequest))
)]
pub(crate) struct ServicesApi;

fn asset_id(req: &HttpRequest) -> Result<AssetId, ApiError> {
    Ok(AssetId::from_uuid(path_uuid(req, "asset_id")?))
}

fn service_path(req: &HttpRequest) -> Result<(AssetId, AssetServiceId), ApiError> {
    Ok((asset_id(req)?, AssetServiceId::from_uuid(path_uuid(req, "service_id")?)))
}

/// An asset's services, by protocol then port (needs `assets:read`).
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/assets/{asset_id}/services",
    tag = "services",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("asset_id" = Uuid, Path, description = "Asset id"),
        PageParams
    ),
    responses(
        (status = 200, description = "One page of services", body = ServiceList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:read", body = Problem),
        (status = 404, description = "No such organization or asset, or not a member", body = Problem),
        (status = 422, description = "Invalid limit or offset", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_services(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsRead>,
    query: ListQuery,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let asset = asset_id(&req)?;
    let listed = inventory.list_services(&guard.member.membership, asset, query.page).await?;
    Ok(HttpResponse::Ok().json(ListBody::from_paged(listed, ServiceResponse::from)))
}

/// One service of an asset.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/assets/{asset_id}/services/{service_id}",
    tag = "services",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("asset_id" = Uuid, Path, description = "Asset id"),
        ("service_id" = Uuid, Path, description = "Service id")
    ),
    responses(
        (status = 200, description = "The service", body = ServiceResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:read", body = Problem),
        (status = 404, description = "No such organization, asset or service, or not a member", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn get_service(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsRead>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (asset, id) = service_path(&req)?;
    let service = inventory.get_service(&guard.member.membership, asset, id).await?;
    Ok(HttpResponse::Ok().json(ServiceResponse::from(service)))
}

/// Record a service on an asset (needs `assets:write`). One service per port and
/// protocol of an asset.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/assets/{asset_id}/services",
    tag = "services",
    params(("id" = Uuid, Path, description = "Organization id"), ("asset_id" = Uuid, Path, description = "Asset id")),
    request_body = CreateServiceRequest,
    responses(
        (status = 201, description = "Created", body = ServiceResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:write, or the licence has expired (`/problems/license-expired`)", body = Problem),
        (status = 404, description = "No such organization or asset, or not a member", body = Problem),
        (status = 409, description = "The asset already has a service on that port and protocol", body = Problem),
        (status = 422, description = "Invalid fields, named (`port`, `http_technologies[2]`)", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn create_service(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsWrite>,
    req: HttpRequest,
    client: Client,
    body: DeferredJson<CreateServiceRequest>,
) -> Result<HttpResponse, ApiError> {
    let asset = asset_id(&req)?;
    let request = body.into_result()?;
    let new = new_service(request)?;
    let service = inventory.create_service(&guard.member.membership, asset, new, &client.0).await?;
    Ok(HttpResponse::Created().json(ServiceResponse::from(service)))
}

fn label(raw: Option<&str>, field: &'static str, max: usize, v: &mut Vec<Violation>) -> Option<String> {
    collect(raw.map(|text| parse_label(text, field, max)).transpose(), v).flatten()
}

fn object(raw: Option<Value>, field: &'static str, v: &mut Vec<Violation>) -> Option<Metadata> {
    collect(raw.map(|value| Metadata::parse(value, field)).transpose(), v).flatten()
}

/// Every field of a new service parsed, or one 422 naming each bad one.
fn new_service(request: CreateServiceRequest) -> Result<NewAssetService, ApiError> {
    let mut v = Vec::new();
    let port = collect(Port::parse(request.port, "port"), &mut v);
    let protocol = collect(Protocol::parse(&request.protocol, "protocol"), &mut v);
    let state =
        collect(request.state.as_deref().map_or(Ok(PortState::Open), |state| PortState::parse(state, "state")), &mut v);
    let details = ServiceDetails {
        service_name: label(request.service_name.as_deref(), "service_name", 255, &mut v),
        product: label(request.product.as_deref(), "product", 255, &mut v),
        version: label(request.version.as_deref(), "version", 255, &mut v),
        cpe: label(request.cpe.as_deref(), "cpe", 255, &mut v),
        banner: collect(request.banner.as_deref().map(|banner| Banner::parse(banner, "banner")).transpose(), &mut v)
            .flatten(),
        detection_method: label(request.detection_method.as_deref(), "detection_method", 255, &mut v),
        confidence: collect(request.confidence.map(|value| Confidence::parse(value, "confidence")).transpose(), &mut v)
            .flatten(),
        ssl_enabled: request.ssl_enabled.unwrap_or(false),
        ssl_info: object(request.ssl_info, "ssl_info", &mut v),
        http_title: label(request.http_title.as_deref(), "http_title", 1024, &mut v),
        http_technologies: collect_all(parse_technologies(&request.http_technologies, "http_technologies"), &mut v)
            .unwrap_or_default(),
        extra_info: object(request.extra_info, "extra_info", &mut v),
    };
    match (port, protocol, state) {
        (Some(port), Some(protocol), Some(state)) if v.is_empty() => {
            Ok(NewAssetService { port, protocol, state, details, last_seen: request.last_seen.map(stored_time) })
        }
        _ => Err(invalid(v.into_iter().map(Some))),
    }
}

/// Change a service (needs `assets:write`); `null` clears a nullable field.
#[utoipa::path(
    patch,
    path = "/api/v1/organizations/{id}/assets/{asset_id}/services/{service_id}",
    tag = "services",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("asset_id" = Uuid, Path, description = "Asset id"),
        ("service_id" = Uuid, Path, description = "Service id")
    ),
    request_body = UpdateServiceRequest,
    responses(
        (status = 200, description = "The updated service", body = ServiceResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:write, or the licence has expired (`/problems/license-expired`)", body = Problem),
        (status = 404, description = "No such organization, asset or service, or not a member", body = Problem),
        (status = 409, description = "The asset already has a service on that port and protocol", body = Problem),
        (status = 422, description = "Invalid fields, named", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn update_service(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsWrite>,
    req: HttpRequest,
    client: Client,
    body: DeferredJson<UpdateServiceRequest>,
) -> Result<HttpResponse, ApiError> {
    let (asset, id) = service_path(&req)?;
    let request = body.into_result()?;
    let changes = service_changes(request)?;
    let service = inventory.update_service(&guard.member.membership, asset, id, changes, &client.0).await?;
    Ok(HttpResponse::Ok().json(ServiceResponse::from(service)))
}

fn service_changes(request: UpdateServiceRequest) -> Result<AssetServiceChanges, ApiError> {
    let mut v = Vec::new();
    let mut nullable_label = |raw: Option<Option<String>>, field: &'static str, max: usize| {
        collect(
            raw.map(|text| text.as_deref().map(|text| parse_label(text, field, max)).transpose()).transpose(),
            &mut v,
        )
        .flatten()
    };
    let service_name = nullable_label(request.service_name, "service_name", 255);
    let product = nullable_label(request.product, "product", 255);
    let version = nullable_label(request.version, "version", 255);
    let cpe = nullable_label(request.cpe, "cpe", 255);
    let detection_method = nullable_label(request.detection_method, "detection_method", 255);
    let http_title = nullable_label(request.http_title, "http_title", 1024);
    let port = collect(request.port.map(|port| Port::parse(port, "port")).transpose(), &mut v).flatten();
    let protocol =
        collect(request.protocol.as_deref().map(|p| Protocol::parse(p, "protocol")).transpose(), &mut v).flatten();
    let state = collect(request.state.as_deref().map(|s| PortState::parse(s, "state")).transpose(), &mut v).flatten();
    let banner = collect(
        request
            .banner
            .map(|banner| banner.as_deref().map(|banner| Banner::parse(banner, "banner")).transpose())
            .transpose(),
        &mut v,
    )
    .flatten();
    let confidence = collect(
        request
            .confidence
            .map(|value| value.map(|value| Confidence::parse(value, "confidence")).transpose())
            .transpose(),
        &mut v,
    )
    .flatten();
    let mut nullable_object = |raw: Option<Option<Value>>, field: &'static str| {
        collect(raw.map(|value| value.map(|value| Metadata::parse(value, field)).transpose()).transpose(), &mut v)
            .flatten()
    };
    let ssl_info = nullable_object(request.ssl_info, "ssl_info");
    let extra_info = nullable_object(request.extra_info, "extra_info");
    let http_technologies = collect_all(
        request.http_technologies.as_deref().map(|list| parse_technologies(list, "http_technologies")).transpose(),
        &mut v,
    )
    .flatten();
    if !v.is_empty() {
        return Err(invalid(v.into_iter().map(Some)));
    }
    Ok(AssetServiceChanges {
        port,
        protocol,
        state,
        service_name,
        product,
        version,
        cpe,
        banner,
        detection_method,
        confidence,
        ssl_enabled: request.ssl_enabled,
        ssl_info,
        http_title,
        http_technologies,
        extra_info,
        last_seen: request.last_seen.map(|at| at.map(stored_time)),
    })
}

/// Delete a service (needs `assets:write`).
#[utoipa::path(
    delete,
    path = "/api/v1/organizations/{id}/assets/{asset_id}/services/{service_id}",
    tag = "services",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("asset_id" = Uuid, Path, description = "Asset id"),
        ("service_id" = Uuid, Path, description = "Service id")
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:write, or the licence has expired (`/problems/license-expired`)", body = Problem),
        (status = 404, description = "No such organization, asset or service, or not a member", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn delete_service(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsWrite>,
    req: HttpRequest,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    let (asset, id) = service_path(&req)?;
    inventory.delete_service(&guard.member.membership, asset, id, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
