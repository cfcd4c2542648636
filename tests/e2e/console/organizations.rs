//! The Organizations pages: the caller's organizations, members (change a role, remove),
//! the roles matrix and invitations (send, withdraw), with CSRF, 404 and 403.

use std::time::Duration;

use authdb_tests::{Backend, PASSWORD, TestApp, Tokens, spawn_app, spawn_app_with};
use serde_json::Value;

use super::browser::{Browser, assert_secure_headers, csrf_of, location, uuid_like};

on_both_backends!(
    the_organizations_pages_render_for_an_owner_and_their_actions_work,
    a_stale_sign_in_confirms_it_is_you_and_comes_back_to_the_organization,
    an_organization_form_without_the_csrf_token_is_refused,
    organization_pages_are_not_found_for_a_non_member_and_forbidden_without_the_permission,
);

/// The role `username` holds in `org`, through the API.
async fn role_of(app: &TestApp, token: &str, org: &str, username: &str) -> Option<String> {
    let listed = app.get(&format!("/api/v1/organizations/{org}/members?limit=200"), token).await;
    assert_eq!(listed.status(), 200);
    let body: Value = listed.json().await.unwrap();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|member| member["username"] == username)
        .map(|member| member["role"].as_str().unwrap().to_owned())
}

/// Organization "Org acme" of owner alice, signed in to the console, with vera a viewer.
struct Acme {
    app: TestApp,
    alice: Tokens,
    vera_id: String,
    org: String,
    browser: Browser,
}

async fn acme(backend: Backend) -> Acme {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let vera = app.register_ok("vera").await;
    let vera_id = vera.user["id"].as_str().unwrap().to_owned();
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &org, &vera, "viewer").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    Acme { app, alice, vera_id, org, browser }
}

