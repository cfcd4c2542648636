//! Discovery for services that verify our tokens on their own: the JWK Set (RFC 7517)
//! and an OpenID-style configuration document (also served as RFC 8414 OAuth metadata).

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use authdb_domain::ClientScope;
use authdb_service::{Discovery, PublicJwk};
use serde::Serialize;
use utoipa::ToSchema;

use crate::endpoint::resource;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/.well-known/jwks.json").route(web::get().to(jwks)))
        .service(resource("/.well-known/openid-configuration").route(web::get().to(openid_configuration)))
        .service(resource("/.well-known/oauth-authorization-server").route(web::get().to(oauth_authorization_server)));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(jwks, openid_configuration, oauth_authorization_server),
    components(schemas(JwkSetResponse, JwkResponse, DiscoveryResponse))
)]
pub(crate) struct WellKnownApi;

/// Where the token endpoint lives, relative to the public base URL.
pub(crate) const TOKEN_ENDPOINT_PATH: &str = "/api/v1/auth/token";
const JWKS_PATH: &str = "/.well-known/jwks.json";
/// How long verifiers may cache the key set. Rotation publishes a new key (as a
/// verify-only second key) at least this long before it starts signing.
const JWKS_MAX_AGE_SECS: u32 = 300;

/// A JWK Set (RFC 7517 section 5).
#[derive(Serialize, ToSchema)]
pub(crate) struct JwkSetResponse {
    /// The public keys that verify our access tokens, signing key first; empty with HS256.
    keys: Vec<JwkResponse>,
}

/// One public key (RFC 7517 section 4, RFC 8037 for Ed25519).
#[derive(Serialize, ToSchema)]
pub(crate) struct JwkResponse {
    /// `OKP` (Ed25519) or `RSA`.
    #[schema(example = "OKP")]
    kty: &'static str,
    /// Always `sig`.
    #[serde(rename = "use")]
    #[schema(rename = "use", example = "sig")]
    use_: &'static str,
    /// `EdDSA` or `RS256`.
    #[schema(example = "EdDSA")]
    alg: &'static str,
    /// The RFC 7638 SHA-256 thumbprint of the key; tokens name it in their header.
    kid: String,
    /// `Ed25519` for OKP keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    crv: Option<&'static str>,
    /// The Ed25519 public key (base64url).
    #[serde(skip_serializing_if = "Option::is_none")]
    x: Option<String>,
    /// The RSA modulus (base64url).
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<String>,
    /// The RSA public exponent (base64url).
    #[serde(skip_serializing_if = "Option::is_none")]
    e: Option<String>,
}

impl From<&PublicJwk> for JwkResponse {
    fn from(key: &PublicJwk) -> Self {
        Self {
            kty: key.kty,
            use_: key.use_,
            alg: key.alg,
            kid: key.kid.clone(),
            crv: key.crv,
            x: key.x.clone(),
            n: key.n.clone(),
            e: key.e.clone(),
        }
    }
}

/// The public keys that verify our access tokens.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "discovery",
    responses(
        (status = 200, description = "The JWK Set: EdDSA or RS256 public keys with `kid`, `alg` and `use`; \
            an empty `keys` list with HS256, whose secret is never published", body = JwkSetResponse),
    )
)]
pub(crate) async fn jwks(discovery: web::Data<Discovery>) -> HttpResponse {
    let keys = discovery.public_keys().iter().map(JwkResponse::from).collect();
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={JWKS_MAX_AGE_SECS}")))
        .json(JwkSetResponse { keys })
}

