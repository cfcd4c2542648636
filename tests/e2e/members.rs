//! Members: adding, listing, changing roles, removing; permissions applied per request.

use authdb_tests::{Backend, TestApp, Tokens, spawn_app, spawn_app_with};
use serde_json::{Value, json};

/// Alice owns `acme`; returns her tokens and the organization id.
async fn acme(app: &TestApp) -> (Tokens, String) {
    let alice = app.register_ok("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    (alice, org["id"].as_str().unwrap().to_owned())
}

async fn members_join_by_accepting_and_are_listed(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, id) = acme(&app).await;
    let bob = app.register_ok("bob").await;
    let carol = app.register_ok("carol").await;
    let members = format!("/api/v1/organizations/{id}/members");

    app.add_member_ok(&alice.access_token, &id, &carol, "viewer").await;
    app.add_member_ok(&alice.access_token, &id, &bob, "member").await;

    let listed: Value = app.get(&members, &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 3);
    let rows: Vec<(&str, &str)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["username"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, [("alice", "owner"), ("carol", "viewer"), ("bob", "member")], "joined_at order");
    for key in ["user_id", "email", "username", "full_name", "role", "joined_at"] {
        assert!(listed["items"][0].get(key).is_some(), "missing {key}");
    }

    let sorted: Value = app.get(&format!("{members}?sort=-username"), &alice.access_token).await.json().await.unwrap();
    let names: Vec<&str> =
        sorted["items"].as_array().unwrap().iter().map(|m| m["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["carol", "bob", "alice"]);
    let searched: Value = app.get(&format!("{members}?q=BO"), &alice.access_token).await.json().await.unwrap();
    assert_eq!(searched["total"], 1);
    assert_eq!(searched["items"][0]["username"], "bob");
    let literal: Value = app.get(&format!("{members}?q=%25"), &alice.access_token).await.json().await.unwrap();
    assert_eq!(literal["total"], 0, "a % in q is matched literally");
    let paged: Value = app.get(&format!("{members}?limit=1&offset=2"), &alice.access_token).await.json().await.unwrap();
    assert_eq!(paged["items"][0]["username"], "bob");
    let bad_sort = app.get(&format!("{members}?sort=password_hash"), &alice.access_token).await;
    assert_eq!(bad_sort.status(), 422);
    assert_eq!(bad_sort.json::<Value>().await.unwrap()["errors"][0]["field"], "sort");
}

async fn adding_refuses_members_and_bad_input(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, id) = acme(&app).await;
    let bob = app.register_ok("bob").await;
    let members = format!("/api/v1/organizations/{id}/members");

    app.add_member_ok(&alice.access_token, &id, &bob, "member").await;
    let again = app.post(&members, &alice.access_token, &json!({"email": "bob@example.com", "role": "viewer"})).await;
    assert_eq!(again.status(), 409);
    let no_role =
        app.post(&members, &alice.access_token, &json!({"email": "bob@example.com", "role": "emperor"})).await;
    assert_eq!(no_role.status(), 422);
    assert_eq!(no_role.json::<Value>().await.unwrap()["errors"][0]["field"], "role");
    let both = app
        .post(
            &members,
            &alice.access_token,
            &json!({"email": "bob@example.com", "user_id": alice.user_id(), "role": "member"}),
        )
        .await;
    assert_eq!(both.status(), 422);
    assert_eq!(both.json::<Value>().await.unwrap()["errors"][0]["field"], "email");
    let bad_email = app.post(&members, &alice.access_token, &json!({"email": "nope", "role": "member"})).await;
    assert_eq!(bad_email.status(), 422);
    let missing = format!("{members}/{}", uuid::Uuid::now_v7());
    assert_eq!(app.patch(&missing, &alice.access_token, &json!({"role": "viewer"})).await.status(), 404);
    assert_eq!(app.delete(&missing, &alice.access_token).await.status(), 404);
    assert_eq!(app.delete(&format!("{members}/not-a-uuid"), &alice.access_token).await.status(), 404);
}

async fn permissions_follow_the_role(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, id) = acme(&app).await;
    let viewer = app.register_ok("vic").await;
    let outsider = app.register_ok("eve").await;
    app.add_member_ok(&alice.access_token, &id, &viewer, "viewer").await;
    let org = format!("/api/v1/organizations/{id}");

    assert_eq!(app.get(&org, &viewer.access_token).await.status(), 200);
    assert_eq!(app.get(&format!("{org}/members"), &viewer.access_token).await.status(), 200);
    let forbidden = app
        .post(&format!("{org}/members"), &viewer.access_token, &json!({"email": "eve@example.com", "role": "viewer"}))
        .await;
    assert_eq!(forbidden.status(), 403);
    assert!(forbidden.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("members:manage"));
    assert_eq!(app.get(&org, &outsider.access_token).await.status(), 404, "a non-member gets 404, not 403");
    assert_eq!(
        app.get(&format!("/api/v1/organizations/{}", uuid::Uuid::now_v7()), &alice.access_token).await.status(),
        404
    );
    assert_eq!(app.get("/api/v1/organizations/not-a-uuid", &alice.access_token).await.status(), 404);
    assert_eq!(app.client.get(app.url(&org)).send().await.unwrap().status(), 401);
}

