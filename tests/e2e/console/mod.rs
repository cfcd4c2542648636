//! The web console (`/console`) over real HTTP: sign-in through the same lockout and second
//! factor as the API, cookie flags, security headers, CSRF, revocation from the API, every
//! page signed in and signed out, transparent refresh, and concurrent page loads.
//!
//! TOTP codes come from Python's `pyotp` (`python.rs`).

use std::time::Duration;

use authdb_tests::{Backend, PASSWORD, TestApp, spawn_app, spawn_app_with};
use futures_util::future::join_all;
use reqwest::header;
use serde_json::{Value, json};

use crate::{mfa::enrol, python::pyotp_code, soft_passkey::SoftPasskey};

mod audit;
mod browser;
mod factors;
mod inventory;
mod organizations;
mod platform;

use browser::{Browser, assert_secure_headers, csrf_of, location, set_cookies, uuid_like};

/// Every page the navigation lists.
const PAGES: &[&str] = &[
    "/console/dashboard",
    "/console/me",
    "/console/me/password",
    "/console/me/security",
    "/console/me/sessions",
    "/console/me/events",
    "/console/organizations",
    "/console/inventory",
];

async fn signing_in_sets_strict_cookies_and_every_page_renders(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let mut browser = Browser::default();

    let form = browser.get(&app, "/console/sign-in").await;
    assert_eq!(form.status(), 200);
    assert_secure_headers(&form, true);
    let signed_in = browser.sign_in(&app, "alice", PASSWORD).await;

    assert_eq!(signed_in.status(), 303);
    assert_eq!(location(&signed_in), "/console/me");
    let cookies = set_cookies(&signed_in);
    for name in ["authdb_console_access=", "authdb_console_refresh="] {
        let cookie = cookies.iter().find(|c| c.starts_with(name)).unwrap_or_else(|| panic!("{name} in {cookies:?}"));
        for flag in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
            assert!(cookie.contains(flag), "{flag} in {cookie}");
        }
        assert!(!cookie.contains("Secure"), "a loopback server sets no Secure: {cookie}");
    }
    for path in PAGES {
        let page = browser.get(&app, path).await;
        assert_eq!(page.status(), 200, "{path}");
        assert_secure_headers(&page, true);
        assert!(page.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        let html = page.text().await.unwrap();
        assert!(html.contains("<main id=\"main\">") && html.contains("<h1>"), "{path}: {html}");
        assert!(html.contains("aria-current=\"page\""), "{path} marks itself in the navigation");
        // No inline script: a page with a passkey ceremony loads the console's script
        // from its own path, and nothing else.
        let scripts = html.matches("<script").count();
        assert_eq!(scripts, html.matches(r#"<script src="/console/assets/"#).count(), "{path}: no inline script");
        assert!(!html.contains("style="), "{path}: no inline style");
    }
    let profile = browser.get(&app, "/console/me").await.text().await.unwrap();
    assert!(profile.contains("alice") && profile.contains("alice@example.com"), "{profile}");
    let stylesheet = profile.split("href=\"").find(|s| s.starts_with("/console/assets/")).unwrap();
    let stylesheet = stylesheet.split('"').next().unwrap();
    let css = browser.get(&app, stylesheet).await;
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert!(css.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
    assert_eq!(browser.get(&app, "/console/assets/0000000000000000/console.css").await.status(), 404);
    let root = browser.get(&app, "/console").await;
    assert_eq!((root.status().as_u16(), location(&root)), (303, "/console/me".to_owned()));
    let unknown = browser.get(&app, "/console/nope").await;
    assert_eq!(unknown.status(), 404);
    assert_secure_headers(&unknown, true);
}

async fn a_public_https_url_makes_the_cookies_secure(backend: Backend) {
    let app =
        spawn_app_with(backend, |settings| settings.server.public_url = Some("https://auth.example.com".into())).await;
    app.register_ok("alice").await;
    let mut browser = Browser::default();

    let signed_in = browser.sign_in(&app, "alice", PASSWORD).await;

    assert_eq!(signed_in.status(), 303);
    let cookies = set_cookies(&signed_in);
    assert!(cookies.iter().all(|c| c.contains("; Secure")), "{cookies:?}");
}

async fn every_page_sends_a_visitor_without_a_session_to_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut browser = Browser::default();
    let mut paths: Vec<&str> = PAGES.to_vec();
    paths.extend([
        "/console/me/sessions/end-all",
        "/console/me/totp/remove",
        "/console/me/totp/enrol",
        "/console/me/reauthenticate",
    ]);
    for path in paths {
        let response = browser.get(&app, path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(location(&response), "/console/sign-in", "{path}");
        assert_secure_headers(&response, true);
    }
    browser.cookies.insert("authdb_console_access".into(), "not-a-token".into());
    let forged = browser.get(&app, "/console/me").await;
    assert_eq!(forged.status(), 303, "a forged cookie is no session");
    let posted = browser.post(&app, "/console/me/sessions/end-all", &[("csrf", "x")]).await;
    assert_eq!(posted.status(), 303, "a post without a session goes to sign-in too");
}

async fn a_wrong_password_counts_toward_the_same_lockout_as_the_api(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let mut browser = Browser::default();

    for attempt in 1..=5 {
        let refused = browser.sign_in(&app, "alice", "Wrong1234").await;
        assert_eq!(refused.status(), 401, "attempt {attempt}");
        assert!(set_cookies(&refused).iter().all(|c| !c.starts_with("authdb_console_access")));
        let html = refused.text().await.unwrap();
        assert!(html.contains("role=\"alert\"") && html.contains("Invalid credentials"), "{html}");
        assert!(html.contains("invalid login or password"), "the problem's detail: {html}");
    }
    let locked = browser.sign_in(&app, "alice", PASSWORD).await;

    assert_eq!(locked.status(), 429, "the right password is refused while locked");
    assert!(locked.headers()[header::RETRY_AFTER].to_str().unwrap().parse::<u64>().unwrap() > 0);
    assert!(locked.text().await.unwrap().contains("Too many attempts"));
    assert_eq!(app.login("alice", PASSWORD).await.status(), 429, "the API's login shares the counters");
}

async fn a_second_factor_signs_in_in_two_steps(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;
    let (secret, _) = enrol(&app, &tokens).await;
    let mut browser = Browser::default();

    let first = browser.sign_in(&app, "alice", PASSWORD).await;
    assert_eq!(first.status(), 303);
    assert_eq!(location(&first), "/console/sign-in/second-factor");
    assert!(!browser.cookies.contains_key("authdb_console_access"), "no session before the second step");
    let mfa_cookie = set_cookies(&first).into_iter().find(|c| c.starts_with("authdb_console_mfa=")).unwrap();
    assert!(mfa_cookie.contains("HttpOnly") && mfa_cookie.contains("SameSite=Strict"), "{mfa_cookie}");
    let token = browser.form_token(&app, "/console/sign-in/second-factor").await;
    let wrong = browser.post(&app, "/console/sign-in/second-factor", &[("csrf", &token), ("code", "000000")]).await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("Invalid code"));
    let neither = browser.post(&app, "/console/sign-in/second-factor", &[("csrf", &token)]).await;
    assert_eq!(neither.status(), 400);

    let second = browser
        .post(&app, "/console/sign-in/second-factor", &[("csrf", &token), ("code", &pyotp_code(&secret, 1))])
        .await;

    assert_eq!(second.status(), 303);
    assert_eq!(location(&second), "/console/me");
    assert!(!browser.cookies.contains_key("authdb_console_mfa"), "the second step's cookie is cleared");
    assert_eq!(browser.get(&app, "/console/me/security").await.status(), 200);
    let security = browser.get(&app, "/console/me/security").await.text().await.unwrap();
    assert!(security.contains("Remove the authenticator app"), "{security}");
    let sessions = app.sessions_ok(&tokens.access_token).await;
    assert_eq!(sessions.len(), 2, "the console opened a real authdb session");
}

async fn a_form_without_the_sessions_csrf_token_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let mut other = Browser::default();
    other.sign_in_ok(&app, "alice").await;
    let others_token = other.form_token(&app, "/console/me/sessions").await;

    for form in [vec![], vec![("csrf", "forged")], vec![("csrf", others_token.as_str())]] {
        let refused = browser.post(&app, "/console/me/sessions/end-all", &form).await;
        assert_eq!(refused.status(), 403, "{form:?}");
        assert_secure_headers(&refused, true);
        assert!(refused.text().await.unwrap().contains("CSRF"));
    }
    let twice = browser.form_token(&app, "/console/me/sessions").await;
    let repeated = browser.post(&app, "/console/me/sessions/end-all", &[("csrf", &twice), ("csrf", &twice)]).await;
    assert_eq!(repeated.status(), 400);
    assert_eq!(browser.get(&app, "/console/me").await.status(), 200, "nothing was ended");
    let mut stranger = Browser::default();
    let no_presession = stranger.post(&app, "/console/sign-in", &[("login", "alice"), ("password", PASSWORD)]).await;
    assert_eq!(no_presession.status(), 403, "a sign-in form from elsewhere");
    let not_a_form = app
        .client
        .post(app.url("/console/sign-out"))
        .header(header::COOKIE, browser.cookie_header())
        .json(&json!({ "csrf": twice }))
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_form.status(), 400);

    let token = browser.form_token(&app, "/console/me/sessions").await;
    let ended = browser.post(&app, "/console/me/sessions/end-all", &[("csrf", &token)]).await;

    assert_eq!(ended.status(), 303);
    assert_eq!(location(&ended), "/console/sign-in");
    assert_eq!(browser.get(&app, "/console/me").await.status(), 303, "every session ended");
    assert_eq!(other.get(&app, "/console/me").await.status(), 303);
}

