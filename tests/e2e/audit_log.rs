//! An organization's audit log, `GET /api/v1/organizations/{id}/audit-events`: newest
//! first, paged, filtered by action (exact or prefix), actor (id or username), outcome,
//! target and time; `audit:read` (owner, admin, a custom role) or a superuser; 404 for
//! non-members, 403 without the permission, 422 naming a bad filter; never another
//! organization's events.

use authdb_tests::{Backend, TestApp, Tokens, spawn_app};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime, format_description::well_known::Rfc3339};

on_both_backends!(
    the_log_lists_the_organizations_events_newest_first_and_pages_them,
    the_filters_narrow_the_log,
    bad_filters_are_refused_naming_the_field,
    only_holders_of_audit_read_and_superusers_read_the_log,
    the_log_never_shows_another_organizations_events,
);

/// Alice's organization `acme`, with bob (admin) and vera (viewer) invited and accepted,
/// a custom role created, updated and deleted, and vera's role changed twice.
async fn busy_organization(app: &TestApp) -> (Tokens, Tokens, Tokens, String) {
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let vera = app.register_ok("vera").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &org, &bob, "admin").await;
    app.add_member_ok(&alice.access_token, &org, &vera, "viewer").await;
    let roles = format!("/api/v1/organizations/{org}/roles");
    let created = app.post(&roles, &alice.access_token, &json!({"name": "temp", "permissions": ["org:read"]})).await;
    assert_eq!(created.status(), 201);
    let role = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let renamed = app.patch(&format!("{roles}/{role}"), &alice.access_token, &json!({"name": "temporary"})).await;
    assert_eq!(renamed.status(), 200);
    assert_eq!(app.delete(&format!("{roles}/{role}"), &alice.access_token).await.status(), 204);
    let vera_member = format!("/api/v1/organizations/{org}/members/{}", vera.user_id());
    assert_eq!(app.patch(&vera_member, &bob.access_token, &json!({"role": "member"})).await.status(), 200);
    assert_eq!(app.patch(&vera_member, &alice.access_token, &json!({"role": "viewer"})).await.status(), 200);
    (alice, bob, vera, org)
}

async fn log(app: &TestApp, token: &str, org: &str, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/organizations/{org}/audit-events?{query}"), token).await;
    assert_eq!(response.status(), 200, "{query}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

fn items(body: &Value) -> &Vec<Value> {
    body["items"].as_array().unwrap()
}

fn actions(body: &Value) -> Vec<&str> {
    items(body).iter().map(|event| event["action"].as_str().unwrap()).collect()
}

fn time_of(event: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(event["occurred_at"].as_str().unwrap(), &Rfc3339).unwrap()
}

async fn the_log_lists_the_organizations_events_newest_first_and_pages_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, _bob, vera, org) = busy_organization(&app).await;

    let all = log(&app, &alice.access_token, &org, "").await;

    let total = all["total"].as_u64().unwrap();
    assert_eq!(items(&all).len() as u64, total);
    assert_eq!((all["limit"].as_u64(), all["offset"].as_u64()), (Some(50), Some(0)));
    let listed = actions(&all);
    assert_eq!(listed.first(), Some(&"member.role_changed"), "newest first: {listed:?}");
    assert_eq!(listed.last(), Some(&"organization.created"), "oldest last: {listed:?}");
    for expected in ["invitation.created", "invitation.accepted", "role.created", "role.updated", "role.deleted"] {
        assert!(listed.contains(&expected), "{expected} in {listed:?}");
    }
    let times: Vec<OffsetDateTime> = items(&all).iter().map(time_of).collect();
    assert!(times.windows(2).all(|pair| pair[0] >= pair[1]), "{times:?}");
    let newest = &items(&all)[0];
    assert_eq!(newest["actor"], json!({"id": alice.user_id(), "username": "alice"}));
    assert_eq!(newest["target"], format!("user:{}", vera.user_id()));
    assert_eq!(newest["outcome"], "success");
    assert_eq!(newest["ip"], "127.0.0.1");
    assert_eq!(newest["details"], json!({"before_role": "member", "after_role": "viewer"}));
    assert_eq!(items(&all)[1]["actor"]["username"], "bob", "bob changed it first");

    // Pages of two, in the same order, never overlapping, covering everything.
    let mut paged = Vec::new();
    for offset in (0..total).step_by(2) {
        let page = log(&app, &alice.access_token, &org, &format!("limit=2&offset={offset}")).await;
        assert_eq!(page["total"], total);
        assert!(items(&page).len() <= 2);
        paged.extend(items(&page).iter().map(|event| event["id"].clone()));
    }
    let ids: Vec<Value> = items(&all).iter().map(|event| event["id"].clone()).collect();
    assert_eq!(paged, ids);
    let past_the_end = log(&app, &alice.access_token, &org, &format!("offset={total}")).await;
    assert!(items(&past_the_end).is_empty() && past_the_end["total"] == total);
}

