pub(crate) mod auth;
pub(crate) mod events;
pub(crate) mod health;
pub(crate) mod sessions;

use actix_web::{HttpResponse, web};

use crate::ApiError;

/// Anything no route matches.
pub(crate) async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

/// A resource that answers methods it does not route with a 405 problem.
pub(crate) fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}
