//! Invitations: single-use, expiring, hashed tokens that make the invitee a member.

use authdb_persistence::entities::invitations;
use authdb_tests::{Backend, spawn_app};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

async fn an_invitation_makes_its_invitee_a_member_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let id = org["id"].as_str().unwrap();
    let invitations_path = format!("/api/v1/organizations/{id}/invitations");

    let created =
        app.post(&invitations_path, &alice.access_token, &json!({"email": "Bob@Example.com", "role": "member"})).await;
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["cache-control"], "no-store");
    let created: Value = created.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    assert_eq!(created["email"], "bob@example.com");
    assert_eq!(created["role"], "member");
    let listed: Value = app.get(&invitations_path, &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);
    assert!(listed["items"][0].get("token").is_none(), "tokens are shown once");
    let stored = invitations::Entity::find().all(&app.database().await).await.unwrap();
    assert_ne!(stored[0].token_hash, token, "only the hash is stored");

    let eve = app.register_ok("eve").await;
    let wrong = app.post("/api/v1/invitations/accept", &eve.access_token, &json!({"token": token})).await;
    assert_eq!(wrong.status(), 403, "the invitation is for bob's address");

    let bob = app.register_ok("bob").await;
    let accepted = app.post("/api/v1/invitations/accept", &bob.access_token, &json!({"token": token})).await;
    assert_eq!(accepted.status(), 200);
    let joined: Value = accepted.json().await.unwrap();
    assert_eq!((joined["id"].as_str(), joined["role"].as_str()), (Some(id), Some("member")));
    assert_eq!(app.get(&format!("/api/v1/organizations/{id}"), &bob.access_token).await.status(), 200);

    let again = app.post("/api/v1/invitations/accept", &bob.access_token, &json!({"token": token})).await;
    assert_eq!(again.status(), 404, "single use");
    let listed: Value = app.get(&invitations_path, &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 0);
}

async fn invitations_refuse_bad_input_members_and_strangers(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let vic = app.register_ok("vic").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let id = org["id"].as_str().unwrap();
    app.add_member_ok(&alice.access_token, id, "vic", "viewer").await;
    let path = format!("/api/v1/organizations/{id}/invitations");

    let member = app.post(&path, &alice.access_token, &json!({"email": "vic@example.com", "role": "member"})).await;
    assert_eq!(member.status(), 409);
    let bad = app.post(&path, &alice.access_token, &json!({"email": "x", "role": "Nope!"})).await;
    assert_eq!(bad.status(), 422);
    let fields: Vec<String> = bad.json::<Value>().await.unwrap()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["email", "role"]);
    let unknown_role = app.post(&path, &alice.access_token, &json!({"email": "z@example.com", "role": "ghost"})).await;
    assert_eq!(unknown_role.status(), 422);
    let forbidden = app.post(&path, &vic.access_token, &json!({"email": "z@example.com", "role": "viewer"})).await;
    assert_eq!(forbidden.status(), 403);
    assert_eq!(app.get(&path, &vic.access_token).await.status(), 403);

    let made_up = app.post("/api/v1/invitations/accept", &vic.access_token, &json!({"token": "made-up"})).await;
    assert_eq!(made_up.status(), 404);
    let empty = app.post("/api/v1/invitations/accept", &vic.access_token, &json!({"token": ""})).await;
    assert_eq!(empty.status(), 422);
    assert_eq!(app.post_json("/api/v1/invitations/accept", &json!({"token": "x"})).await.status(), 401);
}

async fn an_expired_invitation_cannot_be_accepted(backend: Backend) {
    use sea_orm::{QueryFilter, sea_query::Expr};
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let id = org["id"].as_str().unwrap();
    let created: Value = app
        .post(
            &format!("/api/v1/organizations/{id}/invitations"),
            &alice.access_token,
            &json!({"email": "bob@example.com", "role": "viewer"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let db = app.database().await;
    let past = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - time::Duration::hours(1);
    invitations::Entity::update_many()
        .col_expr(invitations::Column::ExpiresAt, Expr::value(past))
        .filter(sea_orm::ColumnTrait::eq(&invitations::Column::Email, "bob@example.com"))
        .exec(&db)
        .await
        .unwrap();
    let bob = app.register_ok("bob").await;

    let response = app.post("/api/v1/invitations/accept", &bob.access_token, &json!({"token": created["token"]})).await;

    assert_eq!(response.status(), 404);
}

on_both_backends!(
    an_invitation_makes_its_invitee_a_member_once,
    invitations_refuse_bad_input_members_and_strangers,
    an_expired_invitation_cannot_be_accepted,
);
