//! Mail that flows produce, end to end: the verification link of a registration, the
//! password-reset link, and the transactional outbox that carries them (the `file`
//! transport's `.eml` files, and a real SMTP peer on loopback for delivery, retries and
//! restarts).

use std::{
    fs,
    path::Path,
    time::{Duration, Instant},
};

use authdb_persistence::entities::{email_tokens, outbox};
use authdb_server::settings::MailTransport;
use authdb_tests::{Backend, PASSWORD, TestApp, spawn_app_with};
use sea_orm::{ConnectionTrait as _, EntityTrait as _, Statement, sea_query::Expr};
use serde_json::{Value, json};

use crate::{
    answers::{names_field, problem},
    mail::{SmtpPeer, free_port, header},
};

const PUBLIC_URL: &str = "https://id.example.com";

/// A server with the `file` transport (the default) and links on [`PUBLIC_URL`].
async fn spawn(backend: Backend, customize: impl FnOnce(&mut authdb_server::Settings)) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.server.public_url = Some(PUBLIC_URL.into());
        customize(settings);
    })
    .await
}

/// The messages the `file` transport wrote, as raw text.
fn eml_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "eml"))
        .map(|path| fs::read_to_string(path).unwrap())
        .collect()
}

/// Waits up to five seconds for `count` messages to `to` in the `file` transport's
/// directory, then answers what is there.
async fn mail_to(app: &TestApp, to: &str, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let messages: Vec<String> = eml_files(&app.settings.mail_dir())
            .into_iter()
            .filter(|message| header(message, "To") == Some(to))
            .collect();
        if messages.len() >= count || Instant::now() > deadline {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) use authdb_tests::text_body;

/// The link to `path` (`/verify-email`, `/reset-password`) in a message, and its token.
pub(crate) fn link_in(message: &str, path: &str) -> (String, String) {
    let text = text_body(message);
    let prefix = format!("{PUBLIC_URL}{path}?token=");
    let link = text
        .split_whitespace()
        .find(|word| word.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} link in:\n{text}"))
        .to_owned();
    let token = link[prefix.len()..].to_owned();
    (link, token)
}

async fn me(app: &TestApp, access_token: &str) -> Value {
    let response = app.me(access_token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn execute(app: &TestApp, sql: &str) {
    let db = app.database().await;
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await.unwrap();
}

async fn outbox_rows(app: &TestApp) -> Vec<(String, Option<String>, Option<String>)> {
    let db = app.database().await;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT status, body_text, last_error FROM outbox ORDER BY created_at".to_owned(),
        ))
        .await
        .unwrap();
    rows.into_iter()
        .map(|row| {
            (
                row.try_get::<String>("", "status").unwrap(),
                row.try_get::<Option<String>>("", "body_text").unwrap(),
                row.try_get::<Option<String>>("", "last_error").unwrap(),
            )
        })
        .collect()
}

on_both_backends!(
    registration_mails_a_link_that_verifies_the_address_once,
    verification_refuses_unknown_expired_and_foreign_tokens,
    resending_the_verification_link_retires_the_old_one_and_is_rate_limited,
    with_verification_required_sign_in_waits_for_the_link,
    with_verification_required_registration_does_not_reveal_taken_addresses,
    password_reset_answers_the_same_for_known_and_unknown_addresses,
    password_reset_sets_the_password_verifies_the_address_and_ends_every_session,
    password_reset_tokens_are_single_use_and_retired_by_newer_links_and_password_changes,
    password_reset_applies_the_password_policy,
    password_reset_requests_are_throttled_per_address,
    the_outbox_clears_bodies_once_sent_and_counts_in_the_metrics,
    smtp_delivers_the_verification_mail_with_a_working_link,
    smtp_down_then_up_delivers_each_message_once,
    a_restart_sends_what_the_outbox_still_holds,
    a_message_leased_by_a_stopped_worker_is_sent_once_the_lease_expires,
    changing_or_resetting_the_password_mails_a_notice,
    a_sign_in_from_a_new_device_mails_a_notice_and_a_known_one_does_not,
    a_lockout_mails_the_owner_once,
    an_email_change_mails_a_link_to_the_new_address_and_notices_to_the_old,
    an_email_change_to_a_taken_address_is_refused_then_and_at_confirmation,
    a_password_change_cancels_a_pending_email_change,
);

fn with_subject<'a>(messages: &'a [String], subject: &str) -> Vec<&'a String> {
    messages.iter().filter(|message| header(message, "Subject") == Some(subject)).collect()
}

