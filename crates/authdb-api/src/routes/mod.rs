//! The routes, one module per resource. `crate::ROUTES` is the one table that mounts
//! them and assembles the OpenAPI document from them: a new resource is a new module and
//! one line there.
//!
//! Route modules never import each other: what several need lives in `crate::dto`, in
//! this module, or in another shared module (`tests/e2e/architecture.rs` checks).

pub(crate) mod admin;
pub(crate) mod docs;
pub(crate) mod events;
pub(crate) mod health;
pub(crate) mod invitations;
pub(crate) mod login;
pub(crate) mod members;
pub(crate) mod metrics;
pub(crate) mod oauth;
pub(crate) mod organizations;
pub(crate) mod password;
pub(crate) mod profile;
pub(crate) mod register;
pub(crate) mod roles;
pub(crate) mod sessions;
pub(crate) mod well_known;

use std::{collections::HashMap, sync::OnceLock};

use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError as _,
    http::header::{self, HeaderValue},
    web,
};

use crate::ApiError;

/// Token-bearing and other private responses must not be cached (RFC 6749 section 5.1).
pub(crate) fn no_store(mut builder: HttpResponseBuilder) -> HttpResponseBuilder {
    builder.insert_header((header::CACHE_CONTROL, "no-store")).insert_header((header::PRAGMA, "no-cache"));
    builder
}

/// Anything no route matches.
pub(crate) async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// A 405 problem with the `Allow` header RFC 9110 asks for, listing the methods the
/// OpenAPI document gives the matched path.
async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let mut response = ApiError::MethodNotAllowed.error_response();
    let allowed = req.match_pattern().and_then(|pattern| allowed_methods().get(&pattern).cloned());
    if let Some(allowed) = allowed.and_then(|methods| HeaderValue::from_str(&methods).ok()) {
        response.headers_mut().insert(header::ALLOW, allowed);
    }
    response
}

/// Path template -> `Allow` value, from the OpenAPI document (every route is documented).
fn allowed_methods() -> &'static HashMap<String, String> {
    static ALLOWED: OnceLock<HashMap<String, String>> = OnceLock::new();
    ALLOWED.get_or_init(|| {
        crate::openapi::document()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = serde_json::to_value(item)
                    .ok()
                    .and_then(|value| value.as_object().cloned())
                    .map(|fields| {
                        let methods: Vec<String> = fields
                            .keys()
                            .filter(|key| HTTP_METHODS.contains(&key.as_str()))
                            .map(|key| key.to_uppercase())
                            .collect();
                        methods.join(", ")
                    })
                    .unwrap_or_default();
                (path.clone(), methods)
            })
            .collect()
    })
}

const HTTP_METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// A resource that answers methods it does not route with a 405 problem.
pub(crate) fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}
