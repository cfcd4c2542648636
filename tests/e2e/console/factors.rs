//! Second factors and passkeys in the console: enrolling an authenticator app through the
//! console's forms (the secret, its URI and QR code, a first code from pyotp, the recovery
//! codes shown once), then the sign-in asking for the second step; registering a passkey,
//! signing in with it, finishing a password sign-in with it and stepping up with it,
//! through the JSON endpoints the console's script calls, with the software authenticator
//! of the API tests; CSRF refused, errors shown.

use authdb_tests::{Backend, PASSWORD, TestApp, spawn_app};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use reqwest::header;
use serde_json::{Value, json};

use super::browser::{Browser, assert_secure_headers, csrf_of, location};
use crate::{python::pyotp_code, soft_passkey::SoftPasskey};

on_both_backends!(
    an_authenticator_app_is_enrolled_through_the_console_and_sign_in_then_asks_for_a_code,
    enrolment_errors_are_shown_on_the_page,
    a_passkey_registered_in_the_console_signs_in_there,
    a_passkey_finishes_the_password_sign_in_and_confirms_it_is_you,
    the_passkey_endpoints_refuse_a_missing_token_and_bad_bodies,
    the_script_is_served_from_its_own_path_and_pages_say_passkeys_need_it,
);

/// Posts `body` as JSON to a console endpoint, the form token in the `X-CSRF-Token` header
/// (as the console's script does); the status and the JSON answer.
async fn post_json(browser: &mut Browser, app: &TestApp, path: &str, csrf: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url(path))
        .header(header::COOKIE, browser.cookie_header())
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.to_string());
    if let Some(csrf) = csrf {
        request = request.header("x-csrf-token", csrf);
    }
    let response = request.send().await.unwrap();
    browser.keep(&response);
    assert_secure_headers(&response, true);
    let status = response.status().as_u16();
    assert!(
        response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"),
        "POST {path}: {status}"
    );
    (status, response.json().await.unwrap())
}

/// The text between `start` and the next `end` in `html`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("no {start} in {html}")) + start.len();
    html[from..].split(end).next().unwrap()
}

