//! The OAuth2 token endpoint (RFC 6749): the `password` and `refresh_token` grants for
//! public clients, form encoded, with RFC 6749 section 5.2 errors (not problem+json, so
//! that stock OAuth2 client libraries understand them).

use std::collections::BTreeMap;

use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError,
    error::PayloadError,
    http::{StatusCode, header},
    web,
};
use authdb_domain::{Login, OrganizationId};
use authdb_service::{AuthService, IssuedTokens, LoginAttempt, RefreshAttempt, ServiceError, error_chain};
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
const MAX_SCOPE_BYTES: usize = 1024;

/// The token request (RFC 6749 sections 4.3.2 and 6), `application/x-www-form-urlencoded`.
/// A parameter sent twice is refused; an empty one counts as absent; unknown parameters
/// (such as `client_secret`: there are only public clients) are ignored.
/// No `Debug`: it holds the password.
#[derive(Default, ToSchema)]
pub(crate) struct TokenForm {
    /// `password` or `refresh_token`.
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
    /// Optional public-client identifier (1 to 128 printable ASCII characters), recorded
    /// on the session. A refresh token issued to one client is refused to another.
    #[schema(example = "my-spa")]
    client_id: Option<String>,
    /// Optional; not interpreted, echoed in the response.
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
    /// Opaque, single use: rotated on every refresh.
    refresh_token: String,
    /// The requested scope, echoed when one was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

/// An error response (RFC 6749 section 5.2).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OAuthErrorBody {
    /// `invalid_request`, `invalid_grant`, `unsupported_grant_type`, `access_denied`,
    /// `temporarily_unavailable` or `server_error`.
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
            with `refresh_token`; optional `client_id`, `scope` and `organization_id`"
    ),
    responses(
        (status = 200, description = "A new token pair; `Cache-Control: no-store`", body = TokenSuccess),
        (status = 400, description = "`invalid_request` (missing, repeated or malformed parameter, wrong \
            content type), `invalid_grant` (wrong credentials; invalid, spent or revoked refresh token; \
            disabled account) or `unsupported_grant_type`", body = OAuthErrorBody),
        (status = 403, description = "`access_denied`: not a member of `organization_id`", body = OAuthErrorBody),
        (status = 405, description = "Only POST", body = Problem, content_type = "application/problem+json"),
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
                0..=64 => format!("grant_type {other:?} is not supported; use password or refresh_token"),
                _ => "this grant_type is not supported; use password or refresh_token".to_owned(),
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
        refresh_token: tokens.refresh.into_string(),
        scope,
    }
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

    fn into_response(self) -> HttpResponse {
        let mut response = no_store(HttpResponse::build(self.status));
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "5"));
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
            ServiceError::EmailNotVerified => OAuthError::new(
                StatusCode::FORBIDDEN,
                "access_denied",
                "the email address of this account is not verified",
            ),
            ServiceError::InvalidRefreshToken => OAuthError::invalid_grant(
                "the refresh token is invalid, expired, revoked, already used or issued to another client",
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