async fn demotion_and_removal_apply_on_the_next_request(backend: Backend) {
    // Caches that would otherwise trust a membership for a minute.
    let app = spawn_app_with(backend, |settings| settings.auth.session_cache_ttl_ms = 60_000).await;
    let (alice, id) = acme(&app).await;
    let bob = app.register_ok("bob").await;
    app.add_member_ok(&alice.access_token, &id, &bob, "admin").await;
    let org = format!("/api/v1/organizations/{id}");
    let bob_member = format!("{org}/members/{}", bob.user_id());

    // Bob's admin rights are resolved (and cached) by this request.
    assert_eq!(app.patch(&org, &bob.access_token, &json!({"description": "by bob"})).await.status(), 200);

    let demoted = app.patch(&bob_member, &alice.access_token, &json!({"role": "viewer"})).await;
    assert_eq!(demoted.status(), 200);
    assert_eq!(demoted.json::<Value>().await.unwrap()["role"], "viewer");
    // Same access token, no re-login: the demotion applies at once.
    assert_eq!(app.patch(&org, &bob.access_token, &json!({"description": "again"})).await.status(), 403);
    assert_eq!(app.get(&org, &bob.access_token).await.status(), 200);

    assert_eq!(app.delete(&bob_member, &alice.access_token).await.status(), 204);
    assert_eq!(app.get(&org, &bob.access_token).await.status(), 404);
    let mine: Value = app.get("/api/v1/organizations", &bob.access_token).await.json().await.unwrap();
    assert_eq!(mine["total"], 0);
}

async fn the_last_owner_can_be_neither_demoted_nor_removed(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, id) = acme(&app).await;
    let carol = app.register_ok("carol").await;
    let alice_member = format!("/api/v1/organizations/{id}/members/{}", alice.user_id());

    let demoted = app.patch(&alice_member, &alice.access_token, &json!({"role": "admin"})).await;
    assert_eq!(demoted.status(), 409);
    assert!(demoted.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("last owner"));
    assert_eq!(app.delete(&alice_member, &alice.access_token).await.status(), 409);

    app.add_member_ok(&alice.access_token, &id, &carol, "owner").await;
    assert_eq!(app.patch(&alice_member, &alice.access_token, &json!({"role": "admin"})).await.status(), 200);
    assert_eq!(app.delete(&alice_member, &alice.access_token).await.status(), 204, "a member may remove themselves");
    assert_eq!(app.get(&format!("/api/v1/organizations/{id}"), &alice.access_token).await.status(), 404);
}

