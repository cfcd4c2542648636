//! Passkeys as the second step of a password login (`/auth/mfa/webauthn/start|finish`),
//! passkey sign-in into an organization, and `auth.mfa_encryption_key`, on both backends.
//! The ceremonies are driven by a software authenticator (`soft_passkey.rs`); TOTP codes
//! come from Python's `pyotp` as in `mfa.rs`.

use authdb_persistence::entities::{audit_events, mfa_challenges, mfa_totp};
use authdb_tests::{Backend, PASSWORD, TestApp, claims_of, spawn_app, spawn_app_with};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use futures_util::future::join_all;
use reqwest::Response;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::{
    answers::{json_of, sorted_fields},
    python::{early_in_a_totp_step, pyotp_code},
    soft_passkey::SoftPasskey,
};

const LOGIN_START: &str = "/api/v1/auth/passkeys/login/start";
const LOGIN_FINISH: &str = "/api/v1/auth/passkeys/login/finish";
const WEBAUTHN_START: &str = "/api/v1/auth/mfa/webauthn/start";
const WEBAUTHN_FINISH: &str = "/api/v1/auth/mfa/webauthn/finish";
const TOTP: &str = "/api/v1/auth/mfa/totp";
const CONFIRM: &str = "/api/v1/auth/mfa/totp/confirm";
const VERIFY: &str = "/api/v1/auth/mfa/verify";

/// A password login that must answer `/problems/mfa-required`: its `mfa_token` and methods.
async fn challenged(app: &TestApp, body: Value) -> (String, Value) {
    let problem = json_of(app.post_json("/api/v1/auth/login", &body).await, 401, "password login").await;
    assert_eq!(problem["type"], "/problems/mfa-required", "{problem}");
    (problem["mfa_token"].as_str().unwrap().to_owned(), problem["methods"].clone())
}

async fn mfa_token(app: &TestApp, login: &str) -> String {
    challenged(app, json!({ "login": login, "password": PASSWORD })).await.0
}

/// The request options of a second step started with `token`.
async fn start(app: &TestApp, token: &str) -> Value {
    json_of(app.post_json(WEBAUTHN_START, &json!({ "mfa_token": token })).await, 200, "webauthn start").await
        ["public_key"]
        .clone()
}

async fn finish(app: &TestApp, token: &str, credential: Value) -> Response {
    app.post_json(WEBAUTHN_FINISH, &json!({ "mfa_token": token, "credential": credential })).await
}

/// The access token's claims, verified with the server's HS256 secret by `jsonwebtoken`.
fn verified_claims(app: &TestApp, token: &str) -> Value {
    let key = jsonwebtoken::DecodingKey::from_secret(app.jwt_secret().as_bytes());
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, &key, &validation).unwrap().claims
}

async fn audited(app: &TestApp, action: &str) -> Vec<Value> {
    let db = app.database().await;
    let rows = audit_events::Entity::find().filter(audit_events::Column::Action.eq(action)).all(&db).await.unwrap();
    rows.into_iter().map(|row| row.details).collect()
}

async fn a_passkey_is_the_second_step_of_a_password_login(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let mut soft = SoftPasskey::new();
    soft.register_with(&app, &alice.access_token).await;
    // Another passkey of someone else is not offered.
    let bob = app.register_ok("bob").await;
    SoftPasskey::new().register_with(&app, &bob.access_token).await;

    let (token, methods) = challenged(&app, json!({ "login": "alice", "password": PASSWORD })).await;
    assert_eq!(methods, json!(["webauthn"]));
    let options = start(&app, &token).await;
    let offered: Vec<&str> =
        options["allowCredentials"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(offered, [soft.credential_id()]);
    assert_eq!(options["userVerification"], "required");
    let signed_in = json_of(finish(&app, &token, soft.assert(&options)).await, 200, "finish").await;
    let claims = verified_claims(&app, signed_in["access_token"].as_str().unwrap());
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]));
    assert_eq!(claims["sub"], alice.user["id"]);
    assert!(claims["auth_time"].as_i64().unwrap() > 0);
    assert_eq!(signed_in["user"]["username"], "alice");

    // The mfa_token is spent: neither a new ceremony nor a finish takes it again.
    let reused = json_of(app.post_json(WEBAUTHN_START, &json!({ "mfa_token": token })).await, 401, "reuse").await;
    assert_eq!(reused["type"], "/problems/invalid-mfa-token");
    let refinished = json_of(finish(&app, &token, soft.assert(&options)).await, 401, "finish again").await;
    assert_eq!(refinished["type"], "/problems/invalid-mfa-token");
    assert_eq!(sorted_fields(&refinished), ["mfa_token"]);

    // A passkey sign-in without the password still signs in alone: hwk + mfa.
    let started = json_of(app.post_json(LOGIN_START, &json!({ "login": "alice" })).await, 200, "login start").await;
    let body = json!({ "ceremony_id": started["ceremony_id"], "credential": soft.assert(&started["public_key"]) });
    let alone = json_of(app.post_json(LOGIN_FINISH, &body).await, 200, "passkey sign-in").await;
    assert_eq!(claims_of(alone["access_token"].as_str().unwrap())["amr"], json!(["hwk", "mfa"]));
    // login.succeeded records the amr of each.
    let amrs: Vec<Value> = audited(&app, "login.succeeded").await.into_iter().map(|d| d["amr"].clone()).collect();
    assert!(amrs.contains(&json!(["pwd", "hwk", "mfa"])), "{amrs:?}");
}

