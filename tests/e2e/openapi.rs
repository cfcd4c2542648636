use authdb_tests::{Backend, spawn_app};
use serde_json::Value;

#[tokio::test]
async fn the_openapi_document_is_served_and_lists_every_route() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app.client.get(app.url("/api-docs/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, method) in [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/me", "get"),
        ("/api/v1/auth/me", "patch"),
        ("/health/live", "get"),
        ("/health/ready", "get"),
        ("/metrics", "get"),
        ("/.well-known/jwks.json", "get"),
        ("/.well-known/openid-configuration", "get"),
        ("/.well-known/oauth-authorization-server", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is not documented");
    }
    // A change's field that cannot be cleared is not documented as nullable; one that can is.
    let asset_change = &doc["components"]["schemas"]["UpdateAssetRequest"]["properties"];
    assert_eq!(asset_change["ip_address"]["type"], "string");
    assert_eq!(asset_change["hostname"]["type"], serde_json::json!(["string", "null"]));
}

#[tokio::test]
async fn every_documented_operation_exists_on_the_server() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc: Value = app.client.get(app.url("/api-docs/openapi.json")).send().await.unwrap().json().await.unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app.client.request(method.clone(), app.url(path)).send().await.unwrap();
            assert!(
                response.status() != 404 && response.status() != 405,
                "{method} {path} answered {}",
                response.status()
            );
        }
    }
}

#[tokio::test]
async fn the_docs_page_and_its_assets_come_from_the_binary() {
    let app = spawn_app(Backend::Sqlite).await;

    let redirect = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "/docs/");

    let page = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(!html.contains("://"), "the page must not load anything from another origin:\n{html}");

    for asset in ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/docs/swagger-initializer.js"] {
        let response = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
    }
    let initializer =
        app.client.get(app.url("/docs/swagger-initializer.js")).send().await.unwrap().text().await.unwrap();
    assert!(initializer.contains("/api-docs/openapi.json"), "{initializer}");
}

#[tokio::test]
async fn every_organization_route_but_reading_it_documents_the_suspension() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc: Value = app.client.get(app.url("/api-docs/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut tenant_operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/organizations/{id}") {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            let forbidden = operation["responses"]["403"]["description"].as_str().unwrap_or_default();
            let documented = forbidden.contains("/problems/organization-suspended");
            if method == "get" && path == "/api/v1/organizations/{id}" {
                assert!(!documented, "reading the organization stays possible while it is suspended");
            } else {
                assert!(documented, "{method} {path}: {forbidden:?}");
                tenant_operations += 1;
            }
        }
    }
    assert!(tenant_operations > 10, "{tenant_operations}");
}
