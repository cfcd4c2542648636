//! The docs page: Swagger UI over the OpenAPI document, every asset compiled in.

use actix_web::{HttpResponse, http::header, web};
use utoipa_swagger_ui::{Config, SwaggerUi, oauth};

use super::{OPENAPI_PATH, document};

/// `GET /docs`: Swagger UI with its assets compiled into the binary (no CDN), and the
/// OpenAPI document at [`OPENAPI_PATH`].
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    let config = Config::new([OPENAPI_PATH])
        .try_it_out_enabled(true)
        .persist_authorization(true)
        .display_request_duration(true)
        .filter(true);
    cfg.service(web::resource("/docs").route(web::get().to(to_docs))).service(
        SwaggerUi::new("/docs/{_:.*}")
            .url(OPENAPI_PATH, document())
            .config(config)
            .oauth(oauth::Config::new().app_name("authdb docs")),
    );
}

async fn to_docs() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/docs/")).finish()
}
