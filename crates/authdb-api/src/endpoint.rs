//! What every route module builds its routes with: resources that answer unrouted methods
//! with a 405 naming the allowed ones, the 404 for anything unmatched, and `no_store`.

use std::collections::HashMap;

use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError as _,
    http::header::{self, HeaderValue},
    web,
};

use crate::ApiError;

/// A resource that answers methods it does not route with a 405 problem.
pub(crate) fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

/// Anything no route matches.
pub(crate) async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// Token-bearing and other private responses must not be cached (RFC 6749 section 5.1).
pub(crate) fn no_store(mut builder: HttpResponseBuilder) -> HttpResponseBuilder {
    builder.insert_header((header::CACHE_CONTROL, "no-store")).insert_header((header::PRAGMA, "no-cache"));
    builder
}

/// Path template -> `Allow` value, read from the OpenAPI document (every route is
/// documented); registered as app data by `configure`.
#[derive(Debug, Default)]
pub(crate) struct AllowedMethods(HashMap<String, String>);

const HTTP_METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

impl AllowedMethods {
    pub(crate) fn from_document(document: &utoipa::openapi::OpenApi) -> Self {
        let allowed = document
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
            .collect();
        Self(allowed)
    }
}

/// A 405 problem with the `Allow` header RFC 9110 asks for, listing the methods the
/// OpenAPI document gives the matched path.
async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let mut response = ApiError::MethodNotAllowed.error_response();
    let allowed = req.app_data::<web::Data<AllowedMethods>>().and_then(|allowed| {
        let pattern = req.match_pattern()?;
        // Mounted under a prefix (an embedding service's `/auth` scope), the pattern is
        // the document's path with the prefix before it.
        pattern.match_indices('/').find_map(|(at, _)| allowed.0.get(&pattern[at..])).cloned()
    });
    if let Some(allowed) = allowed.and_then(|methods| HeaderValue::from_str(&methods).ok()) {
        response.headers_mut().insert(header::ALLOW, allowed);
    }
    response
}