async fn the_filters_narrow_the_log(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, bob, vera, org) = busy_organization(&app).await;
    let all = log(&app, &alice.access_token, &org, "").await;
    let total = all["total"].as_u64().unwrap();

    // One action, exactly; a prefix ending with a dot; an action nobody took.
    let changed = log(&app, &alice.access_token, &org, "action=member.role_changed").await;
    assert_eq!(actions(&changed), ["member.role_changed", "member.role_changed"]);
    assert_eq!(changed["total"], 2);
    let roles = log(&app, &alice.access_token, &org, "action=role.").await;
    assert_eq!(actions(&roles), ["role.deleted", "role.updated", "role.created"]);
    let invitations = log(&app, &alice.access_token, &org, "action=invitation.").await;
    assert!(actions(&invitations).iter().all(|action| action.starts_with("invitation.")));
    assert!(actions(&invitations).len() >= 4, "two invitations, each created and accepted");
    let none = log(&app, &alice.access_token, &org, "action=member.role_chang").await;
    assert_eq!(none["total"], 0, "an exact name is not a prefix");
    assert_eq!(log(&app, &alice.access_token, &org, "action=role_").await["total"], 0, "`_` is no wildcard");

    // The actor, by username (any case) or id.
    let by_bob = log(&app, &alice.access_token, &org, "actor=BOB").await;
    assert!(!items(&by_bob).is_empty());
    assert!(items(&by_bob).iter().all(|event| event["actor"]["username"] == "bob"), "{by_bob}");
    let by_id = log(&app, &alice.access_token, &org, &format!("actor={}", bob.user_id())).await;
    assert_eq!(by_id["items"], by_bob["items"]);
    assert_eq!(log(&app, &alice.access_token, &org, "actor=nobody").await["total"], 0);

    // Both together, and the outcome.
    let bobs_change = log(&app, &alice.access_token, &org, "actor=bob&action=member.").await;
    assert_eq!(actions(&bobs_change), ["member.role_changed"]);
    assert_eq!(log(&app, &alice.access_token, &org, "outcome=success").await["total"], total);
    assert_eq!(log(&app, &alice.access_token, &org, "outcome=failure").await["total"], 0);

    // The target, as `kind:id` (an upper-case id is the same id).
    let vera_target = format!("user:{}", vera.user_id().to_uppercase());
    let about_vera = log(&app, &alice.access_token, &org, &format!("target={vera_target}")).await;
    assert!(items(&about_vera).len() >= 2, "{about_vera}");
    assert!(items(&about_vera).iter().all(|event| event["target"] == format!("user:{}", vera.user_id())));

    // A time range: `from` inclusive, `to` exclusive, any offset.
    let newest = time_of(&items(&all)[0]);
    let oldest = time_of(items(&all).last().unwrap());
    let at = |time: OffsetDateTime| time.format(&Rfc3339).unwrap().replace('+', "%2B");
    let since_newest = log(&app, &alice.access_token, &org, &format!("from={}", at(newest))).await;
    assert!(!items(&since_newest).is_empty());
    assert!(items(&since_newest).iter().all(|event| time_of(event) >= newest));
    let before_newest = log(&app, &alice.access_token, &org, &format!("to={}", at(newest))).await;
    assert!(items(&before_newest).iter().all(|event| time_of(event) < newest));
    assert_eq!(
        since_newest["total"].as_u64().unwrap() + before_newest["total"].as_u64().unwrap(),
        total,
        "the two halves make the whole"
    );
    let offset = newest.to_offset(time::macros::offset!(+02:00));
    let same = log(&app, &alice.access_token, &org, &format!("from={}", at(offset))).await;
    assert_eq!(same["total"], since_newest["total"], "another offset is the same instant");
    let range = format!("from={}&to={}", at(oldest), at(newest + Duration::seconds(1)));
    assert_eq!(log(&app, &alice.access_token, &org, &range).await["total"], total);
    let future = log(&app, &alice.access_token, &org, &format!("from={}", at(newest + Duration::hours(1)))).await;
    assert_eq!(future["total"], 0);

    // Blank parameters are no filter (a form's empty fields).
    let blank = log(&app, &alice.access_token, &org, "action=&actor=&outcome=&target=&from=&to=").await;
    assert_eq!(blank["total"], total);
}

