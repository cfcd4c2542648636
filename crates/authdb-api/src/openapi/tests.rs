use serde_json::Value;

use super::*;

fn json() -> Value {
    serde_json::to_value(document()).expect("the document serializes")
}

#[test]
fn the_document_is_openapi_3_1_with_both_security_schemes() {
    let doc = json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(doc["components"]["securitySchemes"]["oauth2"]["flows"]["password"]["tokenUrl"], TOKEN_URL);
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

#[test]
fn every_operation_has_a_tag_a_summary_and_responses() {
    let doc = json();
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.contains_key("/api/v1/auth/login"));
    assert!(paths.contains_key("/health/ready"));
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            assert!(operation["tags"].as_array().is_some_and(|tags| !tags.is_empty()), "{method} {path}");
            let responses = operation["responses"].as_object().expect("responses");
            assert!(!responses.is_empty(), "{method} {path}");
            for (status, response) in responses {
                assert!(response["description"].is_string(), "{method} {path} {status} needs a description");
            }
        }
    }
}

#[test]
fn authenticated_operations_name_the_bearer_scheme() {
    let doc = json();
    let me = &doc["paths"]["/api/v1/auth/me"]["get"];
    assert_eq!(me["security"][0]["bearer"], serde_json::json!([]));
    assert!(me["responses"]["401"].is_object());
}

#[test]
fn every_schema_reference_resolves() {
    let doc = json();
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().expect("name");
        assert!(doc["components"]["schemas"][name].is_object(), "dangling reference to {name}");
    }
}

#[test]
fn the_document_describes_the_token_endpoint_and_discovery() {
    let doc = json();
    let token = &doc["paths"]["/api/v1/auth/token"]["post"];
    assert!(token["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object(), "{token}");
    for status in ["200", "400", "403", "503"] {
        assert!(token["responses"][status].is_object(), "token endpoint documents {status}");
    }
    assert!(doc["paths"]["/.well-known/jwks.json"]["get"].is_object());
    assert!(doc["paths"]["/.well-known/openid-configuration"]["get"].is_object());
    for schema in ["TokenForm", "TokenSuccess", "OAuthErrorBody", "JwkSetResponse", "DiscoveryResponse"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema}");
    }
}

#[test]
fn the_events_endpoint_is_described_with_its_paging_parameters() {
    let doc = json();
    let events = &doc["paths"]["/api/v1/auth/events"]["get"];
    assert_eq!(events["security"][0]["bearer"], serde_json::json!([]));
    let parameters: Vec<&str> =
        events["parameters"].as_array().expect("parameters").iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(parameters, ["limit", "offset"]);
    for status in ["200", "401", "422"] {
        assert!(events["responses"][status].is_object(), "response {status}");
    }
}

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

#[test]
fn every_api_operation_documents_throttling_and_outages_and_bodies_their_failures() {
    let doc = json();
    for (path, item) in doc["paths"].as_object().expect("paths").iter().filter(|(path, _)| path.starts_with("/api/v1/"))
    {
        for (method, operation) in item.as_object().expect("path item") {
            for status in ["429", "503"] {
                let response = &operation["responses"][status];
                assert_eq!(response["headers"]["Retry-After"]["schema"]["type"], "integer", "{method} {path} {status}");
            }
            if operation.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(operation["responses"][status].is_object(), "{method} {path} documents {status}");
                }
            }
        }
    }
}

#[test]
fn the_scan_import_documents_json_and_nmap_xml_and_the_licence() {
    let doc = json();
    let import = &doc["paths"]["/api/v1/organizations/{id}/networks/{network_id}/scans"]["post"];
    let content = import["requestBody"]["content"].as_object().expect("request content");
    let types: Vec<&str> = content.keys().map(String::as_str).collect();
    assert_eq!(types, ["application/json", "application/xml", "text/xml"]);
    assert!(content["application/json"]["schema"]["$ref"].as_str().is_some_and(|r| r.ends_with("/ScanRequest")));
    assert_eq!(content["application/xml"]["schema"]["type"], "string");
    let described = |status: &str| import["responses"][status]["description"].as_str().unwrap_or_default().to_owned();
    assert!(described("400").contains("/problems/malformed-xml"));
    assert!(described("403").contains("/problems/license-expired"));
    assert!(described("409").contains("/problems/asset-limit-reached"));
    let problem = &doc["components"]["schemas"]["Problem"]["properties"];
    assert!(problem["limit"].is_object() && problem["current"].is_object());
}

#[test]
fn every_inventory_write_documents_the_expired_licence() {
    let doc = json();
    let writes = [
        ("/api/v1/organizations/{id}/networks", "post"),
        ("/api/v1/organizations/{id}/networks/{network_id}", "patch"),
        ("/api/v1/organizations/{id}/networks/{network_id}", "delete"),
        ("/api/v1/organizations/{id}/assets", "post"),
        ("/api/v1/organizations/{id}/assets/{asset_id}", "patch"),
        ("/api/v1/organizations/{id}/assets/{asset_id}", "delete"),
        ("/api/v1/organizations/{id}/assets/{asset_id}/services", "post"),
        ("/api/v1/organizations/{id}/assets/{asset_id}/services/{service_id}", "patch"),
        ("/api/v1/organizations/{id}/assets/{asset_id}/services/{service_id}", "delete"),
        ("/api/v1/organizations/{id}/networks/{network_id}/scans", "post"),
    ];
    for (path, method) in writes {
        let forbidden = doc["paths"][path][method]["responses"]["403"]["description"].as_str().unwrap_or_default();
        assert!(forbidden.contains("/problems/license-expired"), "{method} {path}: {forbidden:?}");
    }
    let create = &doc["paths"]["/api/v1/organizations/{id}/assets"]["post"]["responses"]["409"]["description"];
    assert!(create.as_str().is_some_and(|text| text.contains("/problems/asset-limit-reached")));
}

#[test]
fn every_operation_id_is_unique() {
    let doc = json();
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            if let Some(id) = operation["operationId"].as_str() {
                let first = seen.insert(id.to_owned(), format!("{method} {path}"));
                assert!(first.is_none(), "operationId {id} of {method} {path} is also {first:?}");
            }
        }
    }
}
