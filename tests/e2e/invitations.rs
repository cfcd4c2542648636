//! Invitations: single-use, expiring, hashed tokens that make the invitee a member.

use authdb_persistence::entities::{audit_events, invitations};
use authdb_tests::{Backend, TestApp, invitation_link, spawn_app, spawn_app_with, spawn_app_without_mail, text_body};
use futures_util::future::join_all;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

async fn an_invitation_makes_its_invitee_a_member_once(backend: Backend) {
    let app = spawn_app_without_mail(backend).await;
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

async fn is_verified(app: &TestApp, access_token: &str) -> bool {
    let me: Value = app.me(access_token).await.json().await.unwrap();
    me["is_verified"].as_bool().unwrap()
}

async fn an_invitation_is_mailed_to_the_invitee_and_accepting_it_verifies_the_address(backend: Backend) {
    // The `file` transport (the default): the token reaches the invitee's mailbox only.
    let app =
        spawn_app_with(backend, |settings| settings.server.public_url = Some("https://id.example.com".into())).await;
    let alice = app.register_ok("alice").await;
    let id = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let before = app.mail_files();

    let created = app
        .post(
            &format!("/api/v1/organizations/{id}/invitations"),
            &alice.access_token,
            &json!({"email": "bob@example.com", "role": "member"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert!(created.get("token").is_none(), "the inviter never sees the token: {created}");

    let message = app.mailed_invitation("bob@example.com", &before).await;
    let subject = message.lines().find_map(|line| line.strip_prefix("Subject: ")).unwrap();
    assert_eq!(subject, "alice invited you to Org acme on authdb");
    let text = text_body(&message);
    assert!(text.contains("as member"), "the role is named: {text}");
    let link = invitation_link(&message);
    let token = link.strip_prefix("https://id.example.com/accept-invitation?token=").unwrap();
    assert_eq!(token.len(), 43, "256 bits in base64url: {link}");
    let stored = invitations::Entity::find().all(&app.database().await).await.unwrap();
    assert_ne!(stored[0].token_hash, token, "only the hash is stored");

    let bob = app.register_ok("bob").await;
    assert!(!is_verified(&app, &bob.access_token).await);
    let accepted = app.post("/api/v1/invitations/accept", &bob.access_token, &json!({"token": token})).await;
    assert_eq!(accepted.status(), 200);
    assert!(is_verified(&app, &bob.access_token).await, "the mailed link proved the address, seen at once");
    let verified = audited(&app, "email.verified").await;
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].details["via"], "invitation");
    assert_eq!(verified[0].actor_id, Some(uuid::Uuid::parse_str(&bob.user_id()).unwrap()));
}

async fn without_mail_delivery_the_inviter_gets_the_token_to_pass_on(backend: Backend) {
    // `mail.transport = none`: nothing reaches the invitee, so the answer carries the token.
    let app = spawn_app_without_mail(backend).await;
    let alice = app.register_ok("alice").await;
    let id = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let created: Value = app
        .post(
            &format!("/api/v1/organizations/{id}/invitations"),
            &alice.access_token,
            &json!({"email": "bob@example.com", "role": "member"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["token"].as_str().unwrap().len(), 43);
    let added = app
        .post(
            &format!("/api/v1/organizations/{id}/members"),
            &alice.access_token,
            &json!({"email": "carol@example.com", "role": "viewer"}),
        )
        .await;
    assert_eq!(added.status(), 202);
    let added: Value = added.json().await.unwrap();
    assert_eq!(added["token"].as_str().unwrap().len(), 43);
    assert!(app.mail_files().is_empty(), "nothing is written");

    let bob = app.register_ok("bob").await;
    let accepted = app.post("/api/v1/invitations/accept", &bob.access_token, &json!({"token": created["token"]})).await;
    assert_eq!(accepted.status(), 200);
    assert!(is_verified(&app, &bob.access_token).await);
    // A refused acceptance (another address) verifies nothing.
    let eve = app.register_ok("eve").await;
    let refused = app.post("/api/v1/invitations/accept", &eve.access_token, &json!({"token": added["token"]})).await;
    assert_eq!(refused.status(), 403);
    assert!(!is_verified(&app, &eve.access_token).await);
}

async fn invitations_refuse_bad_input_members_and_strangers(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let vic = app.register_ok("vic").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await;
    let id = org["id"].as_str().unwrap();
    app.add_member_ok(&alice.access_token, id, &vic, "viewer").await;
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
    let app = spawn_app_without_mail(backend).await;
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

/// Invites `email` as `role` through `/invitations` and returns the invitation.
async fn invite(app: &TestApp, access_token: &str, organization: &str, email: &str, role: &str) -> Value {
    let response = app
        .post(
            &format!("/api/v1/organizations/{organization}/invitations"),
            access_token,
            &json!({"email": email, "role": role}),
        )
        .await;
    assert_eq!(response.status(), 201, "inviting {email} as {role}");
    response.json().await.unwrap()
}

/// The emails of the organization's pending invitations, oldest first.
async fn pending_emails(app: &TestApp, access_token: &str, organization: &str) -> Vec<String> {
    let listed: Value =
        app.get(&format!("/api/v1/organizations/{organization}/invitations"), access_token).await.json().await.unwrap();
    listed["items"].as_array().unwrap().iter().map(|i| i["email"].as_str().unwrap().to_owned()).collect()
}

/// The organization's audit events with `action`, oldest first.
async fn audited(app: &TestApp, action: &str) -> Vec<audit_events::Model> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq(action))
        .order_by_asc(audit_events::Column::Id)
        .all(&app.database().await)
        .await
        .unwrap()
}

async fn removing_a_member_revokes_the_invitations_they_sent(backend: Backend) {
    let app = spawn_app_without_mail(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let id = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &id, &bob, "admin").await;
    let by_bob = invite(&app, &bob.access_token, &id, "eve@example.com", "admin").await;
    invite(&app, &alice.access_token, &id, "carol@example.com", "member").await;

    let bob_member = format!("/api/v1/organizations/{id}/members/{}", bob.user_id());
    assert_eq!(app.delete(&bob_member, &alice.access_token).await.status(), 204);

    assert_eq!(pending_emails(&app, &alice.access_token, &id).await, ["carol@example.com"], "alice's stays");
    let eve = app.register_ok("eve").await;
    let accepted = app.post("/api/v1/invitations/accept", &eve.access_token, &json!({"token": by_bob["token"]})).await;
    assert_eq!(accepted.status(), 404, "the removed admin does not return through eve's invitation");
    assert_eq!(app.get(&format!("/api/v1/organizations/{id}"), &eve.access_token).await.status(), 404);
    let revoked = audited(&app, "invitation.revoked").await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].target.as_deref(), Some(format!("invitation:{}", by_bob["id"].as_str().unwrap()).as_str()));
    assert_eq!(revoked[0].details["reason"], "inviter_removed");
    assert_eq!(revoked[0].details["automatic"], true);
    assert_eq!(revoked[0].actor_id.map(|actor| actor.to_string()), Some(alice.user_id()));
}

async fn invitations_beyond_what_the_inviter_may_still_grant_are_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let id = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let recruiter = app
        .post(
            &format!("/api/v1/organizations/{id}/roles"),
            &alice.access_token,
            &json!({"name": "recruiter", "permissions": ["org:read", "members:read", "members:manage", "assets:read"]}),
        )
        .await;
    assert_eq!(recruiter.status(), 201);
    let recruiter: Value = recruiter.json().await.unwrap();
    app.add_member_ok(&alice.access_token, &id, &bob, "admin").await;
    invite(&app, &bob.access_token, &id, "vic@example.com", "viewer").await;
    invite(&app, &bob.access_token, &id, "meg@example.com", "member").await;

    // A recruiter may still invite viewers, not members (assets:write, chats:use).
    let bob_member = format!("/api/v1/organizations/{id}/members/{}", bob.user_id());
    assert_eq!(app.patch(&bob_member, &alice.access_token, &json!({"role": "recruiter"})).await.status(), 200);
    assert_eq!(pending_emails(&app, &alice.access_token, &id).await, ["vic@example.com"]);

    // The recruiter role loses members:manage: bob can invite nobody any more.
    let role_path = format!("/api/v1/organizations/{id}/roles/{}", recruiter["id"].as_str().unwrap());
    let narrowed = app.patch(&role_path, &alice.access_token, &json!({"permissions": ["org:read"]})).await;
    assert_eq!(narrowed.status(), 200);
    assert!(pending_emails(&app, &alice.access_token, &id).await.is_empty());

    let reasons: Vec<String> = audited(&app, "invitation.revoked")
        .await
        .iter()
        .map(|event| {
            format!("{} {}", event.details["email"].as_str().unwrap(), event.details["reason"].as_str().unwrap())
        })
        .collect();
    assert_eq!(reasons, ["meg@example.com inviter_role_changed", "vic@example.com role_changed"]);
}

