//! `/api/v1/revocations`: the sessions revoked since a point, for services that verify
//! authdb's tokens themselves. Only a service client's token with `revocations:read` is
//! accepted; a user's token (or none) is 401, a client's without the scope 403.

use std::{collections::HashMap, time::Duration};

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::{ClientScope, Violation};
use authdb_service::{AuthService, ClientPrincipal, RevocationCursor, RevocationEvent, RevocationWatch};
use serde::Serialize;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::endpoint::{no_store, resource};
use crate::{ApiError, extract::bearer_token, fields::invalid, problem::Problem};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/revocations").route(web::get().to(list_revocations)))
        .service(resource("/revocations/stream").route(web::get().to(stream_revocations)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list_revocations, stream_revocations), components(schemas(RevocationList, RevocationResponse)))]
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
    let cursor = auth.resume_point(cursor).await?;
    let page = auth.revocations(&client, cursor, limit).await?;
    Ok(no_store(HttpResponse::Ok())
        .json(RevocationList { items: page.events.into_iter().map(response).collect(), next: page.next }))
}

/// How often a quiet stream sends a comment line, so that proxies keep it open; the
/// client's existence is checked as often.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Events read from the database at a time while catching up.
const STREAM_BATCH: u64 = 500;

/// Sessions revoked, as Server-Sent Events: first every session revoked within the
/// access-token lifetime plus the clock leeway (or, with `Last-Event-ID`, every one after
/// that event), then each new revocation on any instance as it commits. Each event is
/// `event: revocation`, `id: <event id>` and `data: {event_id, session_id, user_id,
/// revoked_at}`; a comment line (`: heartbeat`) every 15 s keeps proxies from closing a
/// quiet stream. The stream ends when the client's token expires or the client is
/// deleted: obtain a new token and reconnect with `Last-Event-ID` to resume without a gap.
#[utoipa::path(
    get,
    path = "/api/v1/revocations/stream",
    tag = "revocations",
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id")),
    responses(
        (status = 200, description = "`text/event-stream` of revocations; `Cache-Control: no-store`", content_type = "text/event-stream", body = String),
        (status = 401, description = "No token, an invalid or expired one, a user's token, or a deleted client's", body = Problem),
        (status = 403, description = "A client token without `revocations:read`", body = Problem),
        (status = 422, description = "`Last-Event-ID` is not an event id", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn stream_revocations(req: HttpRequest, auth: web::Data<AuthService>) -> Result<HttpResponse, ApiError> {
    let token = bearer_token(&req).ok_or(ApiError::MissingBearer)?.to_owned();
    let client = auth.authenticate_client(&token, ClientScope::RevocationsRead).await?;
    let cursor = match req.headers().get("last-event-id").map(|value| value.to_str().map(str::trim)) {
        None | Some(Ok("")) => RevocationCursor::Recent,
        Some(Ok(id)) if id.bytes().all(|b| b.is_ascii_digit()) => {
            id.parse().map(RevocationCursor::AfterEvent).map_err(|_| invalid_last_event_id())?
        }
        Some(_) => return Err(invalid_last_event_id()),
    };
    let cursor = auth.resume_point(cursor).await?;
    let expires_in = client.claims.exp.saturating_sub(OffsetDateTime::now_utc().unix_timestamp()).max(0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(expires_in.unsigned_abs());
    // Subscribed before the first read: a revocation committed meanwhile wakes the wait.
    let watch = auth.watch_revocations();
    let state = Stream { auth: auth.into_inner(), client, cursor, watch, deadline, ended: false };
    let body = futures_util::stream::unfold(state, |mut state| async move {
        let chunk = state.next_chunk().await?;
        Some((Ok::<_, std::convert::Infallible>(web::Bytes::from(chunk)), state))
    });
    Ok(no_store(HttpResponse::Ok())
        .content_type("text/event-stream")
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body))
}

fn invalid_last_event_id() -> ApiError {
    invalid([Some(Violation::new("Last-Event-ID", "must be an event id"))])
}

/// One open stream.
struct Stream {
    auth: std::sync::Arc<AuthService>,
    client: ClientPrincipal,
    cursor: RevocationCursor,
    watch: RevocationWatch,
    deadline: tokio::time::Instant,
    ended: bool,
}

impl Stream {
    /// The next text to send, or `None` when the stream is over.
    async fn next_chunk(&mut self) -> Option<String> {
        if self.ended {
            return None;
        }
        loop {
            if tokio::time::Instant::now() >= self.deadline {
                return self.end("the client token expired");
            }
            match self.auth.revocations(&self.client, self.cursor, STREAM_BATCH).await {
                Ok(page) => {
                    self.cursor = RevocationCursor::AfterEvent(page.next);
                    if !page.events.is_empty() {
                        return Some(page.events.into_iter().map(sse_event).collect());
                    }
                }
                Err(error) => {
                    tracing::warn!(error = %authdb_service::error_chain(&error), "revocation stream read failed");
                    return self.end("the database is not answering");
                }
            }
            tokio::select! {
                () = self.watch.changed() => {}
                () = tokio::time::sleep_until(self.deadline) => return self.end("the client token expired"),
                () = tokio::time::sleep(HEARTBEAT) => {
                    return match self.auth.client_exists(self.client.client).await {
                        Ok(true) => Some(": heartbeat\n\n".to_owned()),
                        Ok(false) => self.end("the client was deleted"),
                        Err(_) => self.end("the database is not answering"),
                    };
                }
            }
        }
    }

    /// A last comment saying why, then the end of the stream.
    fn end(&mut self, why: &str) -> Option<String> {
        self.ended = true;
        Some(format!(": end: {why}\n\n"))
    }
}

fn sse_event(event: RevocationEvent) -> String {
    let id = event.id;
    let data = serde_json::to_string(&response(event)).unwrap_or_default();
    format!("id: {id}\nevent: revocation\ndata: {data}\n\n")
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