async fn bad_filters_are_refused_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let mallory = app.register_ok("mallory").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/organizations/{org}/audit-events");

    for (query, fields) in [
        ("action=member%20added", vec!["action"]),
        ("action=Member.", vec!["action"]),
        ("actor=a%20b", vec!["actor"]),
        ("outcome=maybe", vec!["outcome"]),
        ("target=user", vec!["target"]),
        ("target=user:42", vec!["target"]),
        ("from=yesterday", vec!["from"]),
        ("to=2026-12-01", vec!["to"]),
        ("from=2026-12-01T10:00:00Z&to=2026-12-01T09:00:00Z", vec!["to"]),
        ("outcome=x&from=y&action=.", vec!["outcome", "from", "action"]),
        ("limit=0", vec!["limit"]),
    ] {
        let refused = app.get(&format!("{path}?{query}"), &alice.access_token).await;
        assert_eq!(refused.status(), 422, "{query}");
        assert_eq!(refused.headers()["content-type"], "application/problem+json", "{query}");
        let body: Value = refused.json().await.unwrap();
        let named: Vec<&str> =
            body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(named, fields, "{query}: {body}");
    }

    // A non-member learns nothing, not even that the filter is bad.
    let foreign = app.get(&format!("{path}?outcome=maybe"), &mallory.access_token).await;
    assert_eq!(foreign.status(), 404);
}

