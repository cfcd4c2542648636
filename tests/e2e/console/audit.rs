//! The organization's audit log page (filters, a pager that keeps them, 422 naming a bad
//! filter, 404 and 403 as in the API) and the members page's search and sort.

use authdb_tests::{Backend, TestApp, Tokens, spawn_app};
use serde_json::json;

use super::browser::{Browser, assert_secure_headers, uuid_like};

on_both_backends!(
    the_audit_page_lists_filters_and_pages_the_organizations_events,
    a_bad_audit_filter_is_a_page_naming_the_field,
    the_audit_page_is_not_found_for_a_non_member_and_forbidden_without_audit_read,
    the_members_page_searches_and_sorts_like_the_api,
);

/// Alice's `acme` with bob (admin) and vera (viewer); bob then alice change vera's role.
async fn acme(app: &TestApp) -> (Tokens, Tokens, Tokens, String) {
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let vera = app.register_ok("vera").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &org, &bob, "admin").await;
    app.add_member_ok(&alice.access_token, &org, &vera, "viewer").await;
    let vera_member = format!("/api/v1/organizations/{org}/members/{}", vera.user_id());
    assert_eq!(app.patch(&vera_member, &bob.access_token, &json!({"role": "member"})).await.status(), 200);
    assert_eq!(app.patch(&vera_member, &alice.access_token, &json!({"role": "viewer"})).await.status(), 200);
    (alice, bob, vera, org)
}

fn rows(html: &str) -> usize {
    html.split("<tbody>").nth(1).map_or(0, |body| body.split("</tbody>").next().unwrap().matches("<tr>").count())
}

