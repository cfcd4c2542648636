//! The OpenAPI document, assembled from the documents of the route modules: each route
//! module describes its own paths and schemas (`<Module>Api`); this merges them and adds
//! the document's info and security schemes.

use utoipa::{
    OpenApi as _,
    openapi::{
        OpenApi,
        security::{Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme},
    },
};

use crate::routes;

/// The OpenAPI 3.1 document of every documented route.
pub fn document() -> OpenApi {
    let mut document = routes::sessions::SessionsApi::openapi()
        .merge_from(routes::oauth::OauthApi::openapi())
        .merge_from(routes::well_known::WellKnownApi::openapi());
    document.info.title = "authdb".into();
    document.info.version = env!("CARGO_PKG_VERSION").into();
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
    );
    components.add_security_scheme(
        "oauth2",
        SecurityScheme::OAuth2(OAuth2::new([Flow::Password(Password::new(
            routes::well_known::TOKEN_ENDPOINT_PATH,
            Scopes::new(),
        ))])),
    );
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_describes_the_token_endpoint_and_discovery() {
        let json = serde_json::to_value(document()).expect("serializable");
        let token = &json["paths"]["/api/v1/auth/token"]["post"];
        assert!(token["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object(), "{token}");
        for status in ["200", "400", "403", "503"] {
            assert!(token["responses"][status].is_object(), "token endpoint documents {status}");
        }
        assert!(json["paths"]["/.well-known/jwks.json"]["get"].is_object());
        assert!(json["paths"]["/.well-known/openid-configuration"]["get"].is_object());
        for schema in ["TokenForm", "TokenSuccess", "OAuthErrorBody", "JwkSetResponse", "DiscoveryResponse"] {
            assert!(json["components"]["schemas"][schema].is_object(), "schema {schema}");
        }
        assert_eq!(
            json["components"]["securitySchemes"]["oauth2"]["flows"]["password"]["tokenUrl"],
            "/api/v1/auth/token"
        );
        assert_eq!(json["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    }
}
