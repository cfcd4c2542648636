//! The OAuth2 token endpoint (RFC 6749): the `password` and `refresh_token` grants for
//! public clients and the `client_credentials` grant for service clients (authenticated
//! by HTTP Basic or by form fields, section 2.3.1), form encoded, with RFC 6749 section
//! 5.2 errors (not problem+json, so that stock OAuth2 client libraries understand them).

use std::collections::BTreeMap;

use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError,
    error::PayloadError,
    http::{StatusCode, header},
    web,
};
use authdb_domain::{Login, OrganizationId};
use authdb_service::{
    AuthService, ClientCredentialsAttempt, IssuedClientToken, IssuedTokens, LoginAttempt, RefreshAttempt, ServiceError,
    error_chain,
};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use secrecy::SecretString;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::endpoint::resource;
use crate::{
    ApiError, Client,
    fields::{MAX_LOGIN_BYTES, MAX_PASSWORD_BYTES, MAX_REFRESH_TOKEN_BYTES},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/token").route(web::post().to(token)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(token), components(schemas(TokenForm, TokenSuccess, OAuthErrorBody, Problem)))]
pub(crate) struct OauthApi;

/// Longest values accepted before any work is done (the login, password and refresh token
/// as for the JSON routes, `crate::fields`).
const MAX_CLIENT_ID_BYTES: usize = 128;
const MAX_CLIENT_SECRET_BYTES: usize = 256;
const MAX_SCOPE_BYTES: usize = 1024;

/// The token request (RFC 6749 sections 4.3.2, 4.4.2 and 6),
/// `application/x-www-form-urlencoded`. A parameter sent twice is refused; an empty one
/// counts as absent; unknown parameters are ignored.
/// No `Debug`: it holds the password.
#[derive(Default, ToSchema)]
pub(crate) struct TokenForm {
    /// `password`, `refresh_token` or `client_credentials`.
    #[schema(example = "password")]
    grant_type: Option<String>,
    /// `password` grant: the email address or the username.
    #[schema(example = "alice@example.com")]
    username: Option<String>,
    /// `password` grant.
    #[schema(format = Password)]
    password: Option<String>,
    /// `refresh_token` grant: the refresh token to rotate.
    refresh_token: Option<String>,
    /// `password` and `refresh_token` grants: optional public-client identifier (1 to 128
    /// printable ASCII characters), recorded on the session; a refresh token issued to one
    /// client is refused to another. `client_credentials` grant: the service client's id,
    /// when it authenticates with form fields rather than HTTP Basic.
    #[schema(example = "my-spa")]
    client_id: Option<String>,
    /// `client_credentials` grant: the service client's secret, when it authenticates with
    /// form fields (`client_secret_post`); never together with HTTP Basic.
    #[schema(format = Password)]
    client_secret: Option<String>,
    /// `client_credentials` grant: the scopes asked for, separated by spaces (a subset of
    /// the client's; all of them when absent). Other grants: not interpreted, echoed.
    scope: Option<String>,
    /// Optional organization to scope the token to (the caller must be a member).
    organization_id: Option<String>,
}

/// A successful token response (RFC 6749 section 5.1).
#[derive(Serialize, ToSchema)]
pub(crate) struct TokenSuccess {
    access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    token_type: &'static str,
    /// Access-token lifetime in seconds.
    #[schema(example = 900)]
    expires_in: u64,
    /// Opaque, single use: rotated on every refresh. Absent for `client_credentials`.
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    /// The requested scope, echoed when one was sent; for `client_credentials`, the
    /// granted scopes.
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

/// An error response (RFC 6749 section 5.2).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OAuthErrorBody {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `invalid_scope`,
    /// `unsupported_grant_type`, `access_denied`, `temporarily_unavailable` or
    /// `server_error`.
    #[schema(example = "invalid_grant")]
    error: &'static str,
    #[schema(example = "the username or password is incorrect")]
    error_description: String,
}

/// Exchanges credentials or a refresh token for a token pair.
#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    tag = "auth",
    request_body(
        content = TokenForm,
        content_type = "application/x-www-form-urlencoded",
        description = "`grant_type=password` with `username` and `password`, or `grant_type=refresh_token` \
            with `refresh_token`; optional `client_id`, `scope` and `organization_id`. Or \
            `grant_type=client_credentials`, the client authenticated by HTTP Basic (`Authorization: Basic`, \
            id and secret form-urlencoded) or by `client_id` and `client_secret`, and optional `scope`"
    ),
    responses(
        (status = 200, description = "A new token pair (an access token only for `client_credentials`); \
            `Cache-Control: no-store`", body = TokenSuccess),
        (status = 400, description = "`invalid_request` (missing, repeated or malformed parameter, wrong \
            content type, two client authentication methods at once), `invalid_grant` (wrong credentials; \
            invalid, spent or revoked refresh token; disabled account), `invalid_client` (wrong client id or \
            secret sent as form fields), `invalid_scope` (a scope the client does not hold) or \
            `unsupported_grant_type`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`: wrong, unknown or deleted client authenticated by \
            HTTP Basic, or no client authentication at all (`WWW-Authenticate: Basic`)", body = OAuthErrorBody),
        (status = 403, description = "`access_denied`: not a member of `organization_id`", body = OAuthErrorBody),
        (status = 405, description = "Only POST", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts for this login or client from this address \
            or a spent rate-limit budget (problem+json)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until a retry may succeed"))),
        (status = 503, description = "`temporarily_unavailable`: the database is not answering", body = OAuthErrorBody, headers(("Retry-After" = u64, description = "Seconds until a retry may succeed"))),
    )
)]
pub(crate) async fn token(
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
    auth: web::Data<AuthService>,
    client: Client,
) -> HttpResponse {
    match grant(&req, body, &auth, client).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn grant(
    req: &HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
    auth: &AuthService,
    client: Client,
) -> Result<HttpResponse, TokenError> {
    if !is_form_content_type(req) {
        return Err(OAuthError::invalid_request("send the parameters as application/x-www-form-urlencoded").into());
    }
    let body = body.map_err(|error| match error.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => {
            OAuthError::invalid_request(format!("the request body must be at most {} bytes", crate::MAX_BODY_BYTES))
        }
        _ => OAuthError::invalid_request("could not read the request body"),
    })?;
    let form = parse_form(&body)?;
    if form.grant_type.as_deref() == Some("client_credentials") {
        return client_credentials(req, form, auth, client).await;
    }
    let mut client_info = client.0;
    client_info.client_id = bounded(form.client_id, "client_id", MAX_CLIENT_ID_BYTES, false)?;
    if let Some(client_id) = &client_info.client_id
        && !client_id.bytes().all(|byte| (0x20..=0x7e).contains(&byte))
    {
        return Err(OAuthError::invalid_request("client_id must be printable ASCII").into());
    }
    let scope = bounded(form.scope, "scope", MAX_SCOPE_BYTES, false)?;
    let organization_id = form
        .organization_id
        .map(|id| Uuid::parse_str(&id).map(OrganizationId::from_uuid))
        .transpose()
        .map_err(|_| OAuthError::invalid_request("organization_id must be a UUID"))?;
    let tokens = match form.grant_type.as_deref() {
        None => return Err(OAuthError::invalid_request("grant_type is required").into()),
        Some("password") => {
            let username = bounded(form.username, "username", MAX_LOGIN_BYTES, true)?.unwrap_or_default();
            let password = bounded(form.password, "password", MAX_PASSWORD_BYTES, true)?.unwrap_or_default();
            let attempt = LoginAttempt {
                login: Login::parse(&username),
                password: SecretString::from(password),
                organization_id,
            };
            auth.login(attempt, &client_info).await?
        }
        Some("refresh_token") => {
            let presented =
                bounded(form.refresh_token, "refresh_token", MAX_REFRESH_TOKEN_BYTES, true)?.unwrap_or_default();
            let attempt = RefreshAttempt { refresh_token: &presented, organization_id };
            auth.refresh_for_client(attempt, &client_info).await?
        }
        Some(other) => {
            let description = match other.len() {
                0..=64 => {
                    format!("grant_type {other:?} is not supported; use password, refresh_token or client_credentials")
                }
                _ => "this grant_type is not supported; use password, refresh_token or client_credentials".to_owned(),
            };
            return Err(OAuthError::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", description).into());
        }
    };
    Ok(no_store(HttpResponse::Ok()).json(success(tokens, scope)))
}

fn success(tokens: IssuedTokens, scope: Option<String>) -> TokenSuccess {
    TokenSuccess {
        access_token: tokens.access.token,
        token_type: "Bearer",
        expires_in: tokens.access.expires_in,
        refresh_token: Some(tokens.refresh.into_string()),
        scope,
    }
}

/// How a service client authenticated: it decides the status of `invalid_client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientAuthMethod {
    Basic,
    Post,
}

