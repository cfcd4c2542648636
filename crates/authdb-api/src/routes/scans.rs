//! `/api/v1/organizations/{id}/networks/{network_id}/scans`: scans imported into a
//! network's inventory.
//!
//! A scan body has its own limit (`inventory.max_scan_bytes`, 32 MiB by default): the
//! import reads the payload itself, counting bytes as they arrive, while every other
//! route keeps the 64 KiB limit.
//!
//! Two formats, chosen by `Content-Type`: the JSON import format, and nmap's XML output
//! (`application/xml` or `text/xml`), which authdb-service's `scan_format::nmap` reads
//! into the JSON format's hosts. Both then take one way: `authdb_service::scan_report`
//! validates every host (naming a bad one in the format's own words) and the service
//! imports the report. The console's upload reads files through the same functions.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use authdb_domain::{NetworkId, ScanId, ScanSource};
use authdb_service::{
    DocumentHost, InventoryService, MAX_SCAN_VIOLATIONS, ScanDocument, ScanFormat, ServiceError, nmap, scan_report,
};

use crate::endpoint::resource;
use crate::limits::read_limited;
use crate::{
    ApiError, Client, ListQuery,
    dto::{ScanHostRequest, ScanList, ScanRequest, ScanResponse, ScanServiceRequest},
    fields::invalid,
    guard::{RequirePermission, path_uuid, perm},
    json::{is_json_content_type, parse},
    pagination::{ListBody, PageParams},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/organizations/{id}/networks/{network_id}/scans")
            .route(web::get().to(list_scans))
            .route(web::post().to(import_scan)),
    )
    // Before `scans/{scan_id}`, which would otherwise take `run` for an id.
    .service(resource("/organizations/{id}/networks/{network_id}/scans/run").route(web::post().to(run_scan)))
    .service(resource("/organizations/{id}/networks/{network_id}/scans/{scan_id}").route(web::get().to(get_scan)));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_scans, import_scan, get_scan, run_scan),
    components(schemas(ScanResponse, ScanList, ScanRequest, ScanHostRequest, ScanServiceRequest))
)]
pub(crate) struct ScansApi;

fn network_id(req: &HttpRequest) -> Result<NetworkId, ApiError> {
    Ok(NetworkId::from_uuid(path_uuid(req, "network_id")?))
}

