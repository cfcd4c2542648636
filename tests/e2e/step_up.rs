//! Step-up for sensitive actions and an organization's `require_mfa`, end to end: every
//! sensitive action refused from a session whose authentication is old and from a
//! password-only session of a TOTP user, accepted after `POST /auth/step-up`; `amr` and
//! `auth_time` read by PyJWT; wrong passwords and codes counted toward the lockout; 16
//! concurrent step-ups of one session; the policy's 403, enrolment and bad values.
//!
//! Python (`pyotp`, `PyJWT`): `AUTHDB_TEST_PYTHON`, else `target/tools/venv/bin/python`.

use authdb_persistence::entities::sessions;
use authdb_tests::{Backend, PASSWORD, TestApp, Tokens, claims_of, spawn_app, spawn_app_with};
use futures_util::future::join_all;
use reqwest::{Method, Response};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::{
    answers::json_of,
    mfa::enrol,
    python::{pyjwt_amr, pyotp_code},
    soft_passkey::SoftPasskey,
};

const STEP_UP: &str = "/api/v1/auth/step-up";
const TOTP: &str = "/api/v1/auth/mfa/totp";
const RECOVERY: &str = "/api/v1/auth/mfa/recovery-codes";
const VERIFY: &str = "/api/v1/auth/mfa/verify";
const CHANGE_PASSWORD: &str = "/api/v1/auth/change-password";
const PASSKEY_STEP_UP_START: &str = "/api/v1/auth/step-up/webauthn/start";
const PASSKEY_STEP_UP_FINISH: &str = "/api/v1/auth/step-up/webauthn/finish";

fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Tokens of the session of `tokens` as if its user had authenticated an hour ago: the
/// session row's `auth_time` is moved back, and a refresh issues an access token with it.
async fn backdated(app: &TestApp, tokens: &Tokens) -> Tokens {
    let sid = uuid::Uuid::parse_str(claims_of(&tokens.access_token)["sid"].as_str().unwrap()).unwrap();
    let db = app.database().await;
    let an_hour_ago = authdb_persistence::now() - time::Duration::hours(1);
    sessions::Entity::update_many()
        .col_expr(sessions::Column::AuthTime, Expr::value(Some(an_hour_ago)))
        .filter(sessions::Column::Id.eq(sid))
        .exec(&db)
        .await
        .unwrap();
    let refreshed = app.refresh_ok(&tokens.refresh_token).await;
    assert_eq!(pyjwt_amr(app, &refreshed.access_token).1, an_hour_ago.unix_timestamp(), "refresh keeps auth_time");
    refreshed
}

/// A step-up that must succeed: the new pair.
async fn step_up_ok(app: &TestApp, access_token: &str, body: &Value) -> Tokens {
    let body = json_of(app.post(STEP_UP, access_token, body).await, 200, "step-up").await;
    Tokens {
        user: body["user"].clone(),
        access_token: body["access_token"].as_str().unwrap().to_owned(),
        refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
    }
}

fn assert_step_up_required(body: &Value, methods: Value) {
    assert_eq!(body["type"], "/problems/step-up-required", "{body}");
    assert_eq!(body["max_age_secs"], 600, "{body}");
    assert_eq!(body["methods"], methods, "{body}");
    assert_eq!(body["step_up_url"], "/api/v1/auth/step-up", "{body}");
}

