//! `/api/v1/organizations/{id}/networks`: an organization's networks (routers or sites).

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::{
    AgentToken, AgentUrl, NetworkChanges, NetworkId, NetworkName, NewNetwork, Violation, parse_cidrs,
    parse_description, parse_label,
};
use authdb_service::InventoryService;

use crate::endpoint::resource;
use crate::{
    ApiError, Client, DeferredJson, ListQuery,
    dto::{CreateNetworkRequest, NetworkDeleted, NetworkList, NetworkResponse, UpdateNetworkRequest},
    fields::{collect, invalid},
    guard::{RequirePermission, path_uuid, perm},
    pagination::{ListBody, PageParams},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/organizations/{id}/networks")
            .route(web::get().to(list_networks))
            .route(web::post().to(create_network)),
    )
    .service(
        resource("/organizations/{id}/networks/{network_id}")
            .route(web::get().to(get_network))
            .route(web::patch().to(update_network))
            .route(web::delete().to(delete_network)),
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_networks, create_network, get_network, update_network, delete_network),
    components(schemas(NetworkResponse, NetworkList, CreateNetworkRequest, UpdateNetworkRequest, NetworkDeleted))
)]
pub(crate) struct NetworksApi;

/// The organization's networks, oldest first (needs `assets:read`).
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/networks",
    tag = "networks",
    params(("id" = Uuid, Path, description = "Organization id"), PageParams),
    responses(
        (status = 200, description = "One page of networks", body = NetworkList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:read", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 422, description = "Invalid limit or offset", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_networks(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsRead>,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let listed = inventory.list_networks(&guard.member.membership, query.page).await?;
    Ok(HttpResponse::Ok().json(ListBody::from_paged(listed, NetworkResponse::from)))
}

/// One network.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/networks/{network_id}",
    tag = "networks",
    params(("id" = Uuid, Path, description = "Organization id"), ("network_id" = Uuid, Path, description = "Network id")),
    responses(
        (status = 200, description = "The network", body = NetworkResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:read", body = Problem),
        (status = 404, description = "No such organization or network, or not a member", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn get_network(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsRead>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = NetworkId::from_uuid(path_uuid(&req, "network_id")?);
    let network = inventory.get_network(&guard.member.membership, id).await?;
    Ok(HttpResponse::Ok().json(NetworkResponse::from(network)))
}

/// Create a network (needs `assets:write`). `agent_token` is stored to be sent to the
/// agent and never returned.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/networks",
    tag = "networks",
    params(("id" = Uuid, Path, description = "Organization id")),
    request_body = CreateNetworkRequest,
    responses(
        (status = 201, description = "Created", body = NetworkResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:write, or the licence has expired (`/problems/license-expired`)", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 409, description = "The name is taken in this organization", body = Problem),
        (status = 422, description = "Invalid fields, named (`cidrs[1]`, `agent_url`)", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn create_network(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsWrite>,
    client: Client,
    body: DeferredJson<CreateNetworkRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_result()?;
    let mut violations = Vec::new();
    let name = collect(NetworkName::parse(&request.name, "name"), &mut violations);
    let description = collect(
        request.description.as_deref().map(|d| parse_description(d, "description")).transpose(),
        &mut violations,
    );
    let site = collect(request.site.as_deref().map(|s| parse_label(s, "site", 200)).transpose(), &mut violations);
    let cidrs = match parse_cidrs(&request.cidrs, "cidrs") {
        Ok(cidrs) => Some(cidrs),
        Err(mut found) => {
            violations.append(&mut found);
            None
        }
    };
    let agent_url =
        collect(request.agent_url.as_deref().map(|u| AgentUrl::parse(u, "agent_url")).transpose(), &mut violations);
    let agent_token = collect(
        request.agent_token.as_deref().map(|t| AgentToken::parse(t, "agent_token")).transpose(),
        &mut violations,
    );
    let new = match (name, description, site, cidrs, agent_url, agent_token) {
        (Some(name), Some(description), Some(site), Some(cidrs), Some(agent_url), Some(agent_token))
            if violations.is_empty() =>
        {
            NewNetwork { name, description, site, cidrs, agent_url, agent_token }
        }
        _ => return Err(invalid(violations.into_iter().map(Some))),
    };
    let network = inventory.create_network(&guard.member.membership, new, &client.0).await?;
    Ok(HttpResponse::Created().json(NetworkResponse::from(network)))
}

/// Change a network (needs `assets:write`); `null` clears `description`, `site`,
/// `agent_url` or `agent_token`.
#[utoipa::path(
    patch,
    path = "/api/v1/organizations/{id}/networks/{network_id}",
    tag = "networks",
    params(("id" = Uuid, Path, description = "Organization id"), ("network_id" = Uuid, Path, description = "Network id")),
    request_body = UpdateNetworkRequest,
    responses(
        (status = 200, description = "The updated network", body = NetworkResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:write, or the licence has expired (`/problems/license-expired`)", body = Problem),
        (status = 404, description = "No such organization or network, or not a member", body = Problem),
        (status = 409, description = "The name is taken in this organization", body = Problem),
        (status = 422, description = "Invalid fields, named", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn update_network(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsWrite>,
    req: HttpRequest,
    client: Client,
    body: DeferredJson<UpdateNetworkRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = NetworkId::from_uuid(path_uuid(&req, "network_id")?);
    let request = body.into_result()?;
    let mut violations = Vec::new();
    let name =
        collect(request.name.as_deref().map(|n| NetworkName::parse(n, "name")).transpose(), &mut violations).flatten();
    let description = collect(
        request.description.map(|d| d.as_deref().map(|d| parse_description(d, "description")).transpose()).transpose(),
        &mut violations,
    )
    .flatten();
    let site = collect(
        request.site.map(|s| s.as_deref().map(|s| parse_label(s, "site", 200)).transpose()).transpose(),
        &mut violations,
    )
    .flatten();
    let cidrs = match request.cidrs.as_deref().map(|cidrs| parse_cidrs(cidrs, "cidrs")).transpose() {
        Ok(cidrs) => cidrs,
        Err(mut found) => {
            violations.append(&mut found);
            None
        }
    };
    let agent_url = collect(
        request.agent_url.map(|u| u.as_deref().map(|u| AgentUrl::parse(u, "agent_url")).transpose()).transpose(),
        &mut violations,
    )
    .flatten();
    let agent_token = collect(
        request.agent_token.map(|t| t.as_deref().map(|t| AgentToken::parse(t, "agent_token")).transpose()).transpose(),
        &mut violations,
    )
    .flatten();
    if !violations.is_empty() {
        return Err(invalid(violations.into_iter().map(Some)));
    }
    let changes = NetworkChanges { name, description, site, cidrs, agent_url, agent_token };
    let network = inventory.update_network(&guard.member.membership, id, changes, &client.0).await?;
    Ok(HttpResponse::Ok().json(NetworkResponse::from(network)))
}

/// `cascade=true` or `cascade=false` (the default).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "documentation only: the handler parses the query string")]
struct CascadeParams {
    /// Delete the network's assets with it; without it a network with assets is a 409.
    cascade: Option<bool>,
}

/// Delete a network (needs `assets:write`). While assets are in it, only with
/// `cascade=true`, which deletes them in the same transaction. When its agent holds rules
/// (`applied`), the caller needs `networks:control` too and each rule is removed at the
/// agent first, as deleting it would: a refusal (502) or an outage (503) keeps the network
/// and the rules not yet removed.
#[utoipa::path(
    delete,
    path = "/api/v1/organizations/{id}/networks/{network_id}",
    tag = "networks",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("network_id" = Uuid, Path, description = "Network id"),
        CascadeParams,
    ),
    responses(
        (status = 200, description = "Deleted; how many assets went with it", body = NetworkDeleted),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:write (or networks:control while the network's agent holds rules), or the licence has expired (`/problems/license-expired`)", body = Problem),
        (status = 404, description = "No such organization or network, or not a member", body = Problem),
        (status = 409, description = "Assets are in the network and `cascade` is not true, or a rule was applied at the agent meanwhile", body = Problem),
        (status = 422, description = "`cascade` is neither true nor false", body = Problem),
        (status = 502, description = "The agent refused to remove a rule or answered something not understood; the network stays", body = Problem),
        (status = 503, description = "The agent is down or too slow (with `Retry-After`); the network stays", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until a retry may succeed"))),
    ),
    security(("bearer" = []))
)]
async fn delete_network(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsWrite>,
    req: HttpRequest,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    let id = NetworkId::from_uuid(path_uuid(&req, "network_id")?);
    let mut cascade = false;
    for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if key == "cascade" {
            cascade = match value.as_ref() {
                "true" => true,
                "false" => false,
                _ => return Err(invalid([Some(Violation::new("cascade", "must be true or false"))])),
            };
        }
    }
    let member = &guard.member;
    let assets_deleted =
        inventory.delete_network(&member.membership, member.principal.session_id, id, cascade, &client.0).await?;
    Ok(HttpResponse::Ok().json(NetworkDeleted { assets_deleted }))
}