async fn logging_out_everywhere_from_the_api_ends_the_console_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    assert_eq!(browser.get(&app, "/console/me").await.status(), 200);

    let logged_out = app.post("/api/v1/auth/logout-all", &tokens.access_token, &json!({})).await;
    assert_eq!(logged_out.status(), 204);

    let after = browser.get(&app, "/console/me").await;
    assert_eq!(after.status(), 303, "the next request");
    assert_eq!(location(&after), "/console/sign-in");
    assert!(!browser.cookies.contains_key("authdb_console_access"), "cookies cleared");
    assert!(!browser.cookies.contains_key("authdb_console_refresh"), "cookies cleared");

    // Deactivation by a superuser ends it too.
    browser.sign_in_ok(&app, "alice").await;
    assert_eq!(browser.get(&app, "/console/me").await.status(), 200);
    app.register_ok("root").await;
    let root = app.promote_to_superuser("root").await;
    let path = format!("/api/v1/admin/users/{}", tokens.user_id());
    assert_eq!(app.patch(&path, &root.access_token, &json!({ "is_active": false })).await.status(), 200);
    let deactivated = browser.get(&app, "/console/me").await;
    assert_eq!(deactivated.status(), 303, "a deactivated account's console session ends");
    assert_eq!(location(&deactivated), "/console/sign-in");
}