/// The sensitive actions, each as one request (method, path, body) of `alice`, owner of
/// `org` where `bob` is a member; a passkey id that does not exist (the check comes first).
fn sensitive_requests(org: &str, bob: &str, tag: &str) -> Vec<(Method, String, Option<Value>)> {
    let members = format!("/api/v1/organizations/{org}/members");
    vec![
        (Method::PATCH, "/api/v1/auth/me".into(), Some(json!({ "email": format!("alice.{tag}@example.com") }))),
        (Method::DELETE, TOTP.into(), Some(json!({ "password": PASSWORD, "code": "123456" }))),
        (Method::POST, RECOVERY.into(), Some(json!({ "password": PASSWORD }))),
        (Method::DELETE, format!("/api/v1/auth/passkeys/{}", uuid::Uuid::now_v7()), None),
        (Method::PATCH, format!("{members}/{bob}"), Some(json!({ "role": "owner" }))),
        (Method::POST, members.clone(), Some(json!({ "email": format!("carol.{tag}@example.com"), "role": "owner" }))),
        (
            Method::POST,
            format!("/api/v1/organizations/{org}/invitations"),
            Some(json!({ "email": format!("dave.{tag}@example.com"), "role": "owner" })),
        ),
        (
            Method::POST,
            CHANGE_PASSWORD.into(),
            Some(json!({ "current_password": PASSWORD, "new_password": format!("Secret123{tag}") })),
        ),
        (Method::DELETE, format!("/api/v1/organizations/{org}"), None),
    ]
}

async fn send(app: &TestApp, token: &str, request: &(Method, String, Option<Value>)) -> Response {
    app.send(request.0.clone(), &request.1, token, request.2.as_ref()).await
}

async fn old_sessions_must_step_up_for_every_sensitive_action(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &org, &bob, "member").await;
    let old = backdated(&app, &alice).await;

    for request in sensitive_requests(&org, &bob.user_id(), "a") {
        let body = json_of(send(&app, &old.access_token, &request).await, 401, &format!("{request:?}")).await;
        assert_step_up_required(&body, json!(["password"]));
    }
    // Not sensitive: another role than owner, reading, a profile change without the email.
    let members = format!("/api/v1/organizations/{org}/members");
    let admin =
        app.patch(&format!("{members}/{}", bob.user_id()), &old.access_token, &json!({ "role": "admin" })).await;
    assert_eq!(admin.status(), 200);
    assert_eq!(app.patch_me(&old.access_token, &json!({ "full_name": "Alice" })).await.status(), 200);

    // Bad input and a wrong password are refused before anything changes.
    let empty = json_of(app.post(STEP_UP, &old.access_token, &json!({ "password": "" })).await, 422, "empty").await;
    assert_eq!(empty["errors"][0]["field"], "password");
    let both = json!({ "password": PASSWORD, "code": "1", "recovery_code": "2" });
    let both = json_of(app.post(STEP_UP, &old.access_token, &both).await, 422, "both codes").await;
    assert_eq!(both["errors"][0]["field"], "code");
    let no_factor = json!({ "password": PASSWORD, "code": "123456" });
    assert_eq!(app.post(STEP_UP, &old.access_token, &no_factor).await.status(), 409, "no TOTP factor");
    let wrong = json!({ "password": "Wrong1234" });
    let wrong = json_of(app.post(STEP_UP, &old.access_token, &wrong).await, 400, "wrong password").await;
    assert_eq!(wrong["type"], "/problems/wrong-password");
    assert_eq!(app.post_json(STEP_UP, &json!({ "password": PASSWORD })).await.status(), 401, "bearer required");

    let before = now_secs();
    let fresh = step_up_ok(&app, &old.access_token, &json!({ "password": PASSWORD })).await;
    let (amr, auth_time) = pyjwt_amr(&app, &fresh.access_token);
    assert_eq!(amr, ["pwd"]);
    assert!((before - 2..=now_secs() + 2).contains(&auth_time), "auth_time {auth_time} near {before}");
    assert_eq!(claims_of(&fresh.access_token)["sid"], claims_of(&old.access_token)["sid"], "the same session");
    assert_eq!(app.refresh(&old.refresh_token).await.status(), 401, "older refresh tokens stop working");
    let refreshed = app.refresh_ok(&fresh.refresh_token).await;
    assert_eq!(pyjwt_amr(&app, &refreshed.access_token), (amr, auth_time), "refresh keeps the step-up");
    let events = json_of(app.get("/api/v1/auth/events", &refreshed.access_token).await, 200, "events").await;
    assert!(events.to_string().contains("session.stepped_up"), "{events}");
    assert!(events.to_string().contains("session.step_up_failed"), "{events}");

    // Accepted now: each action gets past the step-up to its own answer.
    let expected = [200, 409, 409, 404, 200, 202, 201, 204, 204];
    for (request, status) in sensitive_requests(&org, &bob.user_id(), "b").iter().zip(expected) {
        let response = send(&app, &refreshed.access_token, request).await;
        json_of(response, status, &format!("{request:?} after step-up")).await;
    }
}

