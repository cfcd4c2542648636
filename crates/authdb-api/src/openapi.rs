//! The OpenAPI document: every route module's paths and schemas, merged, with the
//! service's description and security schemes.

use utoipa::{
    OpenApi as _,
    openapi::{
        InfoBuilder, OpenApi,
        security::{Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme},
    },
};

use crate::routes;

/// The whole API description (OpenAPI 3.1): every route module's document, merged.
pub fn document() -> OpenApi {
    let mut document = routes::sessions::SessionsApi::openapi().merge_from(routes::events::EventsApi::openapi());
    document.info = InfoBuilder::new()
        .title("authdb")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some("Authentication, tenancy and data server"))
        .build();
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
    fn the_document_describes_the_events_endpoint_and_the_security_schemes() {
        let json = serde_json::to_value(document()).expect("serializes");
        let events = &json["paths"]["/api/v1/auth/events"]["get"];
        assert_eq!(events["security"][0]["bearer"], serde_json::json!([]));
        let parameters: Vec<&str> =
            events["parameters"].as_array().expect("parameters").iter().filter_map(|p| p["name"].as_str()).collect();
        assert_eq!(parameters, ["limit", "offset"]);
        for status in ["200", "401", "422"] {
            assert!(events["responses"][status].is_object(), "response {status}");
        }
        let schemes = &json["components"]["securitySchemes"];
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        assert_eq!(schemes["oauth2"]["flows"]["password"]["tokenUrl"], "/api/v1/auth/token");
        assert!(json["components"]["schemas"]["Problem"].is_object());
    }
}