async fn changing_or_resetting_the_password_mails_a_notice(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let ada = app.register_ok("ada").await;
    let body = json!({ "current_password": PASSWORD, "new_password": "Changed-again-7" });
    assert_eq!(app.post("/api/v1/auth/change-password", &ada.access_token, &body).await.status(), 204);
    let messages = mail_to(&app, "ada@example.com", 2).await;
    let notices = with_subject(&messages, "Your authdb password was changed");
    assert_eq!(notices.len(), 1, "{messages:?}");
    assert!(text_body(notices[0]).contains(&format!("{PUBLIC_URL}/reset-password")));

    assert_eq!(
        app.post_json("/api/v1/auth/password-reset", &json!({ "email": "ada@example.com" })).await.status(),
        202
    );
    let messages = mail_to(&app, "ada@example.com", 3).await;
    let reset = messages.iter().find(|message| text_body(message).contains("/reset-password?token=")).unwrap();
    let body = json!({ "token": link_in(reset, "/reset-password").1, "new_password": "Brand-new-9" });
    assert_eq!(app.post_json("/api/v1/auth/password-reset/confirm", &body).await.status(), 204);
    let messages = mail_to(&app, "ada@example.com", 4).await;
    assert_eq!(with_subject(&messages, "Your authdb password was changed").len(), 2, "a reset is a change too");
}

async fn a_sign_in_from_a_new_device_mails_a_notice_and_a_known_one_does_not(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    app.register_ok("ada").await;
    app.login_ok("ada").await;
    let from_phone = || {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("user-agent", "ada-phone/1.0")
            .json(&json!({ "login": "ada", "password": PASSWORD }))
            .send()
    };
    assert_eq!(from_phone().await.unwrap().status(), 200);
    assert_eq!(from_phone().await.unwrap().status(), 200);

    let messages = mail_to(&app, "ada@example.com", 3).await;
    let notices = with_subject(&messages, "New sign-in to your authdb account");
    assert_eq!(notices.len(), 1, "the registering device is known, the phone new once: {messages:?}");
    assert!(text_body(notices[0]).contains("ada-phone/1.0"), "{}", notices[0]);
}

async fn a_lockout_mails_the_owner_once(backend: Backend) {
    let app = spawn(backend, |settings| settings.auth.lockout_threshold = 3).await;
    app.register_ok("ada").await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(app.login("ada", "Wrong-guess-1").await.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);

    let messages = mail_to(&app, "ada@example.com", 3).await;
    let notices = with_subject(&messages, "Sign-in to your authdb account was locked");
    assert_eq!(notices.len(), 1, "{messages:?}");
    assert!(text_body(notices[0]).contains("127.0.0.1"), "{}", notices[0]);
}

async fn registration_mails_a_link_that_verifies_the_address_once(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let ada = app.register_ok("ada").await;
    assert_eq!(me(&app, &ada.access_token).await["is_verified"], false);

    let messages = mail_to(&app, "ada@example.com", 1).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(header(&messages[0], "Subject"), Some("Confirm your email address for authdb"));
    let (_, token) = link_in(&messages[0], "/verify-email");
    assert_eq!(token.len(), 43, "256 bits in base64url");

    let verified = app.post_json("/api/v1/auth/verify-email", &json!({ "token": token })).await;
    assert_eq!(verified.status(), 204);
    assert_eq!(me(&app, &ada.access_token).await["is_verified"], true, "seen at once, through the cache");

    let again = app.post_json("/api/v1/auth/verify-email", &json!({ "token": token })).await;
    assert!(names_field(&problem(again, 422).await, "token"), "a link works once");
    let events = app.get("/api/v1/auth/events", &ada.access_token).await.json::<Value>().await.unwrap();
    assert!(events["items"].as_array().unwrap().iter().any(|event| event["action"] == "email.verified"), "{events}");
}