async fn an_invitation_whose_inviter_lost_the_right_is_refused_with_410(backend: Backend) {
    let app = spawn_app_without_mail(backend).await;
    let alice = app.register_ok("alice").await;
    app.register_ok("root").await;
    app.register_ok("sue").await;
    let id = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    // A superuser who is not a member invites; then another superuser takes the flag away.
    let root = app.promote_to_superuser("root").await;
    let sue = app.promote_to_superuser("sue").await;
    let by_root = invite(&app, &root.access_token, &id, "eve@example.com", "admin").await;
    let demoted = app
        .patch(&format!("/api/v1/admin/users/{}", root.user_id()), &sue.access_token, &json!({"is_superuser": false}))
        .await;
    assert_eq!(demoted.status(), 200);

    let eve = app.register_ok("eve").await;
    let refused = app.post("/api/v1/invitations/accept", &eve.access_token, &json!({"token": by_root["token"]})).await;

    assert_eq!(refused.status(), 410);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    assert_eq!(refused.json::<Value>().await.unwrap()["type"], "/problems/invitation-revoked");
    assert_eq!(app.get(&format!("/api/v1/organizations/{id}"), &eve.access_token).await.status(), 404);
    let again = app.post("/api/v1/invitations/accept", &eve.access_token, &json!({"token": by_root["token"]})).await;
    assert_eq!(again.status(), 404, "the refused invitation is revoked");
    let refusals = audited(&app, "invitation.accept_refused").await;
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0].outcome, "failure");
    assert_eq!(refusals[0].actor_id.map(|actor| actor.to_string()), Some(eve.user_id()));
    assert_eq!(refusals[0].organization_id.map(|org| org.to_string()), Some(id.clone()));
    let revoked = audited(&app, "invitation.revoked").await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].details["reason"], "inviter_lacks_right");

    // A member whose account a superuser deactivated invites nobody any more either.
    let bob = app.register_ok("bob").await;
    app.add_member_ok(&alice.access_token, &id, &bob, "admin").await;
    let by_bob = invite(&app, &bob.access_token, &id, "eve@example.com", "viewer").await;
    let deactivated = app
        .patch(&format!("/api/v1/admin/users/{}", bob.user_id()), &sue.access_token, &json!({"is_active": false}))
        .await;
    assert_eq!(deactivated.status(), 200);
    let refused = app.post("/api/v1/invitations/accept", &eve.access_token, &json!({"token": by_bob["token"]})).await;
    assert_eq!(refused.status(), 410);
    let refusals = audited(&app, "invitation.accept_refused").await;
    assert!(refusals[1].details["reason"].as_str().unwrap().contains("deactivated"), "{:?}", refusals[1].details);
}