async fn the_second_step_refuses_bad_tokens_and_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let mut soft = SoftPasskey::new();
    soft.register_with(&app, &alice.access_token).await;

    // Missing or mistyped fields: 422 naming each.
    let missing = json_of(app.post_json(WEBAUTHN_START, &json!({})).await, 422, "no mfa_token").await;
    assert_eq!(sorted_fields(&missing), ["mfa_token"]);
    let missing =
        json_of(app.post_json(WEBAUTHN_FINISH, &json!({ "mfa_token": "x" })).await, 422, "no credential").await;
    assert_eq!(sorted_fields(&missing), ["credential"]);
    let missing =
        json_of(app.post_json(WEBAUTHN_FINISH, &json!({ "credential": {} })).await, 422, "no mfa_token").await;
    assert_eq!(sorted_fields(&missing), ["mfa_token"]);
    let long = "x".repeat(600);
    let both = json_of(finish(&app, &long, json!("not an object")).await, 422, "both wrong").await;
    assert_eq!(sorted_fields(&both), ["credential", "mfa_token"]);

    // Unknown tokens.
    let unknown = json_of(app.post_json(WEBAUTHN_START, &json!({ "mfa_token": "nope" })).await, 401, "unknown").await;
    assert_eq!(unknown["type"], "/problems/invalid-mfa-token");
    let token = mfa_token(&app, "alice").await;
    let options = start(&app, &token).await;
    let unknown = json_of(finish(&app, "nope", soft.assert(&options)).await, 401, "unknown token at finish").await;
    assert_eq!(unknown["type"], "/problems/invalid-mfa-token");
    // A malformed assertion is a 422 before anything is spent.
    let malformed = json_of(finish(&app, &token, json!({ "id": "x" })).await, 422, "malformed").await;
    assert_eq!(sorted_fields(&malformed), ["credential"]);

    // A finish with no ceremony started for the token.
    let fresh = mfa_token(&app, "alice").await;
    let unstarted = json_of(finish(&app, &fresh, soft.assert(&options)).await, 400, "not started").await;
    assert_eq!(unstarted["type"], "/problems/invalid-ceremony");
    assert_eq!(sorted_fields(&unstarted), ["mfa_token"]);
    // The ceremony is single use: a refused assertion spends it, a new start is needed.
    let options = start(&app, &fresh).await;
    let stale = soft.assert_with_counter(&options, 0);
    let mut wrong = stale.clone();
    wrong["response"]["signature"] = json!("AAAA");
    json_of(finish(&app, &fresh, wrong).await, 401, "bad signature").await;
    let spent = json_of(finish(&app, &fresh, soft.assert(&options)).await, 400, "ceremony spent").await;
    assert_eq!(spent["type"], "/problems/invalid-ceremony");
    let options = start(&app, &fresh).await;
    // Signed in with both factors: the session a passkey's removal (a sensitive action)
    // steps up from.
    let both_factors = json_of(finish(&app, &fresh, soft.assert(&options)).await, 200, "started again").await;
    let both_factors = both_factors["access_token"].as_str().unwrap().to_owned();

    // An expired token (5 minutes) is refused at start and finish.
    let token = mfa_token(&app, "alice").await;
    let options = start(&app, &token).await;
    let db = app.database().await;
    let past = time::OffsetDateTime::now_utc() - time::Duration::minutes(6);
    mfa_challenges::Entity::update_many()
        .col_expr(mfa_challenges::Column::ExpiresAt, Expr::value(past))
        .exec(&db)
        .await
        .unwrap();
    let expired = json_of(finish(&app, &token, soft.assert(&options)).await, 401, "expired").await;
    assert_eq!(expired["type"], "/problems/invalid-mfa-token");
    let expired = json_of(app.post_json(WEBAUTHN_START, &json!({ "mfa_token": token })).await, 401, "expired").await;
    assert_eq!(expired["type"], "/problems/invalid-mfa-token");

    // An account whose passkey is gone has nothing to start (409), its token still usable
    // for whatever factor it has left.
    let token = mfa_token(&app, "alice").await;
    let listed = json_of(app.get_with("/api/v1/auth/passkeys", &alice.access_token).await, 200, "list").await;
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    let single_factor = app.delete_with(&format!("/api/v1/auth/passkeys/{id}"), &alice.access_token).await;
    let refused = json_of(single_factor, 401, "a password-only session removing the passkey").await;
    assert_eq!(refused["type"], "/problems/step-up-required");
    assert_eq!(app.delete_with(&format!("/api/v1/auth/passkeys/{id}"), &both_factors).await.status(), 204);
    let none = json_of(app.post_json(WEBAUTHN_START, &json!({ "mfa_token": token })).await, 409, "no passkey").await;
    assert_eq!(none["type"], "/problems/conflict");
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200, "no second factor left: the password alone");
}