async fn an_expired_access_cookie_is_refreshed_transparently(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let old_refresh = browser.cookies["authdb_console_refresh"].clone();
    browser.cookies.remove("authdb_console_access");

    let page = browser.get(&app, "/console/me/sessions").await;

    assert_eq!(page.status(), 200);
    assert!(browser.cookies.contains_key("authdb_console_access"), "a new access cookie");
    assert_ne!(browser.cookies["authdb_console_refresh"], old_refresh, "the refresh token rotated");
    assert_eq!(browser.get(&app, "/console/me").await.status(), 200);
}

async fn sixteen_concurrent_page_loads_of_one_session_give_no_error(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let signed_in = browser.clone();
    let mut refreshing = browser.clone();
    refreshing.cookies.remove("authdb_console_access");

    for browser in [signed_in, refreshing] {
        let loads = (0..16).map(|i| {
            let mut browser = browser.clone();
            let app = &app;
            async move { browser.get(app, PAGES[i % PAGES.len()]).await.status().as_u16() }
        });
        let statuses = join_all(loads).await;
        assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    }
}

async fn ending_one_session_from_the_console_revokes_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let phone = app.register_ok("alice").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let sid = authdb_tests::claims_of(&phone.access_token)["sid"].as_str().unwrap().to_owned();
    let list = browser.get(&app, "/console/me/sessions").await.text().await.unwrap();
    assert!(list.contains(&format!("/console/me/sessions/{sid}/end")), "{list}");
    assert!(list.contains("this browser"));

    let confirm = browser.get(&app, &format!("/console/me/sessions/{sid}/end")).await;
    assert_eq!(confirm.status(), 200);
    let token = csrf_of(&confirm.text().await.unwrap());
    let ended = browser.post(&app, &format!("/console/me/sessions/{sid}/end"), &[("csrf", &token)]).await;

    assert_eq!(ended.status(), 303);
    assert_eq!(location(&ended), "/console/me/sessions");
    assert_eq!(app.me(&phone.access_token).await.status(), 401, "the other device is signed out");
    assert_eq!(browser.get(&app, "/console/me").await.status(), 200, "this one is not");
    let unknown = browser.get(&app, "/console/me/sessions/not-an-id/end").await;
    assert_eq!(unknown.status(), 404);
    let gone = browser.post(&app, &format!("/console/me/sessions/{sid}/end"), &[("csrf", &token)]).await;
    assert_eq!(gone.status(), 404, "an ended session is not found: {}", gone.text().await.unwrap());

    let second = app.login_ok("alice").await;
    let token = browser.form_token(&app, "/console/me/sessions/end-others").await;
    let others = browser.post(&app, "/console/me/sessions/end-others", &[("csrf", &token)]).await;
    assert_eq!(others.status(), 303);
    assert_eq!(app.me(&second.access_token).await.status(), 401);
    assert_eq!(browser.get(&app, "/console/me").await.status(), 200);

    let token = browser.form_token(&app, "/console/me").await;
    let signed_out = browser.post(&app, "/console/sign-out", &[("csrf", &token)]).await;
    assert_eq!(signed_out.status(), 303);
    assert_eq!(browser.get(&app, "/console/me").await.status(), 303, "signing out ends the authdb session");
}