/// Discovery metadata (OpenID Connect Discovery 1.0, RFC 8414). authdb is not a full
/// OpenID Provider (no authorization endpoint, no ID tokens); the document tells
/// verifiers and OAuth2 clients where the keys and the token endpoint are.
#[derive(Serialize, ToSchema)]
pub(crate) struct DiscoveryResponse {
    /// The `iss` of our tokens.
    #[schema(example = "https://auth.example.com")]
    issuer: String,
    #[schema(example = "https://auth.example.com/.well-known/jwks.json")]
    jwks_uri: String,
    #[schema(example = "https://auth.example.com/api/v1/auth/token")]
    token_endpoint: String,
    /// `password`, `refresh_token` and `client_credentials`.
    grant_types_supported: Vec<&'static str>,
    /// `none` (public clients, password and refresh grants), `client_secret_basic` and
    /// `client_secret_post` (service clients, client credentials grant).
    token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// The scopes a service client can be granted (the fixed catalogue).
    scopes_supported: Vec<&'static str>,
    /// Empty: there is no authorization endpoint.
    response_types_supported: Vec<&'static str>,
    subject_types_supported: Vec<&'static str>,
    /// The access-token signing algorithm.
    id_token_signing_alg_values_supported: Vec<&'static str>,
    claims_supported: Vec<&'static str>,
}

#[utoipa::path(
    get,
    path = "/.well-known/openid-configuration",
    tag = "discovery",
    responses(
        (status = 200, description = "Issuer, JWKS URI, token endpoint and supported grants. \
            URLs are built on `server.public_url` when it is set, else on the issuer when it is an \
            http(s) URL, else on the request's Host header (not cached then). Also served at \
            /.well-known/oauth-authorization-server", body = DiscoveryResponse),
    )
)]
pub(crate) async fn openid_configuration(req: HttpRequest, discovery: web::Data<Discovery>) -> HttpResponse {
    let (base, cache) = match (discovery.public_url(), public_base_url(&req, discovery.issuer())) {
        (Some(public_url), _) => (public_url.to_owned(), "public, max-age=300"),
        // Built from the request: not for shared caches, which would serve one client's
        // Host to everyone.
        (None, Some(base)) => (base, "no-store"),
        (None, None) => (discovery.issuer().trim_end_matches('/').to_owned(), "public, max-age=300"),
    };
    let algorithm = discovery.signing_algorithm();
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, cache)).json(DiscoveryResponse {
        issuer: discovery.issuer().to_owned(),
        jwks_uri: format!("{base}{JWKS_PATH}"),
        token_endpoint: format!("{base}{TOKEN_ENDPOINT_PATH}"),
        grant_types_supported: vec!["password", "refresh_token", "client_credentials"],
        token_endpoint_auth_methods_supported: vec!["none", "client_secret_basic", "client_secret_post"],
        scopes_supported: ClientScope::ALL.iter().map(|scope| scope.as_str()).collect(),
        response_types_supported: Vec::new(),
        subject_types_supported: vec!["public"],
        id_token_signing_alg_values_supported: vec![algorithm],
        claims_supported: vec!["sub", "sid", "iss", "aud", "exp", "iat", "jti", "client_id", "scope"],
    })
}

/// The discovery document under its RFC 8414 name (OAuth 2.0 Authorization Server
/// Metadata), for OAuth2 clients that look there: the same answer as
/// `/.well-known/openid-configuration`.
#[utoipa::path(
    get,
    path = "/.well-known/oauth-authorization-server",
    tag = "discovery",
    responses(
        (status = 200, description = "The same document as /.well-known/openid-configuration: issuer, \
            JWKS URI, token endpoint and supported grants", body = DiscoveryResponse),
    )
)]
pub(crate) async fn oauth_authorization_server(req: HttpRequest, discovery: web::Data<Discovery>) -> HttpResponse {
    openid_configuration(req, discovery).await
}

/// Without a configured public URL: `None` when the issuer is an http(s) URL (as OpenID
/// discovery expects: the document lives under it); else the scheme and `Host` the
/// request came in by, and the prefix the API is mounted under. Forwarded headers
/// are not read here: any client could set them.
fn public_base_url(req: &HttpRequest, issuer: &str) -> Option<String> {
    if issuer.starts_with("https://") || issuer.starts_with("http://") {
        return None;
    }
    let config = req.app_config();
    let host = req.headers().get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or(config.host());
    let scheme = if config.secure() { "https" } else { "http" };
    // Mounted under a prefix (an embedding service's `/auth` scope), the endpoints are too.
    let pattern = req.match_pattern().unwrap_or_default();
    let prefix = pattern.find("/.well-known/").map_or("", |at| &pattern[..at]);
    Some(format!("{scheme}://{host}{prefix}"))
}