async fn another_users_passkey_is_refused_and_counted_like_a_wrong_code(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.auth.lockout_threshold = 3;
        settings.auth.lockout_base_delay_secs = 60;
    })
    .await;
    let alice = app.register_ok("alice").await;
    let mut soft = SoftPasskey::new();
    soft.register_with(&app, &alice.access_token).await;
    let mallory = app.register_ok("mallory").await;
    let mut other = SoftPasskey::new();
    other.register_with(&app, &mallory.access_token).await;

    let token = mfa_token(&app, "alice").await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let options = start(&app, &token).await;
        let response = finish(&app, &token, other.assert(&options)).await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        if status == 401 {
            assert_eq!(body["type"], "/problems/invalid-mfa-code");
            assert_eq!(sorted_fields(&body), ["credential"]);
        }
        statuses.push(status);
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
    // Locked: alice's own passkey waits too.
    let options = start(&app, &token).await;
    let locked = finish(&app, &token, soft.assert(&options)).await;
    assert_eq!(locked.status(), 429);
    assert!(locked.headers().contains_key("retry-after"));
    let reasons: Vec<Value> = audited(&app, "mfa.failed").await.into_iter().map(|d| d["reason"].clone()).collect();
    assert_eq!(reasons, vec![json!("unknown_passkey"); 3]);
}

async fn a_replayed_sign_count_is_refused_and_audited_as_a_clone(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let mut soft = SoftPasskey::new();
    soft.register_with(&app, &alice.access_token).await;
    for _ in 0..2 {
        let token = mfa_token(&app, "alice").await;
        let options = start(&app, &token).await;
        json_of(finish(&app, &token, soft.assert(&options)).await, 200, "honest").await;
    }

    let token = mfa_token(&app, "alice").await;
    let options = start(&app, &token).await;
    let clone = soft.assert_with_counter(&options, 1);
    let refused = json_of(finish(&app, &token, clone).await, 401, "cloned authenticator").await;
    assert_eq!(refused["type"], "/problems/invalid-mfa-code");
    let suspected = audited(&app, "passkey.clone_suspected").await;
    assert_eq!(suspected, [json!({ "reason": "sign_count_not_increased" })]);
    let reasons: Vec<Value> = audited(&app, "mfa.failed").await.into_iter().map(|d| d["reason"].clone()).collect();
    assert_eq!(reasons, [json!("passkey_clone_suspected")]);
    // The honest authenticator goes on.
    let options = start(&app, &token).await;
    json_of(finish(&app, &token, soft.assert(&options)).await, 200, "honest again").await;
}