async fn the_password_change_needs_a_recent_sign_in(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.step_up_max_age_secs = 2).await;
    let tokens = app.register_ok("alice").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let token = browser.form_token(&app, "/console/me/password").await;
    let change = |current: &'static str, new: &'static str, again: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("current_password", current.into()),
            ("new_password", new.into()),
            ("confirm_password", again.into()),
        ]
    };
    let post = |browser: &mut Browser, form: Vec<(&'static str, String)>| {
        let mut browser = browser.clone();
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            browser.post(app, "/console/me/password", &pairs).await
        }
    };

    let mismatch = post(&mut browser, change(PASSWORD, "NewPassw0rd!", "Other")).await;
    assert_eq!(mismatch.status(), 400);
    assert!(mismatch.text().await.unwrap().contains("the two new passwords differ"));
    let weak = post(&mut browser, change(PASSWORD, "short", "short")).await;
    assert_eq!(weak.status(), 422);
    assert!(weak.text().await.unwrap().contains("new_password"));

    tokio::time::sleep(Duration::from_millis(3100)).await;
    let stale = post(&mut browser, change(PASSWORD, "NewPassw0rd!", "NewPassw0rd!")).await;
    assert_eq!(stale.status(), 303, "an old sign-in is sent to re-authenticate");
    assert_eq!(location(&stale), "/console/me/reauthenticate?next=/me/password");
    let page = browser.get(&app, "/console/me/reauthenticate?next=/me/password").await;
    assert_eq!(page.status(), 200);
    let reauth_token = csrf_of(&page.text().await.unwrap());
    let bad = browser
        .post(
            &app,
            "/console/me/reauthenticate?next=/me/password",
            &[("csrf", &reauth_token), ("password", "Wrong1234!")],
        )
        .await;
    assert_eq!(bad.status(), 403);
    assert!(bad.text().await.unwrap().contains("Wrong password"));
    let good = browser
        .post(&app, "/console/me/reauthenticate?next=/me/password", &[("csrf", &reauth_token), ("password", PASSWORD)])
        .await;
    assert_eq!(good.status(), 303);
    assert_eq!(location(&good), "/console/me/password");

    let wrong = post(&mut browser, change("Wrong1234!", "NewPassw0rd!", "NewPassw0rd!")).await;
    assert_eq!(wrong.status(), 403);
    assert!(wrong.text().await.unwrap().contains("Wrong password"));
    let changed = post(&mut browser, change(PASSWORD, "NewPassw0rd!", "NewPassw0rd!")).await;
    assert_eq!(changed.status(), 200, "within two seconds of re-authenticating");
    assert!(changed.text().await.unwrap().contains("Your password was changed"));
    assert_eq!(app.me(&tokens.access_token).await.status(), 401, "the other sessions ended");
    assert_eq!(app.login("alice", "NewPassw0rd!").await.status(), 200);
}

