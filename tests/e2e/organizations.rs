//! Organizations: create, list, read, update, delete.

use authdb_persistence::entities::{invitations, memberships, roles};
use authdb_server::settings::MailTransport;
use authdb_tests::{Backend, PASSWORD, claims_of, spawn_app, spawn_app_with, spawn_app_without_mail};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

async fn creating_an_organization_makes_the_caller_its_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;

    let response = app
        .post(
            "/api/v1/organizations",
            &alice.access_token,
            &json!({"name": "Acme", "slug": "acme-labs", "description": "Rockets", "settings": {"theme": "dark"}}),
        )
        .await;

    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["slug"], "acme-labs");
    assert_eq!(created["role"], "owner");
    assert_eq!(created["settings"], json!({"theme": "dark"}));
    assert_eq!(created["is_active"], true);
    for key in ["license_key", "license_expires_at", "max_assets", "created_at", "updated_at", "description"] {
        assert!(created.get(key).is_some(), "missing {key}");
    }
    let id = created["id"].as_str().unwrap();
    let fetched: Value =
        app.get(&format!("/api/v1/organizations/{id}"), &alice.access_token).await.json().await.unwrap();
    assert_eq!(fetched["name"], "Acme");
    let mine: Value = app.get("/api/v1/organizations", &alice.access_token).await.json().await.unwrap();
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["limit"], 50);
    assert_eq!(mine["offset"], 0);
    assert_eq!(mine["items"][0]["id"], id);
    assert_eq!(mine["items"][0]["role"], "owner");
}

async fn slugs_are_validated_and_unique(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    app.create_organization_ok(&alice.access_token, "acme").await;

    for bad in ["ab", "Acme", "-acme", "ac--me", "acme_1"] {
        let response = app.post("/api/v1/organizations", &alice.access_token, &json!({"name": "X", "slug": bad})).await;
        assert_eq!(response.status(), 422, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], "slug", "{bad}");
    }
    let taken = app.post("/api/v1/organizations", &alice.access_token, &json!({"name": "X", "slug": "acme"})).await;
    assert_eq!(taken.status(), 409);
    assert_eq!(taken.json::<Value>().await.unwrap()["errors"][0]["field"], "slug");
    let missing = app.post("/api/v1/organizations", &alice.access_token, &json!({"slug": "acme2"})).await;
    assert_eq!(missing.status(), 422);
    assert_eq!(missing.json::<Value>().await.unwrap()["errors"][0]["field"], "name");
    let anonymous = app.post_json("/api/v1/organizations", &json!({"name": "X", "slug": "acme3"})).await;
    assert_eq!(anonymous.status(), 401);
}

async fn only_a_superuser_sets_license_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let licensed = json!({"name": "Acme", "slug": "acme", "license_key": "KEY-1", "max_assets": 100});

    let refused = app.post("/api/v1/organizations", &alice.access_token, &licensed).await;
    assert_eq!(refused.status(), 403);
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let path = format!("/api/v1/organizations/{}", org["id"].as_str().unwrap());
    assert_eq!(app.patch(&path, &alice.access_token, &json!({"license_key": "KEY-2"})).await.status(), 403);

    app.register_ok("root").await;
    let root = app.promote_to_superuser("root").await;
    let licensed = json!({
        "name": "Lic", "slug": "lic", "license_key": "KEY-1", "license_expires_at": "2030-01-01T02:00:00.5+02:00",
        "max_assets": 100,
    });
    let created = app.post("/api/v1/organizations", &root.access_token, &licensed).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["license_key"], "KEY-1");
    assert_eq!(created["license_expires_at"], "2030-01-01T00:00:00Z", "UTC, whole seconds, on both backends");
    assert_eq!(created["max_assets"], 100);
    // A superuser may license any organization, member or not.
    let licence =
        json!({"license_key": "KEY-9", "max_assets": null, "license_expires_at": "2031-06-01T12:00:00.5-01:00"});
    let patched = app.patch(&path, &root.access_token, &licence).await;
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(
        (&patched["license_key"], &patched["license_expires_at"]),
        (&json!("KEY-9"), &json!("2031-06-01T13:00:00Z"))
    );
}

async fn updating_needs_org_update(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let id = org["id"].as_str().unwrap();
    let path = format!("/api/v1/organizations/{id}");
    app.add_member_ok(&alice.access_token, id, &bob, "member").await;

    let refused = app.patch(&path, &bob.access_token, &json!({"name": "Bob's"})).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");

    let updated = app.patch(&path, &alice.access_token, &json!({"name": "Acme 2", "description": null})).await;
    assert_eq!(updated.status(), 200);
    let body: Value = updated.json().await.unwrap();
    assert_eq!(body["name"], "Acme 2");
    assert_eq!(body["description"], Value::Null);
    let invalid = app.patch(&path, &alice.access_token, &json!({"name": "", "settings": [1], "bogus": 1})).await;
    assert_eq!(invalid.status(), 422);
    let invalid = app.patch(&path, &alice.access_token, &json!({"name": "", "settings": [1]})).await;
    let fields: Vec<String> = invalid.json::<Value>().await.unwrap()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["name", "settings"]);
}