async fn sixteen_concurrent_finishes_sign_in_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let mut soft = SoftPasskey::new();
    soft.register_with(&app, &alice.access_token).await;
    let token = mfa_token(&app, "alice").await;
    let options = start(&app, &token).await;
    let assertion = soft.assert(&options);

    let responses = join_all((0..16).map(|_| finish(&app, &token, assertion.clone()))).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| [200, 400, 401].contains(s)), "{statuses:?}");
    // Losing the race is no guess: nothing was counted or audited as a failure.
    assert!(audited(&app, "mfa.failed").await.is_empty());
    let sessions = app.sessions_ok(&alice.access_token).await;
    assert_eq!(sessions.len(), 2, "the registration's session and one signed in");
}

async fn passkey_sign_in_and_second_step_into_an_organization(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let mut soft = SoftPasskey::new();
    soft.register_with(&app, &alice.access_token).await;
    let organization = app.create_organization_ok(&alice.access_token, "acme").await;
    let org = organization["id"].as_str().unwrap().to_owned();
    let bob = app.register_ok("bob").await;
    let mut bobs = SoftPasskey::new();
    bobs.register_with(&app, &bob.access_token).await;

    // Passkey sign-in, scoped.
    let started = json_of(app.post_json(LOGIN_START, &json!({ "login": "alice" })).await, 200, "start").await;
    let body = json!({
        "ceremony_id": started["ceremony_id"],
        "credential": soft.assert(&started["public_key"]),
        "organization_id": org,
    });
    let scoped = json_of(app.post_json(LOGIN_FINISH, &body).await, 200, "scoped passkey sign-in").await;
    let claims = verified_claims(&app, scoped["access_token"].as_str().unwrap());
    assert_eq!(claims["org"], org.as_str());
    assert_eq!(claims["role"], "owner");
    assert_eq!(claims["amr"], json!(["hwk", "mfa"]));
    // A non-member is answered as a password login answers them (discoverable sign-in).
    let started = json_of(app.post_json(LOGIN_START, &json!({})).await, 200, "start").await;
    let body = json!({
        "ceremony_id": started["ceremony_id"],
        "credential": bobs.assert(&started["public_key"]),
        "organization_id": org,
    });
    let refused = json_of(app.post_json(LOGIN_FINISH, &body).await, 403, "non-member").await;
    assert_eq!(refused["type"], "/problems/not-a-member");
    let by_password = json_of(
        app.post_json("/api/v1/auth/login", &json!({ "login": "bob", "password": PASSWORD, "organization_id": org }))
            .await,
        401,
        "bob has a passkey: a second step first",
    )
    .await;
    let options = start(&app, by_password["mfa_token"].as_str().unwrap()).await;
    let refused = json_of(
        finish(&app, by_password["mfa_token"].as_str().unwrap(), bobs.assert(&options)).await,
        403,
        "non-member after the second step",
    )
    .await;
    assert_eq!(refused["type"], "/problems/not-a-member");
    // A malformed organization id is a 422 naming it.
    let started = json_of(app.post_json(LOGIN_START, &json!({})).await, 200, "start").await;
    let body = json!({ "ceremony_id": started["ceremony_id"], "credential": {}, "organization_id": "acme" });
    let bad = json_of(app.post_json(LOGIN_FINISH, &body).await, 422, "bad organization_id").await;
    assert_eq!(sorted_fields(&bad), ["organization_id"]);

    // Password then passkey, scoped by the password login's organization_id.
    let (token, _) = challenged(&app, json!({ "login": "alice", "password": PASSWORD, "organization_id": org })).await;
    let options = start(&app, &token).await;
    let signed_in = json_of(finish(&app, &token, soft.assert(&options)).await, 200, "second step").await;
    let claims = verified_claims(&app, signed_in["access_token"].as_str().unwrap());
    assert_eq!(claims["org"], org.as_str());
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "mfa"]));
}

// --- auth.mfa_encryption_key ------------------------------------------------------------

fn key(byte: u8) -> String {
    STANDARD.encode([byte; 32])
}

/// Signs in `login` with its TOTP at `offset_steps` (each use needs a step not used before).
async fn totp_login(app: &TestApp, login: &str, code: &str) -> Response {
    let token = mfa_token(app, login).await;
    app.post_json(VERIFY, &json!({ "mfa_token": token, "code": code })).await
}

async fn sealed_secret(app: &TestApp) -> String {
    let db = app.database().await;
    mfa_totp::Entity::find().one(&db).await.unwrap().unwrap().secret_sealed
}

