//! The docs page: Swagger UI over the OpenAPI document, every asset compiled in.

use actix_web::{HttpResponse, http::header, web};
use utoipa::openapi::OpenApi;
use utoipa_swagger_ui::{Config, SwaggerUi, oauth};

use super::OPENAPI_PATH;

/// The OpenAPI document as served: serialized once per process and shared by every
/// worker (the document itself is megabytes of maps; each worker kept its own copy and
/// serialized it again on every request).
#[derive(Debug, Clone)]
pub(crate) struct ServedDocument(web::Bytes);

impl ServedDocument {
    pub(crate) fn new(document: &OpenApi) -> Self {
        // A document of plain maps and strings always serializes.
        Self(serde_json::to_vec(document).map(web::Bytes::from).unwrap_or_default())
    }

    /// `GET /docs`: Swagger UI with its assets compiled into the binary (no CDN), and the
    /// OpenAPI document at [`OPENAPI_PATH`].
    pub(crate) fn configure(&self, cfg: &mut web::ServiceConfig) {
        let config = Config::new([OPENAPI_PATH])
            .try_it_out_enabled(true)
            .persist_authorization(true)
            .display_request_duration(true)
            .filter(true);
        let served = self.0.clone();
        cfg.service(web::resource("/docs").route(web::get().to(to_docs)))
            .service(web::resource(OPENAPI_PATH).route(web::get().to(move || {
                let body = served.clone();
                async move { HttpResponse::Ok().content_type(header::ContentType::json()).body(body) }
            })))
            .service(SwaggerUi::new("/docs/{_:.*}").config(config).oauth(oauth::Config::new().app_name("authdb docs")));
    }
}

async fn to_docs() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/docs/")).finish()
}