/// The recovery codes a page lists.
fn recovery_codes(html: &str) -> Vec<String> {
    between(html, r#"<ol class="codes" id="recovery-codes">"#, "</ol>")
        .split("<code>")
        .skip(1)
        .map(|item| item.split("</code>").next().unwrap().to_owned())
        .collect()
}

/// Registers `soft` under `name` through the console's endpoints, from its security page.
async fn register_in_console(browser: &mut Browser, app: &TestApp, soft: &mut SoftPasskey, name: &str) {
    let token = browser.form_token(app, "/console/me/security").await;
    let (status, started) =
        post_json(browser, app, "/console/me/passkeys/register/start", Some(&token), &json!({})).await;
    assert_eq!(status, 200, "{started}");
    let body = json!({ "ceremony_id": started["ceremony_id"], "name": name, "credential": soft.register(&started["public_key"]) });
    let (status, finished) = post_json(browser, app, "/console/me/passkeys/register/finish", Some(&token), &body).await;
    assert_eq!((status, finished), (201, json!({ "next": "/console/me/security" })));
}

async fn an_authenticator_app_is_enrolled_through_the_console_and_sign_in_then_asks_for_a_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let overview = browser.get(&app, "/console/me/security").await.text().await.unwrap();
    assert!(overview.contains("Not enabled") && overview.contains(r#"href="/console/me/totp/enrol""#), "{overview}");

    let form = browser.get(&app, "/console/me/totp/enrol").await;
    assert_eq!(form.status(), 200);
    assert_secure_headers(&form, true);
    let token = csrf_of(&form.text().await.unwrap());
    let html = browser.submit(&app, "/console/me/totp/enrol", &[("csrf", &token), ("password", PASSWORD)], 200).await;

    // The secret as text, its otpauth URI, and the QR code: an SVG of presentation
    // attributes only (the CSP's `style-src 'self'` refuses `style` attributes).
    let secret = between(&html, r#"id="totp-secret">"#, "<").to_owned();
    assert_eq!(secret.len(), 32, "{secret}");
    let uri = between(&html, r#"id="totp-uri">"#, "<");
    assert!(uri.starts_with("otpauth://totp/") && uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(uri.contains("alice%40example.com") || uri.contains("alice@example.com"), "{uri}");
    let svg = STANDARD.decode(between(&html, r#"src="data:image/svg+xml;base64,"#, "\"")).unwrap();
    let svg = String::from_utf8(svg).unwrap();
    assert!(svg.contains("<svg") && svg.contains("<path") && !svg.contains("style"), "{svg}");
    assert!(html.contains(r#"alt="QR code of"#) && !html.contains("style="), "{html}");
    let signed_in_before = app.login("alice", PASSWORD).await;
    assert_eq!(signed_in_before.status(), 200, "nothing changes at sign-in until the first code");

    let confirmed = browser
        .submit(&app, "/console/me/totp/confirm", &[("csrf", &token), ("code", &pyotp_code(&secret, 0))], 200)
        .await;

    let codes = recovery_codes(&confirmed);
    assert_eq!(codes.len(), 10, "{confirmed}");
    assert!(confirmed.contains("the only time they are shown"), "{confirmed}");
    // Shown once: neither the overview nor a second confirmation shows them again.
    let overview = browser.get(&app, "/console/me/security").await.text().await.unwrap();
    assert!(overview.contains("Enabled.") && overview.contains("Remove the authenticator app"), "{overview}");
    let again = browser
        .submit(&app, "/console/me/totp/confirm", &[("csrf", &token), ("code", &pyotp_code(&secret, 1))], 401)
        .await;
    assert!(codes.iter().all(|code| !overview.contains(code.as_str()) && !again.contains(code.as_str())));
    let events: Value = app.get("/api/v1/auth/events", &alice.access_token).await.json().await.unwrap();
    assert!(events["items"].as_array().unwrap().iter().any(|event| event["action"] == "mfa.enabled"), "{events}");

    // Sign-in now asks for the second step: a code (no passkey offered), or a recovery code.
    let mut later = Browser::default();
    let first = later.sign_in(&app, "alice", PASSWORD).await;
    assert_eq!((first.status().as_u16(), location(&first)), (303, "/console/sign-in/second-factor".to_owned()));
    let step = later.get(&app, "/console/sign-in/second-factor").await.text().await.unwrap();
    assert!(step.contains(r#"name="code""#) && !step.contains("data-passkey"), "{step}");
    let token = csrf_of(&step);
    let signed_in =
        later.post(&app, "/console/sign-in/second-factor", &[("csrf", &token), ("recovery_code", &codes[3])]).await;
    assert_eq!((signed_in.status().as_u16(), location(&signed_in)), (303, "/console/me".to_owned()));
    assert!(!later.cookies.contains_key("authdb_console_mfa_methods"), "the second step's cookies are cleared");
    assert_eq!(later.get(&app, "/console/me").await.status(), 200);
    let api = app.login("alice", PASSWORD).await;
    assert_eq!(api.status(), 401, "the API's login asks for the second step too");
}

async fn enrolment_errors_are_shown_on_the_page(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let token = browser.form_token(&app, "/console/me/totp/enrol").await;

    let forged = browser.post(&app, "/console/me/totp/enrol", &[("password", PASSWORD)]).await;
    assert_eq!(forged.status(), 403, "no CSRF token");
    assert!(forged.text().await.unwrap().contains("CSRF"));
    let wrong =
        browser.submit(&app, "/console/me/totp/enrol", &[("csrf", &token), ("password", "Wrong1234!")], 403).await;
    assert!(wrong.contains(r#"role="alert""#) && wrong.contains("Wrong password"), "{wrong}");
    assert!(wrong.contains(r#"action="/console/me/totp/enrol""#), "the form again: {wrong}");
    let long = "x".repeat(1025);
    let too_long = browser.submit(&app, "/console/me/totp/enrol", &[("csrf", &token), ("password", &long)], 400).await;
    assert!(too_long.contains("password: at most 1024 bytes"), "{too_long}");
    let no_pending =
        browser.submit(&app, "/console/me/totp/confirm", &[("csrf", &token), ("code", "123456")], 401).await;
    assert!(no_pending.contains("Invalid code"), "no enrolment started: {no_pending}");

    let html = browser.submit(&app, "/console/me/totp/enrol", &[("csrf", &token), ("password", PASSWORD)], 200).await;
    let secret = between(&html, r#"id="totp-secret">"#, "<").to_owned();
    let wrong_code =
        browser.submit(&app, "/console/me/totp/confirm", &[("csrf", &token), ("code", "12345x")], 401).await;
    assert!(wrong_code.contains("Invalid code") && wrong_code.contains(r#"role="alert""#), "{wrong_code}");
    assert!(wrong_code.contains(r#"action="/console/me/totp/confirm""#), "the code form again: {wrong_code}");
    assert!(!wrong_code.contains(&secret), "the secret is not shown again");
    let blank = browser.submit(&app, "/console/me/totp/confirm", &[("csrf", &token), ("code", " ")], 400).await;
    assert!(blank.contains("code: enter the code"), "{blank}");
    browser.submit(&app, "/console/me/totp/confirm", &[("csrf", &token), ("code", &pyotp_code(&secret, 0))], 200).await;

    let enrolled =
        browser.submit(&app, "/console/me/totp/enrol", &[("csrf", &token), ("password", PASSWORD)], 409).await;
    assert!(enrolled.contains("a TOTP factor is already enabled"), "{enrolled}");
}

async fn a_passkey_registered_in_the_console_signs_in_there(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let page = browser.get(&app, "/console/me/security").await.text().await.unwrap();
    assert!(page.contains(r#"data-passkey="register""#), "{page}");
    assert!(page.contains(r#"data-start="/console/me/passkeys/register/start""#), "{page}");
    assert!(page.contains(r#"data-finish="/console/me/passkeys/register/finish""#), "{page}");
    let token = csrf_of(&page);
    let mut soft = SoftPasskey::new();

    let (status, started) =
        post_json(&mut browser, &app, "/console/me/passkeys/register/start", Some(&token), &json!({})).await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["public_key"]["rp"]["id"], "localhost", "{started}");
    let credential = soft.register(&started["public_key"]);
    let finish = "/console/me/passkeys/register/finish";
    let body = |name: &str, credential: &Value| json!({ "ceremony_id": started["ceremony_id"], "name": name, "credential": credential });
    let (status, refused) = post_json(&mut browser, &app, finish, Some(&token), &body(" ", &credential)).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["detail"].as_str().unwrap().starts_with("name:"), "{refused}");
    let (status, refused) = post_json(&mut browser, &app, finish, Some(&token), &body("laptop", &json!("x"))).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["detail"].as_str().unwrap().starts_with("credential:"), "{refused}");
    let (status, finished) = post_json(&mut browser, &app, finish, Some(&token), &body("laptop", &credential)).await;
    assert_eq!((status, finished), (201, json!({ "next": "/console/me/security" })));
    let (status, spent) = post_json(&mut browser, &app, finish, Some(&token), &body("laptop", &credential)).await;
    assert_eq!(status, 400, "{spent}");
    assert_eq!(spent["title"], "Invalid passkey ceremony");

    let page = browser.get(&app, "/console/me/security").await.text().await.unwrap();
    assert!(page.contains("<td>laptop</td>"), "{page}");
    let listed: Value = app.get_with("/api/v1/auth/passkeys", &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["items"][0]["credential_id"], soft.credential_id());

    // Another browser signs in with it: first for the typed login, then discoverable.
    let mut other = Browser::default();
    let sign_in = other.get(&app, "/console/sign-in").await.text().await.unwrap();
    assert!(sign_in.contains(r#"data-passkey="sign-in""#), "{sign_in}");
    let token = csrf_of(&sign_in);
    let start = "/console/sign-in/passkey/start";
    let (status, _) = post_json(&mut other, &app, start, None, &json!({})).await;
    assert_eq!(status, 403, "no double-submit header");
    let (status, started) = post_json(&mut other, &app, start, Some(&token), &json!({ "login": "alice" })).await;
    assert_eq!(status, 200);
    assert_eq!(started["public_key"]["allowCredentials"].as_array().unwrap().len(), 1, "{started}");
    let stranger = SoftPasskey::new().assert(&started["public_key"]);
    let body = json!({ "ceremony_id": started["ceremony_id"], "credential": stranger });
    let (status, refused) = post_json(&mut other, &app, "/console/sign-in/passkey/finish", Some(&token), &body).await;
    assert_eq!((status, refused["title"].as_str()), (401, Some("Invalid credentials")), "{refused}");
    assert!(!other.cookies.contains_key("authdb_console_access"));

    let (status, started) = post_json(&mut other, &app, start, Some(&token), &json!({})).await;
    assert_eq!(status, 200);
    let body = json!({ "ceremony_id": started["ceremony_id"], "credential": soft.assert(&started["public_key"]) });
    let (status, finished) = post_json(&mut other, &app, "/console/sign-in/passkey/finish", Some(&token), &body).await;

    assert_eq!((status, finished), (200, json!({ "next": "/console/me" })));
    let profile = other.get(&app, "/console/me").await;
    assert_eq!(profile.status(), 200);
    assert!(profile.text().await.unwrap().contains("alice@example.com"));
    assert_eq!(app.sessions_ok(&alice.access_token).await.len(), 3, "a real authdb session");
}

async fn a_passkey_finishes_the_password_sign_in_and_confirms_it_is_you(backend: Backend) {
    let app = spawn_app(backend).await;
    let bob = app.register_ok("bob").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "bob").await;
    let mut soft = SoftPasskey::new();
    register_in_console(&mut browser, &app, &mut soft, "phone").await;

    // The second step of a password sign-in: the passkey only (no code form).
    let mut other = Browser::default();
    let first = other.sign_in(&app, "bob", PASSWORD).await;
    assert_eq!(location(&first), "/console/sign-in/second-factor");
    let step = other.get(&app, "/console/sign-in/second-factor").await.text().await.unwrap();
    assert!(step.contains(r#"data-passkey="second-factor""#) && !step.contains(r#"name="code""#), "{step}");
    let token = csrf_of(&step);
    let (start, finish) =
        ("/console/sign-in/second-factor/passkey/start", "/console/sign-in/second-factor/passkey/finish");
    let (status, started) = post_json(&mut other, &app, start, Some(&token), &json!({})).await;
    assert_eq!(status, 200, "{started}");
    let body = json!({ "credential": SoftPasskey::new().assert(&started["public_key"]) });
    let (status, refused) = post_json(&mut other, &app, finish, Some(&token), &body).await;
    assert_eq!((status, refused["title"].as_str()), (401, Some("Passkey refused")), "{refused}");
    let (status, started) = post_json(&mut other, &app, start, Some(&token), &json!({})).await;
    assert_eq!(status, 200);
    let body = json!({ "credential": soft.assert(&started["public_key"]) });
    let (status, finished) = post_json(&mut other, &app, finish, Some(&token), &body).await;
    assert_eq!((status, finished), (200, json!({ "next": "/console/me" })));
    assert!(!other.cookies.contains_key("authdb_console_mfa"), "the second step's cookie is cleared");
    assert_eq!(other.get(&app, "/console/me").await.status(), 200);
    let (status, over) = post_json(&mut other, &app, start, Some(&token), &json!({})).await;
    assert_eq!((status, over["title"].as_str()), (401, Some("Sign-in expired")), "{over}");

    // The first browser's session is password-only: removing the passkey asks to confirm
    // it is you, which the passkey does, and comes back.
    let passkeys: Value = app.get_with("/api/v1/auth/passkeys", &bob.access_token).await.json().await.unwrap();
    let remove = format!("/console/me/passkeys/{}/remove", passkeys["items"][0]["id"].as_str().unwrap());
    let token = browser.form_token(&app, &remove).await;
    let refused = browser.post(&app, &remove, &[("csrf", &token)]).await;
    assert_eq!(location(&refused), "/console/me/reauthenticate?next=/me/security");
    let reauth = browser.get(&app, "/console/me/reauthenticate?next=/me/security").await.text().await.unwrap();
    assert!(reauth.contains(r#"data-passkey="step-up""#), "{reauth}");
    assert!(
        reauth.contains(r#"data-finish="/console/me/reauthenticate/passkey/finish?next=/me/security""#),
        "{reauth}"
    );
    assert!(!reauth.contains(r#"name="password""#), "a passkey-only account steps up with the passkey: {reauth}");
    let (start, finish) =
        ("/console/me/reauthenticate/passkey/start", "/console/me/reauthenticate/passkey/finish?next=/me/security");
    let (status, _) = post_json(&mut browser, &app, start, Some("forged"), &json!({})).await;
    assert_eq!(status, 403);
    let (status, started) = post_json(&mut browser, &app, start, Some(&token), &json!({})).await;
    assert_eq!(status, 200);
    let body = json!({ "ceremony_id": started["ceremony_id"], "credential": SoftPasskey::new().assert(&started["public_key"]) });
    let (status, refused) = post_json(&mut browser, &app, finish, Some(&token), &body).await;
    assert_eq!((status, refused["title"].as_str()), (401, Some("Passkey refused")), "{refused}");
    let (status, started) = post_json(&mut browser, &app, start, Some(&token), &json!({})).await;
    assert_eq!(status, 200);
    let body = json!({ "ceremony_id": started["ceremony_id"], "credential": soft.assert(&started["public_key"]) });
    let (status, stepped_up) = post_json(&mut browser, &app, finish, Some(&token), &body).await;
    assert_eq!((status, stepped_up), (200, json!({ "next": "/console/me/security" })));

    let removed = browser.post(&app, &remove, &[("csrf", &token)]).await;
    assert_eq!((removed.status().as_u16(), location(&removed)), (303, "/console/me/security".to_owned()));
    let passkeys: Value = app.get_with("/api/v1/auth/passkeys", &bob.access_token).await.json().await.unwrap();
    assert_eq!(passkeys["items"], json!([]));
}

async fn the_passkey_endpoints_refuse_a_missing_token_and_bad_bodies(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let mut signed_out = Browser::default();
    let start = "/console/me/passkeys/register/start";
    let (status, body) = post_json(&mut signed_out, &app, start, Some("x"), &json!({})).await;
    assert_eq!((status, body["title"].as_str()), (401, Some("Sign-in required")), "JSON, not a redirect: {body}");

    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let token = browser.form_token(&app, "/console/me/security").await;
    let mut other = Browser::default();
    other.sign_in_ok(&app, "alice").await;
    let others = other.form_token(&app, "/console/me/security").await;
    for csrf in [None, Some("forged"), Some(others.as_str())] {
        let (status, body) = post_json(&mut browser, &app, start, csrf, &json!({})).await;
        assert_eq!((status, body["title"].as_str()), (403, Some("Form expired or forged")), "{csrf:?}");
    }
    let (status, body) = post_json(&mut browser, &app, start, Some(&token), &json!({ "extra": 1 })).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("extra"), "{body}");
    let finish = "/console/me/passkeys/register/finish";
    let (status, body) = post_json(&mut browser, &app, finish, Some(&token), &json!({ "name": "x" })).await;
    assert_eq!(status, 400, "{body}");
    let unknown = json!({ "ceremony_id": "01890a5d-ac96-774b-bcce-b302099a8057", "name": "x", "credential": {} });
    let (status, body) = post_json(&mut browser, &app, finish, Some(&token), &unknown).await;
    assert_eq!((status, body["title"].as_str()), (400, Some("Invalid passkey ceremony")), "{body}");
    let as_form = app
        .client
        .post(app.url(start))
        .header(header::COOKIE, browser.cookie_header())
        .header("x-csrf-token", &token)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("a=b")
        .send()
        .await
        .unwrap();
    assert_eq!(as_form.status(), 400, "not JSON");
    let huge = json!({ "ceremony_id": "01890a5d-ac96-774b-bcce-b302099a8057", "name": "x", "credential": { "id": "x".repeat(70_000) } });
    let (status, body) = post_json(&mut browser, &app, finish, Some(&token), &huge).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("larger than"), "{body}");

    // The second step's endpoints without a waiting sign-in: expired, not an error.
    let mut visitor = Browser::default();
    let token = visitor.form_token(&app, "/console/sign-in").await;
    let (status, body) =
        post_json(&mut visitor, &app, "/console/sign-in/second-factor/passkey/start", Some(&token), &json!({})).await;
    assert_eq!((status, body["title"].as_str()), (401, Some("Sign-in expired")), "{body}");
    let (status, body) = post_json(
        &mut visitor,
        &app,
        "/console/sign-in/passkey/start",
        Some(&token),
        &json!({ "login": "x".repeat(321) }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = post_json(&mut visitor, &app, "/console/sign-in/passkey/start", Some("other"), &json!({})).await;
    assert_eq!(status, 403, "the double submit must match");
}

async fn the_script_is_served_from_its_own_path_and_pages_say_passkeys_need_it(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let mut browser = Browser::default();
    let sign_in = browser.get(&app, "/console/sign-in").await;
    let csp = sign_in.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self';") && csp.contains("style-src 'self';"), "{csp}");
    let html = sign_in.text().await.unwrap();
    // No inline script: one script element, loaded from its content-hashed path.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    let script = between(&html, r#"<script src=""#, "\"").to_owned();
    assert!(script.starts_with("/console/assets/") && script.ends_with("/console.js"), "{script}");
    assert!(html.contains(&format!(r#"<script src="{script}" defer></script>"#)), "{html}");
    assert!(html.contains("<noscript>") && html.contains("Passkeys need JavaScript"), "{html}");
    assert!(html.contains(r#"<form class="passkey" data-passkey="sign-in""#) && html.contains(" hidden>"), "{html}");

    let served = browser.get(&app, &script).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert!(served.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript"));
    let source = served.text().await.unwrap();
    assert!(source.contains("navigator.credentials.create") && source.contains("navigator.credentials.get"));
    assert!(!source.contains("eval(") && !source.contains("innerHTML"), "no eval, no HTML from strings");
    assert_eq!(browser.get(&app, "/console/assets/0000000000000000/console.js").await.status(), 404);

    // Without JavaScript the password (and code) forms work as before.
    browser.sign_in_ok(&app, "alice").await;
    for path in ["/console/me/security", "/console/me/reauthenticate"] {
        let html = browser.get(&app, path).await.text().await.unwrap();
        assert!(html.contains(&format!(r#"<script src="{script}" defer></script>"#)), "{path}: {html}");
        assert_eq!(html.matches("<script").count(), 1, "{path}");
        assert!(html.contains("Passkeys need JavaScript") || path.ends_with("reauthenticate"), "{path}: {html}");
    }
    let dashboard = browser.get(&app, "/console/dashboard").await.text().await.unwrap();
    assert!(!dashboard.contains("<script"), "only the pages with a ceremony load the script");
}