async fn the_mfa_encryption_key_seals_totp_secrets_across_restarts_and_rotations(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.mfa_encryption_key = Some(key(1).into())).await;
    let alice = app.register_ok("alice").await;
    let started =
        json_of(app.post(TOTP, &alice.access_token, &json!({ "password": PASSWORD })).await, 200, "enrol").await;
    let secret = started["secret"].as_str().unwrap().to_owned();
    early_in_a_totp_step().await;
    json_of(app.post(CONFIRM, &alice.access_token, &json!({ "code": pyotp_code(&secret, -1) })).await, 200, "confirm")
        .await;

    // The same key after a restart.
    let app = app.restart().await;
    json_of(totp_login(&app, "alice", &pyotp_code(&secret, 0)).await, 200, "same key after a restart").await;
    let sealed_under_1 = sealed_secret(&app).await;

    // Another key alone: refused at start, naming the setting, never the value.
    let mut wrong = app.settings.clone();
    wrong.auth.mfa_encryption_key = Some(key(2).into());
    let error = authdb_server::Application::build(wrong).await.err().expect("a wrong key refuses the start");
    let message = error.to_string();
    assert!(message.contains("AUTHDB__AUTH__MFA_ENCRYPTION_KEY"), "{message}");
    assert!(message.contains("AUTHDB__AUTH__MFA_ENCRYPTION_KEY_PREVIOUS"), "{message}");
    assert!(!message.contains(&key(2)) && !message.contains(&key(1)), "{message}");

    // Rotation: the new key with the old one as previous; the start seals every secret
    // again under the new key.
    let app = app
        .restart_with(|settings| {
            settings.auth.mfa_encryption_key = Some(key(2).into());
            settings.auth.mfa_encryption_key_previous = Some(key(1).into());
        })
        .await;
    assert_ne!(sealed_secret(&app).await, sealed_under_1, "sealed again under the new key at the start");
    // One code for the login and its replay: a code computed again later may fall in the
    // next 30-second step.
    let rotating = pyotp_code(&secret, 1);
    json_of(totp_login(&app, "alice", &rotating).await, 200, "rotating").await;
    // The new key alone now opens it.
    let app = app
        .restart_with(|settings| {
            settings.auth.mfa_encryption_key_previous = None;
        })
        .await;
    let locked_out_of_replay = totp_login(&app, "alice", &rotating).await;
    assert_eq!(locked_out_of_replay.status(), 401, "the step used is still spent");
    // A secret no configured key opens (one row of several: the start is allowed) is a
    // 503 naming the cause, never a 500.
    let bob = app.register_ok("bob").await;
    let started =
        json_of(app.post(TOTP, &bob.access_token, &json!({ "password": PASSWORD })).await, 200, "enrol").await;
    let bobs = started["secret"].as_str().unwrap().to_owned();
    json_of(app.post(CONFIRM, &bob.access_token, &json!({ "code": pyotp_code(&bobs, 0) })).await, 200, "confirm").await;
    let db = app.database().await;
    let foreign = mfa_totp::Entity::find()
        .filter(mfa_totp::Column::UserId.eq(uuid::Uuid::parse_str(alice.user["id"].as_str().unwrap()).unwrap()))
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .secret_sealed;
    mfa_totp::Entity::update_many()
        .col_expr(mfa_totp::Column::SecretSealed, Expr::value(foreign))
        .filter(mfa_totp::Column::UserId.eq(uuid::Uuid::parse_str(bob.user["id"].as_str().unwrap()).unwrap()))
        .exec(&db)
        .await
        .unwrap();
    let response = totp_login(&app, "bob", &pyotp_code(&bobs, 1)).await;
    assert!(response.headers().contains_key("retry-after"));
    let unavailable = json_of(response, 503, "a secret no key opens").await;
    assert_eq!(unavailable["type"], "/problems/mfa-unavailable");
    assert!(unavailable["detail"].as_str().unwrap().contains("auth.mfa_encryption_key"));
}

on_both_backends!(
    a_passkey_is_the_second_step_of_a_password_login,
    the_second_step_refuses_bad_tokens_and_fields,
    another_users_passkey_is_refused_and_counted_like_a_wrong_code,
    a_replayed_sign_count_is_refused_and_audited_as_a_clone,
    sixteen_concurrent_finishes_sign_in_once,
    passkey_sign_in_and_second_step_into_an_organization,
    the_mfa_encryption_key_seals_totp_secrets_across_restarts_and_rotations,
);