/// The client credentials grant (RFC 6749 section 4.4).
async fn client_credentials(
    req: &HttpRequest,
    form: TokenForm,
    auth: &AuthService,
    client: Client,
) -> Result<HttpResponse, TokenError> {
    let basic = basic_credentials(req)?;
    if form.organization_id.is_some() {
        return Err(OAuthError::invalid_request("organization_id is not used by the client_credentials grant").into());
    }
    let (method, client_id, secret) = match basic {
        Some((id, secret)) => {
            if form.client_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "authenticate the client one way only: HTTP Basic or client_secret, not both",
                )
                .into());
            }
            if form.client_id.as_ref().is_some_and(|form_id| *form_id != id) {
                return Err(OAuthError::invalid_request("client_id differs from the HTTP Basic client").into());
            }
            (ClientAuthMethod::Basic, id, secret)
        }
        None => match (form.client_id, form.client_secret) {
            (Some(id), Some(secret)) => (ClientAuthMethod::Post, id, secret),
            (Some(_), None) => {
                return Err(OAuthError::invalid_client(ClientAuthMethod::Post, "client_secret is required").into());
            }
            (None, _) => {
                return Err(OAuthError::invalid_client(
                    ClientAuthMethod::Basic,
                    "authenticate the client with HTTP Basic or client_id and client_secret",
                )
                .into());
            }
        },
    };
    let client_id = bounded(Some(client_id), "client_id", MAX_CLIENT_ID_BYTES, true)?.unwrap_or_default();
    let secret = bounded(Some(secret), "client_secret", MAX_CLIENT_SECRET_BYTES, true)?.unwrap_or_default();
    let scope = bounded(form.scope, "scope", MAX_SCOPE_BYTES, false)?;
    let attempt = ClientCredentialsAttempt { client_id, secret: SecretString::from(secret), scope };
    let issued = auth.client_credentials(attempt, &client.0).await.map_err(|error| match error {
        ServiceError::InvalidClient => TokenError::OAuth(OAuthError::invalid_client(
            method,
            "the client id or secret is wrong, or the client does not exist",
        )),
        other => TokenError::from(other),
    })?;
    Ok(no_store(HttpResponse::Ok()).json(client_success(issued)))
}