async fn security_events_paginate(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let mut browser = Browser::default();
    for _ in 0..2 {
        assert_eq!(browser.sign_in(&app, "alice", "Wrong1234").await.status(), 401);
    }
    browser.sign_in_ok(&app, "alice").await;

    let first = browser.get(&app, "/console/me/events").await.text().await.unwrap();

    assert!(first.contains("login.failed") && first.contains("page 1 of 1"), "{first}");
    for bad in ["0", "x", "-1"] {
        let refused = browser.get(&app, &format!("/console/me/events?page={bad}")).await;
        assert_eq!(refused.status(), 400, "{bad}");
        assert!(refused.text().await.unwrap().contains("page:"));
    }
    let empty = browser.get(&app, "/console/me/events?page=2").await.text().await.unwrap();
    assert!(empty.contains("Nothing to show"));
}

async fn removing_the_authenticator_app_takes_the_password_and_a_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;
    let (secret, recovery_codes) = enrol(&app, &tokens).await;
    let mut browser = Browser::default();
    assert_eq!(browser.sign_in(&app, "alice", PASSWORD).await.status(), 303);
    let token = browser.form_token(&app, "/console/sign-in/second-factor").await;
    let both = browser
        .post(&app, "/console/sign-in/second-factor", &[("csrf", &token), ("code", "123456"), ("recovery_code", "x")])
        .await;
    assert_eq!(both.status(), 400, "one proof, not two");
    let signed_in = browser
        .post(&app, "/console/sign-in/second-factor", &[("csrf", &token), ("recovery_code", &recovery_codes[0])])
        .await;
    assert_eq!(signed_in.status(), 303, "a recovery code signs in too");

    let confirm = browser.get(&app, "/console/me/totp/remove").await;
    assert_eq!(confirm.status(), 200);
    let token = csrf_of(&confirm.text().await.unwrap());
    let wrong = browser
        .post(&app, "/console/me/totp/remove", &[("csrf", &token), ("password", PASSWORD), ("code", "000000")])
        .await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("Invalid code"));
    let missing = browser.post(&app, "/console/me/totp/remove", &[("csrf", &token), ("password", PASSWORD)]).await;
    assert_eq!(missing.status(), 400, "the code is required");
    let removed = browser
        .post(
            &app,
            "/console/me/totp/remove",
            &[("csrf", &token), ("password", PASSWORD), ("code", &pyotp_code(&secret, 1))],
        )
        .await;

    assert_eq!(removed.status(), 303);
    assert_eq!(location(&removed), "/console/me/security");
    let page = browser.get(&app, "/console/me/security").await.text().await.unwrap();
    assert!(page.contains("Not enabled"), "{page}");
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200, "no second step any more");
    for path in ["/console/me/passkeys/not-an-id/remove", &format!("/console/me/passkeys/{}/remove", uuid_like())] {
        assert_eq!(browser.get(&app, path).await.status(), 404, "{path}");
    }
}

