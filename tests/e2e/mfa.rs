//! Second factors end to end: TOTP codes made by an independent implementation (Python's
//! `pyotp`), tokens read by a stock JWT library (PyJWT) and `jsonwebtoken`; enrolment,
//! the login's second step, drift, replay, lockout, recovery codes, disable, admin reset,
//! and 16 concurrent verifications of one `mfa_token`.
//!
//! Python: `AUTHDB_TEST_PYTHON`, else `target/tools/venv/bin/python`, with `pyotp` and
//! `PyJWT` installed (`pip install pyotp PyJWT`).

use std::time::Duration;

use authdb_tests::{Backend, PASSWORD, TestApp, Tokens, spawn_app, spawn_app_with};
use futures_util::future::join_all;
use reqwest::Response;
use serde_json::{Value, json};

use crate::{
    answers::json_of,
    python::{pyjwt_amr, pyotp_code},
    soft_passkey::SoftPasskey,
};

const TOTP: &str = "/api/v1/auth/mfa/totp";
const CONFIRM: &str = "/api/v1/auth/mfa/totp/confirm";
const VERIFY: &str = "/api/v1/auth/mfa/verify";
const RECOVERY: &str = "/api/v1/auth/mfa/recovery-codes";

/// Enrols `tokens`' user with TOTP; answers the secret and the recovery codes.
pub(crate) async fn enrol(app: &TestApp, tokens: &Tokens) -> (String, Vec<String>) {
    let started =
        json_of(app.post(TOTP, &tokens.access_token, &json!({ "password": PASSWORD })).await, 200, "start").await;
    let secret = started["secret"].as_str().unwrap().to_owned();
    let codes = json_of(
        app.post(CONFIRM, &tokens.access_token, &json!({ "code": pyotp_code(&secret, 0) })).await,
        200,
        "confirm",
    )
    .await;
    let codes = codes["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    (secret, codes)
}

/// A login that must answer `/problems/mfa-required`; its `mfa_token`.
async fn mfa_token(app: &TestApp, login: &str) -> String {
    let body = json_of(app.login(login, PASSWORD).await, 401, "login with a second factor").await;
    assert_eq!(body["type"], "/problems/mfa-required", "{body}");
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    body["mfa_token"].as_str().unwrap().to_owned()
}

async fn verify(app: &TestApp, body: &Value) -> Response {
    app.post_json(VERIFY, body).await
}

async fn enrolment_login_drift_replay_and_amr(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;

    let wrong =
        json_of(app.post(TOTP, &alice.access_token, &json!({ "password": "Wrong1234" })).await, 400, "wrong password")
            .await;
    assert_eq!(wrong["type"], "/problems/wrong-password");
    let started =
        json_of(app.post(TOTP, &alice.access_token, &json!({ "password": PASSWORD })).await, 200, "start").await;
    let secret = started["secret"].as_str().unwrap().to_owned();
    assert!(started["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/authdb:alice%40example.com?secret="));
    assert!(started["qr_svg"].as_str().unwrap().contains("<svg"));
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200, "a pending enrolment changes nothing at login");
    let refused =
        json_of(app.post(CONFIRM, &alice.access_token, &json!({ "code": "000000" })).await, 401, "wrong code").await;
    assert_eq!(refused["type"], "/problems/invalid-mfa-code");
    let codes = json_of(
        app.post(CONFIRM, &alice.access_token, &json!({ "code": pyotp_code(&secret, 0) })).await,
        200,
        "confirm",
    )
    .await;
    assert_eq!(codes["recovery_codes"].as_array().unwrap().len(), 10);
    let again = app.post(TOTP, &alice.access_token, &json!({ "password": PASSWORD })).await;
    assert_eq!(again.status(), 409, "already enabled");

    // The step confirmed is spent: the same code is a replay.
    let token = mfa_token(&app, "alice").await;
    let replay =
        json_of(verify(&app, &json!({ "mfa_token": token, "code": pyotp_code(&secret, 0) })).await, 401, "replay")
            .await;
    assert_eq!(replay["type"], "/problems/invalid-mfa-code");
    // One step of drift ahead is accepted, on the same token (a wrong code does not spend it).
    let before = time::OffsetDateTime::now_utc().unix_timestamp();
    let signed_in =
        json_of(verify(&app, &json!({ "mfa_token": token, "code": pyotp_code(&secret, 1) })).await, 200, "drift").await;
    let access = signed_in["access_token"].as_str().unwrap().to_owned();
    let (amr, auth_time) = pyjwt_amr(&app, &access);
    assert_eq!(amr, ["pwd", "otp", "mfa"]);
    assert!((before - 2..=before + 5).contains(&auth_time), "auth_time {auth_time} near {before}");
    let spent =
        json_of(verify(&app, &json!({ "mfa_token": token, "code": pyotp_code(&secret, 1) })).await, 401, "spent token")
            .await;
    assert_eq!(spent["type"], "/problems/invalid-mfa-token");

    // Refresh keeps amr and auth_time.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let refreshed = app.refresh_ok(signed_in["refresh_token"].as_str().unwrap()).await;
    assert_eq!(pyjwt_amr(&app, &refreshed.access_token), (amr, auth_time));
    // A password-only session says so.
    let bob = app.register_ok("bob").await;
    assert_eq!(pyjwt_amr(&app, &bob.access_token).0, ["pwd"]);

    // Two steps away is refused.
    let token = mfa_token(&app, "alice").await;
    let far = pyotp_code(&secret, -2);
    let near: Vec<String> = (-1..=1).map(|o| pyotp_code(&secret, o)).collect();
    if !near.contains(&far) {
        assert_eq!(verify(&app, &json!({ "mfa_token": token, "code": far })).await.status(), 401);
    }
    // The OAuth2 token endpoint says a second factor is needed.
    let form = format!("grant_type=password&username=alice&password={PASSWORD}");
    let oauth = reqwest::Client::new()
        .post(app.url("/api/v1/auth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let oauth = json_of(oauth, 400, "token endpoint").await;
    assert_eq!(oauth["error"], "invalid_grant");
    assert!(oauth["error_description"].as_str().unwrap().contains("/api/v1/auth/mfa/verify"), "{oauth}");
}

async fn recovery_codes_are_single_use_audited_mailed_and_regenerated(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (_, codes) = enrol(&app, &alice).await;
    let mails_before = app.mail_files().len();

    let token = mfa_token(&app, "alice").await;
    let typed = codes[0].to_uppercase().replace('-', " ");
    let signed_in =
        json_of(verify(&app, &json!({ "mfa_token": token, "recovery_code": typed })).await, 200, "recovery").await;
    assert_eq!(pyjwt_amr(&app, signed_in["access_token"].as_str().unwrap()).0, ["pwd", "otp", "mfa"]);
    let token = mfa_token(&app, "alice").await;
    let reused =
        json_of(verify(&app, &json!({ "mfa_token": token, "recovery_code": codes[0] })).await, 401, "reused").await;
    assert_eq!(reused["errors"][0]["field"], "recovery_code");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let noticed = loop {
        let found = app
            .mail_files()
            .into_iter()
            .any(|path| std::fs::read_to_string(path).unwrap_or_default().contains("A recovery code was used"));
        if found || tokio::time::Instant::now() > deadline {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(noticed, "a notice is mailed (mails before: {mails_before})");
    let events = json_of(app.get("/api/v1/auth/events", &alice.access_token).await, 200, "events").await;
    assert!(events.to_string().contains("mfa.recovery_code_used"), "{events}");

    // Regenerating is a sensitive action: the multi-factor session, not the registration's.
    let mfa_access = signed_in["access_token"].as_str().unwrap();
    let fresh =
        json_of(app.post(RECOVERY, mfa_access, &json!({ "password": PASSWORD })).await, 200, "regenerate").await;
    assert_eq!(fresh["recovery_codes"].as_array().unwrap().len(), 10);
    let token = mfa_token(&app, "alice").await;
    assert_eq!(
        verify(&app, &json!({ "mfa_token": token, "recovery_code": codes[1] })).await.status(),
        401,
        "old codes stop working"
    );
    let new_code = fresh["recovery_codes"][0].as_str().unwrap();
    assert_eq!(verify(&app, &json!({ "mfa_token": token, "recovery_code": new_code })).await.status(), 200);
}

async fn disable_and_admin_reset(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (secret, codes) = enrol(&app, &alice).await;
    // Removing the factor is a sensitive action: a multi-factor session (the registration's
    // is password-only) signed in with a recovery code, so no TOTP step is spent.
    let token = mfa_token(&app, "alice").await;
    let signed_in =
        json_of(verify(&app, &json!({ "mfa_token": token, "recovery_code": codes[0] })).await, 200, "mfa").await;
    let access = signed_in["access_token"].as_str().unwrap().to_owned();

    let wrong_code = app
        .send(reqwest::Method::DELETE, TOTP, &access, Some(&json!({ "password": PASSWORD, "code": "000000" })))
        .await;
    assert_eq!(wrong_code.status(), 401);
    let wrong_password = app
        .send(
            reqwest::Method::DELETE,
            TOTP,
            &access,
            Some(&json!({ "password": "Wrong1234", "code": pyotp_code(&secret, 1) })),
        )
        .await;
    assert_eq!(wrong_password.status(), 400);
    let removed = app
        .send(
            reqwest::Method::DELETE,
            TOTP,
            &access,
            Some(&json!({ "password": PASSWORD, "code": pyotp_code(&secret, 1) })),
        )
        .await;
    assert_eq!(removed.status(), 204);
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200, "password alone again");
    let none = app
        .send(reqwest::Method::DELETE, TOTP, &access, Some(&json!({ "password": PASSWORD, "code": "123456" })))
        .await;
    assert_eq!(none.status(), 409);

    let (_, _) = enrol(&app, &alice).await;
    SoftPasskey::new().register_with(&app, &alice.access_token).await;
    let path = format!("/api/v1/admin/users/{}/mfa/reset", alice.user_id());
    assert_eq!(app.post(&path, &alice.access_token, &json!({})).await.status(), 403, "not a superuser");
    app.register_ok("root").await;
    let root = app.promote_to_superuser("root").await;
    assert_eq!(app.post(&path, &root.access_token, &json!({})).await.status(), 204);
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200, "factors reset: the TOTP factor and the passkey");
    let unknown = format!("/api/v1/admin/users/{}/mfa/reset", uuid::Uuid::now_v7());
    assert_eq!(app.post(&unknown, &root.access_token, &json!({})).await.status(), 404);
}

async fn wrong_codes_lock_out_like_wrong_passwords(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.auth.lockout_base_delay_secs = 30;
    })
    .await;
    let alice = app.register_ok("alice").await;
    let (secret, _) = enrol(&app, &alice).await;
    let token = mfa_token(&app, "alice").await;
    for attempt in 1..=5 {
        assert_eq!(
            verify(&app, &json!({ "mfa_token": token, "code": "000000" })).await.status(),
            401,
            "attempt {attempt}"
        );
    }
    let locked = verify(&app, &json!({ "mfa_token": token, "code": pyotp_code(&secret, 1) })).await;
    assert_eq!(locked.status(), 429, "even the right code waits out the lock");
    assert!(locked.headers().contains_key("retry-after"));
}