fn client_success(issued: IssuedClientToken) -> TokenSuccess {
    TokenSuccess {
        scope: Some(issued.access.claims.scope.clone()),
        access_token: issued.access.token,
        token_type: "Bearer",
        expires_in: issued.access.expires_in,
        refresh_token: None,
    }
}

/// The client id and secret of an `Authorization: Basic` header (RFC 6749 section
/// 2.3.1: each form-urlencoded, then joined by `:` and base64-encoded), if one is sent.
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || OAuthError::invalid_request("the Authorization header is not valid HTTP Basic credentials");
    let value = value.to_str().map_err(|_| malformed())?;
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return Err(malformed());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_request("the token endpoint takes only HTTP Basic client authentication"));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let (id, secret) = (form_decode(id).ok_or_else(malformed)?, form_decode(secret).ok_or_else(malformed)?);
    if id.is_empty() || secret.is_empty() || id.contains('\0') || secret.contains('\0') {
        return Err(malformed());
    }
    Ok(Some((id, secret)))
}

/// Decodes one `application/x-www-form-urlencoded` value (`%XX` escapes, `+` for a
/// space); `None` when it holds an unescaped `&` or `=`.
fn form_decode(encoded: &str) -> Option<String> {
    if encoded.contains(['&', '=']) {
        return None;
    }
    Some(form_urlencoded::parse(encoded.as_bytes()).next().map(|(name, _)| name.into_owned()).unwrap_or_default())
}

fn is_form_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    value.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// Decodes the form, refusing repeated parameters (RFC 6749 section 3.2) and NUL
/// characters (PostgreSQL text cannot hold them). Empty values count as absent.
fn parse_form(body: &[u8]) -> Result<TokenForm, OAuthError> {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(body) {
        if name.contains('\0') || value.contains('\0') {
            return Err(OAuthError::invalid_request("parameters must not contain NUL characters"));
        }
        if seen.insert(name.to_string(), value.into_owned()).is_some() {
            return Err(OAuthError::invalid_request(format!("the parameter {name} is repeated")));
        }
    }
    let mut take = |name: &str| seen.remove(name).filter(|value| !value.is_empty());
    Ok(TokenForm {
        grant_type: take("grant_type"),
        username: take("username"),
        password: take("password"),
        refresh_token: take("refresh_token"),
        client_id: take("client_id"),
        client_secret: take("client_secret"),
        scope: take("scope"),
        organization_id: take("organization_id"),
    })
}