async fn removing_a_passkey_asks_first_and_needs_a_multi_factor_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let (_, recovery_codes) = enrol(&app, &alice).await;
    let passkey = SoftPasskey::new().register_with(&app, &alice.access_token).await;
    let mut browser = Browser::default();
    assert_eq!(browser.sign_in(&app, "alice", PASSWORD).await.status(), 303);
    let token = browser.form_token(&app, "/console/sign-in/second-factor").await;
    let second = browser
        .post(&app, "/console/sign-in/second-factor", &[("csrf", &token), ("recovery_code", &recovery_codes[0])])
        .await;
    assert_eq!(second.status(), 303);
    let page = browser.get(&app, "/console/me/security").await.text().await.unwrap();
    assert!(page.contains(&format!("/console/me/passkeys/{passkey}/remove")) && page.contains("soft"), "{page}");

    let confirm = browser.get(&app, &format!("/console/me/passkeys/{passkey}/remove")).await;
    assert_eq!(confirm.status(), 200);
    let html = confirm.text().await.unwrap();
    assert!(html.contains("Remove the passkey") && html.contains("soft"), "{html}");
    let removed =
        browser.post(&app, &format!("/console/me/passkeys/{passkey}/remove"), &[("csrf", &csrf_of(&html))]).await;

    assert_eq!(removed.status(), 303);
    assert_eq!(location(&removed), "/console/me/security");
    let list: Value = app.get_with("/api/v1/auth/passkeys", &alice.access_token).await.json().await.unwrap();
    assert_eq!(list["items"], json!([]), "removed");

    // A single-factor console session is sent to re-authenticate first; a passkey-only
    // account does that with its passkey (console/factors.rs runs the ceremony).
    let bob = app.register_ok("bob").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "bob").await;
    let passkey = SoftPasskey::new().register_with(&app, &bob.access_token).await;
    let token = browser.form_token(&app, &format!("/console/me/passkeys/{passkey}/remove")).await;
    let refused = browser.post(&app, &format!("/console/me/passkeys/{passkey}/remove"), &[("csrf", &token)]).await;
    assert_eq!(refused.status(), 303);
    assert_eq!(location(&refused), "/console/me/reauthenticate?next=/me/security");
    let reauth = browser.get(&app, "/console/me/reauthenticate?next=/me/security").await.text().await.unwrap();
    assert!(reauth.contains(r#"data-passkey="step-up""#), "{reauth}");
    let list: Value = app.get_with("/api/v1/auth/passkeys", &bob.access_token).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "not removed");
}