async fn a_totp_users_password_only_session_steps_up_with_a_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    // Enrolled after the login: the session is recent but password-only.
    let (secret, codes) = enrol(&app, &alice).await;
    assert_eq!(pyjwt_amr(&app, &alice.access_token).0, ["pwd"]);
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let bob = app.register_ok("bob").await;
    app.add_member_ok(&alice.access_token, &org, &bob, "member").await;
    for request in sensitive_requests(&org, &bob.user_id(), "a") {
        let body = json_of(send(&app, &alice.access_token, &request).await, 401, &format!("{request:?}")).await;
        assert_step_up_required(&body, json!(["totp", "recovery_code"]));
    }

    let password_only = json!({ "password": PASSWORD });
    let refused = json_of(app.post(STEP_UP, &alice.access_token, &password_only).await, 422, "no code").await;
    assert_eq!(refused["errors"][0]["field"], "code");
    let before = now_secs();
    let body = json!({ "password": PASSWORD, "code": pyotp_code(&secret, 1) });
    let fresh = step_up_ok(&app, &alice.access_token, &body).await;
    let (amr, auth_time) = pyjwt_amr(&app, &fresh.access_token);
    assert_eq!(amr, ["pwd", "otp", "mfa"]);
    assert!((before - 2..=now_secs() + 2).contains(&auth_time), "auth_time {auth_time} near {before}");
    let replay = json_of(app.post(STEP_UP, &fresh.access_token, &body).await, 401, "the code is spent").await;
    assert_eq!(replay["type"], "/problems/invalid-mfa-code");
    // The multi-factor session passes; a recovery code steps up too (and is spent).
    let regenerated = app.post(RECOVERY, &fresh.access_token, &json!({ "password": PASSWORD })).await;
    let regenerated = json_of(regenerated, 200, "regenerate after step-up").await;
    assert_eq!(
        app.post(STEP_UP, &fresh.access_token, &json!({ "password": PASSWORD, "recovery_code": codes[0] }))
            .await
            .status(),
        401,
        "old recovery codes are gone"
    );
    let recovery = regenerated["recovery_codes"][0].as_str().unwrap();
    let again =
        step_up_ok(&app, &fresh.access_token, &json!({ "password": PASSWORD, "recovery_code": recovery })).await;
    assert_eq!(pyjwt_amr(&app, &again.access_token).0, ["pwd", "otp", "mfa"]);
    let change = json!({ "current_password": PASSWORD, "new_password": "Secret1234" });
    assert_eq!(app.post(CHANGE_PASSWORD, &again.access_token, &change).await.status(), 204);
}

async fn wrong_step_up_passwords_and_codes_count_toward_the_lockout(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.lockout_base_delay_secs = 30).await;
    let alice = app.register_ok("alice").await;
    for attempt in 1..=5 {
        let wrong = app.post(STEP_UP, &alice.access_token, &json!({ "password": "Wrong1234" })).await;
        assert_eq!(wrong.status(), 400, "attempt {attempt}");
    }
    let locked = app.post(STEP_UP, &alice.access_token, &json!({ "password": PASSWORD })).await;
    assert_eq!(locked.status(), 429, "even the right password waits out the lock");
    assert!(locked.headers().contains_key("retry-after"));

    let bob = app.register_ok("bob").await;
    let (secret, _) = enrol(&app, &bob).await;
    for attempt in 1..=5 {
        let wrong = app.post(STEP_UP, &bob.access_token, &json!({ "password": PASSWORD, "code": "000000" })).await;
        assert_eq!(wrong.status(), 401, "attempt {attempt}");
    }
    let body = json!({ "password": PASSWORD, "code": pyotp_code(&secret, 1) });
    assert_eq!(app.post(STEP_UP, &bob.access_token, &body).await.status(), 429, "the right code waits too");
    // The same budget as the login's second step.
    let login = json_of(app.login("bob", PASSWORD).await, 401, "login").await;
    let verify = json!({ "mfa_token": login["mfa_token"], "code": pyotp_code(&secret, 1) });
    assert_eq!(app.post_json(VERIFY, &verify).await.status(), 429, "the login's second step is locked as well");
}

