//! Mounting the console.

use actix_web::{middleware, web};
use authdb_service::{AuthService, InsightsService, OrganizationService};

use crate::{
    config::{Console, ConsoleConfig, MOUNT},
    form, headers, pages,
};

/// Mounts the console at [`MOUNT`]: call it on the application beside
/// `authdb_api::configure` (`App::new().configure(api).configure(console)`).
pub fn configure(
    auth: AuthService,
    organizations: OrganizationService,
    insights: InsightsService,
    config: ConsoleConfig,
) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    let console = web::Data::new(Console { auth, organizations, insights, config });
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(console.clone()).service(
            web::scope(MOUNT)
                .wrap(middleware::from_fn(headers::secure))
                .app_data(form::form_config())
                .configure(pages::mount)
                .default_service(web::to(pages::not_found)),
        );
    }
}
