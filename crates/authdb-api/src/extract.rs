use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpMessage as _, HttpRequest, dev::Payload, http::header, web};
use authdb_service::{AuthService, ClientInfo, Principal, ServiceError, VerifiedAccess};
use futures_util::future::LocalBoxFuture;

use crate::{ApiError, TrustedProxies, client_ip::RequestClientIp as _};

const MAX_USER_AGENT_CHARS: usize = 512;

/// The caller, authenticated by `Authorization: Bearer <access token>`: the token is
/// verified and its user and session are live.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The rate limiter has usually verified this very token already (`rate_limit::classify`).
        let verified = req.extensions().get::<VerifiedAccess>().cloned();
        let token = if verified.is_some() { None } else { bearer_token(req).map(str::to_owned) };
        let auth = req.app_data::<web::Data<AuthService>>().cloned();
        Box::pin(async move {
            if verified.is_none() && token.is_none() {
                return Err(ApiError::MissingBearer);
            }
            let auth = auth.ok_or_else(|| ServiceError::Internal("AuthService is not registered".into()))?;
            let principal = match (verified, token) {
                (Some(verified), _) => auth.authenticate_verified(verified).await?,
                (None, token) => auth.authenticate(token.as_deref().unwrap_or_default()).await?,
            };
            Ok(Self(principal))
        })
    }
}

pub(crate) fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Where the request came from: the client address (the peer, or what a trusted proxy
/// forwards, see [`TrustedProxies`]) and the `User-Agent`.
#[derive(Debug, Clone)]
pub struct Client(pub ClientInfo);

impl FromRequest for Client {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ip = match req.app_data::<web::Data<TrustedProxies>>() {
            Some(proxies) => proxies.client_ip_of(req),
            None => req.peer_addr().map(|addr| addr.ip()),
        }
        .map(|ip| ip.to_string());
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect());
        ready(Ok(Self(ClientInfo { ip, user_agent, client_id: None })))
    }
}