/// A network's scans, newest first (needs `assets:read`).
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/networks/{network_id}/scans",
    tag = "scans",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("network_id" = Uuid, Path, description = "Network id"),
        PageParams
    ),
    responses(
        (status = 200, description = "One page of scans", body = ScanList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:read", body = Problem),
        (status = 404, description = "No such organization or network, or not a member", body = Problem),
        (status = 422, description = "Invalid limit or offset", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_scans(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsRead>,
    query: ListQuery,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let network = network_id(&req)?;
    let listed = inventory.list_scans(&guard.member.membership, network, query.page).await?;
    Ok(HttpResponse::Ok().json(ListBody::from_paged(listed, ScanResponse::from)))
}

/// One scan of a network.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/networks/{network_id}/scans/{scan_id}",
    tag = "scans",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("network_id" = Uuid, Path, description = "Network id"),
        ("scan_id" = Uuid, Path, description = "Scan id")
    ),
    responses(
        (status = 200, description = "The scan", body = ScanResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:read", body = Problem),
        (status = 404, description = "No such organization, network or scan, or not a member", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn get_scan(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsRead>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let network = network_id(&req)?;
    let id = ScanId::from_uuid(path_uuid(&req, "scan_id")?);
    let scan = inventory.get_scan(&guard.member.membership, network, id).await?;
    Ok(HttpResponse::Ok().json(ScanResponse::from(scan)))
}

/// Import a scan into the network (needs `assets:write`), all or nothing: hosts up
/// create or refresh their asset (by address in the network) and services (by port and
/// protocol); hosts down mark a known asset unreachable. A detail the scan does not carry
/// never erases a known one. One invalid host answers 422 naming it (`hosts[17].ip`, or
/// in nmap XML `host[17].address`) and stores nothing. The body is the JSON import
/// format (`application/json`) or nmap's XML output, `nmap -oX` (`application/xml` or
/// `text/xml`: no DTD, no entities besides XML's five predefined ones, at most 64 levels
/// of elements), of up to `inventory.max_scan_bytes` (32 MiB by default).
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/networks/{network_id}/scans",
    tag = "scans",
    params(("id" = Uuid, Path, description = "Organization id"), ("network_id" = Uuid, Path, description = "Network id")),
    request_body(
        description = "A scan: the JSON import format, or the XML that `nmap -oX` writes",
        content(
            (ScanRequest = "application/json"),
            (String = "application/xml", example = json!("<nmaprun start=\"1796058264\"><host><status state=\"up\"/><address addr=\"10.0.0.1\" addrtype=\"ipv4\"/></host></nmaprun>")),
            (String = "text/xml")
        )
    ),
    responses(
        (status = 201, description = "Imported; what the import did", body = ScanResponse),
        (status = 400, description = "Malformed JSON or XML, with the position (`/problems/malformed-json`, \
            `/problems/malformed-xml`); an XML DOCTYPE other than nmap's bare one, an entity other than the \
            five predefined ones, or elements nested over 64 deep", body = Problem),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:write, or the licence has expired (`/problems/license-expired`)", body = Problem),
        (status = 404, description = "No such organization or network, or not a member", body = Problem),
        (status = 409, description = "The new assets would take the organization over its licence's `max_assets` \
            (`/problems/asset-limit-reached`, with `limit` and `current`); nothing is stored", body = Problem),
        (status = 413, description = "Over `inventory.max_scan_bytes`", body = Problem),
        (status = 415, description = "Neither `application/json` nor `application/xml` (`text/xml`)", body = Problem),
        (status = 422, description = "Invalid hosts, named (`hosts[17].ip`, `hosts[2].services[0].port`; in nmap XML \
            `host[17].address`, `host[2].ports.port[0].portid`)", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn import_scan(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsWrite>,
    req: HttpRequest,
    client: Client,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let network = network_id(&req)?;
    let format = if is_json_content_type(&req) {
        ScanFormat::Json
    } else if is_xml_content_type(&req) {
        ScanFormat::Nmap
    } else {
        return Err(ApiError::UnsupportedScanMediaType);
    };
    let started = std::time::Instant::now();
    let body = read_limited(&req, payload, inventory.max_scan_bytes()).await?;
    let (bytes, read) = (body.len(), started.elapsed());
    let (request, violations) = match format {
        ScanFormat::Json => (parse::<ScanDocument>(&body)?, Vec::new()),
        ScanFormat::Nmap => {
            let scan =
                nmap::parse(&body, MAX_SCAN_VIOLATIONS).map_err(|error| ApiError::MalformedXml(error.to_string()))?;
            (scan.document, scan.violations)
        }
    };
    drop(body);
    let parsed = started.elapsed();
    let report = scan_report(request, format, violations).map_err(|found| invalid(found.into_iter().map(Some)))?;
    let (hosts, validated) = (report.hosts.len(), started.elapsed());
    let scan = inventory.import_scan(&guard.member.membership, network, format.source(), report, &client.0).await?;
    // Where an import's time goes (docs/benchmarks.md): the body, its parsing, the checks
    // of every host, and the write (one transaction).
    tracing::info!(
        scan_id = %scan.id,
        source = format.source().as_str(),
        bytes,
        hosts,
        read_ms = read.as_millis() as u64,
        parse_ms = (parsed - read).as_millis() as u64,
        validate_ms = (validated - parsed).as_millis() as u64,
        write_ms = (started.elapsed() - validated).as_millis() as u64,
        "scan imported"
    );
    Ok(HttpResponse::Created().json(ScanResponse::from(scan)))
}

/// `application/xml` or `text/xml`, with any parameters.
fn is_xml_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/xml" || essence == "text/xml"
}

/// Run a scan through the network's agent and import its answer (needs
/// `networks:control`, and `assets:write` for the import): the agent's `GET /scan`
/// answers hosts in the JSON import format, checked and imported exactly as a `POST
/// .../scans` body (source `agent`, the same 201 summary). An answer that does not pass
/// the import's checks is the agent's fault: 502 `/problems/agent-bad-answer` naming the
/// first bad fields, and nothing is stored.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/networks/{network_id}/scans/run",
    tag = "scans",
    params(("id" = Uuid, Path, description = "Organization id"), ("network_id" = Uuid, Path, description = "Network id")),
    responses(
        (status = 201, description = "Scanned and imported; what the import did", body = ScanResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks networks:control or assets:write", body = Problem),
        (status = 404, description = "No such organization or network, or not a member", body = Problem),
        (status = 409, description = "The network has no agent (`/problems/no-agent`)", body = Problem),
        (status = 502, description = "The agent refused, or its answer is not a valid scan; nothing stored", body = Problem),
        (status = 503, description = "The agent is down or too slow (with `Retry-After`); nothing stored", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until a retry may succeed"))),
    ),
    security(("bearer" = []))
)]
async fn run_scan(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::NetworksControl>,
    req: HttpRequest,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    let network = network_id(&req)?;
    let member = &guard.member;
    let started_at = time::OffsetDateTime::now_utc();
    let data = inventory.fetch_agent_scan(&member.membership, member.principal.session_id, network).await?;
    let finished_at = time::OffsetDateTime::now_utc();
    let bad_answer = |reason: String| ApiError::Service(ServiceError::AgentBadAnswer(reason));
    let hosts: Vec<DocumentHost> = serde_json::from_value(data)
        .map_err(|error| bad_answer(format!("`data` is not an array of scan hosts ({error})")))?;
    let document = ScanDocument { started_at: Some(started_at), finished_at: Some(finished_at), hosts };
    let report = scan_report(document, ScanFormat::Json, Vec::new()).map_err(|violations| {
        bad_answer(
            violations.iter().take(5).map(|v| format!("{}: {}", v.field, v.message)).collect::<Vec<_>>().join("; "),
        )
    })?;
    let scan = inventory.import_scan(&member.membership, network, ScanSource::Agent, report, &client.0).await?;
    Ok(HttpResponse::Created().json(ScanResponse::from(scan)))
}