async fn nobody_grants_what_they_do_not_hold(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, id) = acme(&app).await;
    let bob = app.register_ok("bob").await;
    let vic = app.register_ok("vic").await;
    app.register_ok("carol").await;
    app.add_member_ok(&alice.access_token, &id, &bob, "admin").await;
    app.add_member_ok(&alice.access_token, &id, &vic, "viewer").await;
    let members = format!("/api/v1/organizations/{id}/members");

    let owner = app.post(&members, &bob.access_token, &json!({"email": "carol@example.com", "role": "owner"})).await;
    assert_eq!(owner.status(), 403, "an admin cannot make an owner");
    assert!(owner.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("org:delete"));
    let demote_owner =
        app.patch(&format!("{members}/{}", alice.user_id()), &bob.access_token, &json!({"role": "viewer"})).await;
    assert_eq!(demote_owner.status(), 403, "an admin cannot touch an owner");
    assert_eq!(app.delete(&format!("{members}/{}", alice.user_id()), &bob.access_token).await.status(), 403);
    // An admin manages members below them.
    assert_eq!(
        app.patch(&format!("{members}/{}", vic.user_id()), &bob.access_token, &json!({"role": "member"}))
            .await
            .status(),
        200
    );
    // A viewer may leave on their own but not remove others.
    assert_eq!(app.delete(&format!("{members}/{}", bob.user_id()), &vic.access_token).await.status(), 403);
    assert_eq!(app.delete(&format!("{members}/{}", vic.user_id()), &vic.access_token).await.status(), 204);
}

async fn adding_by_email_invites_and_reveals_no_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, id) = acme(&app).await;
    let bob = app.register_ok("bob").await;
    assert_eq!(app.patch_me(&bob.access_token, &json!({"full_name": "Bob Secret"})).await.status(), 200);
    let members = format!("/api/v1/organizations/{id}/members");
    let before = app.mail_files();

    let known = app.post(&members, &alice.access_token, &json!({"email": "Bob@Example.com", "role": "member"})).await;
    let unknown =
        app.post(&members, &alice.access_token, &json!({"email": "nobody@example.com", "role": "member"})).await;

    assert_eq!((known.status().as_u16(), unknown.status().as_u16()), (202, 202), "the same answer either way");
    assert_eq!(known.headers()["cache-control"], "no-store");
    let (known, unknown): (Value, Value) = (known.json().await.unwrap(), unknown.json().await.unwrap());
    let keys = |body: &Value| {
        let mut keys: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&known), keys(&unknown));
    // The token is mailed to the address, never handed to the inviter (transport `file`).
    assert_eq!(keys(&known), ["created_at", "email", "expires_at", "id", "invited_by", "organization_id", "role"]);
    assert_eq!(known["email"], "bob@example.com");
    let text = known.to_string();
    assert!(!text.contains("Bob Secret") && !text.contains(&bob.user_id()), "nothing about the account: {text}");
    // Nobody joins without consent: the list shows members only, until bob accepts.
    let listed: Value = app.get(&members, &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);
    assert_eq!(app.get(&format!("/api/v1/organizations/{id}"), &bob.access_token).await.status(), 404);
    // Both addresses get the invitation by mail: the mail does not tell accounts apart either.
    app.mailed_invitation_token("nobody@example.com", &before).await;
    let token = app.mailed_invitation_token("bob@example.com", &before).await;
    let accepted = app.post("/api/v1/invitations/accept", &bob.access_token, &json!({"token": token})).await;
    assert_eq!(accepted.status(), 200);
    let listed: Value = app.get(&members, &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 2);
    assert_eq!(listed["items"][1]["role"], "member");
}