async fn the_organizations_pages_render_for_an_owner_and_their_actions_work(backend: Backend) {
    let Acme { app, alice, vera_id, org, mut browser } = acme(backend).await;

    // The caller's organizations, with links to each one's pages.
    let listed = browser.get(&app, "/console/organizations").await;
    assert_eq!(listed.status(), 200);
    assert_secure_headers(&listed, true);
    let html = listed.text().await.unwrap();
    assert!(html.contains(r#"<th scope="row">Org acme</th><td>owner</td>"#), "{html}");
    for page in ["members", "roles", "invitations"] {
        assert!(html.contains(&format!(r#"href="/console/organizations/{org}/{page}""#)), "{page}: {html}");
    }
    assert!(html.contains(r#"<a href="/console/organizations" aria-current="page">Organizations</a>"#), "{html}");
    let twice = browser.get(&app, "/console/organizations?limit=1&limit=2").await;
    assert_eq!(twice.status(), 400, "a parameter given twice");
    assert_secure_headers(&twice, true);
    let html = twice.text().await.unwrap();
    assert!(html.contains(r#"role="alert""#) && html.contains("the query string cannot be read"), "{html}");

    // Members: each with their role, a role picker and a removal link; paginated.
    let members = format!("/console/organizations/{org}/members");
    let page = browser.get(&app, &members).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Members of Org acme</h1>"), "{html}");
    assert!(html.contains(r#"<th scope="row">vera</th>"#) && html.contains("<td>viewer</td>"), "{html}");
    assert!(html.contains(&format!(r#"action="{members}/{vera_id}/role""#)), "{html}");
    assert!(html.contains(&format!(r#"href="{members}/{vera_id}/remove""#)), "{html}");
    assert!(!html.contains("<script") && !html.contains("style="), "{html}");
    let first = browser.get(&app, &format!("{members}?limit=1")).await.text().await.unwrap();
    assert!(
        first.contains("1–1 of 2 members.") && first.contains(&format!("{members}?limit=1&amp;offset=1")),
        "{first}"
    );
    let second = browser.get(&app, &format!("{members}?limit=1&offset=1")).await.text().await.unwrap();
    assert!(second.contains("2–2 of 2 members.") && second.contains("Previous page"), "{second}");
    assert!(!second.contains("Next page"), "{second}");
    let bad_limit = browser.get(&app, &format!("{members}?limit=0")).await;
    assert_eq!(bad_limit.status(), 422);
    assert!(bad_limit.text().await.unwrap().contains("limit: must be an integer from 1 to 200"));

    // Change a role: visible on the page and through the API.
    let token = csrf_of(&html);
    let changed =
        browser.post(&app, &format!("{members}/{vera_id}/role"), &[("csrf", &token), ("role", "member")]).await;
    assert_eq!(changed.status(), 303);
    assert_eq!(location(&changed), members);
    let html = browser.get(&app, &members).await.text().await.unwrap();
    assert!(html.contains(r#"<option value="member" selected>member</option>"#), "{html}");
    assert_eq!(role_of(&app, &alice.access_token, &org, "vera").await.as_deref(), Some("member"));
    // an unknown role
    browser.submit(&app, &format!("{members}/{vera_id}/role"), &[("csrf", &token), ("role", "nobody")], 422).await;
    let bad = browser
        .submit(&app, &format!("{members}/{vera_id}/role"), &[("csrf", &token), ("role", "Bad Name")], 422)
        .await;
    assert!(bad.contains("role: "), "the field is named");
    // a form without `role`
    browser.submit(&app, &format!("{members}/{vera_id}/role"), &[("csrf", &token)], 400).await;
    // the last owner cannot be demoted
    let last_owner = browser
        .submit(
            &app,
            &format!("{members}/{}/role", alice.user["id"].as_str().unwrap()),
            &[("csrf", &token), ("role", "viewer")],
            409,
        )
        .await;
    assert!(last_owner.contains("the last owner cannot be demoted"));

    // Roles: a matrix of roles (rows) and permissions (columns).
    let roles = browser.get(&app, &format!("/console/organizations/{org}/roles")).await;
    assert_eq!(roles.status(), 200);
    let html = roles.text().await.unwrap();
    assert!(html.contains(r#"<table class="matrix">"#), "{html}");
    assert!(html.contains(r#"<th scope="col"><code>members:manage</code></th>"#), "{html}");
    let viewer_row = html.split(r#"<th scope="row">viewer"#).nth(1).unwrap().split("</tr>").next().unwrap();
    assert_eq!(
        viewer_row.matches(r#"<td class="yes">"#).count(),
        3,
        "org:read, members:read, assets:read: {viewer_row}"
    );
    let owner_row = html.split(r#"<th scope="row">owner"#).nth(1).unwrap().split("</tr>").next().unwrap();
    assert_eq!(owner_row.matches(r#"<td class="yes">"#).count(), 12, "{owner_row}");

    // Invitations: send one, see it, withdraw it after a confirmation page.
    let invitations = format!("/console/organizations/{org}/invitations");
    let token = browser.form_token(&app, &invitations).await;
    browser
        .submit(&app, &invitations, &[("csrf", &token), ("email", "carol@example.com"), ("role", "viewer")], 303)
        .await;
    let html = browser.get(&app, &invitations).await.text().await.unwrap();
    assert!(html.contains(r#"<th scope="row">carol@example.com</th><td>viewer</td>"#), "{html}");
    let withdraw_link = html.split(&format!(r#"href="{invitations}/"#)).nth(1).unwrap().split('"').next().unwrap();
    let withdraw = format!("{invitations}/{withdraw_link}");
    let bad_email = browser
        .submit(&app, &invitations, &[("csrf", &token), ("email", "not-an-email"), ("role", "viewer")], 422)
        .await;
    assert!(bad_email.contains("email: "), "the field is named");
    let asked = browser.get(&app, &withdraw).await;
    assert_eq!(asked.status(), 200);
    assert!(asked.text().await.unwrap().contains("Withdraw the invitation"));
    let listed = app.get(&format!("/api/v1/organizations/{org}/invitations"), &alice.access_token).await;
    assert_eq!(listed.json::<Value>().await.unwrap()["total"], 1);
    browser.submit(&app, &withdraw, &[("csrf", &token)], 303).await;
    let html = browser.get(&app, &invitations).await.text().await.unwrap();
    assert!(html.contains("No pending invitations.") && !html.contains("carol@example.com"), "{html}");
    assert_eq!(browser.post(&app, &withdraw, &[("csrf", &token)]).await.status(), 404, "already withdrawn");

    // Remove a member, after a confirmation page.
    let remove = format!("{members}/{vera_id}/remove");
    let asked = browser.get(&app, &remove).await;
    assert_eq!(asked.status(), 200);
    let html = asked.text().await.unwrap();
    assert!(html.contains("Remove the member") && html.contains("Remove vera (vera@"), "{html}");
    browser.submit(&app, &remove, &[("csrf", &token)], 303).await;
    assert_eq!(role_of(&app, &alice.access_token, &org, "vera").await, None);
    let html = browser.get(&app, &members).await.text().await.unwrap();
    assert!(!html.contains(r#"<th scope="row">vera</th>"#), "{html}");
}

/// A sensitive action of an organization's page (making a member an owner), after the
/// sign-in has aged past the step-up window: re-authentication, then back to the same organization's page.
async fn a_stale_sign_in_confirms_it_is_you_and_comes_back_to_the_organization(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.step_up_max_age_secs = 2).await;
    let alice = app.register_ok("alice").await;
    let vera = app.register_ok("vera").await;
    let vera_id = vera.user["id"].as_str().unwrap().to_owned();
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &org, &vera, "viewer").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let members = format!("/console/organizations/{org}/members");
    let token = browser.form_token(&app, &members).await;

    // Past the 2 s window (`auth_time` has whole seconds); granting `owner` is sensitive.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let role = format!("{members}/{vera_id}/role");
    let stale = browser.post(&app, &role, &[("csrf", &token), ("role", "owner")]).await;
    assert_eq!(stale.status(), 303);
    let reauthenticate = format!("/console/me/reauthenticate?next=/organizations/{org}/members");
    assert_eq!(location(&stale), reauthenticate);
    let page = browser.get(&app, &reauthenticate).await.text().await.unwrap();
    assert!(page.contains(r#"<a href="/console/organizations" aria-current="page">"#), "{page}");
    assert!(page.contains(&format!(r#"<a href="{members}">Cancel</a>"#)), "{page}");
    let confirmed = browser.post(&app, &reauthenticate, &[("csrf", &csrf_of(&page)), ("password", PASSWORD)]).await;
    assert_eq!(confirmed.status(), 303);
    assert_eq!(location(&confirmed), members);
    browser.submit(&app, &role, &[("csrf", &token), ("role", "owner")], 303).await;
    assert_eq!(role_of(&app, &alice.access_token, &org, "vera").await.as_deref(), Some("owner"));

    // A `next` that is not a console path goes back to the profile.
    for next in ["//evil.example", "https://evil.example", "/../api/v1/auth/me"] {
        let page = browser.get(&app, &format!("/console/me/reauthenticate?next={next}")).await.text().await.unwrap();
        assert!(page.contains(r#"<a href="/console/me">Cancel</a>"#), "{next}: {page}");
    }
}

async fn an_organization_form_without_the_csrf_token_is_refused(backend: Backend) {
    let Acme { app, alice, vera_id, org, mut browser } = acme(backend).await;
    let members = format!("/console/organizations/{org}/members");

    for form in [vec![("role", "admin")], vec![("csrf", "forged"), ("role", "admin")]] {
        let refused = browser.submit(&app, &format!("{members}/{vera_id}/role"), &form, 403).await;
        assert!(refused.contains("CSRF"));
    }
    browser.submit(&app, &format!("{members}/{vera_id}/remove"), &[], 403).await;
    browser
        .submit(
            &app,
            &format!("/console/organizations/{org}/invitations"),
            &[("email", "x@example.com"), ("role", "viewer")],
            403,
        )
        .await;
    assert_eq!(role_of(&app, &alice.access_token, &org, "vera").await.as_deref(), Some("viewer"), "nothing changed");
    let listed = app.get(&format!("/api/v1/organizations/{org}/invitations"), &alice.access_token).await;
    assert_eq!(listed.json::<Value>().await.unwrap()["total"], 0);
}

async fn organization_pages_are_not_found_for_a_non_member_and_forbidden_without_the_permission(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let vera = app.register_ok("vera").await;
    let mallory = app.register_ok("mallory").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let theirs = app.create_organization_ok(&mallory.access_token, "other").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &org, &vera, "viewer").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "vera").await;

    // Not a member (or no such organization, or not an id): 404, the name not shown.
    for page in ["members", "roles", "invitations"] {
        for id in [theirs.as_str(), uuid_like(), "acme"] {
            let answer = browser.get(&app, &format!("/console/organizations/{id}/{page}")).await;
            assert_eq!(answer.status(), 404, "{page} of {id}");
            assert_secure_headers(&answer, true);
            let html = answer.text().await.unwrap();
            assert!(html.contains(r#"role="alert""#) && !html.contains("Org other"), "{html}");
        }
    }
    let token = browser.form_token(&app, "/console/organizations").await;
    let mallory_id = mallory.user["id"].as_str().unwrap();
    browser
        .submit(
            &app,
            &format!("/console/organizations/{theirs}/members/{mallory_id}/role"),
            &[("csrf", &token), ("role", "viewer")],
            404,
        )
        .await;

    // A viewer reads the members and the roles, but manages neither members nor invitations.
    let members = browser.get(&app, &format!("/console/organizations/{org}/members")).await;
    assert_eq!(members.status(), 200);
    let html = members.text().await.unwrap();
    assert!(!html.contains("/role\"") && !html.contains("/remove\""), "no actions offered to a viewer: {html}");
    assert_eq!(browser.get(&app, &format!("/console/organizations/{org}/roles")).await.status(), 200);
    let invitations = browser.get(&app, &format!("/console/organizations/{org}/invitations")).await;
    assert_eq!(invitations.status(), 403);
    let html = invitations.text().await.unwrap();
    assert!(html.contains(r#"role="alert""#) && html.contains("Forbidden"), "{html}");
    assert!(html.contains("lacks the permission members:manage"), "the problem's detail: {html}");
    let alice_id = alice.user["id"].as_str().unwrap();
    let change = browser
        .submit(
            &app,
            &format!("/console/organizations/{org}/members/{alice_id}/role"),
            &[("csrf", &token), ("role", "viewer")],
            403,
        )
        .await;
    assert!(change.contains("lacks the permission members:manage"));
    browser
        .submit(&app, &format!("/console/organizations/{org}/members/{alice_id}/remove"), &[("csrf", &token)], 403)
        .await;
    assert_eq!(role_of(&app, &alice.access_token, &org, "alice").await.as_deref(), Some("owner"));
}
