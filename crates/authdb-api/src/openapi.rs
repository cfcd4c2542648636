//! The OpenAPI document, generated from the route annotations.
//!
//! Each route module declares its own `utoipa::OpenApi` struct; this merges them and
//! adds the document's info and security schemes.

use utoipa::{
    OpenApi,
    openapi::security::{Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme},
};

use crate::{
    problem::{FieldError, Problem},
    routes,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "authdb", description = "Authentication, tenancy and data server"),
    components(schemas(Problem, FieldError))
)]
struct BaseApi;

/// The whole API as OpenAPI 3.1.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = BaseApi::openapi()
        .merge_from(routes::sessions::SessionsApi::openapi())
        .merge_from(routes::organizations::OrganizationsApi::openapi())
        .merge_from(routes::roles::RolesApi::openapi())
        .merge_from(routes::admin::AdminApi::openapi());
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
    );
    components.add_security_scheme(
        "oauth2",
        SecurityScheme::OAuth2(OAuth2::new([Flow::Password(Password::new("/api/v1/auth/token", Scopes::new()))])),
    );
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_organization_route_is_documented_with_bearer_security() {
        let document = document();
        let paths: Vec<&String> = document.paths.paths.keys().collect();
        for expected in [
            "/api/v1/organizations",
            "/api/v1/organizations/{id}",
            "/api/v1/organizations/{id}/members/{user_id}",
            "/api/v1/organizations/{id}/roles/{role_id}",
            "/api/v1/organizations/{id}/invitations",
            "/api/v1/invitations/accept",
            "/api/v1/admin/users/{id}",
        ] {
            assert!(paths.iter().any(|path| *path == expected), "{expected} missing from {paths:?}");
        }
        let components = document.components.expect("components");
        assert!(components.schemas.contains_key("Problem"));
        assert!(components.security_schemes.contains_key("bearer"));
        assert!(components.security_schemes.contains_key("oauth2"));
    }
}