on_both_backends!(
    removing_a_passkey_asks_first_and_needs_a_multi_factor_sign_in,
    removing_the_authenticator_app_takes_the_password_and_a_code,
    signing_in_sets_strict_cookies_and_every_page_renders,
    a_public_https_url_makes_the_cookies_secure,
    every_page_sends_a_visitor_without_a_session_to_sign_in,
    a_wrong_password_counts_toward_the_same_lockout_as_the_api,
    a_second_factor_signs_in_in_two_steps,
    a_form_without_the_sessions_csrf_token_is_refused,
    logging_out_everywhere_from_the_api_ends_the_console_session,
    an_expired_access_cookie_is_refreshed_transparently,
    sixteen_concurrent_page_loads_of_one_session_give_no_error,
    ending_one_session_from_the_console_revokes_it,
    the_password_change_needs_a_recent_sign_in,
    security_events_paginate,
    the_dashboard_draws_sign_ins_and_the_sections_the_role_allows,
    the_dashboard_of_an_organization_the_caller_is_not_in_is_not_found,
);

/// The ids of the charts (`<svg ... role="img">`) a dashboard page draws, in order.
fn chart_ids(html: &str) -> Vec<String> {
    html.split("<svg ")
        .skip(1)
        .map(|svg| {
            let tag = svg.split('>').next().unwrap();
            assert!(tag.contains(r#"role="img""#), "{tag}");
            let labelled = tag.split(r#"aria-labelledby=""#).nth(1).unwrap();
            labelled.split("-title").next().unwrap().to_owned()
        })
        .collect()
}

/// An asset through the API, with open services on `ports`.
async fn seed_asset(app: &TestApp, token: &str, org: &str, ip: &str, kind: &str, criticality: &str, ports: &[u16]) {
    let assets = format!("/api/v1/organizations/{org}/assets");
    let created =
        app.post(&assets, token, &json!({"ip_address": ip, "asset_type": kind, "criticality": criticality})).await;
    assert_eq!(created.status(), 201, "{ip}");
    let id = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    for port in ports {
        let service = app
            .post(&format!("{assets}/{id}/services"), token, &json!({"port": port, "protocol": "tcp", "state": "open"}))
            .await;
        assert_eq!(service.status(), 201);
    }
}

async fn the_dashboard_draws_sign_ins_and_the_sections_the_role_allows(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let vera = app.register_ok("vera").await;
    let rita = app.register_ok("rita").await;
    app.register_ok("root").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &org, &vera, "viewer").await;
    // A role that reads the organization but not its inventory nor its chats.
    let reader = app
        .post(
            &format!("/api/v1/organizations/{org}/roles"),
            &alice.access_token,
            &json!({"name": "reader", "permissions": ["org:read", "members:read"]}),
        )
        .await;
    assert_eq!(reader.status(), 201);
    app.add_member_ok(&alice.access_token, &org, &rita, "reader").await;
    let token = &alice.access_token;
    seed_asset(&app, token, &org, "10.0.0.1", "server", "critical", &[22, 443]).await;
    seed_asset(&app, token, &org, "10.0.0.2", "server", "critical", &[443]).await;
    seed_asset(&app, token, &org, "10.0.0.3", "router", "low", &[]).await;
    // Alice: one sign-in through the API, two wrong passwords, one console sign-in.
    app.login_ok("alice").await;
    for _ in 0..2 {
        assert_eq!(app.login("alice", "wrong-password-1A!").await.status(), 401);
    }
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;

    // No organization picked: the caller's own sign-ins and the picker.
    let own = browser.get(&app, "/console/dashboard").await;
    assert_eq!(own.status(), 200);
    assert_secure_headers(&own, true);
    let html = own.text().await.unwrap();
    assert_eq!(chart_ids(&html), ["mine-24h", "mine-30d"], "{html}");
    let totals = "<strong>2</strong> sign-ins, <strong>2</strong> failures.";
    assert!(html.contains(&format!("Last 24 hours: {totals}")), "{html}");
    assert!(html.contains(&format!("Last 30 days: {totals}")), "{html}");
    assert!(html.contains(r#"<form method="get" action="/console/dashboard""#), "{html}");
    assert!(html.contains(&format!(r#"<option value="{org}">Org acme (owner)</option>"#)), "{html}");
    assert!(!html.contains("<h3>Inventory</h3>") && !html.contains("<script") && !html.contains("style="), "{html}");
    let picked_nothing = browser.get(&app, "/console/dashboard?organization=").await;
    assert_eq!(picked_nothing.status(), 200, "the picker's empty choice is no organization");

    // The owner's view of the organization: every section.
    let owner = browser.get(&app, &format!("/console/dashboard?organization={org}")).await;
    assert_eq!(owner.status(), 200);
    let html = owner.text().await.unwrap();
    assert_eq!(
        chart_ids(&html),
        ["mine-24h", "mine-30d", "members-24h", "members-30d", "assets-criticality", "assets-type", "open-ports"],
        "{html}"
    );
    assert!(html.contains(&format!(r#"<option value="{org}" selected>Org acme (owner)</option>"#)), "{html}");
    assert!(html.contains("<strong>3</strong> assets; <strong>3</strong> open services."), "{html}");
    assert!(html.contains(r#"<th scope="row">critical</th><td>2</td>"#), "{html}");
    assert!(html.contains(r#"<th scope="row">router</th><td>1</td>"#), "{html}");
    assert!(html.contains(r#"<th scope="row">443</th><td>2</td>"#), "{html}");
    assert!(html.contains(r#"<th scope="row">22</th><td>1</td>"#), "{html}");
    assert!(html.contains("<strong>0</strong> unread messages in 0 chats."), "{html}");
    assert!(!html.contains("platform-24h"), "the platform's view is for superusers");

    // A viewer reads the inventory, not the members' sign-ins nor the chats.
    let mut viewer = Browser::default();
    viewer.sign_in_ok(&app, "vera").await;
    let html = viewer.get(&app, &format!("/console/dashboard?organization={org}")).await.text().await.unwrap();
    assert_eq!(chart_ids(&html), ["mine-24h", "mine-30d", "assets-criticality", "assets-type", "open-ports"], "{html}");
    assert!(!html.contains("Unread messages"), "{html}");

    // A role without `assets:read`: no inventory section, and no error.
    let mut reader = Browser::default();
    reader.sign_in_ok(&app, "rita").await;
    let page = reader.get(&app, &format!("/console/dashboard?organization={org}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert_eq!(chart_ids(&html), ["mine-24h", "mine-30d"], "{html}");
    assert!(!html.contains("<h3>Inventory</h3>") && !html.contains("Assets by"), "{html}");
    assert!(html.contains("Your role in this organization shows nothing on the dashboard."), "{html}");

    // A superuser also sees the platform's sign-ins (every account's).
    app.promote_to_superuser("root").await;
    let mut root = Browser::default();
    root.sign_in_ok(&app, "root").await;
    let html = root.get(&app, "/console/dashboard").await.text().await.unwrap();
    assert_eq!(chart_ids(&html), ["mine-24h", "mine-30d", "platform-24h", "platform-30d"], "{html}");
}

async fn the_dashboard_of_an_organization_the_caller_is_not_in_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let mallory = app.register_ok("mallory").await;
    let theirs = app.create_organization_ok(&mallory.access_token, "other").await["id"].as_str().unwrap().to_owned();
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;

    let foreign = browser.get(&app, &format!("/console/dashboard?organization={theirs}")).await;
    assert_eq!(foreign.status(), 404, "another organization's dashboard does not exist for alice");
    assert_secure_headers(&foreign, true);
    let html = foreign.text().await.unwrap();
    assert!(html.contains("role=\"alert\"") && !html.contains("Org other"), "{html}");
    let unknown = browser.get(&app, &format!("/console/dashboard?organization={}", uuid_like())).await;
    assert_eq!(unknown.status(), 404);
    let malformed = browser.get(&app, "/console/dashboard?organization=acme").await;
    assert_eq!(malformed.status(), 400);
    assert!(malformed.text().await.unwrap().contains("organization: not an organization id"));
}