async fn verification_refuses_unknown_expired_and_foreign_tokens(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    app.register_ok("ada").await;
    let (_, verify) = link_in(&mail_to(&app, "ada@example.com", 1).await[0], "/verify-email");
    let requested = app.post_json("/api/v1/auth/password-reset", &json!({ "email": "ada@example.com" })).await;
    assert_eq!(requested.status(), 202);
    let reset_mail = mail_to(&app, "ada@example.com", 2).await;
    let reset_mail = reset_mail.iter().find(|message| text_body(message).contains("/reset-password?token=")).unwrap();
    let (_, reset) = link_in(reset_mail, "/reset-password");

    for token in ["", "not-a-token", &"x".repeat(600), &reset] {
        let response = app.post_json("/api/v1/auth/verify-email", &json!({ "token": token })).await;
        assert!(names_field(&problem(response, 422).await, "token"), "{token:?} is refused");
    }
    let foreign = app
        .post_json("/api/v1/auth/password-reset/confirm", &json!({ "token": verify, "new_password": "Another123" }))
        .await;
    assert!(names_field(&problem(foreign, 422).await, "token"), "a verification token resets no password");

    execute(&app, "UPDATE email_tokens SET expires_at = created_at").await;
    let expired = app.post_json("/api/v1/auth/verify-email", &json!({ "token": verify })).await;
    assert!(names_field(&problem(expired, 422).await, "token"), "an expired link is refused");
    let missing = app.post_json("/api/v1/auth/verify-email", &json!({})).await;
    assert!(names_field(&problem(missing, 422).await, "token"));
}

async fn resending_the_verification_link_retires_the_old_one_and_is_rate_limited(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let ada = app.register_ok("ada").await;
    let (_, first) = link_in(&mail_to(&app, "ada@example.com", 1).await[0], "/verify-email");
    let unauthenticated = app.post_json("/api/v1/auth/verify-email/resend", &json!({})).await;
    assert_eq!(unauthenticated.status(), 401);

    let too_soon = app.post("/api/v1/auth/verify-email/resend", &ada.access_token, &json!({})).await;
    assert_eq!(too_soon.status(), 429, "a link was mailed a moment ago");
    assert!(too_soon.headers().contains_key("retry-after"));

    // As if the first link had been mailed two minutes ago.
    let db = app.database().await;
    let earlier = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - time::Duration::minutes(2);
    email_tokens::Entity::update_many()
        .col_expr(email_tokens::Column::CreatedAt, Expr::value(earlier))
        .exec(&db)
        .await
        .unwrap();
    let resent = app.post("/api/v1/auth/verify-email/resend", &ada.access_token, &json!({})).await;
    assert_eq!(resent.status(), 202);
    let messages = mail_to(&app, "ada@example.com", 2).await;
    assert_eq!(messages.len(), 2);
    let second =
        messages.iter().map(|message| link_in(message, "/verify-email").1).find(|token| *token != first).unwrap();

    let old = app.post_json("/api/v1/auth/verify-email", &json!({ "token": first })).await;
    assert_eq!(old.status(), 422, "the newer link retired the older");
    let verified = app.post_json("/api/v1/auth/verify-email", &json!({ "token": second })).await;
    assert_eq!(verified.status(), 204);
    let done = app.post("/api/v1/auth/verify-email/resend", &ada.access_token, &json!({})).await;
    assert_eq!(problem(done, 409).await["type"], "/problems/conflict");
}

async fn with_verification_required_sign_in_waits_for_the_link(backend: Backend) {
    let app = spawn(backend, |settings| settings.auth.require_verified_email = true).await;
    let registered = app.register("ada@example.com", "ada", PASSWORD).await;
    assert_eq!(registered.status(), 202);
    let body: Value = registered.json().await.unwrap();
    assert_eq!(body["status"], "verification_pending");
    assert!(body.get("access_token").is_none(), "nobody is signed in");

    let refused = problem(app.login("ada", PASSWORD).await, 403).await;
    assert_eq!(refused["type"], "/problems/email-not-verified");
    let wrong_password = app.login("ada", "Wrong12345").await;
    assert_eq!(wrong_password.status(), 401, "the password is checked first");
    let token_endpoint = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=password&username=ada&password={PASSWORD}"))
        .send()
        .await
        .unwrap();
    assert_eq!(token_endpoint.status(), 403);
    assert_eq!(token_endpoint.json::<Value>().await.unwrap()["error"], "access_denied");

    let (_, token) = link_in(&mail_to(&app, "ada@example.com", 1).await[0], "/verify-email");
    assert_eq!(app.post_json("/api/v1/auth/verify-email", &json!({ "token": token })).await.status(), 204);
    assert_eq!(app.login("ada", PASSWORD).await.status(), 200);
}