async fn deleting_removes_memberships_roles_and_invitations_and_is_owner_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let id = org["id"].as_str().unwrap();
    app.add_member_ok(&alice.access_token, id, &bob, "admin").await;
    let role = app
        .post(
            &format!("/api/v1/organizations/{id}/roles"),
            &alice.access_token,
            &json!({"name": "auditor", "permissions": ["org:read"]}),
        )
        .await;
    assert_eq!(role.status(), 201);
    let invited = app
        .post(
            &format!("/api/v1/organizations/{id}/invitations"),
            &alice.access_token,
            &json!({"email": "carol@example.com", "role": "auditor"}),
        )
        .await;
    assert_eq!(invited.status(), 201);
    let path = format!("/api/v1/organizations/{id}");

    assert_eq!(app.delete(&path, &bob.access_token).await.status(), 403, "an admin is not an owner");
    assert_eq!(app.delete(&path, &alice.access_token).await.status(), 204);

    assert_eq!(app.get(&path, &alice.access_token).await.status(), 404);
    assert_eq!(app.get(&path, &bob.access_token).await.status(), 404);
    let db = app.database().await;
    let uuid: uuid::Uuid = id.parse().unwrap();
    let left = memberships::Entity::find()
        .filter(memberships::Column::OrganizationId.eq(uuid))
        .count(&db)
        .await
        .unwrap()
        + roles::Entity::find().filter(roles::Column::OrganizationId.eq(uuid)).count(&db).await.unwrap()
        + invitations::Entity::find().filter(invitations::Column::OrganizationId.eq(uuid)).count(&db).await.unwrap();
    assert_eq!(left, 0);
    assert_eq!(roles::Entity::find().count(&db).await.unwrap(), 4, "built-in roles stay");
}