async fn only_a_superuser_adds_a_member_directly_by_user_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, id) = acme(&app).await;
    let bob = app.register_ok("bob").await;
    app.register_ok("root").await;
    let members = format!("/api/v1/organizations/{id}/members");

    for user in [bob.user_id(), uuid::Uuid::now_v7().to_string()] {
        let refused = app.post(&members, &alice.access_token, &json!({"user_id": user, "role": "member"})).await;
        assert_eq!(refused.status(), 403, "the same for an existing and an unknown id");
        assert!(refused.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("user_id"));
    }
    let root = app.promote_to_superuser("root").await;
    let added = app.post(&members, &root.access_token, &json!({"user_id": bob.user_id(), "role": "member"})).await;
    assert_eq!(added.status(), 201);
    let added: Value = added.json().await.unwrap();
    assert_eq!((added["username"].as_str(), added["role"].as_str()), (Some("bob"), Some("member")));
    let unknown =
        app.post(&members, &root.access_token, &json!({"user_id": uuid::Uuid::now_v7(), "role": "member"})).await;
    assert_eq!(unknown.status(), 404);
    let again = app.post(&members, &root.access_token, &json!({"user_id": bob.user_id(), "role": "viewer"})).await;
    assert_eq!(again.status(), 409);
}

async fn only_an_owner_grants_or_takes_away_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, id) = acme(&app).await;
    let bob = app.register_ok("bob").await;
    let carol = app.register_ok("carol").await;
    let every_permission = [
        "org:read",
        "org:update",
        "org:delete",
        "members:read",
        "members:manage",
        "roles:manage",
        "assets:read",
        "assets:write",
        "chats:use",
        "networks:control",
        "chats:manage",
        "audit:read",
    ];
    let root = app
        .post(
            &format!("/api/v1/organizations/{id}/roles"),
            &alice.access_token,
            &json!({"name": "root", "permissions": every_permission}),
        )
        .await;
    assert_eq!(root.status(), 201);
    app.add_member_ok(&alice.access_token, &id, &bob, "root").await;
    app.add_member_ok(&alice.access_token, &id, &carol, "viewer").await;
    let members = format!("/api/v1/organizations/{id}/members");
    let (bob_member, alice_member) = (format!("{members}/{}", bob.user_id()), format!("{members}/{}", alice.user_id()));

    let to_owner = app.patch(&bob_member, &bob.access_token, &json!({"role": "owner"})).await;
    assert_eq!(to_owner.status(), 403, "a role with every permission cannot make itself owner");
    assert!(to_owner.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("only an owner"));
    let carol_member = format!("{members}/{}", carol.user_id());
    assert_eq!(app.patch(&carol_member, &bob.access_token, &json!({"role": "owner"})).await.status(), 403);
    let invited = app
        .post(
            &format!("/api/v1/organizations/{id}/invitations"),
            &bob.access_token,
            &json!({"email": "eve@example.com", "role": "owner"}),
        )
        .await;
    assert_eq!(invited.status(), 403);
    let added = app.post(&members, &bob.access_token, &json!({"email": "eve@example.com", "role": "owner"})).await;
    assert_eq!(added.status(), 403);
    assert_eq!(app.patch(&alice_member, &bob.access_token, &json!({"role": "viewer"})).await.status(), 403);
    assert_eq!(app.delete(&alice_member, &bob.access_token).await.status(), 403, "nor remove the founder");

    // Below owner, the root role manages members as before; the owner grants owner.
    assert_eq!(app.patch(&carol_member, &bob.access_token, &json!({"role": "admin"})).await.status(), 200);
    assert_eq!(app.patch(&carol_member, &alice.access_token, &json!({"role": "owner"})).await.status(), 200);
    assert_eq!(app.patch(&carol_member, &bob.access_token, &json!({"role": "viewer"})).await.status(), 403);
    let listed: Value = app.get(&members, &alice.access_token).await.json().await.unwrap();
    let roles: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["owner", "root", "owner"]);
}

on_both_backends!(
    adding_by_email_invites_and_reveals_no_account,
    only_a_superuser_adds_a_member_directly_by_user_id,
    only_an_owner_grants_or_takes_away_owner,
    members_join_by_accepting_and_are_listed,
    adding_refuses_members_and_bad_input,
    permissions_follow_the_role,
    demotion_and_removal_apply_on_the_next_request,
    the_last_owner_can_be_neither_demoted_nor_removed,
    nobody_grants_what_they_do_not_hold,
);
