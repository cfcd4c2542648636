//! `/api/v1/organizations/{id}/assets`: an organization's inventory of addresses.

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::{
    AssetChanges, AssetFilter, AssetId, AssetSortKey, AssetStatus, AssetType, Criticality, Hostname, IpAddress,
    MacAddress, Metadata, NetworkId, NewAsset, RiskScore, Tags, UserId, Violation, VulnerabilityCounts, parse_label,
    stored_time,
};
use authdb_service::InventoryService;
use uuid::Uuid;

use crate::endpoint::resource;
use crate::{
    ApiError, Client, DeferredJson, ListQuery,
    dto::{AssetList, AssetResponse, CreateAssetRequest, UpdateAssetRequest, Vulnerabilities},
    fields::{collect, collect_all, invalid},
    guard::{RequirePermission, path_uuid, perm},
    pagination::ListBody,
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/organizations/{id}/assets").route(web::get().to(list_assets)).route(web::post().to(create_asset)),
    )
    .service(
        resource("/organizations/{id}/assets/{asset_id}")
            .route(web::get().to(get_asset))
            .route(web::patch().to(update_asset))
            .route(web::delete().to(delete_asset)),
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_assets, create_asset, get_asset, update_asset, delete_asset),
    components(schemas(AssetResponse, AssetList, CreateAssetRequest, UpdateAssetRequest, Vulnerabilities))
)]
pub(crate) struct AssetsApi;

/// The filters, paging and ordering of the asset list, as documented in OpenAPI.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "documentation only: the handler parses the query string")]
struct AssetListParams {
    /// How many items to return: 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200, default = 50)]
    limit: Option<u32>,
    /// How many items to skip, default 0.
    #[param(minimum = 0, default = 0)]
    offset: Option<u64>,
    /// A substring of the host name, the address or the MAC address (any case).
    q: Option<String>,
    /// `ip_address` (default, numeric order), `hostname`, `risk_score`, `last_seen` or
    /// `criticality` (by rank), `-` for descending.
    sort: Option<String>,
    /// Statuses, comma-separated: any of them.
    status: Option<String>,
    /// Criticalities, comma-separated: any of them.
    criticality: Option<String>,
    /// Asset types, comma-separated: any of them.
    asset_type: Option<String>,
    /// Repeatable: the asset carries every tag given.
    tag: Option<Vec<String>>,
    network_id: Option<Uuid>,
    owner_id: Option<Uuid>,
    /// Addresses within this CIDR block (v4 or v6).
    cidr: Option<String>,
    /// A risk score of at least this.
    #[param(minimum = 0, maximum = 100)]
    min_risk: Option<u8>,
    /// Assets with a service in state `open` on this port (any protocol).
    #[param(minimum = 1, maximum = 65535)]
    port: Option<u16>,
}