async fn acceptances_racing_the_inviter_s_removal_either_join_or_are_refused(backend: Backend) {
    let app = spawn_app_without_mail(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let id = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &id, &bob, "admin").await;
    let mut invitees = Vec::new();
    for n in 0..16 {
        let invitee = app.register_ok(&format!("guest{n}")).await;
        let invitation = invite(&app, &bob.access_token, &id, &format!("guest{n}@example.com"), "member").await;
        invitees.push((invitee, json!({"token": invitation["token"]})));
    }
    let bob_member = format!("/api/v1/organizations/{id}/members/{}", bob.user_id());

    let accepts = join_all(
        invitees.iter().map(|(invitee, body)| app.post("/api/v1/invitations/accept", &invitee.access_token, body)),
    );
    let (accepts, removed) = tokio::join!(accepts, app.delete(&bob_member, &alice.access_token));

    assert_eq!(removed.status(), 204);
    let statuses: Vec<u16> = accepts.iter().map(|response| response.status().as_u16()).collect();
    assert!(statuses.iter().all(|status| [200, 404, 410].contains(status)), "{statuses:?}");
    let joined = statuses.iter().filter(|status| **status == 200).count();
    let listed: Value =
        app.get(&format!("/api/v1/organizations/{id}/members"), &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 1 + joined, "alice and whoever accepted before bob left");
    assert!(pending_emails(&app, &alice.access_token, &id).await.is_empty(), "none of bob's invitations survive");
}

on_both_backends!(
    an_invitation_is_mailed_to_the_invitee_and_accepting_it_verifies_the_address,
    without_mail_delivery_the_inviter_gets_the_token_to_pass_on,
    removing_a_member_revokes_the_invitations_they_sent,
    acceptances_racing_the_inviter_s_removal_either_join_or_are_refused,
    invitations_beyond_what_the_inviter_may_still_grant_are_revoked,
    an_invitation_whose_inviter_lost_the_right_is_refused_with_410,
    an_invitation_makes_its_invitee_a_member_once,
    invitations_refuse_bad_input_members_and_strangers,
    an_expired_invitation_cannot_be_accepted,
);