async fn the_audit_page_lists_filters_and_pages_the_organizations_events(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_alice, _bob, vera, org) = acme(&app).await;
    let mallory = app.register_ok("mallory").await;
    app.create_organization_ok(&mallory.access_token, "other").await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let audit = format!("/console/organizations/{org}/audit");

    // Every event of the organization, newest first, in the table's columns.
    let page = browser.get(&app, &audit).await;
    assert_eq!(page.status(), 200);
    assert_secure_headers(&page, true);
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Audit log of Org acme</h1>"), "{html}");
    assert!(html.contains(&format!(r#"<a href="{audit}" aria-current="page">Audit log</a>"#)), "{html}");
    for column in ["When", "Actor", "Action", "Target", "Outcome", "Address", "Details"] {
        assert!(html.contains(&format!(r#"<th scope="col">{column}</th>"#)), "{column}: {html}");
    }
    assert!(!html.contains("<script") && !html.contains("style="), "{html}");
    let newest = html.split("<tbody><tr>").nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(newest.contains("<td>alice</td>") && newest.contains("<code>member.role_changed</code>"), "{newest}");
    assert!(newest.contains(&format!("<code>user:{}</code>", vera.user_id())), "{newest}");
    assert!(newest.contains("<td>success</td>") && newest.contains("<td>127.0.0.1</td>"), "{newest}");
    assert!(newest.contains("after_role: &quot;viewer&quot;"), "{newest}");
    assert!(html.contains("<code>organization.created</code>") && html.contains("<code>invitation.accepted</code>"));
    assert!(!html.contains("Org other"), "another organization's events are not here");
    let all = rows(&html);

    // One action: two rows; the form shows the filter in force.
    let changed = browser.get(&app, &format!("{audit}?action=member.role_changed")).await.text().await.unwrap();
    assert_eq!(rows(&changed), 2, "{changed}");
    assert!(changed.contains(r#"value="member.role_changed""#), "{changed}");
    assert!(!changed.contains("<code>organization.created</code>"), "{changed}");

    // The actor (any case) and the outcome together, as a form sends them (blank fields).
    let by_bob = browser
        .get(&app, &format!("{audit}?action=&actor=BOB&outcome=success&target=&from=&to="))
        .await
        .text()
        .await
        .unwrap();
    assert!(rows(&by_bob) >= 1 && !by_bob.contains("<td>alice</td>"), "{by_bob}");
    assert!(by_bob.contains(r#"<option value="success" selected>success</option>"#), "{by_bob}");
    let failures = browser.get(&app, &format!("{audit}?outcome=failure")).await.text().await.unwrap();
    assert!(failures.contains("No events match these filters.") && rows(&failures) == 0, "{failures}");

    // A prefix, a page at a time: the pager's links keep the filter.
    let first = browser.get(&app, &format!("{audit}?action=member.&limit=1")).await.text().await.unwrap();
    assert_eq!(rows(&first), 1);
    assert!(first.contains("1–1 of 2 events."), "{first}");
    assert!(first.contains(&format!(r#"href="{audit}?action=member.&amp;limit=1&amp;offset=1""#)), "{first}");
    let second = browser.get(&app, &format!("{audit}?action=member.&limit=1&offset=1")).await.text().await.unwrap();
    assert!(second.contains("2–2 of 2 events.") && second.contains("Previous page"), "{second}");
    assert!(second.contains("<td>bob</td>"), "bob's change is the older one: {second}");

    // A time range from a datetime-local input (read as UTC), or RFC 3339.
    let since = browser.get(&app, &format!("{audit}?from=2020-01-01T00:00")).await.text().await.unwrap();
    assert_eq!(rows(&since), all);
    assert!(since.contains(r#"value="2020-01-01T00:00:00""#), "{since}");
    let until = browser.get(&app, &format!("{audit}?to=2020-01-01T00:00:00Z")).await.text().await.unwrap();
    assert!(until.contains("No events match these filters."), "{until}");
    let target = format!("{audit}?target=user:{}", vera.user_id());
    let about_vera = browser.get(&app, &target).await.text().await.unwrap();
    assert!(rows(&about_vera) >= 2 && !about_vera.contains("<code>organization.created</code>"), "{about_vera}");
}

async fn a_bad_audit_filter_is_a_page_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let audit = format!("/console/organizations/{org}/audit");

    for (query, said) in [
        ("outcome=maybe", "outcome: must be `success` or `failure`"),
        ("action=Member.", "action: must be an action such as"),
        ("actor=a%20b", "actor: must be a user id or a username"),
        ("target=user", "target: must be `kind:id`"),
        ("from=yesterday", "from: must be an RFC 3339 time"),
        ("from=2026-12-01T10:00&to=2026-12-01T09:00", "to: must be later than `from`"),
        ("limit=0", "limit: must be an integer from 1 to 200"),
    ] {
        let refused = browser.get(&app, &format!("{audit}?{query}")).await;
        assert_eq!(refused.status(), 422, "{query}");
        assert_secure_headers(&refused, true);
        let html = refused.text().await.unwrap();
        assert!(html.contains(r#"role="alert""#) && html.contains("Your request is not valid"), "{query}: {html}");
        assert!(html.contains(said), "{query}: {html}");
    }
    let both = browser.get(&app, &format!("{audit}?outcome=x&limit=0")).await.text().await.unwrap();
    assert!(both.contains("limit: ") && both.contains("outcome: "), "every bad field is named: {both}");
}

async fn the_audit_page_is_not_found_for_a_non_member_and_forbidden_without_audit_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_alice, _bob, _vera, org) = acme(&app).await;
    let mallory = app.register_ok("mallory").await;
    let theirs = app.create_organization_ok(&mallory.access_token, "other").await["id"].as_str().unwrap().to_owned();

    // A viewer: 403 with the problem; and a non-member: 404 whatever the filter.
    let mut viewer = Browser::default();
    viewer.sign_in_ok(&app, "vera").await;
    let refused = viewer.get(&app, &format!("/console/organizations/{org}/audit")).await;
    assert_eq!(refused.status(), 403);
    let html = refused.text().await.unwrap();
    assert!(html.contains(r#"role="alert""#) && html.contains("lacks the permission audit:read"), "{html}");
    for id in [theirs.as_str(), uuid_like(), "acme"] {
        for query in ["", "?outcome=maybe"] {
            let answer = viewer.get(&app, &format!("/console/organizations/{id}/audit{query}")).await;
            assert_eq!(answer.status(), 404, "{id}{query}");
            assert!(!answer.text().await.unwrap().contains("Org other"));
        }
    }

    // An admin reads it; so does a superuser who is not a member.
    let mut admin = Browser::default();
    admin.sign_in_ok(&app, "bob").await;
    assert_eq!(admin.get(&app, &format!("/console/organizations/{org}/audit")).await.status(), 200);
    app.register_ok("root").await;
    app.promote_to_superuser("root").await;
    let mut root = Browser::default();
    root.sign_in_ok(&app, "root").await;
    let html = root.get(&app, &format!("/console/organizations/{org}/audit")).await.text().await.unwrap();
    assert!(html.contains("<code>member.role_changed</code>"), "{html}");
}

async fn the_members_page_searches_and_sorts_like_the_api(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_alice, _bob, _vera, org) = acme(&app).await;
    let mut browser = Browser::default();
    browser.sign_in_ok(&app, "alice").await;
    let members = format!("/console/organizations/{org}/members");
    let position = |html: &str, name: &str| html.find(&format!(r#"<th scope="row">{name}"#)).unwrap();

    // The search form, the sortable headers (joined first, by default).
    let html = browser.get(&app, &members).await.text().await.unwrap();
    assert!(html.contains(r#"<label for="q">Search by email or username</label>"#), "{html}");
    assert!(html.contains(r#"<th scope="col" aria-sort="ascending"><a href="/console/organizations/"#), "{html}");
    assert!(html.contains(&format!(r#"<a href="{members}?sort=email">Email"#)), "{html}");
    assert!(position(&html, "alice") < position(&html, "bob") && position(&html, "bob") < position(&html, "vera"));

    // Search by part of a username or email, in any case.
    let found = browser.get(&app, &format!("{members}?q=VER")).await.text().await.unwrap();
    assert!(found.contains(r#"<th scope="row">vera"#) && !found.contains(r#"<th scope="row">bob"#), "{found}");
    assert!(found.contains(r#"value="ver""#) && found.contains("Show every member"), "{found}");
    let nobody = browser.get(&app, &format!("{members}?q=zzz")).await.text().await.unwrap();
    assert!(nobody.contains("No member matches this search."), "{nobody}");

    // Sort by email, descending; the headers and the pager keep the search and the order.
    let sorted = browser.get(&app, &format!("{members}?sort=-email")).await.text().await.unwrap();
    assert!(
        position(&sorted, "vera") < position(&sorted, "bob") && position(&sorted, "bob") < position(&sorted, "alice")
    );
    assert!(sorted.contains(r#"<th scope="col" aria-sort="descending"><a href="#), "{sorted}");
    assert!(sorted.contains(r#"<input type="hidden" name="sort" value="-email">"#), "{sorted}");
    let paged = browser.get(&app, &format!("{members}?q=example&sort=username&limit=1")).await.text().await.unwrap();
    assert!(paged.contains(r#"<th scope="row">alice"#) && paged.contains("1–1 of 3 members."), "{paged}");
    assert!(
        paged.contains(&format!(r#"href="{members}?q=example&amp;sort=username&amp;limit=1&amp;offset=1""#)),
        "{paged}"
    );
    assert!(paged.contains(&format!(r#"href="{members}?q=example&amp;sort=-username">Member"#)), "{paged}");

    // The API's bad values, named.
    for (query, said) in [("sort=age", "sort: must be one of joined_at, email, username"), ("q=%07", "q: ")] {
        let refused = browser.get(&app, &format!("{members}?{query}")).await;
        assert_eq!(refused.status(), 422, "{query}");
        assert!(refused.text().await.unwrap().contains(said), "{query}");
    }
}
