//! `/api/v1/revocations`: the sessions revoked since a point, for services that verify
//! authdb's tokens themselves. Only a service client's token with `revocations:read` is
//! accepted; a user's token (or none) is 401, a client's without the scope 403.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::{ClientScope, Violation};
use authdb_service::{AuthService, RevocationCursor, RevocationEvent};
use serde::Serialize;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::endpoint::{no_store, resource};
use crate::{ApiError, extract::bearer_token, fields::invalid, problem::Problem};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/revocations").route(web::get().to(list_revocations)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list_revocations), components(schemas(RevocationList, RevocationResponse)))]
pub(crate) struct RevocationsApi;

const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 1000;

/// One revoked session.
#[derive(Serialize, ToSchema)]
pub(crate) struct RevocationResponse {
    /// Increases with every revocation in commit order: resume after it with `since`.
    event_id: i64,
    /// The `sid` of the session's access tokens: refuse them.
    session_id: Uuid,
    /// The `sub` of the session's access tokens.
    user_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    revoked_at: OffsetDateTime,
}

/// A page of revocations, oldest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct RevocationList {
    items: Vec<RevocationResponse>,
    /// The event id to pass as `since` next: the last item's, or when the page is empty
    /// the newest event's (or the `since` given). Nothing is skipped or repeated.
    next: i64,
}

/// `since`: an event id (digits; events after it) or an RFC 3339 time (revocations at or
/// after it); absent, every revocation whose tokens could still verify.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "documentation only: the handler parses the query string")]
pub(crate) struct RevocationParams {
    /// An event id (`42`) or an RFC 3339 time (`2026-12-01T10:00:00Z`).
    since: Option<String>,
    /// 1 to 1000, default 100.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    limit: Option<u64>,
}

/// Sessions revoked since a point, as a page (for pollers).
#[utoipa::path(
    get,
    path = "/api/v1/revocations",
    tag = "revocations",
    params(RevocationParams),
    responses(
        (status = 200, description = "Revocations after `since`, oldest first; `Cache-Control: no-store`", body = RevocationList),
        (status = 401, description = "No token, an invalid or expired one, a user's token, or a deleted client's", body = Problem),
        (status = 403, description = "A client token without `revocations:read`", body = Problem),
        (status = 422, description = "Invalid `since` or `limit`", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_revocations(req: HttpRequest, auth: web::Data<AuthService>) -> Result<HttpResponse, ApiError> {
    let token = bearer_token(&req).ok_or(ApiError::MissingBearer)?.to_owned();
    let client = auth.authenticate_client(&token, ClientScope::RevocationsRead).await?;
    let (cursor, limit) = parse_query(req.query_string())?;
    let page = auth.revocations(&client, cursor, limit).await?;
    Ok(no_store(HttpResponse::Ok())
        .json(RevocationList { items: page.events.into_iter().map(response).collect(), next: page.next }))
}

fn response(event: RevocationEvent) -> RevocationResponse {
    RevocationResponse {
        event_id: event.id,
        session_id: event.session_id.as_uuid(),
        user_id: event.user_id.as_uuid(),
        revoked_at: event.revoked_at,
    }
}

fn parse_query(query: &str) -> Result<(RevocationCursor, u64), ApiError> {
    let web::Query(params) = web::Query::<HashMap<String, String>>::from_query(query)
        .map_err(|_| ApiError::BadRequest("the query string is not valid".into()))?;
    let cursor = match params.get("since").map(String::as_str) {
        None | Some("") => Ok(RevocationCursor::Recent),
        Some(since) if since.bytes().all(|b| b.is_ascii_digit()) => since
            .parse::<i64>()
            .map(RevocationCursor::AfterEvent)
            .map_err(|_| Violation::new("since", "is too large an event id")),
        Some(since) => OffsetDateTime::parse(since, &Rfc3339)
            .map(RevocationCursor::Since)
            .map_err(|_| Violation::new("since", "must be an event id or an RFC 3339 time")),
    };
    let limit = match params.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(limit) => limit
            .parse::<u64>()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| Violation::new("limit", format!("must be an integer from 1 to {MAX_LIMIT}"))),
    };
    match (cursor, limit) {
        (Ok(cursor), Ok(limit)) => Ok((cursor, limit)),
        (cursor, limit) => Err(invalid([cursor.err(), limit.err()])),
    }
}