async fn sixteen_concurrent_verifications_sign_in_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (secret, _) = enrol(&app, &alice).await;
    let token = mfa_token(&app, "alice").await;
    let code = pyotp_code(&secret, 1);
    let body = json!({ "mfa_token": token, "code": code });
    let answers = join_all((0..16).map(|_| verify(&app, &body))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|&s| s == 200 || s == 401), "{statuses:?}");
}

async fn bad_input_names_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let both =
        json_of(verify(&app, &json!({ "mfa_token": "x", "code": "1", "recovery_code": "2" })).await, 422, "both").await;
    assert_eq!(both["errors"][0]["field"], "code");
    let neither = json_of(verify(&app, &json!({ "mfa_token": "x" })).await, 422, "neither").await;
    assert_eq!(neither["errors"][0]["field"], "code");
    let missing = json_of(verify(&app, &json!({ "code": "123456" })).await, 422, "no token").await;
    assert!(missing.to_string().contains("mfa_token"), "{missing}");
    let unknown =
        json_of(verify(&app, &json!({ "mfa_token": "x", "code": "123456" })).await, 401, "unknown token").await;
    assert_eq!(unknown["type"], "/problems/invalid-mfa-token");
    let empty = json_of(app.post(CONFIRM, &alice.access_token, &json!({ "code": " " })).await, 422, "empty").await;
    assert_eq!(empty["errors"][0]["field"], "code");
    let long =
        json_of(app.post(CONFIRM, &alice.access_token, &json!({ "code": "1".repeat(65) })).await, 422, "long").await;
    assert_eq!(long["errors"][0]["field"], "code");
    let no_pending =
        json_of(app.post(CONFIRM, &alice.access_token, &json!({ "code": "123456" })).await, 401, "nothing pending")
            .await;
    assert_eq!(no_pending["type"], "/problems/invalid-mfa-code");
    let no_password =
        json_of(app.post(TOTP, &alice.access_token, &json!({ "password": "" })).await, 422, "no password").await;
    assert_eq!(no_password["errors"][0]["field"], "password");
    assert_eq!(app.post(RECOVERY, &alice.access_token, &json!({ "password": PASSWORD })).await.status(), 409);
    assert_eq!(app.post_json(TOTP, &json!({ "password": PASSWORD })).await.status(), 401, "bearer required");
}

on_both_backends!(
    enrolment_login_drift_replay_and_amr,
    recovery_codes_are_single_use_audited_mailed_and_regenerated,
    disable_and_admin_reset,
    wrong_codes_lock_out_like_wrong_passwords,
    sixteen_concurrent_verifications_sign_in_once,
    bad_input_names_the_field,
);