async fn sixteen_concurrent_step_ups_of_one_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let body = json!({ "password": PASSWORD });
    let answers = join_all((0..16).map(|_| app.post(STEP_UP, &alice.access_token, &body))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    assert_eq!(app.post(STEP_UP, &alice.access_token, &body).await.status(), 200, "no lockout");
    assert_eq!(app.me(&alice.access_token).await.status(), 200, "the session lives on");

    // One TOTP code sent 16 times at once: it steps up once; the others lost a race, which
    // is no guess and counts toward no lockout.
    let bob = app.register_ok("bob").await;
    let (secret, codes) = enrol(&app, &bob).await;
    let body = json!({ "password": PASSWORD, "code": pyotp_code(&secret, 1) });
    let answers = join_all((0..16).map(|_| app.post(STEP_UP, &bob.access_token, &body))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|&s| s == 200 || s == 401), "{statuses:?}");
    let recovery = json!({ "password": PASSWORD, "recovery_code": codes[0] });
    assert_eq!(app.post(STEP_UP, &bob.access_token, &recovery).await.status(), 200, "no lockout");
}

async fn require_mfa_refuses_members_without_a_second_factor(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let carol = app.register_ok("carol").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/organizations/{org}");
    app.add_member_ok(&alice.access_token, &org, &bob, "member").await;

    let not_boolean = json!({ "settings": { "require_mfa": "yes" } });
    let bad = json_of(app.patch(&path, &alice.access_token, &not_boolean).await, 422, "not a boolean").await;
    assert_eq!(bad["errors"][0]["field"], "settings.require_mfa");
    let on = json!({ "settings": { "require_mfa": true } });
    let locked_out = json_of(app.patch(&path, &alice.access_token, &on).await, 422, "owner without a factor").await;
    assert_eq!(locked_out["errors"][0]["field"], "settings.require_mfa");
    let create = json!({ "name": "Beta", "slug": "beta", "settings": { "require_mfa": true } });
    let created = app.post("/api/v1/organizations", &alice.access_token, &create).await;
    assert_eq!(json_of(created, 422, "create").await["errors"][0]["field"], "settings.require_mfa");

    enrol(&app, &alice).await;
    let updated = json_of(app.patch(&path, &alice.access_token, &on).await, 200, "owner with a factor").await;
    assert_eq!(updated["settings"]["require_mfa"], true);
    assert_eq!(app.get(&path, &alice.access_token).await.status(), 200);

    for route in [path.clone(), format!("{path}/members"), format!("{path}/roles")] {
        let refused = json_of(app.get(&route, &bob.access_token).await, 403, &route).await;
        assert_eq!(refused["type"], "/problems/mfa-enrolment-required", "{refused}");
        assert_eq!(refused["enrol_url"], "/api/v1/auth/mfa/totp");
    }
    assert_eq!(app.get(&path, &carol.access_token).await.status(), 404, "a non-member still gets 404");
    app.register_ok("root").await;
    let root = app.promote_to_superuser("root").await;
    assert_eq!(app.get(&path, &root.access_token).await.status(), 200, "a superuser from outside is exempt");

    enrol(&app, &bob).await;
    assert_eq!(app.get(&path, &bob.access_token).await.status(), 200, "fine after enrolment");
    assert_eq!(app.get(&format!("{path}/members"), &bob.access_token).await.status(), 200);
    let off = json!({ "settings": { "require_mfa": false } });
    assert_eq!(app.patch(&path, &alice.access_token, &off).await.status(), 200);
    assert_eq!(app.get(&path, &carol.access_token).await.status(), 404);
}

