//! The Platform pages (superusers only): users (search, deactivate and reactivate, reset
//! second factors), all organizations (suspend and unsuspend, the licence form), the
//! outbox and mail status; 404 for anyone else on every page and every form, and CSRF.

use std::time::{Duration, Instant};

use authdb_tests::{Backend, PASSWORD, TestApp, Tokens, spawn_app};
use serde_json::{Value, json};

use super::browser::{Browser, assert_secure_headers, csrf_of, location, uuid_like};
use crate::mfa::enrol;

on_both_backends!(
    the_platform_pages_render_for_a_superuser_only,
    every_platform_page_and_form_is_not_found_for_anyone_else,
    searching_users_filters_sorts_and_pages_like_the_api,
    deactivating_a_user_ends_their_sessions_and_reactivating_lets_them_back,
    resetting_second_factors_removes_the_authenticator_app,
    suspending_an_organization_refuses_its_members_until_it_is_unsuspended,
    the_licence_form_saves_and_refuses_a_bad_value_naming_the_field,
    the_outbox_page_shows_a_sent_invitation_without_its_body,
    a_platform_form_without_the_csrf_token_is_refused_and_changes_nothing,
);

/// Every page of the Platform section's navigation.
const PLATFORM_PAGES: &[&str] =
    &["/console/platform/users", "/console/platform/organizations", "/console/platform/outbox"];

/// A superuser `root` signed in to the console, and their API tokens.
async fn root_browser(app: &TestApp) -> (Browser, Tokens) {
    app.register_ok("root").await;
    let tokens = app.promote_to_superuser("root").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(app, "root").await;
    (browser, tokens)
}

fn users_of(html: &str) -> Vec<String> {
    html.split(r#"<th scope="row"><a href="/console/platform/users/"#)
        .skip(1)
        .map(|row| row.split_once("\">").unwrap().1.split('<').next().unwrap().to_owned())
        .collect()
}

/// The licence form's fields and the CSRF token.
fn licence_form<'a>(token: &'a str, key: &'a str, expires: &'a str, max: &'a str) -> [(&'static str, &'a str); 4] {
    [("csrf", token), ("license_key", key), ("license_expires_at", expires), ("max_assets", max)]
}