/// The organization's assets (needs `assets:read`), filtered and ordered as asked. Each
/// carries its open-service count.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/assets",
    tag = "assets",
    params(("id" = Uuid, Path, description = "Organization id"), AssetListParams),
    responses(
        (status = 200, description = "One page of assets", body = AssetList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:read", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 422, description = "An invalid parameter, named", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_assets(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsRead>,
    query: ListQuery,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let filter = list_filter(&req, &query)?;
    let sort = query.sort::<AssetSortKey>()?;
    let listed = inventory.list_assets(&guard.member.membership, &filter, sort, query.page).await?;
    Ok(HttpResponse::Ok().json(ListBody::from_paged(listed, AssetResponse::from)))
}

fn list_filter(req: &HttpRequest, query: &ListQuery) -> Result<AssetFilter, ApiError> {
    let search = query.search()?;
    let pairs: Vec<_> = form_urlencoded::parse(req.query_string().as_bytes()).collect();
    let filter = AssetFilter::from_query(pairs.iter().map(|(key, value)| (key.as_ref(), value.as_ref())))
        .map_err(|violations| invalid(violations.into_iter().map(Some)))?;
    Ok(AssetFilter { search, ..filter })
}

/// One asset.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/assets/{asset_id}",
    tag = "assets",
    params(("id" = Uuid, Path, description = "Organization id"), ("asset_id" = Uuid, Path, description = "Asset id")),
    responses(
        (status = 200, description = "The asset", body = AssetResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:read", body = Problem),
        (status = 404, description = "No such organization or asset, or not a member", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn get_asset(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsRead>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = AssetId::from_uuid(path_uuid(&req, "asset_id")?);
    let asset = inventory.get_asset(&guard.member.membership, id).await?;
    Ok(HttpResponse::Ok().json(AssetResponse::from(asset)))
}

/// Create an asset (needs `assets:write`). The address is unique in its network, and
/// assets without a network count as one network.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/assets",
    tag = "assets",
    params(("id" = Uuid, Path, description = "Organization id")),
    request_body = CreateAssetRequest,
    responses(
        (status = 201, description = "Created", body = AssetResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:write, or the licence has expired (`/problems/license-expired`)", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 409, description = "The address is already in that network (`/problems/conflict`), or the licence's \
            `max_assets` is reached (`/problems/asset-limit-reached`, with `limit` and `current`)", body = Problem),
        (status = 422, description = "Invalid fields, named (`mac_address`, `tags[3]`, `owner_id`)", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn create_asset(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsWrite>,
    client: Client,
    body: DeferredJson<CreateAssetRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_result()?;
    let new = new_asset(request)?;
    let asset = inventory.create_asset(&guard.member.membership, new, &client.0).await?;
    Ok(HttpResponse::Created().json(AssetResponse::from(asset)))
}

/// Every field of a new asset parsed, or one 422 naming each bad one.
fn new_asset(request: CreateAssetRequest) -> Result<NewAsset, ApiError> {
    let mut v = Vec::new();
    let ip_address = collect(IpAddress::parse(&request.ip_address, "ip_address"), &mut v);
    let hostname = collect(request.hostname.as_deref().map(|h| Hostname::parse(h, "hostname")).transpose(), &mut v);
    let mac_address =
        collect(request.mac_address.as_deref().map(|m| MacAddress::parse(m, "mac_address")).transpose(), &mut v);
    let mut label = |raw: Option<String>, field: &'static str| {
        collect(raw.as_deref().map(|text| parse_label(text, field, 255)).transpose(), &mut v).flatten()
    };
    let mac_vendor = label(request.mac_vendor, "mac_vendor");
    let operating_system = label(request.operating_system, "operating_system");
    let os_version = label(request.os_version, "os_version");
    let os_cpe = label(request.os_cpe, "os_cpe");
    let asset_type = collect(
        request.asset_type.as_deref().map_or(Ok(AssetType::Unknown), |t| AssetType::parse(t, "asset_type")),
        &mut v,
    );
    let criticality = collect(
        request.criticality.as_deref().map_or(Ok(Criticality::Medium), |c| Criticality::parse(c, "criticality")),
        &mut v,
    );
    let tags = collect_all(Tags::parse(&request.tags, "tags"), &mut v);
    let status =
        collect(request.status.as_deref().map_or(Ok(AssetStatus::Active), |s| AssetStatus::parse(s, "status")), &mut v);
    let risk_score = collect(RiskScore::parse(request.risk_score.unwrap_or(0), "risk_score"), &mut v);
    let vulnerabilities = collect_all(counts(request.vulnerabilities.unwrap_or_default()), &mut v);
    let metadata = collect(
        request.metadata.map_or_else(|| Ok(Metadata::empty()), |value| Metadata::parse(value, "metadata")),
        &mut v,
    );
    match (
        ip_address,
        hostname,
        mac_address,
        asset_type,
        criticality,
        tags,
        status,
        risk_score,
        vulnerabilities,
        metadata,
    ) {
        (
            Some(ip_address),
            Some(hostname),
            Some(mac_address),
            Some(asset_type),
            Some(criticality),
            Some(tags),
            Some(status),
            Some(risk_score),
            Some(vulnerabilities),
            Some(metadata),
        ) if v.is_empty() => Ok(NewAsset {
            network_id: request.network_id.map(NetworkId::from_uuid),
            ip_address,
            hostname,
            mac_address,
            mac_vendor,
            operating_system,
            os_version,
            os_cpe,
            asset_type,
            criticality,
            tags,
            status,
            is_reachable: request.is_reachable.unwrap_or(false),
            risk_score,
            vulnerabilities,
            last_seen: request.last_seen.map(stored_time),
            last_scanned: request.last_scanned.map(stored_time),
            metadata,
            owner_id: request.owner_id.map(UserId::from_uuid),
        }),
        _ => Err(invalid(v.into_iter().map(Some))),
    }
}

fn counts(sent: Vulnerabilities) -> Result<VulnerabilityCounts, Vec<Violation>> {
    VulnerabilityCounts::parse([
        ("critical", sent.critical),
        ("high", sent.high),
        ("medium", sent.medium),
        ("low", sent.low),
        ("info", sent.info),
    ])
}

/// Change an asset (needs `assets:write`); `null` clears a nullable field.
#[utoipa::path(
    patch,
    path = "/api/v1/organizations/{id}/assets/{asset_id}",
    tag = "assets",
    params(("id" = Uuid, Path, description = "Organization id"), ("asset_id" = Uuid, Path, description = "Asset id")),
    request_body = UpdateAssetRequest,
    responses(
        (status = 200, description = "The updated asset", body = AssetResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:write, or the licence has expired (`/problems/license-expired`)", body = Problem),
        (status = 404, description = "No such organization or asset, or not a member", body = Problem),
        (status = 409, description = "The address is already in that network", body = Problem),
        (status = 422, description = "Invalid fields, named", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn update_asset(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsWrite>,
    req: HttpRequest,
    client: Client,
    body: DeferredJson<UpdateAssetRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = AssetId::from_uuid(path_uuid(&req, "asset_id")?);
    let request = body.into_result()?;
    let changes = asset_changes(request)?;
    let asset = inventory.update_asset(&guard.member.membership, id, changes, &client.0).await?;
    Ok(HttpResponse::Ok().json(AssetResponse::from(asset)))
}

fn asset_changes(request: UpdateAssetRequest) -> Result<AssetChanges, ApiError> {
    let mut v = Vec::new();
    let ip_address =
        collect(request.ip_address.as_deref().map(|ip| IpAddress::parse(ip, "ip_address")).transpose(), &mut v)
            .flatten();
    let hostname = collect(
        request.hostname.map(|h| h.as_deref().map(|h| Hostname::parse(h, "hostname")).transpose()).transpose(),
        &mut v,
    )
    .flatten();
    let mac_address = collect(
        request.mac_address.map(|m| m.as_deref().map(|m| MacAddress::parse(m, "mac_address")).transpose()).transpose(),
        &mut v,
    )
    .flatten();
    let mut label = |raw: Option<Option<String>>, field: &'static str| {
        collect(
            raw.map(|text| text.as_deref().map(|text| parse_label(text, field, 255)).transpose()).transpose(),
            &mut v,
        )
        .flatten()
    };
    let mac_vendor = label(request.mac_vendor, "mac_vendor");
    let operating_system = label(request.operating_system, "operating_system");
    let os_version = label(request.os_version, "os_version");
    let os_cpe = label(request.os_cpe, "os_cpe");
    let asset_type =
        collect(request.asset_type.as_deref().map(|t| AssetType::parse(t, "asset_type")).transpose(), &mut v).flatten();
    let criticality =
        collect(request.criticality.as_deref().map(|c| Criticality::parse(c, "criticality")).transpose(), &mut v)
            .flatten();
    let tags = collect_all(request.tags.as_deref().map(|tags| Tags::parse(tags, "tags")).transpose(), &mut v).flatten();
    let status =
        collect(request.status.as_deref().map(|s| AssetStatus::parse(s, "status")).transpose(), &mut v).flatten();
    let risk_score =
        collect(request.risk_score.map(|score| RiskScore::parse(score, "risk_score")).transpose(), &mut v).flatten();
    let vulnerabilities = collect_all(request.vulnerabilities.map(counts).transpose(), &mut v).flatten();
    let metadata =
        collect(request.metadata.map(|value| Metadata::parse(value, "metadata")).transpose(), &mut v).flatten();
    if !v.is_empty() {
        return Err(invalid(v.into_iter().map(Some)));
    }
    Ok(AssetChanges {
        network_id: request.network_id.map(|network| network.map(NetworkId::from_uuid)),
        ip_address,
        hostname,
        mac_address,
        mac_vendor,
        operating_system,
        os_version,
        os_cpe,
        asset_type,
        criticality,
        tags,
        status,
        is_reachable: request.is_reachable,
        risk_score,
        vulnerabilities,
        last_seen: request.last_seen.map(|at| at.map(stored_time)),
        last_scanned: request.last_scanned.map(|at| at.map(stored_time)),
        metadata,
        owner_id: request.owner_id.map(|owner| owner.map(UserId::from_uuid)),
    })
}

/// Delete an asset (needs `assets:write`).
#[utoipa::path(
    delete,
    path = "/api/v1/organizations/{id}/assets/{asset_id}",
    tag = "assets",
    params(("id" = Uuid, Path, description = "Organization id"), ("asset_id" = Uuid, Path, description = "Asset id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:write, or the licence has expired (`/problems/license-expired`)", body = Problem),
        (status = 404, description = "No such organization or asset, or not a member", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn delete_asset(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsWrite>,
    req: HttpRequest,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    let id = AssetId::from_uuid(path_uuid(&req, "asset_id")?);
    inventory.delete_asset(&guard.member.membership, id, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