/// A started passkey step-up: its ceremony id and request options.
async fn passkey_step_up_start(app: &TestApp, access_token: &str) -> (Value, Value) {
    let started = app.post(PASSKEY_STEP_UP_START, access_token, &json!({})).await;
    let started = json_of(started, 200, "passkey step-up start").await;
    (started["ceremony_id"].clone(), started["public_key"].clone())
}

async fn a_passkey_users_session_steps_up_with_the_passkey(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let mut soft = SoftPasskey::new();
    soft.register_with(&app, &alice.access_token).await;
    let change = json!({ "current_password": PASSWORD, "new_password": "Secret1234" });
    let refused = json_of(app.post(CHANGE_PASSWORD, &alice.access_token, &change).await, 401, "pwd only").await;
    assert_step_up_required(&refused, json!(["webauthn"]));
    // The password alone cannot step up an account whose factor is a passkey.
    let password_only = app.post(STEP_UP, &alice.access_token, &json!({ "password": PASSWORD })).await;
    assert_step_up_required(&json_of(password_only, 401, "password step-up").await, json!(["webauthn"]));

    let (ceremony, options) = passkey_step_up_start(&app, &alice.access_token).await;
    let offered: Vec<&str> =
        options["allowCredentials"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(offered, [soft.credential_id()], "only the caller's passkeys are offered");
    // Bad input: the fields named, nothing spent.
    let malformed = json!({ "ceremony_id": ceremony, "credential": { "id": "x" } });
    let malformed = json_of(app.post(PASSKEY_STEP_UP_FINISH, &alice.access_token, &malformed).await, 422, "bad").await;
    assert_eq!(malformed["errors"][0]["field"], "credential");
    let unknown = json!({ "ceremony_id": uuid::Uuid::now_v7(), "credential": soft.assert(&options) });
    let unknown = json_of(app.post(PASSKEY_STEP_UP_FINISH, &alice.access_token, &unknown).await, 400, "unknown").await;
    assert_eq!(unknown["type"], "/problems/invalid-ceremony");
    assert_eq!(unknown["errors"][0]["field"], "ceremony_id");

    let before = now_secs();
    let body = json!({ "ceremony_id": ceremony, "credential": soft.assert(&options) });
    let stepped = json_of(app.post(PASSKEY_STEP_UP_FINISH, &alice.access_token, &body).await, 200, "finish").await;
    let fresh = stepped["access_token"].as_str().unwrap();
    let (amr, auth_time) = pyjwt_amr(&app, fresh);
    assert_eq!(amr, ["hwk", "mfa"]);
    assert!((before - 2..=now_secs() + 2).contains(&auth_time), "auth_time {auth_time} near {before}");
    assert_eq!(claims_of(fresh)["sid"], claims_of(&alice.access_token)["sid"], "the same session");
    let again = app.post(PASSKEY_STEP_UP_FINISH, &alice.access_token, &body).await;
    assert_eq!(json_of(again, 400, "a ceremony finishes once").await["type"], "/problems/invalid-ceremony");
    assert_eq!(app.refresh(&alice.refresh_token).await.status(), 401, "the older refresh token is revoked");
    assert_eq!(app.post(CHANGE_PASSWORD, fresh, &change).await.status(), 204, "the sensitive action passes");
}

async fn passkey_step_ups_refuse_other_users_and_count_failures(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.lockout_base_delay_secs = 30).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let carol = app.register_ok("carol").await;
    let (mut alices, mut bobs) = (SoftPasskey::new(), SoftPasskey::new());
    alices.register_with(&app, &alice.access_token).await;
    bobs.register_with(&app, &bob.access_token).await;
    // No passkey: nothing to start.
    let none = json_of(app.post(PASSKEY_STEP_UP_START, &carol.access_token, &json!({})).await, 409, "none").await;
    assert_eq!(none["type"], "/problems/conflict");
    // Bob's ceremony is not Alice's to finish (and stays Bob's).
    let (bobs_ceremony, bobs_options) = passkey_step_up_start(&app, &bob.access_token).await;
    let body = json!({ "ceremony_id": bobs_ceremony, "credential": alices.assert(&bobs_options) });
    let foreign = json_of(app.post(PASSKEY_STEP_UP_FINISH, &alice.access_token, &body).await, 400, "theirs").await;
    assert_eq!(foreign["type"], "/problems/invalid-ceremony");
    let body = json!({ "ceremony_id": bobs_ceremony, "credential": bobs.assert(&bobs_options) });
    json_of(app.post(PASSKEY_STEP_UP_FINISH, &bob.access_token, &body).await, 200, "bob's own").await;
    // Bob's passkey answering Alice's ceremony: a wrong second factor, counted.
    for attempt in 1..=5 {
        let (ceremony, options) = passkey_step_up_start(&app, &alice.access_token).await;
        let body = json!({ "ceremony_id": ceremony, "credential": bobs.assert(&options) });
        let wrong = json_of(app.post(PASSKEY_STEP_UP_FINISH, &alice.access_token, &body).await, 401, "bob's").await;
        assert_eq!(wrong["type"], "/problems/invalid-mfa-code", "attempt {attempt}");
        assert_eq!(wrong["errors"][0]["field"], "credential");
    }
    let (ceremony, options) = passkey_step_up_start(&app, &alice.access_token).await;
    let body = json!({ "ceremony_id": ceremony, "credential": alices.assert(&options) });
    let locked = app.post(PASSKEY_STEP_UP_FINISH, &alice.access_token, &body).await;
    assert_eq!(locked.status(), 429, "her own passkey waits out the lock");
    assert!(locked.headers().contains_key("retry-after"));
}

