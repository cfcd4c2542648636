//! Passkeys (WebAuthn) without a browser: every error path of the ceremonies that needs no
//! authenticator (unknown, expired, spent, foreign and mismatched ceremonies, malformed
//! credentials, unknown credentials counted toward the lockout, other users' passkeys),
//! on both backends. The real ceremonies (registration, sign-in with and without a login
//! name, removal, a cloned authenticator) run in headless Chromium with a virtual
//! authenticator: tests/browser/passkeys.mjs, run by scripts/api-checks.sh.

use crate::answers::{problem, sorted_fields};
use authdb_persistence::entities::{audit_events, webauthn_ceremonies};
use authdb_tests::{Backend, PASSWORD, TestApp, spawn_app, spawn_app_with};
use futures_util::future::join_all;
use reqwest::Response;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

const REGISTER_START: &str = "/api/v1/auth/passkeys/register/start";
const REGISTER_FINISH: &str = "/api/v1/auth/passkeys/register/finish";
const LOGIN_START: &str = "/api/v1/auth/passkeys/login/start";
const LOGIN_FINISH: &str = "/api/v1/auth/passkeys/login/finish";

/// A registration answer of the right shape that cannot verify.
fn bogus_attestation() -> Value {
    json!({
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": { "attestationObject": "AAAA", "clientDataJSON": "AAAA" },
        "extensions": {}
    })
}

/// A sign-in assertion of the right shape for a credential nobody registered.
fn unknown_assertion() -> Value {
    json!({
        "id": "bm8tc3VjaC1jcmVkZW50aWFs",
        "rawId": "bm8tc3VjaC1jcmVkZW50aWFs",
        "type": "public-key",
        "response": {
            "authenticatorData": "AAAA",
            "clientDataJSON": "AAAA",
            "signature": "AAAA",
            "userHandle": null
        },
        "extensions": {}
    })
}

