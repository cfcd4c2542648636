//! `/api/v1/organizations/{id}/audit-events`: the organization's audit log.

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::AuditFilter;
use authdb_service::OrganizationService;

use crate::endpoint::{no_store, resource};
use crate::{
    ApiError, ListQuery,
    dto::{AuditActorResponse, AuditEventList, AuditEventResponse},
    fields::invalid,
    guard::{RequirePermission, perm},
    pagination::ListBody,
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/organizations/{id}/audit-events").route(web::get().to(list_audit_events)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list_audit_events), components(schemas(AuditEventResponse, AuditActorResponse, AuditEventList)))]
pub(crate) struct AuditEventsApi;

/// `limit`, `offset` and the filters, as documented in OpenAPI.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "documentation only: the handler parses the query string")]
struct AuditEventParams {
    /// How many events to return: 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200, default = 50)]
    limit: Option<u32>,
    /// How many events to skip, default 0.
    #[param(minimum = 0, default = 0)]
    offset: Option<u64>,
    /// One action (`member.role_changed`), or every action under a prefix ending with a
    /// dot (`member.`).
    action: Option<String>,
    /// Who acted: a user id, or a username (compared without case).
    actor: Option<String>,
    /// `success` or `failure`.
    outcome: Option<String>,
    /// What the event is about, as `kind:id` (`user:<uuid>`, `invitation:<uuid>`).
    target: Option<String>,
    /// Events at or after this RFC 3339 time.
    from: Option<String>,
    /// Events before this RFC 3339 time (later than `from`).
    to: Option<String>,
}

/// The organization's audit log, newest first (needs `audit:read`, held by the built-in
/// `owner` and `admin` roles): every change to its members, roles, invitations,
/// inventory and chats, with who made it, from where, and its particulars. Only this
/// organization's events are listed. A blank filter is no filter; a bad one is a 422
/// naming it.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/audit-events",
    tag = "audit",
    params(("id" = Uuid, Path, description = "Organization id"), AuditEventParams),
    responses(
        (status = 200, description = "One page of events, newest first", body = AuditEventList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks audit:read", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 422, description = "Invalid limit, offset, action, actor, outcome, target, from or to", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_audit_events(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::AuditRead>,
    query: ListQuery,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    let filter = AuditFilter::parse(params.iter().map(|(key, value)| (key.as_str(), value.as_str())))
        .map_err(|violations| invalid(violations.into_iter().map(Some)))?;
    let listed = organizations.audit_events(&guard.member.membership, &filter, query.page).await?;
    Ok(no_store(HttpResponse::Ok()).json(ListBody::from_paged(listed, AuditEventResponse::from)))
}
