//! The OpenAPI document, assembled from the documents of the route modules.

use utoipa::OpenApi as _;

use crate::routes;

/// The OpenAPI 3.1 document of every documented route.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = routes::sessions::SessionsApi::openapi();
    document.info.title = "authdb".into();
    document
}
