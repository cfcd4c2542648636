//! Tenant isolation, generated from the OpenAPI document: for every operation under
//! `/api/v1/organizations/{id}/...`, a member of another organization gets 404 and none
//! of the organization's data, whatever the method and body.

use authdb_tests::{Backend, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

/// Every (method, path template) of the document under `/api/v1/organizations/{id}`.
fn organization_operations() -> Vec<(Method, String)> {
    let document = serde_json::to_value(authdb_api::openapi::document()).unwrap();
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/organizations/{id}") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            if let Ok(method) = method.to_uppercase().parse::<Method>() {
                operations.push((method, path.clone()));
            }
        }
    }
    operations
}

async fn members_of_another_organization_get_404_on_every_organization_route(backend: Backend) {
    let app = spawn_app(backend).await;
    // The victim: alice's organization with a member, a custom role and an invitation.
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let victim = app.create_organization_ok(&alice.access_token, "victim-corp").await;
    let victim_id = victim["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &victim_id, &bob, "member").await;
    let role: Value = app
        .post(
            &format!("/api/v1/organizations/{victim_id}/roles"),
            &alice.access_token,
            &json!({"name": "secret-role", "permissions": ["org:read"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let invitation: Value = app
        .post(
            &format!("/api/v1/organizations/{victim_id}/invitations"),
            &alice.access_token,
            &json!({"email": "hidden-invitee@example.com", "role": "viewer"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let network: Value = app
        .post(
            &format!("/api/v1/organizations/{victim_id}/networks"),
            &alice.access_token,
            &json!({"name": "secret-network", "agent_token": "secret-agent-token"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let asset: Value = app
        .post(
            &format!("/api/v1/organizations/{victim_id}/assets"),
            &alice.access_token,
            &json!({"ip_address": "10.66.66.66", "hostname": "secret-host", "network_id": network["id"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let service: Value = app
        .post(
            &format!("/api/v1/organizations/{victim_id}/assets/{}/services", asset["id"].as_str().unwrap()),
            &alice.access_token,
            &json!({"port": 5432, "protocol": "tcp", "banner": "secret-banner"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let scan: Value = app
        .post(
            &format!("/api/v1/organizations/{victim_id}/networks/{}/scans", network["id"].as_str().unwrap()),
            &alice.access_token,
            &json!({"hosts": [{"ip": "10.66.66.67", "status": "up", "hostname": "secret-scanned"}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let rule: Value = app
        .post(
            &format!("/api/v1/organizations/{victim_id}/networks/{}/access-rules", network["id"].as_str().unwrap()),
            &alice.access_token,
            &json!({"list": "deny", "target": "10.66.66.68", "comment": "secret-rule"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let chat: Value = app
        .post(
            &format!("/api/v1/organizations/{victim_id}/chats"),
            &alice.access_token,
            &json!({"kind": "group", "name": "secret-chat", "member_ids": [bob.user_id()]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let message: Value = app
        .post(
            &format!("/api/v1/organizations/{victim_id}/chats/{}/messages", chat["id"].as_str().unwrap()),
            &alice.access_token,
            &json!({"ciphertext": "c2VjcmV0LWNpcGhlcnRleHQ=", "client_id": "secret-client-id"}),
        )
        .await
        .json()
        .await
        .unwrap();
    // The attacker owns another organization: every permission there, none here.
    let mallory = app.register_ok("mallory").await;
    app.create_organization_ok(&mallory.access_token, "mallory-inc").await;

    let fill = |template: &str| {
        template
            .replace("{id}", &victim_id)
            .replace("{user_id}", &bob.user_id())
            .replace("{role_id}", role["id"].as_str().unwrap())
            .replace("{invitation_id}", invitation["id"].as_str().unwrap())
            .replace("{network_id}", network["id"].as_str().unwrap())
            .replace("{asset_id}", asset["id"].as_str().unwrap())
            .replace("{service_id}", service["id"].as_str().unwrap())
            .replace("{scan_id}", scan["id"].as_str().unwrap())
            .replace("{rule_id}", rule["id"].as_str().unwrap())
            .replace("{chat_id}", chat["id"].as_str().unwrap())
            .replace("{message_id}", message["id"].as_str().unwrap())
    };
    let operations = organization_operations();
    assert!(operations.len() >= 15, "the document lists too few organization routes: {operations:?}");
    let secrets = [
        "victim-corp",
        "bob@example.com",
        "secret-role",
        "hidden-invitee",
        "secret-network",
        "secret-host",
        "10.66.66.66",
        "secret-banner",
        "secret-scanned",
        "secret-rule",
        "secret-chat",
        "c2VjcmV0LWNpcGhlcnRleHQ=",
        "secret-client-id",
        &victim_id,
    ];
    let body = json!({"name": "x", "role": "owner", "email": "mallory@example.com", "permissions": ["org:delete"]});
    for (method, template) in &operations {
        assert!(!fill(template).contains('{'), "unfilled path parameter in {template}");
        let response = app.send(method.clone(), &fill(template), &mallory.access_token, Some(&body)).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 404, "{method} {template} answered {status}: {text}");
        for secret in secrets {
            assert!(!text.contains(secret), "{method} {template} leaked {secret}: {text}");
        }
        // The same without a body (or with a broken one) is still a 404.
        let bare = app.send(method.clone(), &fill(template), &mallory.access_token, None).await;
        assert_eq!(bare.status(), 404, "{method} {template} without a body");
    }

    // Nothing changed, and the owner can still reach every GET route.
    let members: Value =
        app.get(&format!("/api/v1/organizations/{victim_id}/members"), &alice.access_token).await.json().await.unwrap();
    assert_eq!(members["total"], 2);
    let assets: Value =
        app.get(&format!("/api/v1/organizations/{victim_id}/assets"), &alice.access_token).await.json().await.unwrap();
    assert_eq!(assets["total"], 2, "the attacker's writes changed nothing");
    assert_eq!(assets["items"][0]["hostname"], "secret-host");
    assert_eq!(assets["items"][0]["open_services"], 1, "the attacker's writes changed no service");
    let messages: Value = app
        .get(
            &format!("/api/v1/organizations/{victim_id}/chats/{}/messages", chat["id"].as_str().unwrap()),
            &alice.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(messages["items"].as_array().unwrap().len(), 1, "the attacker's writes changed no message");
    for (method, template) in operations.iter().filter(|(method, _)| *method == Method::GET) {
        let response = app.get(&fill(template), &alice.access_token).await;
        assert_eq!(response.status(), 200, "{method} {template} for the owner");
    }
}

on_both_backends!(members_of_another_organization_get_404_on_every_organization_route);