async fn with_verification_required_registration_does_not_reveal_taken_addresses(backend: Backend) {
    let app = spawn(backend, |settings| settings.auth.require_verified_email = true).await;
    let first = app.register("ada@example.com", "ada", PASSWORD).await;
    let (first_status, first_body) = (first.status(), first.text().await.unwrap());

    let again = app.register("ada@example.com", "someone", PASSWORD).await;
    let new = app.register("bob@example.com", "bob", PASSWORD).await;

    assert_eq!(again.status(), first_status);
    assert_eq!(new.status(), first_status);
    assert_eq!(again.text().await.unwrap(), first_body, "the same body for a taken address");
    assert_eq!(new.text().await.unwrap(), first_body);
    let ada_mail = mail_to(&app, "ada@example.com", 2).await;
    assert_eq!(ada_mail.len(), 2, "the verification link, then the notice");
    let notice =
        ada_mail.iter().find(|message| header(message, "Subject").unwrap().contains("tried to register")).unwrap();
    assert!(text_body(notice).contains(&format!("{PUBLIC_URL}/reset-password")), "{notice}");
    let db = app.database().await;
    let users = authdb_persistence::entities::users::Entity::find().all(&db).await.unwrap();
    assert_eq!(users.len(), 2, "no second account for ada@example.com");
}

async fn password_reset_answers_the_same_for_known_and_unknown_addresses(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    app.register_ok("ada").await;

    let mut answers = Vec::new();
    for email in ["ada@example.com", "nobody@example.com", "ADA@example.com"] {
        let started = Instant::now();
        let response = app.post_json("/api/v1/auth/password-reset", &json!({ "email": email })).await;
        let elapsed = started.elapsed();
        answers.push((response.status().as_u16(), response.text().await.unwrap(), elapsed));
    }
    assert_eq!(answers[0].0, 202);
    assert!(answers.iter().all(|(status, body, _)| *status == answers[0].0 && *body == answers[0].1), "{answers:?}");
    assert!(
        answers.iter().all(|(_, _, elapsed)| *elapsed >= Duration::from_millis(400)),
        "the answer floor: {answers:?}"
    );
    let (fastest, slowest) =
        (answers.iter().map(|answer| answer.2).min().unwrap(), answers.iter().map(|answer| answer.2).max().unwrap());
    assert!(slowest - fastest < Duration::from_millis(300), "about the same time: {answers:?}");
    assert_eq!(mail_to(&app, "nobody@example.com", 1).await.len(), 0, "nothing is mailed to an unknown address");
    let malformed = app.post_json("/api/v1/auth/password-reset", &json!({ "email": "not an address" })).await;
    assert!(names_field(&problem(malformed, 422).await, "email"));
}