async fn lists_are_paginated_and_bounded(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    for slug in ["org-a", "org-b", "org-c"] {
        app.create_organization_ok(&alice.access_token, slug).await;
    }

    let page: Value =
        app.get("/api/v1/organizations?limit=2&offset=1", &alice.access_token).await.json().await.unwrap();
    assert_eq!(page["total"], 3);
    assert_eq!((page["limit"].as_u64(), page["offset"].as_u64()), (Some(2), Some(1)));
    let slugs: Vec<&str> = page["items"].as_array().unwrap().iter().map(|o| o["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["org-b", "org-c"], "stable order: oldest membership first");

    for (query, field) in [("limit=201", "limit"), ("limit=0", "limit"), ("offset=-1", "offset"), ("limit=x", "limit")]
    {
        let response = app.get(&format!("/api/v1/organizations?{query}"), &alice.access_token).await;
        assert_eq!(response.status(), 422, "{query}");
        assert_eq!(response.json::<Value>().await.unwrap()["errors"][0]["field"], field, "{query}");
    }
    assert_eq!(app.get("/api/v1/organizations?limit=200", &alice.access_token).await.status(), 200);
}

/// The sorted keys of a JSON object.
fn keys(body: &Value) -> Vec<String> {
    let mut keys: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

async fn the_list_and_the_accept_answer_show_no_details_without_org_read(backend: Backend) {
    let app = spawn_app_without_mail(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let created = app
        .post(
            "/api/v1/organizations",
            &alice.access_token,
            &json!({"name": "Acme", "slug": "acme", "settings": {"webhook_secret": "s3cret"}}),
        )
        .await;
    let id = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let blind = app
        .post(
            &format!("/api/v1/organizations/{id}/roles"),
            &alice.access_token,
            &json!({"name": "blind", "permissions": ["assets:read"]}),
        )
        .await;
    assert_eq!(blind.status(), 201);
    let invitation: Value = app
        .post(
            &format!("/api/v1/organizations/{id}/invitations"),
            &alice.access_token,
            &json!({"email": "bob@example.com", "role": "blind"}),
        )
        .await
        .json()
        .await
        .unwrap();

    let accepted =
        app.post("/api/v1/invitations/accept", &bob.access_token, &json!({"token": invitation["token"]})).await;

    assert_eq!(accepted.status(), 200);
    let accepted: Value = accepted.json().await.unwrap();
    assert_eq!(keys(&accepted), ["id", "name", "role", "slug"]);
    assert_eq!((accepted["id"].as_str(), accepted["role"].as_str()), (Some(id.as_str()), Some("blind")));
    let mine: Value = app.get("/api/v1/organizations", &bob.access_token).await.json().await.unwrap();
    assert_eq!(mine["total"], 1);
    assert_eq!(keys(&mine["items"][0]), ["id", "name", "role", "slug"]);
    assert_eq!(mine["items"][0]["slug"], "acme");
    assert!(!mine.to_string().contains("s3cret"));
    let details = app.get(&format!("/api/v1/organizations/{id}"), &bob.access_token).await;
    assert_eq!(details.status(), 403, "the details need org:read");
    // The owner's list is the same summary; the details are one GET away.
    let mine: Value = app.get("/api/v1/organizations", &alice.access_token).await.json().await.unwrap();
    assert_eq!(keys(&mine["items"][0]), ["id", "name", "role", "slug"]);
    let details: Value =
        app.get(&format!("/api/v1/organizations/{id}"), &alice.access_token).await.json().await.unwrap();
    assert_eq!(details["settings"]["webhook_secret"], "s3cret");
}

async fn a_suspended_organization_answers_its_members_403_but_lets_them_read_it(backend: Backend) {
    // Caches that would otherwise trust a membership for a minute.
    let app = spawn_app_with(backend, |settings| {
        settings.auth.session_cache_ttl_ms = 60_000;
        // The invitation's token comes back in the answer.
        settings.mail.transport = MailTransport::None;
    })
    .await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    app.register_ok("root").await;
    let id = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &id, &bob, "admin").await;
    let org = format!("/api/v1/organizations/{id}");
    let pending = app
        .post(
            &format!("{org}/invitations"),
            &alice.access_token,
            &json!({"email": "eve@example.com", "role": "viewer"}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    // Bob's membership is resolved and cached before the suspension.
    assert_eq!(app.get(&format!("{org}/members"), &bob.access_token).await.status(), 200);

    for (token, who) in [(&alice.access_token, "the owner"), (&bob.access_token, "an admin")] {
        let refused = app.patch(&org, token, &json!({"is_active": false})).await;
        assert_eq!(refused.status(), 403, "{who} cannot suspend");
        assert!(refused.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("is_active"));
    }
    let root = app.promote_to_superuser("root").await;
    let suspended = app.patch(&org, &root.access_token, &json!({"is_active": false})).await;
    assert_eq!(suspended.status(), 200);
    assert_eq!(suspended.json::<Value>().await.unwrap()["is_active"], false);

    for (token, who) in [(&alice.access_token, "owner"), (&bob.access_token, "admin")] {
        let read = app.get(&org, token).await;
        assert_eq!(read.status(), 200, "{who} still reads the organization");
        assert_eq!(read.json::<Value>().await.unwrap()["is_active"], false);
        let bob_member = format!("{org}/members/{}", bob.user_id());
        for (method, path, body) in [
            (reqwest::Method::GET, format!("{org}/members"), None),
            (reqwest::Method::GET, format!("{org}/roles"), None),
            (reqwest::Method::GET, format!("{org}/invitations"), None),
            (reqwest::Method::PATCH, org.clone(), Some(json!({"name": "Renamed"}))),
            (
                reqwest::Method::POST,
                format!("{org}/members"),
                Some(json!({"email": "x@example.com", "role": "viewer"})),
            ),
            (reqwest::Method::PATCH, bob_member.clone(), Some(json!({"role": "viewer"}))),
            (reqwest::Method::DELETE, bob_member, None),
            (reqwest::Method::DELETE, org.clone(), None),
        ] {
            let response = app.send(method.clone(), &path, token, body.as_ref()).await;
            assert_eq!(response.status(), 403, "{who}: {method} {path}");
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["type"], "/problems/organization-suspended", "{who}: {method} {path}");
        }
    }
    let mine: Value = app.get("/api/v1/organizations", &bob.access_token).await.json().await.unwrap();
    assert_eq!(mine["total"], 1, "still listed: bob is still a member");
    // A token scoped to the organization carries no permissions for other services to trust.
    let scoped = app
        .post_json("/api/v1/auth/login", &json!({"login": "bob", "password": PASSWORD, "organization_id": id}))
        .await;
    assert_eq!(scoped.status(), 200);
    let scoped: Value = scoped.json().await.unwrap();
    assert_eq!(claims_of(scoped["access_token"].as_str().unwrap())["perms"], json!([]));
    let eve = app.register_ok("eve").await;
    let accepted = app.post("/api/v1/invitations/accept", &eve.access_token, &json!({"token": pending["token"]})).await;
    assert_eq!(accepted.status(), 403);
    assert_eq!(accepted.json::<Value>().await.unwrap()["type"], "/problems/organization-suspended");
    // The superuser, who is not a member, still acts on it.
    assert_eq!(app.get(&format!("{org}/members"), &root.access_token).await.status(), 200);

    let lifted = app.patch(&org, &root.access_token, &json!({"is_active": true})).await;
    assert_eq!(lifted.status(), 200);
    assert_eq!(app.get(&format!("{org}/members"), &bob.access_token).await.status(), 200);
    let accepted = app.post("/api/v1/invitations/accept", &eve.access_token, &json!({"token": pending["token"]})).await;
    assert_eq!(accepted.status(), 200, "the invitation waited for the suspension to be lifted");
}

on_both_backends!(
    the_list_and_the_accept_answer_show_no_details_without_org_read,
    a_suspended_organization_answers_its_members_403_but_lets_them_read_it,
    creating_an_organization_makes_the_caller_its_owner,
    slugs_are_validated_and_unique,
    only_a_superuser_sets_license_fields,
    updating_needs_org_update,
    deleting_removes_memberships_roles_and_invitations_and_is_owner_only,
    lists_are_paginated_and_bounded,
);

async fn organization_member_and_role_changes_are_audited(backend: Backend) {
    use authdb_persistence::entities::audit_events;
    use sea_orm::QueryOrder;
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    // Only a superuser adds a member directly (everyone else invites, and the invitee
    // accepts): `member.added` is theirs.
    let alice = app.promote_to_superuser("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let id = org["id"].as_str().unwrap();
    let base = format!("/api/v1/organizations/{id}");
    let direct = json!({"user_id": bob.user_id(), "role": "member"});
    assert_eq!(app.post(&format!("{base}/members"), &alice.access_token, &direct).await.status(), 201);
    let bob_member = format!("{base}/members/{}", bob.user_id());
    assert_eq!(app.patch(&bob_member, &alice.access_token, &json!({"role": "viewer"})).await.status(), 200);
    assert_eq!(app.delete(&bob_member, &alice.access_token).await.status(), 204);
    let role: Value = app
        .post(&format!("{base}/roles"), &alice.access_token, &json!({"name": "r1", "permissions": []}))
        .await
        .json()
        .await
        .unwrap();
    let role_path = format!("{base}/roles/{}", role["id"].as_str().unwrap());
    assert_eq!(app.patch(&role_path, &alice.access_token, &json!({"permissions": ["org:read"]})).await.status(), 200);
    assert_eq!(app.delete(&role_path, &alice.access_token).await.status(), 204);
    assert_eq!(app.patch(&base, &alice.access_token, &json!({"name": "Acme 2"})).await.status(), 200);
    let invitation: Value = app
        .post(
            &format!("{base}/invitations"),
            &alice.access_token,
            &json!({"email": "carol@example.com", "role": "member"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let invitation_id = invitation["id"].as_str().unwrap();
    let withdrawn = app.delete(&format!("{base}/invitations/{invitation_id}"), &alice.access_token).await;
    assert_eq!(withdrawn.status(), 204);
    assert_eq!(app.delete(&base, &alice.access_token).await.status(), 204);

    let db = app.database().await;
    let events = audit_events::Entity::find().order_by_asc(audit_events::Column::Id).all(&db).await.unwrap();
    let tenancy: Vec<&audit_events::Model> =
        events.iter().filter(|e| !e.action.starts_with("user.") && !e.action.starts_with("login.")).collect();
    let actions: Vec<&str> = tenancy.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "organization.created",
            "member.added",
            "member.role_changed",
            "member.removed",
            "role.created",
            "role.updated",
            "role.deleted",
            "organization.updated",
            "invitation.created",
            "invitation.revoked",
            "organization.deleted",
        ]
    );
    let alice_id: uuid::Uuid = alice.user_id().parse().unwrap();
    assert!(tenancy.iter().all(|e| e.actor_id == Some(alice_id) && e.outcome == "success"));
    let bob_target = format!("user:{}", bob.user_id());
    assert_eq!(tenancy[1].target.as_deref(), Some(bob_target.as_str()));
    assert_eq!(tenancy[1].details["after_role"], "member");
    assert_eq!(tenancy[2].details, json!({"before_role": "member", "after_role": "viewer"}));
    assert_eq!(tenancy[3].details["before_role"], "viewer");
    assert_eq!(tenancy[5].details["after"]["permissions"], json!(["org:read"]));
    let org_target = format!("organization:{id}");
    let invitation_target = format!("invitation:{invitation_id}");
    assert_eq!(tenancy[9].target.as_deref(), Some(invitation_target.as_str()));
    assert_eq!(tenancy[10].target.as_deref(), Some(org_target.as_str()), "the deleted organization stays named");
}

on_both_backends!(organization_member_and_role_changes_are_audited);