async fn only_holders_of_audit_read_and_superusers_read_the_log(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, bob, vera, org) = busy_organization(&app).await;
    let carol = app.register_ok("carol").await;
    let mallory = app.register_ok("mallory").await;
    app.register_ok("root").await;
    let path = format!("/api/v1/organizations/{org}/audit-events");

    // Owner and admin hold `audit:read`; a viewer and a member do not.
    assert_eq!(app.get(&path, &alice.access_token).await.status(), 200);
    assert_eq!(app.get(&path, &bob.access_token).await.status(), 200);
    let viewer = app.get(&path, &vera.access_token).await;
    assert_eq!(viewer.status(), 403);
    assert!(viewer.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("audit:read"));
    app.add_member_ok(&alice.access_token, &org, &carol, "member").await;
    assert_eq!(app.get(&path, &carol.access_token).await.status(), 403);

    // A custom role may hold it alone: an auditor who can change nothing.
    let roles = format!("/api/v1/organizations/{org}/roles");
    let auditor =
        app.post(&roles, &alice.access_token, &json!({"name": "auditor", "permissions": ["audit:read"]})).await;
    assert_eq!(auditor.status(), 201);
    assert_eq!(auditor.json::<Value>().await.unwrap()["permissions"], json!(["audit:read"]));
    let carol_member = format!("/api/v1/organizations/{org}/members/{}", carol.user_id());
    assert_eq!(app.patch(&carol_member, &alice.access_token, &json!({"role": "auditor"})).await.status(), 200);
    assert_eq!(app.get(&path, &carol.access_token).await.status(), 200);
    assert_eq!(app.get(&format!("/api/v1/organizations/{org}/members"), &carol.access_token).await.status(), 403);

    // The built-in roles list it: owner and admin, not member nor viewer.
    let listed: Value = app.get(&roles, &alice.access_token).await.json().await.unwrap();
    let holders: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|role| role["permissions"].as_array().unwrap().contains(&json!("audit:read")))
        .map(|role| role["name"].as_str().unwrap())
        .collect();
    assert_eq!(holders, ["owner", "admin", "auditor"]);

    // Not a member, no such organization, not an id: 404.
    assert_eq!(app.get(&path, &mallory.access_token).await.status(), 404);
    let unknown = format!("/api/v1/organizations/{}/audit-events", uuid::Uuid::now_v7());
    assert_eq!(app.get(&unknown, &alice.access_token).await.status(), 404);
    assert_eq!(app.get("/api/v1/organizations/acme/audit-events", &alice.access_token).await.status(), 404);
    assert_eq!(app.get(&path, "not-a-token").await.status(), 401);

    // A superuser who is not a member reads every organization's log.
    let root = app.promote_to_superuser("root").await;
    let read = log(&app, &root.access_token, &org, "action=member.role_changed").await;
    assert!(read["total"].as_u64().unwrap() >= 3);
}

async fn the_log_never_shows_another_organizations_events(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, bob, _vera, acme) = busy_organization(&app).await;
    // Alice also owns another organization, where bob is a member too.
    let other = app.create_organization_ok(&alice.access_token, "other").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &other, &bob, "member").await;
    let roles = format!("/api/v1/organizations/{other}/roles");
    assert_eq!(app.post(&roles, &alice.access_token, &json!({"name": "temp", "permissions": []})).await.status(), 201);

    let in_acme = log(&app, &alice.access_token, &acme, "limit=200").await;
    let in_other = log(&app, &alice.access_token, &other, "limit=200").await;

    let ids = |body: &Value| -> Vec<String> {
        items(body).iter().map(|event| event["id"].as_str().unwrap().to_owned()).collect()
    };
    let (acme_ids, other_ids) = (ids(&in_acme), ids(&in_other));
    assert!(acme_ids.iter().all(|id| !other_ids.contains(id)), "no event in both logs");
    assert_eq!(
        actions(&in_other),
        ["role.created", "invitation.accepted", "invitation.created", "organization.created"]
    );
    // The same actor's events elsewhere stay elsewhere, whatever the filter.
    for query in ["actor=alice&limit=200", "action=role.&limit=200", "outcome=success&limit=200"] {
        let filtered = log(&app, &alice.access_token, &acme, query).await;
        assert!(ids(&filtered).iter().all(|id| acme_ids.contains(id)), "{query}");
        let filtered = log(&app, &alice.access_token, &other, query).await;
        assert!(ids(&filtered).iter().all(|id| other_ids.contains(id)), "{query}");
    }
    // Alice's own sign-ins and registration name no organization: they are in neither.
    assert!(!actions(&in_acme).contains(&"login.succeeded") && !actions(&in_acme).contains(&"user.registered"));
    // The owner of the other organization does not see acme's log, and acme's admin does
    // not see the other's (only a member there).
    assert_eq!(app.get(&format!("/api/v1/organizations/{other}/audit-events"), &bob.access_token).await.status(), 403);
}
