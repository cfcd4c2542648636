//! The console's cookies, bound to an authdb session.
//!
//! Signing in opens a real authdb session (the same `AuthService` calls as
//! `POST /api/v1/auth/login`); the browser keeps its access token and its refresh token in
//! two `HttpOnly`, `SameSite=Strict` cookies scoped to `/console` (`Secure` unless the
//! server runs on loopback only). Every request verifies the access token with the same
//! `AuthService::authenticate` as the API (revocation set, session cache), so logging out
//! everywhere, revoking the session or deactivating the account from anywhere ends the
//! console session on every instance at its next request. An expired access token is
//! refreshed transparently with the refresh token (rotation with its grace window, so
//! concurrent page loads of one browser get the same successor), and the new cookies ride
//! on the answer.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage as _, HttpRequest, dev::Payload, http::header, web};
use authdb_service::{ClientInfo, Principal, RefreshAttempt, ServiceError};

const MAX_USER_AGENT_CHARS: usize = 512;

use crate::{
    config::Console,
    cookies::{ACCESS_COOKIE, REFRESH_COOKIE, read_cookie, set_cookies, token_cookies},
    error::ConsoleError,
    layout::Chrome,
};

/// Where the request came from: the client address under the trusted proxies rule, and
/// the `User-Agent`.
pub(crate) fn client_info(console: &Console, req: &HttpRequest) -> ClientInfo {
    let forwarded = req.headers().get_all("x-forwarded-for").filter_map(|value| value.to_str().ok());
    let ip = req.peer_addr().map(|peer| console.config.trusted_proxies.client_ip(peer.ip(), forwarded));
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect());
    ClientInfo { ip: ip.map(|ip| ip.to_string()), user_agent, client_id: None }
}

/// The signed-in user of a console request: a verified access token from the cookie (or
/// one just refreshed), its session live.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    pub(crate) principal: Principal,
    pub(crate) client: ClientInfo,
    pub(crate) console: web::Data<Console>,
}

impl SignedIn {
    /// The form token (CSRF token) of this session.
    pub(crate) fn form_token(&self) -> String {
        self.console.auth.form_token(&self.principal)
    }

    pub(crate) fn secure(&self) -> bool {
        self.console.config.secure_cookies
    }
}

impl FromRequest for SignedIn {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { signed_in(&req).await })
    }
}

/// Authenticates the request once (the answer is kept in the request for a second
/// extractor, such as [`crate::form::Posted`]).
pub(crate) async fn signed_in(req: &HttpRequest) -> Result<SignedIn, ConsoleError> {
    if let Some(signed_in) = req.extensions().get::<SignedIn>().cloned() {
        return Ok(signed_in);
    }
    let console = req
        .app_data::<web::Data<Console>>()
        .cloned()
        .ok_or_else(|| ServiceError::Internal("the console is not configured".into()))?;
    let secure = console.config.secure_cookies;
    let client = client_info(&console, req);
    let access = read_cookie(req, ACCESS_COOKIE);
    let verified = match &access {
        Some(token) => match console.auth.authenticate(token).await {
            Ok(principal) => Some(principal),
            Err(ServiceError::InvalidAccessToken) => None,
            Err(ServiceError::AccountDisabled) => return Err(ConsoleError::SignInRequired { secure }),
            Err(other) => return Err(other.into()),
        },
        None => None,
    };
    let principal = match verified {
        Some(principal) => principal,
        None => {
            let refresh = read_cookie(req, REFRESH_COOKIE).ok_or(ConsoleError::SignInRequired { secure })?;
            let attempt = RefreshAttempt { refresh_token: &refresh, organization_id: None };
            let tokens = match console.auth.refresh(attempt, &client).await {
                Ok(tokens) => tokens,
                Err(ServiceError::Unavailable(source)) => return Err(ServiceError::Unavailable(source).into()),
                Err(_) => return Err(ConsoleError::SignInRequired { secure }),
            };
            let principal = match console.auth.authenticate(&tokens.access.token).await {
                Ok(principal) => principal,
                Err(ServiceError::Unavailable(source)) => return Err(ServiceError::Unavailable(source).into()),
                Err(_) => return Err(ConsoleError::SignInRequired { secure }),
            };
            set_cookies(req, token_cookies(&tokens, secure));
            principal
        }
    };
    let signed_in = SignedIn { principal, client, console };
    req.extensions_mut().insert(signed_in.clone());
    Ok(signed_in)
}

impl SignedIn {
    /// The page chrome for this user, `current` marked in the navigation.
    pub(crate) fn chrome(&self, current: &'static str) -> Chrome {
        Chrome {
            username: self.principal.user.username.to_string(),
            form_token: self.form_token(),
            current,
            superuser: self.principal.user.is_superuser,
        }
    }

    /// Nothing unless the user is a superuser: the Platform pages (and their forms) do not
    /// exist for anyone else (404, as an unknown page). The use cases check the flag again
    /// in the database.
    pub(crate) fn require_superuser(&self) -> Result<(), ConsoleError> {
        if self.principal.user.is_superuser { Ok(()) } else { Err(ConsoleError::NotFound) }
    }
}