async fn sixteen_concurrent_passkey_step_ups_of_one_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let mut soft = SoftPasskey::new();
    soft.register_with(&app, &alice.access_token).await;
    // Sixteen starts at once: sixteen ceremonies.
    let empty = json!({});
    let starts = join_all((0..16).map(|_| app.post(PASSKEY_STEP_UP_START, &alice.access_token, &empty))).await;
    let statuses: Vec<u16> = starts.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    // One finish sent 16 times at once (a client retrying): it steps up once; the others
    // find the ceremony spent, which is no guess and counts toward no lockout.
    let (ceremony, options) = passkey_step_up_start(&app, &alice.access_token).await;
    let body = json!({ "ceremony_id": ceremony, "credential": soft.assert(&options) });
    let answers = join_all((0..16).map(|_| app.post(PASSKEY_STEP_UP_FINISH, &alice.access_token, &body))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|&s| s == 200 || s == 400), "{statuses:?}");
    let (ceremony, options) = passkey_step_up_start(&app, &alice.access_token).await;
    let body = json!({ "ceremony_id": ceremony, "credential": soft.assert(&options) });
    assert_eq!(app.post(PASSKEY_STEP_UP_FINISH, &alice.access_token, &body).await.status(), 200, "no lockout");
}

on_both_backends!(
    old_sessions_must_step_up_for_every_sensitive_action,
    a_totp_users_password_only_session_steps_up_with_a_code,
    wrong_step_up_passwords_and_codes_count_toward_the_lockout,
    sixteen_concurrent_step_ups_of_one_session,
    require_mfa_refuses_members_without_a_second_factor,
    a_passkey_users_session_steps_up_with_the_passkey,
    passkey_step_ups_refuse_other_users_and_count_failures,
    sixteen_concurrent_passkey_step_ups_of_one_session,
);
