//! Mounting the console.

use actix_web::{middleware, web};
use authdb_service::Services;

use crate::{
    config::{Console, ConsoleConfig, MOUNT},
    form, headers, json, pages,
};

/// Mounts the console at [`MOUNT`]: call it on the application beside
/// `authdb_api::configure` (`App::new().configure(api).configure(console)`).
/// The console uses the same services as the API (it is another adapter over them).
pub fn configure(
    services: &Services,
    config: ConsoleConfig,
) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    let console = web::Data::new(Console {
        auth: services.auth.clone(),
        organizations: services.organizations.clone(),
        insights: services.insights.clone(),
        inventory: services.inventory.clone(),
        admin: services.admin.clone(),
        config,
    });
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(console.clone()).service(
            web::scope(MOUNT)
                .wrap(middleware::from_fn(headers::secure))
                .app_data(form::form_config())
                .app_data(form::query_config())
                .app_data(json::json_config())
                .configure(pages::mount)
                .default_service(web::to(pages::not_found)),
        );
    }
}
