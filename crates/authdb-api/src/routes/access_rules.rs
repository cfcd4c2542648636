//! `/api/v1/organizations/{id}/networks/{network_id}/access-rules`: a network's allow and
//! deny lists (the seeds' whitelist and blacklist), applied on the router through the
//! network's agent when it has one.

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::{AccessRuleId, NetworkId, NewAccessRule, RuleList, RuleTarget, parse_expiry, parse_rule_comment};
use authdb_service::InventoryService;
use time::OffsetDateTime;

use crate::endpoint::resource;
use crate::{
    ApiError, Client, DeferredJson, ListQuery,
    dto::{AccessRuleList, AccessRuleResponse, CreateAccessRuleRequest},
    fields::{collect, invalid},
    guard::{RequirePermission, path_uuid, perm},
    pagination::{ListBody, PageParams},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/organizations/{id}/networks/{network_id}/access-rules")
            .route(web::get().to(list_access_rules))
            .route(web::post().to(create_access_rule)),
    )
    .service(
        resource("/organizations/{id}/networks/{network_id}/access-rules/{rule_id}")
            .route(web::delete().to(delete_access_rule)),
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_access_rules, create_access_rule, delete_access_rule),
    components(schemas(AccessRuleResponse, AccessRuleList, CreateAccessRuleRequest))
)]
pub(crate) struct AccessRulesApi;

fn network_id(req: &HttpRequest) -> Result<NetworkId, ApiError> {
    Ok(NetworkId::from_uuid(path_uuid(req, "network_id")?))
}

/// A network's access rules, oldest first, expired ones included (needs `assets:read`).
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/networks/{network_id}/access-rules",
    tag = "access-rules",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("network_id" = Uuid, Path, description = "Network id"),
        PageParams
    ),
    responses(
        (status = 200, description = "One page of rules", body = AccessRuleList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks assets:read", body = Problem),
        (status = 404, description = "No such organization or network, or not a member", body = Problem),
        (status = 422, description = "Invalid limit or offset", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_access_rules(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::AssetsRead>,
    query: ListQuery,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let network = network_id(&req)?;
    let listed = inventory.list_access_rules(&guard.member.membership, network, query.page).await?;
    Ok(HttpResponse::Ok().json(ListBody::from_paged(listed, AccessRuleResponse::from)))
}

/// Add a rule to the network's allow or deny list (needs `networks:control`). On a
/// network with an agent the rule is stored only once the agent confirms it (`applied`):
/// a refusal answers 502 and an agent down or slower than `inventory.agent_timeout_ms`
/// answers 503, and neither stores anything. Without an agent it is stored as
/// `recorded`. A target is in at most one list of a network.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/networks/{network_id}/access-rules",
    tag = "access-rules",
    params(("id" = Uuid, Path, description = "Organization id"), ("network_id" = Uuid, Path, description = "Network id")),
    request_body = CreateAccessRuleRequest,
    responses(
        (status = 201, description = "Created", body = AccessRuleResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks networks:control", body = Problem),
        (status = 404, description = "No such organization or network, or not a member", body = Problem),
        (status = 409, description = "The target is already in one of the network's lists", body = Problem),
        (status = 422, description = "Invalid fields, named (`list`, `target`, `expires_at` not in the future)", body = Problem),
        (status = 502, description = "The agent refused (`/problems/agent-refused`, with its message) or answered something not understood; nothing stored", body = Problem),
        (status = 503, description = "The agent is down or too slow (`/problems/agent-unavailable`, with `Retry-After`); nothing stored", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until a retry may succeed"))),
    ),
    security(("bearer" = []))
)]
async fn create_access_rule(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::NetworksControl>,
    req: HttpRequest,
    client: Client,
    body: DeferredJson<CreateAccessRuleRequest>,
) -> Result<HttpResponse, ApiError> {
    let network = network_id(&req)?;
    let request = body.into_result()?;
    let mut violations = Vec::new();
    let list = collect(RuleList::parse(&request.list, "list"), &mut violations);
    let target = collect(RuleTarget::parse(&request.target, "target"), &mut violations);
    let comment = collect(
        request.comment.as_deref().map(|c| parse_rule_comment(c, "comment")).transpose().map(Option::flatten),
        &mut violations,
    );
    let expires_at = collect(
        request.expires_at.map(|at| parse_expiry(at, OffsetDateTime::now_utc(), "expires_at")).transpose(),
        &mut violations,
    );
    let new = match (list, target, comment, expires_at) {
        (Some(list), Some(target), Some(comment), Some(expires_at)) if violations.is_empty() => {
            NewAccessRule { list, target, comment, expires_at }
        }
        _ => return Err(invalid(violations.into_iter().map(Some))),
    };
    let member = &guard.member;
    let rule =
        inventory.create_access_rule(&member.membership, member.principal.session_id, network, new, &client.0).await?;
    Ok(HttpResponse::Created().json(AccessRuleResponse::from(rule)))
}

/// Delete a rule (needs `networks:control`). An `applied` rule is removed at the
/// network's agent first, with the same answers as a create when the agent refuses (502)
/// or cannot be reached (503): the rule then stays.
#[utoipa::path(
    delete,
    path = "/api/v1/organizations/{id}/networks/{network_id}/access-rules/{rule_id}",
    tag = "access-rules",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("network_id" = Uuid, Path, description = "Network id"),
        ("rule_id" = Uuid, Path, description = "Access rule id")
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks networks:control", body = Problem),
        (status = 404, description = "No such organization, network or rule, or not a member", body = Problem),
        (status = 502, description = "The agent refused or answered something not understood; the rule stays", body = Problem),
        (status = 503, description = "The agent is down or too slow (with `Retry-After`); the rule stays", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until a retry may succeed"))),
    ),
    security(("bearer" = []))
)]
async fn delete_access_rule(
    inventory: web::Data<InventoryService>,
    guard: RequirePermission<perm::NetworksControl>,
    req: HttpRequest,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    let network = network_id(&req)?;
    let id = AccessRuleId::from_uuid(path_uuid(&req, "rule_id")?);
    let member = &guard.member;
    inventory.delete_access_rule(&member.membership, member.principal.session_id, network, id, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