/// Checks a parameter's presence (when `required`) and length.
fn bounded(value: Option<String>, name: &str, max: usize, required: bool) -> Result<Option<String>, OAuthError> {
    match value {
        None if required => Err(OAuthError::invalid_request(format!("{name} is required"))),
        Some(value) if value.len() > max => {
            Err(OAuthError::invalid_request(format!("{name} must be at most {max} bytes")))
        }
        value => Ok(value),
    }
}

/// Token responses must not be cached (RFC 6749 section 5.1), nor their errors.
fn no_store(mut builder: HttpResponseBuilder) -> HttpResponseBuilder {
    builder.insert_header((header::CACHE_CONTROL, "no-store")).insert_header((header::PRAGMA, "no-cache"));
    builder
}

/// A token-endpoint failure: an RFC 6749 error, or (for failures that protocol has no
/// word for, such as a lockout added later) the API's usual problem response.
#[derive(Debug)]
enum TokenError {
    OAuth(OAuthError),
    Problem(ApiError),
}

impl TokenError {
    fn into_response(self) -> HttpResponse {
        match self {
            Self::OAuth(error) => error.into_response(),
            Self::Problem(problem) => {
                let mut response = problem.error_response();
                let headers = response.headers_mut();
                headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
                headers.insert(header::PRAGMA, header::HeaderValue::from_static("no-cache"));
                response
            }
        }
    }
}

#[derive(Debug)]
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self { status, error, description: description.into() }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn invalid_grant(description: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// RFC 6749 section 5.2: 401 with a `WWW-Authenticate: Basic` challenge when the
    /// client tried HTTP Basic (or sent no authentication, to say which scheme to use),
    /// else 400.
    fn invalid_client(method: ClientAuthMethod, description: &str) -> Self {
        let status = match method {
            ClientAuthMethod::Basic => StatusCode::UNAUTHORIZED,
            ClientAuthMethod::Post => StatusCode::BAD_REQUEST,
        };
        Self::new(status, "invalid_client", description)
    }

    fn into_response(self) -> HttpResponse {
        let mut response = no_store(HttpResponse::build(self.status));
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="authdb", charset="UTF-8""#));
        }
        response.json(OAuthErrorBody { error: self.error, error_description: self.description })
    }
}

impl From<OAuthError> for TokenError {
    fn from(error: OAuthError) -> Self {
        Self::OAuth(error)
    }
}

impl From<ServiceError> for TokenError {
    fn from(error: ServiceError) -> Self {
        let error = match error {
            ServiceError::InvalidCredentials => OAuthError::invalid_grant("the username or password is incorrect"),
            ServiceError::AccountDisabled => OAuthError::invalid_grant("this account is disabled"),
            ServiceError::MfaRequired { .. } => OAuthError::invalid_grant(
                "a second factor is required: sign in with POST /api/v1/auth/login, then finish with the mfa_token at POST /api/v1/auth/mfa/verify (a code) or /api/v1/auth/mfa/webauthn/start and /finish (a passkey)",
            ),
            ServiceError::EmailNotVerified => OAuthError::new(
                StatusCode::FORBIDDEN,
                "access_denied",
                "the email address of this account is not verified",
            ),
            ServiceError::InvalidRefreshToken => OAuthError::invalid_grant(
                "the refresh token is invalid, expired, revoked, already used or issued to another client",
            ),
            ServiceError::InvalidScope => OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "the requested scope is unknown or not granted to this client",
            ),
            ServiceError::NotAMember => {
                OAuthError::new(StatusCode::FORBIDDEN, "access_denied", "you are not a member of this organization")
            }
            ServiceError::Invalid(violations) => {
                let fields: Vec<String> = violations.iter().map(|v| format!("{}: {}", v.field, v.message)).collect();
                OAuthError::invalid_request(fields.join("; "))
            }
            ServiceError::Unavailable(_) => OAuthError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the database is not answering; retry shortly",
            ),
            ServiceError::Internal(_) => {
                tracing::error!(error = %error_chain(&error), "token request failed");
                OAuthError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "something went wrong on our side")
            }
            other => return Self::Problem(ApiError::Service(other)),
        };
        Self::OAuth(error)
    }
}