async fn start_registration(app: &TestApp, access_token: &str) -> Value {
    let response = app.post_with(REGISTER_START, access_token, &json!({})).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn start_login(app: &TestApp, body: Value) -> Value {
    let response = app.post_json(LOGIN_START, &body).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn assert_invalid_ceremony(response: Response) {
    let problem = problem(response, 400).await;
    assert_eq!(problem["type"], "/problems/invalid-ceremony", "{problem}");
    assert_eq!(sorted_fields(&problem), ["ceremony_id"]);
}

async fn registration_start_gives_creation_options_for_the_caller(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;

    let started = start_registration(&app, &alice.access_token).await;

    assert!(Uuid::parse_str(started["ceremony_id"].as_str().unwrap()).is_ok(), "{started}");
    let options = &started["public_key"];
    assert_eq!(options["rp"]["id"], "localhost");
    assert_eq!(options["user"]["name"], "alice");
    assert!(options["challenge"].as_str().is_some_and(|challenge| challenge.len() >= 22), "{options}");
    assert_eq!(options["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "preferred");
    let anonymous = app.client.post(app.url(REGISTER_START)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let list = app.get_with("/api/v1/auth/passkeys", &alice.access_token).await;
    assert_eq!(list.status(), 200);
    assert_eq!(list.json::<Value>().await.unwrap(), json!({ "items": [] }));
}

async fn registration_finish_refuses_unknown_foreign_spent_expired_and_mismatched_ceremonies(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let finish =
        |ceremony: &Value| json!({ "ceremony_id": ceremony, "name": "laptop", "credential": bogus_attestation() });

    // Unknown.
    let response = app.post_with(REGISTER_FINISH, &alice.access_token, &finish(&json!(Uuid::now_v7()))).await;
    assert_invalid_ceremony(response).await;
    // Another user's: bob cannot finish alice's registration (nor spend it).
    let started = start_registration(&app, &alice.access_token).await;
    let response = app.post_with(REGISTER_FINISH, &bob.access_token, &finish(&started["ceremony_id"])).await;
    assert_invalid_ceremony(response).await;
    // Alice can; her credential does not verify (422 naming it), and that spends it.
    let response = app.post_with(REGISTER_FINISH, &alice.access_token, &finish(&started["ceremony_id"])).await;
    let refused = problem(response, 422).await;
    assert_eq!(sorted_fields(&refused), ["credential"], "{refused}");
    let response = app.post_with(REGISTER_FINISH, &alice.access_token, &finish(&started["ceremony_id"])).await;
    assert_invalid_ceremony(response).await;
    // A sign-in ceremony is not a registration's.
    let login = start_login(&app, json!({})).await;
    let response = app.post_with(REGISTER_FINISH, &alice.access_token, &finish(&login["ceremony_id"])).await;
    assert_invalid_ceremony(response).await;
    // Expired.
    let started = start_registration(&app, &alice.access_token).await;
    let id = Uuid::parse_str(started["ceremony_id"].as_str().unwrap()).unwrap();
    let db = app.database().await;
    let mut row: webauthn_ceremonies::ActiveModel =
        webauthn_ceremonies::Entity::find_by_id(id).one(&db).await.unwrap().unwrap().into();
    row.expires_at = Set(authdb_persistence::now() - time::Duration::seconds(1));
    row.update(&db).await.unwrap();
    let response = app.post_with(REGISTER_FINISH, &alice.access_token, &finish(&started["ceremony_id"])).await;
    assert_invalid_ceremony(response).await;
    // Nothing was stored.
    let list: Value = app.get_with("/api/v1/auth/passkeys", &alice.access_token).await.json().await.unwrap();
    assert_eq!(list["items"], json!([]));
}

async fn registration_finish_names_each_bad_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let started = start_registration(&app, &alice.access_token).await;
    let ceremony = &started["ceremony_id"];

    let cases = [
        (json!({ "ceremony_id": ceremony, "name": "", "credential": {} }), vec!["name"]),
        (json!({ "ceremony_id": ceremony, "name": "k".repeat(65), "credential": {} }), vec!["name"]),
        (json!({ "ceremony_id": ceremony, "name": "laptop", "credential": "AAAA" }), vec!["credential"]),
        (json!({ "ceremony_id": ceremony, "name": " ", "credential": [] }), vec!["credential", "name"]),
        (json!({ "ceremony_id": "not-a-uuid", "name": "laptop", "credential": {} }), vec!["ceremony_id"]),
        (json!({ "name": "laptop", "credential": {} }), vec!["ceremony_id"]),
    ];
    for (body, expected) in cases {
        let response = app.post_with(REGISTER_FINISH, &alice.access_token, &body).await;
        let problem = problem(response, 422).await;
        assert_eq!(sorted_fields(&problem), expected, "{body} -> {problem}");
    }
    // None of those spent the ceremony: a malformed credential object does, once.
    let body = json!({ "ceremony_id": ceremony, "name": "laptop", "credential": { "id": 1 } });
    let problem = problem(app.post_with(REGISTER_FINISH, &alice.access_token, &body).await, 422).await;
    assert_eq!(sorted_fields(&problem), ["credential"]);
    assert_invalid_ceremony(app.post_with(REGISTER_FINISH, &alice.access_token, &body).await).await;
}

async fn sixteen_concurrent_finishes_of_one_ceremony_spend_it_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let started = start_registration(&app, &alice.access_token).await;
    let body = json!({ "ceremony_id": started["ceremony_id"], "name": "laptop", "credential": bogus_attestation() });

    let statuses: Vec<u16> = join_all((0..16).map(|_| app.post_with(REGISTER_FINISH, &alice.access_token, &body)))
        .await
        .into_iter()
        .map(|response| response.status().as_u16())
        .collect();

    assert_eq!(statuses.iter().filter(|status| **status == 422).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|status| **status == 400).count(), 15, "{statuses:?}");
}

async fn sign_in_start_offers_discoverable_or_named_credentials(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;

    for body in [json!({}), json!({ "login": "alice" }), json!({ "login": "nobody@example.com" })] {
        let started = start_login(&app, body.clone()).await;
        let options = &started["public_key"];
        assert_eq!(options["rpId"], "localhost", "{body}");
        assert_eq!(options["userVerification"], "required", "{body}");
        // Alice has no passkey: her options do not differ from an unknown name's.
        assert!(options["allowCredentials"].as_array().is_none_or(Vec::is_empty), "{body} -> {options}");
        assert!(started.get("mediation").is_none());
    }
    for (body, field) in [(json!({ "login": "" }), "login"), (json!({ "login": "a".repeat(321) }), "login")] {
        let problem = problem(app.post_json(LOGIN_START, &body).await, 422).await;
        assert_eq!(sorted_fields(&problem), [field], "{body}");
    }
    let problem = problem(app.post_json(LOGIN_START, &json!({ "login": 5 })).await, 422).await;
    assert_eq!(sorted_fields(&problem), ["login"]);
}

async fn sign_in_finish_refuses_bad_ceremonies_and_malformed_assertions(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;

    let body = json!({ "ceremony_id": Uuid::now_v7(), "credential": unknown_assertion() });
    assert_invalid_ceremony(app.post_json(LOGIN_FINISH, &body).await).await;
    // A registration ceremony is not a sign-in's.
    let registration = start_registration(&app, &alice.access_token).await;
    let body = json!({ "ceremony_id": registration["ceremony_id"], "credential": unknown_assertion() });
    assert_invalid_ceremony(app.post_json(LOGIN_FINISH, &body).await).await;
    // Malformed: refused before the ceremony is spent.
    let started = start_login(&app, json!({})).await;
    for credential in [json!("AAAA"), json!({ "id": 7 }), json!({})] {
        let body = json!({ "ceremony_id": started["ceremony_id"], "credential": credential });
        let problem = problem(app.post_json(LOGIN_FINISH, &body).await, 422).await;
        assert_eq!(sorted_fields(&problem), ["credential"], "{body}");
    }
    // An unknown credential: 401, and the ceremony is spent.
    let body = json!({ "ceremony_id": started["ceremony_id"], "credential": unknown_assertion() });
    let refused = problem(app.post_json(LOGIN_FINISH, &body).await, 401).await;
    assert_eq!(refused["type"], "/problems/invalid-credentials");
    assert_invalid_ceremony(app.post_json(LOGIN_FINISH, &body).await).await;
    let db = app.database().await;
    let failures =
        audit_events::Entity::find().filter(audit_events::Column::Action.eq("login.failed")).all(&db).await.unwrap();
    assert!(failures.iter().any(|event| event.details["reason"] == "unknown_passkey"), "{failures:?}");
}

async fn failed_passkey_sign_ins_count_toward_the_login_lockout(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.auth.lockout_threshold = 3;
        settings.auth.lockout_base_delay_secs = 60;
    })
    .await;
    app.register_ok("alice").await;

    let mut statuses = Vec::new();
    for _ in 0..4 {
        let started = start_login(&app, json!({ "login": "alice" })).await;
        let body = json!({ "ceremony_id": started["ceremony_id"], "credential": unknown_assertion() });
        statuses.push(app.post_json(LOGIN_FINISH, &body).await.status().as_u16());
    }

    assert_eq!(statuses, [401, 401, 401, 429]);
    // The same counter as passwords: alice's right password from this address waits too.
    let password = app.login("alice", PASSWORD).await;
    assert_eq!(password.status(), 429);
    assert!(password.headers().contains_key("retry-after"));
    // Discoverable sign-ins are counted per address under a key of their own.
    let started = start_login(&app, json!({})).await;
    let body = json!({ "ceremony_id": started["ceremony_id"], "credential": unknown_assertion() });
    assert_eq!(app.post_json(LOGIN_FINISH, &body).await.status(), 401);
}

async fn other_users_passkeys_are_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;

    for id in [Uuid::now_v7().to_string(), "not-a-uuid".to_owned()] {
        let path = format!("/api/v1/auth/passkeys/{id}");
        assert_eq!(app.get_with(&path, &alice.access_token).await.status(), 404, "{path}");
        let response = app.delete_with(&path, &alice.access_token).await;
        let problem = problem(response, 404).await;
        assert_eq!(problem["type"], "/problems/not-found");
    }
    let anonymous = app.client.get(app.url("/api/v1/auth/passkeys")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

on_both_backends!(
    registration_start_gives_creation_options_for_the_caller,
    registration_finish_refuses_unknown_foreign_spent_expired_and_mismatched_ceremonies,
    registration_finish_names_each_bad_field,
    sixteen_concurrent_finishes_of_one_ceremony_spend_it_once,
    sign_in_start_offers_discoverable_or_named_credentials,
    sign_in_finish_refuses_bad_ceremonies_and_malformed_assertions,
    failed_passkey_sign_ins_count_toward_the_login_lockout,
    other_users_passkeys_are_not_found,
);
