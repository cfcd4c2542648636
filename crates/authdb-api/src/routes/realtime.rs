//! `GET /api/v1/ws`: the realtime socket. One per device, carrying the events of every
//! chat the caller is in, in every organization (see `crate::socket`).
//!
//! The caller is authenticated before the upgrade, by the first of: `Authorization: Bearer
//! <token>`; a `Sec-WebSocket-Protocol` entry `authdb.bearer.<token>` beside `authdb.v1`
//! (browsers cannot set headers on a WebSocket; the server selects `authdb.v1` and never
//! echoes the token); `?access_token=<token>` (a compatibility mode; the access log never
//! records query strings). Without a valid token the answer is 401 and no upgrade.
//!
//! The encoding is the first subprotocol the client offers of `authdb.v1` (JSON text
//! frames) and `authdb.msgpack.v1` (signed MessagePack binary frames, docs/protocol.md);
//! the server selects it in its answer. A client that offers neither gets JSON and no
//! `Sec-WebSocket-Protocol` answer.

use actix_web::{FromRequest as _, HttpRequest, HttpResponse, http::header, web};
use authdb_service::{AuthService, MessagingService, OrganizationService, RealtimeService};

use crate::endpoint::resource;
use crate::{
    ApiError, Client, RateLimiter,
    extract::bearer_token,
    problem::{FieldError, Problem},
    socket::{
        self, Context,
        frames::{Frames, JsonFrames},
        msgpack_frames::MsgpackFrames,
    },
};

/// The subprotocol of JSON text frames.
const JSON_PROTOCOL: &str = authdb_protocol::SUBPROTOCOL_JSON;
/// The subprotocol of signed MessagePack binary frames.
const MSGPACK_PROTOCOL: &str = authdb_protocol::SUBPROTOCOL_MSGPACK;
/// The prefix of the subprotocol entry that carries a browser's access token.
const BEARER_PROTOCOL: &str = "authdb.bearer.";

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/ws").route(web::get().to(connect)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(connect), components(schemas(Problem, FieldError)))]
pub(crate) struct RealtimeApi;

/// Open the realtime socket (WebSocket, subprotocol `authdb.v1` or `authdb.msgpack.v1`):
/// events of every chat the caller is in, and the commands `typing`, `message.send` and
/// `auth`. Frames and close codes are described in docs/api.md ("Realtime") and, for the
/// binary subprotocol, docs/protocol.md.
#[utoipa::path(
    get,
    path = "/api/v1/ws",
    tag = "chats",
    params(
        ("access_token" = Option<String>, Query,
            description = "Compatibility mode: the access token in the query (prefer the header or the subprotocol)"),
        ("Sec-WebSocket-Protocol" = Option<String>, Header,
            description = "`authdb.v1` (JSON) or `authdb.msgpack.v1` (signed MessagePack), optionally with `authdb.bearer.<access token>`"),
    ),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket handshake", body = Problem),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn connect(req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let internal = |what: &str| {
        ApiError::Service(authdb_service::ServiceError::Internal(format!("{what} is not registered").into()))
    };
    let auth = req.app_data::<web::Data<AuthService>>().ok_or_else(|| internal("AuthService"))?.clone();
    let realtime = req.app_data::<web::Data<RealtimeService>>().ok_or_else(|| internal("RealtimeService"))?.clone();
    let messaging = req.app_data::<web::Data<MessagingService>>().ok_or_else(|| internal("MessagingService"))?.clone();
    let organizations =
        req.app_data::<web::Data<OrganizationService>>().ok_or_else(|| internal("OrganizationService"))?.clone();
    let token = presented_token(&req).ok_or(ApiError::MissingBearer)?;
    let principal = auth.authenticate(&token).await?;
    drop(token);
    let client = Client::extract(&req).await?.0;
    let connection = realtime.connect(&principal).await?;
    let policy = messaging.policy();
    let protocol = chosen_protocol(&req);
    let frames: Box<dyn Frames> = match protocol {
        Some(MSGPACK_PROTOCOL) => Box::new(
            MsgpackFrames::generate()
                .map_err(|error| ApiError::Service(authdb_service::ServiceError::Internal(Box::new(error))))?,
        ),
        _ => Box::new(JsonFrames),
    };
    let (response, session, stream) = actix_ws::handle_with_protocols(&req, payload, protocol.as_slice())
        .map_err(|error| ApiError::BadRequest(error.to_string()))?;
    let stream = stream.max_frame_size(socket::max_frame_bytes(policy));
    let context = Context {
        auth: auth.get_ref().clone(),
        organizations: organizations.get_ref().clone(),
        messaging: messaging.get_ref().clone(),
        limiter: req.app_data::<web::Data<RateLimiter>>().map(|limiter| limiter.get_ref().clone()),
        client,
    };
    actix_web::rt::spawn(socket::serve(session, stream, connection, principal, context, frames));
    Ok(response)
}

/// The first subprotocol the client offers that the server speaks, if any.
fn chosen_protocol(req: &HttpRequest) -> Option<&'static str> {
    offered_protocols(req).find_map(|entry| [JSON_PROTOCOL, MSGPACK_PROTOCOL].into_iter().find(|known| *known == entry))
}

/// The entries of the `Sec-WebSocket-Protocol` headers, in order.
fn offered_protocols(req: &HttpRequest) -> impl Iterator<Item = &str> {
    req.headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
}

/// The access token, from the first form present: the `Authorization` header, the
/// subprotocol entry, the query.
fn presented_token(req: &HttpRequest) -> Option<String> {
    if let Some(token) = bearer_token(req) {
        return Some(token.to_owned());
    }
    let offered =
        offered_protocols(req).find_map(|entry| entry.strip_prefix(BEARER_PROTOCOL)).filter(|token| !token.is_empty());
    if let Some(token) = offered {
        return Some(token.to_owned());
    }
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(key, _)| key == "access_token")
        .map(|(_, token)| token.into_owned())
        .filter(|token| !token.is_empty())
}