async fn password_reset_sets_the_password_verifies_the_address_and_ends_every_session(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let ada = app.register_ok("ada").await;
    let other_device = app.login_ok("ada").await;
    assert_eq!(
        app.post_json("/api/v1/auth/password-reset", &json!({ "email": "ada@example.com" })).await.status(),
        202
    );
    let messages = mail_to(&app, "ada@example.com", 2).await;
    let reset =
        messages.iter().find(|message| header(message, "Subject") == Some("Reset your authdb password")).unwrap();
    let (_, token) = link_in(reset, "/reset-password");

    let confirmed = app
        .post_json("/api/v1/auth/password-reset/confirm", &json!({ "token": token, "new_password": "Brand-new-9" }))
        .await;
    assert_eq!(confirmed.status(), 204);

    for tokens in [&ada, &other_device] {
        assert_eq!(app.me(&tokens.access_token).await.status(), 401, "every session ended at once");
        assert_eq!(app.refresh(&tokens.refresh_token).await.status(), 401);
    }
    assert_eq!(app.login("ada", PASSWORD).await.status(), 401, "the old password is gone");
    let signed_in = app.login("ada", "Brand-new-9").await;
    assert_eq!(signed_in.status(), 200);
    let body: Value = signed_in.json().await.unwrap();
    assert_eq!(body["user"]["is_verified"], true, "the link proved the address");
    let events =
        app.get("/api/v1/auth/events", body["access_token"].as_str().unwrap()).await.json::<Value>().await.unwrap();
    let actions: Vec<&str> =
        events["items"].as_array().unwrap().iter().map(|event| event["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"password.reset") && actions.contains(&"password.reset_requested"), "{actions:?}");
}

async fn password_reset_tokens_are_single_use_and_retired_by_newer_links_and_password_changes(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    app.register_ok("ada").await;
    let body = json!({ "email": "ada@example.com" });
    let request = || app.post_json("/api/v1/auth/password-reset", &body);
    let reset_tokens = |messages: Vec<String>| -> Vec<String> {
        messages
            .iter()
            .filter(|message| text_body(message).contains("/reset-password?token="))
            .map(|message| link_in(message, "/reset-password").1)
            .collect()
    };
    let app = &app;
    let confirm = |token: String| async move {
        let body = json!({ "token": token, "new_password": "Brand-new-9" });
        app.post_json("/api/v1/auth/password-reset/confirm", &body).await
    };
    assert_eq!(request().await.status(), 202);
    assert_eq!(request().await.status(), 202);
    let tokens = reset_tokens(mail_to(app, "ada@example.com", 3).await);
    assert_eq!(tokens.len(), 2);

    // The file names sort by time; find the older of the two by trying both.
    let results =
        [confirm(tokens[0].clone()).await.status().as_u16(), confirm(tokens[1].clone()).await.status().as_u16()];
    assert_eq!(results.iter().filter(|status| **status == 204).count(), 1, "only the newer link works: {results:?}");
    let used = if results[0] == 204 { &tokens[0] } else { &tokens[1] };
    assert_eq!(confirm(used.clone()).await.status(), 422, "a link works once");

    // A password change retires the links mailed before it.
    let fresh = app.login("ada", "Brand-new-9").await.json::<Value>().await.unwrap();
    let access = fresh["access_token"].as_str().unwrap().to_owned();
    assert_eq!(request().await.status(), 202);
    // The verification link, two reset links, the password-changed notice, the new link.
    let pending = reset_tokens(mail_to(app, "ada@example.com", 5).await);
    let newest = pending.into_iter().find(|token| !tokens.contains(token)).unwrap();
    let changed = app
        .post(
            "/api/v1/auth/change-password",
            &access,
            &json!({ "current_password": "Brand-new-9", "new_password": "Changed-again-7" }),
        )
        .await;
    assert_eq!(changed.status(), 204);
    assert_eq!(confirm(newest).await.status(), 422, "the password change retired the link");
}

async fn password_reset_applies_the_password_policy(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    app.register_ok("ada").await;
    assert_eq!(
        app.post_json("/api/v1/auth/password-reset", &json!({ "email": "ada@example.com" })).await.status(),
        202
    );
    let messages = mail_to(&app, "ada@example.com", 2).await;
    let reset = messages.iter().find(|message| text_body(message).contains("/reset-password?token=")).unwrap();
    let (_, token) = link_in(reset, "/reset-password");

    let weak =
        app.post_json("/api/v1/auth/password-reset/confirm", &json!({ "token": token, "new_password": "short" })).await;
    let weak = problem(weak, 422).await;
    assert!(names_field(&weak, "new_password") && !names_field(&weak, "token"), "{weak}");
    let ok = app
        .post_json("/api/v1/auth/password-reset/confirm", &json!({ "token": token, "new_password": "Brand-new-9" }))
        .await;
    assert_eq!(ok.status(), 204, "a refused password does not spend the link");
}

async fn password_reset_requests_are_throttled_per_address(backend: Backend) {
    let app = spawn(backend, |settings| {
        settings.auth.lockout_threshold = 3;
        settings.auth.lockout_max_wait_ms = 100;
    })
    .await;
    app.register_ok("ada").await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            app.post_json("/api/v1/auth/password-reset", &json!({ "email": "ada@example.com" }))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(&statuses[..3], [202, 202, 202]);
    assert!(statuses[3..].iter().all(|status| *status == 429), "{statuses:?}");
    let unknown =
        app.post_json("/api/v1/auth/password-reset", &json!({ "email": "nobody@example.com" })).await.status();
    assert_eq!(unknown, 202, "another address has a budget of its own");
}

async fn the_outbox_clears_bodies_once_sent_and_counts_in_the_metrics(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    app.register_ok("ada").await;
    assert_eq!(mail_to(&app, "ada@example.com", 1).await.len(), 1);
    let deadline = Instant::now() + Duration::from_secs(5);
    let rows = loop {
        let rows = outbox_rows(&app).await;
        if rows.iter().all(|(status, _, _)| status == "sent") || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "sent");
    assert_eq!(rows[0].1, None, "the body (a live link) is cleared once sent");

    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for name in [
        "authdb_mail_queued_total",
        "authdb_mail_sent_total",
        "authdb_mail_oldest_unsent_age_seconds",
        "authdb_mail_unsent",
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics");
    }
}

/// A server that sends through the SMTP peer on `port`, retrying after a second.
async fn spawn_smtp(backend: Backend, port: u16) -> TestApp {
    spawn(backend, |settings| smtp(settings, port)).await
}

fn smtp(settings: &mut authdb_server::Settings, port: u16) {
    settings.mail.transport = MailTransport::Smtp;
    settings.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    settings.mail.smtp_starttls = serde_json::from_value(json!("never")).unwrap();
    settings.mail.smtp_timeout_secs = 2;
    settings.mail.retry_base_secs = 1;
    settings.mail.from = "Example <no-reply@example.com>".into();
}

async fn smtp_delivers_the_verification_mail_with_a_working_link(backend: Backend) {
    let peer = SmtpPeer::start(free_port(), None);
    let app = spawn_smtp(backend, peer.port).await;
    let ada = app.register_ok("ada").await;

    let messages = peer.wait_for_messages(1);
    assert_eq!(messages.len(), 1);
    assert_eq!(header(&messages[0], "To"), Some("ada@example.com"));
    assert_eq!(header(&messages[0], "Subject"), Some("Confirm your email address for authdb"));
    let (_, token) = link_in(&messages[0], "/verify-email");
    assert_eq!(app.post_json("/api/v1/auth/verify-email", &json!({ "token": token })).await.status(), 204);
    assert_eq!(me(&app, &ada.access_token).await["is_verified"], true);
}

async fn smtp_down_then_up_delivers_each_message_once(backend: Backend) {
    let port = free_port();
    let app = spawn_smtp(backend, port).await;
    app.register_ok("ada").await;
    app.register_ok("bob").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rows = outbox_rows(&app).await;
    assert!(rows.iter().all(|(status, body, _)| status == "pending" && body.is_some()), "{rows:?}");
    assert!(rows.iter().all(|(_, _, error)| error.is_some()), "each attempt's error is kept: {rows:?}");

    let peer = SmtpPeer::start(port, None);
    let deadline = Instant::now() + Duration::from_secs(15);
    while peer.wait_for_messages(2).len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut recipients: Vec<String> =
        peer.wait_for_messages(3).iter().map(|message| header(message, "To").unwrap().to_owned()).collect();
    recipients.sort();
    assert_eq!(recipients, ["ada@example.com", "bob@example.com"], "each delivered once after the peer came up");
}

async fn a_restart_sends_what_the_outbox_still_holds(backend: Backend) {
    let port = free_port();
    let app = spawn(backend, |settings| {
        smtp(settings, port);
        settings.mail.max_attempts = 100;
    })
    .await;
    app.register_ok("ada").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(outbox_rows(&app).await[0].0, "pending");

    let app = app.restart().await;
    // Up only once the first process has stopped: only the restarted one can send it.
    let peer = SmtpPeer::start(port, None);
    let messages = wait_long(&peer, 1).await;
    assert_eq!(messages.len(), 1, "the message survived the restart");
    assert_eq!(header(&messages[0], "To"), Some("ada@example.com"));
    drop(app);
}

/// Waits up to fifteen seconds (retries back off) for `count` messages at the peer.
async fn wait_long(peer: &SmtpPeer, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let messages = peer.wait_for_messages(count);
        if messages.len() >= count || Instant::now() > deadline {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sets the due time and lease of every message, as a worker would leave them.
async fn lease_all(app: &TestApp, lease_until: time::OffsetDateTime) {
    let db = app.database().await;
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    outbox::Entity::update_many()
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(now - time::Duration::minutes(1)))
        .col_expr(outbox::Column::LeaseUntil, Expr::value(Some(lease_until)))
        .col_expr(outbox::Column::LeaseId, Expr::value(Some(uuid::Uuid::now_v7())))
        .exec(&db)
        .await
        .unwrap();
}

async fn a_message_leased_by_a_stopped_worker_is_sent_once_the_lease_expires(backend: Backend) {
    let port = free_port();
    let app = spawn(backend, |settings| {
        smtp(settings, port);
        settings.mail.retry_base_secs = 3600;
    })
    .await;
    app.register_ok("ada").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let peer = SmtpPeer::start(port, None);
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();

    // Claimed by a worker that has not come back: due, but its lease still runs.
    lease_all(&app, now + time::Duration::hours(1)).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(peer.wait_for_messages(1).is_empty(), "a live lease is respected");

    lease_all(&app, now - time::Duration::seconds(1)).await;
    let messages = wait_long(&peer, 1).await;
    assert_eq!(messages.len(), 1, "the expired lease was taken over");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(peer.wait_for_messages(2).len(), 1, "and sent once");
}

async fn an_email_change_mails_a_link_to_the_new_address_and_notices_to_the_old(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let ada = app.register_ok("ada").await;

    let patched = app.patch_me(&ada.access_token, &json!({ "email": "Ada@New.example.com", "full_name": "Ada" })).await;
    assert_eq!(patched.status(), 200);
    let body: Value = patched.json().await.unwrap();
    assert_eq!(body["email"], "ada@example.com", "not changed until confirmed");
    assert_eq!(body["full_name"], "Ada", "the other fields change at once");
    let link = mail_to(&app, "ada@new.example.com", 1).await;
    assert_eq!(header(&link[0], "Subject"), Some("Confirm your new email address for authdb"));
    let (_, token) = link_in(&link[0], "/confirm-email-change");
    let old = mail_to(&app, "ada@example.com", 2).await;
    let requested = with_subject(&old, "A new email address was requested for your authdb account");
    assert_eq!(requested.len(), 1, "{old:?}");
    assert!(text_body(requested[0]).contains("ada@new.example.com"));

    let confirmed = app.post_json("/api/v1/auth/confirm-email-change", &json!({ "token": token })).await;
    assert_eq!(confirmed.status(), 204);
    let me = me(&app, &ada.access_token).await;
    assert_eq!(me["email"], "ada@new.example.com", "seen at once, through the cache");
    assert_eq!(me["is_verified"], true, "the link proved the new address");
    assert_eq!(app.login("ada@new.example.com", PASSWORD).await.status(), 200);
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), 401);
    let old = mail_to(&app, "ada@example.com", 3).await;
    assert_eq!(with_subject(&old, "The email address of your authdb account was changed").len(), 1, "{old:?}");
    let again = app.post_json("/api/v1/auth/confirm-email-change", &json!({ "token": token })).await;
    assert!(names_field(&problem(again, 422).await, "token"), "a link works once");
    let malformed = app.patch_me(&ada.access_token, &json!({ "email": "not an address" })).await;
    assert!(names_field(&problem(malformed, 422).await, "email"));
}

async fn an_email_change_to_a_taken_address_is_refused_then_and_at_confirmation(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let ada = app.register_ok("ada").await;
    app.register_ok("bob").await;

    let taken = app.patch_me(&ada.access_token, &json!({ "email": "bob@example.com" })).await;
    assert!(names_field(&problem(taken, 409).await, "email"));
    let look_alike = app.patch_me(&ada.access_token, &json!({ "email": "b\u{043e}b@example.com" })).await;
    assert_eq!(look_alike.status(), 409, "a look-alike of a taken address is taken");

    assert_eq!(app.patch_me(&ada.access_token, &json!({ "email": "carol@example.com" })).await.status(), 200);
    let (_, token) = link_in(&mail_to(&app, "carol@example.com", 1).await[0], "/confirm-email-change");
    app.register_ok("carol").await;
    let raced = app.post_json("/api/v1/auth/confirm-email-change", &json!({ "token": token })).await;
    assert!(names_field(&problem(raced, 409).await, "email"), "taken meanwhile");
    assert_eq!(me(&app, &ada.access_token).await["email"], "ada@example.com");
}

async fn a_password_change_cancels_a_pending_email_change(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let ada = app.register_ok("ada").await;
    assert_eq!(app.patch_me(&ada.access_token, &json!({ "email": "ada@new.example.com" })).await.status(), 200);
    let (_, token) = link_in(&mail_to(&app, "ada@new.example.com", 1).await[0], "/confirm-email-change");

    let body = json!({ "current_password": PASSWORD, "new_password": "Changed-again-7" });
    assert_eq!(app.post("/api/v1/auth/change-password", &ada.access_token, &body).await.status(), 204);

    let confirmed = app.post_json("/api/v1/auth/confirm-email-change", &json!({ "token": token })).await;
    assert!(names_field(&problem(confirmed, 422).await, "token"), "the change died with the old password");
    assert_eq!(me(&app, &ada.access_token).await["email"], "ada@example.com");
}
