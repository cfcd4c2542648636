//! Roles: the built-in catalogue and custom roles per organization.

use authdb_tests::{Backend, spawn_app, spawn_app_with};
use serde_json::{Value, json};

async fn built_in_roles_are_listed_with_their_permissions(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let id = org["id"].as_str().unwrap();

    let listed: Value =
        app.get(&format!("/api/v1/organizations/{id}/roles"), &alice.access_token).await.json().await.unwrap();

    assert_eq!(listed["total"], 4);
    let roles = listed["items"].as_array().unwrap();
    let names: Vec<&str> = roles.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["owner", "admin", "member", "viewer"]);
    assert!(roles.iter().all(|r| r["built_in"] == true));
    let permissions = |index: usize| -> Vec<&str> {
        roles[index]["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect()
    };
    assert!(permissions(0).contains(&"org:delete"));
    assert!(!permissions(1).contains(&"org:delete"));
    assert_eq!(permissions(1).len(), permissions(0).len() - 1);
    assert_eq!(permissions(3), ["org:read", "members:read", "assets:read"]);
    let owner_id = roles[0]["id"].as_str().unwrap();
    assert_eq!(owner_id, "00000000-0000-7000-8000-000000000001");
    let one = app.get(&format!("/api/v1/organizations/{id}/roles/{owner_id}"), &alice.access_token).await;
    assert_eq!(one.status(), 200);
    let built_in = app
        .patch(
            &format!("/api/v1/organizations/{id}/roles/{owner_id}"),
            &alice.access_token,
            &json!({"permissions": []}),
        )
        .await;
    assert_eq!(built_in.status(), 403, "built-in roles cannot be changed");
    assert_eq!(
        app.delete(&format!("/api/v1/organizations/{id}/roles/{owner_id}"), &alice.access_token).await.status(),
        403
    );
}

async fn custom_roles_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let id = org["id"].as_str().unwrap();
    app.add_member_ok(&alice.access_token, id, &bob, "admin").await;
    let roles = format!("/api/v1/organizations/{id}/roles");

    let unknown = app
        .post(&roles, &alice.access_token, &json!({"name": "auditor", "permissions": ["org:read", "org:fly"]}))
        .await;
    assert_eq!(unknown.status(), 422);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "permissions");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("org:fly"));
    let reserved = app.post(&roles, &alice.access_token, &json!({"name": "owner", "permissions": []})).await;
    assert_eq!(reserved.status(), 422);
    assert_eq!(reserved.json::<Value>().await.unwrap()["errors"][0]["field"], "name");
    let created = app
        .post(
            &roles,
            &alice.access_token,
            &json!({"name": "auditor", "description": "Reads", "permissions": ["members:read", "org:read"]}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["permissions"], json!(["org:read", "members:read"]), "catalogue order");
    assert_eq!(created["built_in"], false);
    let duplicate = app.post(&roles, &alice.access_token, &json!({"name": "auditor", "permissions": []})).await;
    assert_eq!(duplicate.status(), 409);
    assert_eq!(duplicate.json::<Value>().await.unwrap()["errors"][0]["field"], "name");
    let escalation =
        app.post(&roles, &bob.access_token, &json!({"name": "deleter", "permissions": ["org:delete"]})).await;
    assert_eq!(escalation.status(), 403, "an admin cannot grant org:delete");
    let fine = app.post(&roles, &bob.access_token, &json!({"name": "helper", "permissions": ["members:manage"]})).await;
    assert_eq!(fine.status(), 201);
}

async fn changing_a_role_changes_its_members_rights_at_once(backend: Backend) {
    // Caches that would otherwise trust a membership for a minute.
    let app = spawn_app_with(backend, |settings| settings.auth.session_cache_ttl_ms = 60_000).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let id = org["id"].as_str().unwrap();
    let roles = format!("/api/v1/organizations/{id}/roles");
    let role: Value = app
        .post(&roles, &alice.access_token, &json!({"name": "editor", "permissions": ["org:read", "org:update"]}))
        .await
        .json()
        .await
        .unwrap();
    let role_path = format!("{roles}/{}", role["id"].as_str().unwrap());
    app.add_member_ok(&alice.access_token, id, &bob, "editor").await;
    let org_path = format!("/api/v1/organizations/{id}");
    assert_eq!(app.patch(&org_path, &bob.access_token, &json!({"name": "Edited"})).await.status(), 200);

    let changed = app
        .patch(&role_path, &alice.access_token, &json!({"permissions": ["org:read"], "description": "Read only"}))
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(app.patch(&org_path, &bob.access_token, &json!({"name": "Again"})).await.status(), 403);

    let in_use = app.delete(&role_path, &alice.access_token).await;
    assert_eq!(in_use.status(), 409);
    let member_path = format!("/api/v1/organizations/{id}/members/{}", bob.user_id());
    assert_eq!(app.patch(&member_path, &alice.access_token, &json!({"role": "viewer"})).await.status(), 200);
    assert_eq!(app.delete(&role_path, &alice.access_token).await.status(), 204);
    assert_eq!(app.get(&role_path, &alice.access_token).await.status(), 404);
    let invalid = app
        .patch(&format!("{roles}/{}", uuid::Uuid::now_v7()), &alice.access_token, &json!({"permissions": ["x"]}))
        .await;
    assert_eq!(invalid.status(), 422, "the body is checked before the role is looked up");
}

async fn a_role_in_a_pending_invitation_is_in_use(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let id = org["id"].as_str().unwrap();
    let role: Value = app
        .post(
            &format!("/api/v1/organizations/{id}/roles"),
            &alice.access_token,
            &json!({"name": "guest", "permissions": []}),
        )
        .await
        .json()
        .await
        .unwrap();
    let invitation: Value = app
        .post(
            &format!("/api/v1/organizations/{id}/invitations"),
            &alice.access_token,
            &json!({"email": "bob@example.com", "role": "guest"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let role_path = format!("/api/v1/organizations/{id}/roles/{}", role["id"].as_str().unwrap());

    assert_eq!(app.delete(&role_path, &alice.access_token).await.status(), 409);
    let withdraw = format!("/api/v1/organizations/{id}/invitations/{}", invitation["id"].as_str().unwrap());
    assert_eq!(app.delete(&withdraw, &alice.access_token).await.status(), 204);
    assert_eq!(app.delete(&withdraw, &alice.access_token).await.status(), 404);
    assert_eq!(app.delete(&role_path, &alice.access_token).await.status(), 204);
}

on_both_backends!(
    built_in_roles_are_listed_with_their_permissions,
    custom_roles_are_validated,
    changing_a_role_changes_its_members_rights_at_once,
    a_role_in_a_pending_invitation_is_in_use,
);