/// The organization `id` as its owner reads it through the API.
async fn organization(app: &TestApp, token: &str, id: &str) -> Value {
    let response = app.get(&format!("/api/v1/organizations/{id}"), token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn the_platform_pages_render_for_a_superuser_only(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let (mut root, _) = root_browser(&app).await;

    for path in PLATFORM_PAGES {
        let page = root.get(&app, path).await;
        assert_eq!(page.status(), 200, "{path}");
        assert_secure_headers(&page, true);
        let html = page.text().await.unwrap();
        assert!(html.contains("<h2>Platform</h2>"), "{path}: the navigation's Platform section: {html}");
        assert!(html.contains(&format!(r#"<a href="{path}" aria-current="page">"#)), "{path} marks itself: {html}");
        assert!(!html.contains("<script") && !html.contains("style="), "{path}: no inline script or style");
    }
    // The other pages show the section to a superuser too.
    let profile = root.get(&app, "/console/me").await.text().await.unwrap();
    assert!(profile.contains("<h2>Platform</h2>") && profile.contains(r#"href="/console/platform/outbox""#));

    // Signed out: the sign-in page, as everywhere.
    let mut visitor = Browser::default();
    for path in PLATFORM_PAGES {
        let answer = visitor.get(&app, path).await;
        assert_eq!((answer.status().as_u16(), location(&answer)), (303, "/console/sign-in".to_owned()), "{path}");
    }
}

async fn every_platform_page_and_form_is_not_found_for_anyone_else(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let org = app.create_organization_ok(&bob.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;

    let profile = browser.get(&app, "/console/me").await.text().await.unwrap();
    assert!(!profile.contains("Platform") && !profile.contains("/console/platform/"), "no Platform section: {profile}");
    let token = csrf_of(&profile);
    let bob_id = bob.user_id();
    let mut pages: Vec<String> = PLATFORM_PAGES.iter().map(|path| (*path).to_owned()).collect();
    pages.extend([
        format!("/console/platform/users/{bob_id}"),
        format!("/console/platform/users/{bob_id}/deactivate"),
        format!("/console/platform/users/{bob_id}/reset-factors"),
        format!("/console/platform/organizations/{org}/suspend"),
        format!("/console/platform/organizations/{org}/licence"),
    ]);
    for path in &pages {
        let answer = browser.get(&app, path).await;
        assert_eq!(answer.status(), 404, "GET {path}");
        assert_secure_headers(&answer, true);
        assert!(!answer.text().await.unwrap().contains("bob@example.com"), "{path}: nothing of bob shown");
    }
    let forms: [(String, Vec<(&str, &str)>); 5] = [
        (format!("/console/platform/users/{bob_id}/deactivate"), vec![]),
        (format!("/console/platform/users/{bob_id}/reactivate"), vec![]),
        (format!("/console/platform/users/{bob_id}/reset-factors"), vec![]),
        (format!("/console/platform/organizations/{org}/suspend"), vec![]),
        (format!("/console/platform/organizations/{org}/licence"), vec![("max_assets", "1")]),
    ];
    for (path, fields) in &forms {
        let mut form = vec![("csrf", token.as_str())];
        form.extend(fields.iter().copied());
        browser.submit(&app, path, &form, 404).await;
    }
    browser.submit(&app, &format!("/console/platform/organizations/{org}/licence"), &[("csrf", &token)], 404).await;

    assert_eq!(app.me(&bob.access_token).await.status(), 200, "bob is still active");
    let acme = organization(&app, &bob.access_token, &org).await;
    assert_eq!((acme["is_active"].as_bool(), acme["max_assets"].as_i64()), (Some(true), None), "{acme}");
    assert_eq!(app.me(&alice.access_token).await.json::<Value>().await.unwrap()["is_superuser"], false);
}

async fn searching_users_filters_sorts_and_pages_like_the_api(backend: Backend) {
    let app = spawn_app(backend).await;
    for name in ["alice", "bob", "carol"] {
        app.register_ok(name).await;
    }
    let (mut root, _) = root_browser(&app).await;

    let all = root.get(&app, "/console/platform/users").await.text().await.unwrap();
    assert_eq!(users_of(&all), ["alice", "bob", "carol", "root"], "oldest first: {all}");
    assert!(all.contains("1–4 of 4 users."), "{all}");
    assert!(all.contains(r#"<label for="q">"#) && all.contains(r#"<label for="sort">"#), "labelled filters");
    let found = root.get(&app, "/console/platform/users?q=CAR").await.text().await.unwrap();
    assert_eq!(users_of(&found), ["carol"], "{found}");
    assert!(found.contains(r#"value="CAR""#), "the search is kept in its field");
    let none = root.get(&app, "/console/platform/users?q=nobody").await.text().await.unwrap();
    assert!(users_of(&none).is_empty() && none.contains("No account matches this search."), "{none}");

    let sorted = root.get(&app, "/console/platform/users?sort=-email&limit=2").await.text().await.unwrap();
    assert_eq!(users_of(&sorted), ["root", "carol"], "{sorted}");
    assert!(sorted.contains(r#"<option value="-email" selected>"#), "{sorted}");
    assert!(
        sorted.contains("/console/platform/users?sort=-email&amp;limit=2&amp;offset=2"),
        "the pager keeps the order"
    );
    let second = root.get(&app, "/console/platform/users?sort=-email&limit=2&offset=2").await.text().await.unwrap();
    assert_eq!(users_of(&second), ["bob", "alice"], "{second}");
    let searched = root.get(&app, "/console/platform/users?q=example&limit=1").await.text().await.unwrap();
    assert_eq!(users_of(&searched), ["alice"], "{searched}");
    assert!(
        searched.contains("/console/platform/users?q=example&amp;limit=1&amp;offset=1"),
        "the pager keeps the search"
    );

    for (query, field) in [("limit=500", "limit: "), ("sort=password", "sort: "), ("q=%01", "q: ")] {
        let refused = root.get(&app, &format!("/console/platform/users?{query}")).await;
        assert_eq!(refused.status(), 422, "{query}");
        let html = refused.text().await.unwrap();
        assert!(html.contains(r#"role="alert""#) && html.contains(field), "{query}: {html}");
    }
    let long = "x".repeat(101);
    assert_eq!(root.get(&app, &format!("/console/platform/users?q={long}")).await.status(), 422);
}

async fn deactivating_a_user_ends_their_sessions_and_reactivating_lets_them_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let mut alices_console = Browser::default();
    alices_console.sign_in_ok(&app, "alice").await;
    let (mut root, _) = root_browser(&app).await;
    let user = format!("/console/platform/users/{}", alice.user_id());

    let page = root.get(&app, &user).await.text().await.unwrap();
    assert!(page.contains("<h1>User alice</h1>") && page.contains("alice@example.com"), "{page}");
    assert!(page.contains(&format!(r#"href="{user}/deactivate""#)), "{page}");
    let asked = root.get(&app, &format!("{user}/deactivate")).await;
    assert_eq!(asked.status(), 200);
    let html = asked.text().await.unwrap();
    assert!(
        html.contains("Deactivate alice (alice@example.com)?") && html.contains("Deactivate the account"),
        "{html}"
    );
    assert!(html.contains(&format!(r#"action="{user}/deactivate""#)) && html.contains("Cancel"), "{html}");
    assert_eq!(app.me(&alice.access_token).await.status(), 200, "asking changes nothing");
    let token = csrf_of(&html);

    let done = root.post(&app, &format!("{user}/deactivate"), &[("csrf", &token)]).await;

    assert_eq!((done.status().as_u16(), location(&done)), (303, format!("{user}?done=deactivated")));
    assert_eq!(app.me(&alice.access_token).await.status(), 401, "the API refuses her token at once");
    assert_eq!(app.login("alice", PASSWORD).await.status(), 403, "and her logins");
    assert_eq!(alices_console.get(&app, "/console/me").await.status(), 303, "her console session ended");
    let page = root.get(&app, &format!("{user}?done=deactivated")).await.text().await.unwrap();
    assert!(page.contains("The account was deactivated") && page.contains("<dd>deactivated</dd>"), "{page}");
    assert!(page.contains(&format!(r#"href="{user}/reactivate""#)), "{page}");
    let listed = root.get(&app, "/console/platform/users?q=alice").await.text().await.unwrap();
    assert!(listed.contains("<td>deactivated</td>"), "{listed}");

    root.submit(&app, &format!("{user}/reactivate"), &[("csrf", &token)], 303).await;
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200, "she signs in again");
    let page = root.get(&app, &user).await.text().await.unwrap();
    assert!(page.contains("<dd>active</dd>"), "{page}");

    // No such user, no such action, not an id: no such page.
    for path in [
        format!("/console/platform/users/{}", uuid_like()),
        format!("/console/platform/users/{}/deactivate", uuid_like()),
        format!("{user}/promote"),
        "/console/platform/users/alice".to_owned(),
    ] {
        assert_eq!(root.get(&app, &path).await.status(), 404, "{path}");
    }
    root.submit(&app, &format!("/console/platform/users/{}/deactivate", uuid_like()), &[("csrf", &token)], 404).await;
    root.submit(&app, &format!("{user}/promote"), &[("csrf", &token)], 404).await;
}

async fn resetting_second_factors_removes_the_authenticator_app(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    enrol(&app, &alice).await;
    let login = app.login("alice", PASSWORD).await.json::<Value>().await.unwrap();
    assert_eq!(login["type"], "/problems/mfa-required", "a second step is asked: {login}");
    let (mut root, _) = root_browser(&app).await;
    let user = format!("/console/platform/users/{}", alice.user_id());

    let page = root.get(&app, &user).await.text().await.unwrap();
    assert!(page.contains(&format!(r#"href="{user}/reset-factors""#)), "{page}");
    let asked = root.get(&app, &format!("{user}/reset-factors")).await;
    assert_eq!(asked.status(), 200);
    let html = asked.text().await.unwrap();
    assert!(html.contains("Reset the second factors of alice (alice@example.com)?"), "{html}");
    let token = csrf_of(&html);
    assert_eq!(app.login("alice", PASSWORD).await.status(), 401, "asking changes nothing");

    let done = root.post(&app, &format!("{user}/reset-factors"), &[("csrf", &token)]).await;

    assert_eq!((done.status().as_u16(), location(&done)), (303, format!("{user}?done=factors-removed")));
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200, "the login no longer asks a second step");
    let page = root.get(&app, &format!("{user}?done=factors-removed")).await.text().await.unwrap();
    assert!(
        page.contains("The second factors were removed: the authenticator app, its recovery codes and the passkeys."),
        "{page}"
    );
    let again = root.post(&app, &format!("{user}/reset-factors"), &[("csrf", &token)]).await;
    assert_eq!(location(&again), format!("{user}?done=no-factors"), "nothing left to remove");
    let enrolling = app.post("/api/v1/auth/mfa/totp", &alice.access_token, &json!({ "password": PASSWORD })).await;
    assert_eq!(enrolling.status(), 200, "she has no authenticator app, so she may enrol one again");
}

async fn suspending_an_organization_refuses_its_members_until_it_is_unsuspended(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let members = format!("/api/v1/organizations/{org}/members");
    assert_eq!(app.get(&members, &alice.access_token).await.status(), 200);
    let (mut root, _) = root_browser(&app).await;
    let suspend = format!("/console/platform/organizations/{org}/suspend");

    let listed = root.get(&app, "/console/platform/organizations").await.text().await.unwrap();
    assert!(listed.contains(r#"<th scope="row">Org acme</th><td>acme</td><td>active</td>"#), "{listed}");
    assert!(listed.contains(&format!(r#"href="{suspend}""#)), "{listed}");
    let found = root.get(&app, "/console/platform/organizations?q=ACM").await.text().await.unwrap();
    assert!(found.contains("Org acme"), "{found}");
    let none = root.get(&app, "/console/platform/organizations?q=zzz").await.text().await.unwrap();
    assert!(none.contains("No organization matches this search."), "{none}");
    let asked = root.get(&app, &suspend).await;
    assert_eq!(asked.status(), 200);
    let html = asked.text().await.unwrap();
    assert!(html.contains("Suspend Org acme?") && html.contains("Suspend the organization"), "{html}");
    let token = csrf_of(&html);

    let done = root.post(&app, &suspend, &[("csrf", &token)]).await;

    assert_eq!((done.status().as_u16(), location(&done)), (303, "/console/platform/organizations".to_owned()));
    let refused = app.get(&members, &alice.access_token).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.json::<Value>().await.unwrap()["type"], "/problems/organization-suspended");
    assert_eq!(organization(&app, &alice.access_token, &org).await["is_active"], false);
    let listed = root.get(&app, "/console/platform/organizations").await.text().await.unwrap();
    assert!(listed.contains("<strong>suspended</strong>"), "{listed}");
    let unsuspend = format!("/console/platform/organizations/{org}/unsuspend");
    assert!(listed.contains(&format!(r#"href="{unsuspend}""#)), "{listed}");
    let asked = root.get(&app, &unsuspend).await.text().await.unwrap();
    assert!(asked.contains("Unsuspend Org acme?"), "{asked}");

    root.submit(&app, &unsuspend, &[("csrf", &token)], 303).await;
    assert_eq!(app.get(&members, &alice.access_token).await.status(), 200, "her calls work again");

    for path in [
        format!("/console/platform/organizations/{}/suspend", uuid_like()),
        "/console/platform/organizations/acme/suspend".to_owned(),
        format!("/console/platform/organizations/{org}/delete"),
    ] {
        assert_eq!(root.get(&app, &path).await.status(), 404, "{path}");
    }
    root.submit(&app, &format!("/console/platform/organizations/{}/suspend", uuid_like()), &[("csrf", &token)], 404)
        .await;
}

async fn the_licence_form_saves_and_refuses_a_bad_value_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let (mut root, _) = root_browser(&app).await;
    let licence = format!("/console/platform/organizations/{org}/licence");

    let form = root.get(&app, &licence).await;
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(html.contains("<h1>Licence of Org acme</h1>"), "{html}");
    for field in ["license_key", "license_expires_at", "max_assets"] {
        assert!(html.contains(&format!(r#"<label for="{field}">"#)), "{field} is labelled: {html}");
    }
    let token = csrf_of(&html);

    let done = root.post(&app, &licence, &licence_form(&token, "LIC-1", "2030-01-31T00:00:00Z", "5")).await;

    assert_eq!((done.status().as_u16(), location(&done)), (303, format!("{licence}?saved=1")));
    let acme = organization(&app, &alice.access_token, &org).await;
    assert_eq!(acme["license_key"], "LIC-1", "{acme}");
    assert_eq!(acme["license_expires_at"], "2030-01-31T00:00:00Z", "{acme}");
    assert_eq!(acme["max_assets"], 5, "{acme}");
    let html = root.get(&app, &format!("{licence}?saved=1")).await.text().await.unwrap();
    assert!(html.contains("The licence was saved.") && html.contains(r#"value="LIC-1""#), "{html}");
    let listed = root.get(&app, "/console/platform/organizations").await.text().await.unwrap();
    assert!(listed.contains("<td>LIC-1</td>") && listed.contains("<td>5</td>"), "{listed}");

    let long_key = "k".repeat(256);
    for (key, expires, max, field) in [
        ("LIC-1", "2030-01-31T00:00:00Z", "-1", "max_assets: must be at least 0"),
        ("LIC-1", "2030-01-31T00:00:00Z", "many", "max_assets: must be a whole number"),
        ("LIC-1", "next year", "5", "license_expires_at: must be an RFC 3339"),
        (long_key.as_str(), "2030-01-31T00:00:00Z", "5", "license_key: must be 1 to 255 characters long"),
    ] {
        let refused = root.submit(&app, &licence, &licence_form(&token, key, expires, max), 422).await;
        assert!(refused.contains(r#"role="alert""#) && refused.contains(field), "{field}: {refused}");
        assert!(refused.contains(r#"<form method="post""#), "the form again, with what was sent: {refused}");
    }
    let acme = organization(&app, &alice.access_token, &org).await;
    assert_eq!((acme["license_key"].as_str(), acme["max_assets"].as_i64()), (Some("LIC-1"), Some(5)), "unchanged");

    // Empty fields clear the licence.
    root.submit(
        &app,
        &licence,
        &[("csrf", &token), ("license_key", ""), ("license_expires_at", ""), ("max_assets", "")],
        303,
    )
    .await;
    let acme = organization(&app, &alice.access_token, &org).await;
    assert!(
        acme["license_key"].is_null() && acme["license_expires_at"].is_null() && acme["max_assets"].is_null(),
        "{acme}"
    );
    assert_eq!(root.get(&app, &format!("/console/platform/organizations/{}/licence", uuid_like())).await.status(), 404);
}

async fn the_outbox_page_shows_a_sent_invitation_without_its_body(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let invited = app
        .post(
            &format!("/api/v1/organizations/{org}/invitations"),
            &alice.access_token,
            &json!({ "email": "bob@example.com", "role": "viewer" }),
        )
        .await;
    assert_eq!(invited.status(), 201);
    let (mut root, _) = root_browser(&app).await;

    let invitation_row = r#"<th scope="row"><code>invitation</code></th><td>bob@example.com</td><td>sent</td>"#;
    let deadline = Instant::now() + Duration::from_secs(10);
    let html = loop {
        let page = root.get(&app, "/console/platform/outbox").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        if html.contains(invitation_row) || Instant::now() > deadline {
            break html;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    assert!(html.contains(invitation_row), "the invitation mail is listed as sent: {html}");
    assert!(html.contains("<dt>Transport</dt><dd><code>file</code></dd>"), "{html}");
    assert!(html.contains(r#"<th scope="row">Failed</th><td>0</td>"#) && html.contains("No message failed."), "{html}");
    assert!(!html.contains("token=") && !html.contains("accept-invitation"), "no body, no link: {html}");
}

async fn a_platform_form_without_the_csrf_token_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let (mut root, _) = root_browser(&app).await;
    let mut other = Browser::default();
    other.sign_in_ok(&app, "root").await;
    let others_token = other.form_token(&app, "/console/platform/users").await;
    let user = format!("/console/platform/users/{}", alice.user_id());

    for csrf in [None, Some("forged"), Some(others_token.as_str())] {
        let with = |fields: &[(&'static str, &'static str)]| -> Vec<(&'static str, String)> {
            let mut form: Vec<(&'static str, String)> =
                fields.iter().map(|(name, value)| (*name, (*value).to_owned())).collect();
            form.extend(csrf.map(|csrf| ("csrf", csrf.to_owned())));
            form
        };
        let posts = [
            (format!("{user}/deactivate"), with(&[])),
            (format!("{user}/reset-factors"), with(&[])),
            (format!("/console/platform/organizations/{org}/suspend"), with(&[])),
            (format!("/console/platform/organizations/{org}/licence"), with(&[("max_assets", "1")])),
        ];
        for (path, form) in &posts {
            let form: Vec<(&str, &str)> = form.iter().map(|(name, value)| (*name, value.as_str())).collect();
            let refused = root.submit(&app, path, &form, 403).await;
            assert!(refused.contains("CSRF"), "{path} {csrf:?}");
        }
    }

    assert_eq!(app.me(&alice.access_token).await.status(), 200, "alice is still active");
    let acme = organization(&app, &alice.access_token, &org).await;
    assert_eq!((acme["is_active"].as_bool(), acme["max_assets"].as_i64()), (Some(true), None), "{acme}");
}
