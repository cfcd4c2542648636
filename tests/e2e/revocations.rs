//! `GET /api/v1/revocations`: service clients page through revoked sessions in commit
//! order; users and deleted clients are refused; each client has its own rate budget.

use authdb_tests::{Backend, TestApp, Tokens, claims_of, spawn_app, spawn_app_with};
use serde_json::{Value, json};

const REVOCATIONS: &str = "/api/v1/revocations";

/// A registered client's id, secret and access token.
async fn client(app: &TestApp, admin: &Tokens) -> (String, String) {
    let response = app
        .post("/api/v1/admin/clients", &admin.access_token, &json!({ "name": "edge", "scopes": ["revocations:read"] }))
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let id = body["client_id"].as_str().unwrap().to_owned();
    let secret = body["client_secret"].as_str().unwrap();
    let token = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .basic_auth(&id, Some(secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
    let token: Value = token.json().await.unwrap();
    (id, token["access_token"].as_str().unwrap().to_owned())
}

async fn admin(app: &TestApp) -> Tokens {
    app.register_ok("root").await;
    app.promote_to_superuser("root").await
}

async fn page(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("{REVOCATIONS}{query}"), token).await;
    assert_eq!(response.status(), 200, "{query}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

fn sessions(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|item| item["session_id"].as_str().unwrap().to_owned()).collect()
}

fn event_ids(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap().iter().map(|item| item["event_id"].as_i64().unwrap()).collect()
}

async fn a_client_pages_through_revocations_in_commit_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    let (_, token) = client(&app, &admin).await;
    let empty = page(&app, &token, "").await;
    assert_eq!(empty["items"], json!([]));
    assert_eq!(empty["next"], 0, "nothing yet");
    let alice = app.register_ok("alice").await;
    let alice_again = app.login_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let before = time::OffsetDateTime::now_utc() - time::Duration::hours(1);

    assert_eq!(app.logout(&alice.access_token).await.status(), 204);
    assert_eq!(app.post("/api/v1/auth/logout-all", &bob.access_token, &json!({})).await.status(), 204);

    let sid = |tokens: &Tokens| claims_of(&tokens.access_token)["sid"].as_str().unwrap().to_owned();
    let all = page(&app, &token, "").await;
    assert_eq!(sessions(&all), [sid(&alice), sid(&bob)], "recent revocations, oldest first");
    assert_eq!(all["items"][0]["user_id"], alice.user_id());
    assert!(all["items"][0]["revoked_at"].is_string());
    let ids = event_ids(&all);
    assert!(ids[0] < ids[1]);
    assert_eq!(all["next"], ids[1]);

    let after_first = page(&app, &token, &format!("?since={}", ids[0])).await;
    assert_eq!(sessions(&after_first), [sid(&bob)]);
    let caught_up = page(&app, &token, &format!("?since={}", ids[1])).await;
    assert_eq!(caught_up["items"], json!([]));
    assert_eq!(caught_up["next"], ids[1], "resume where you are");
    let first = page(&app, &token, "?limit=1").await;
    assert_eq!(sessions(&first), [sid(&alice)]);
    let second = page(&app, &token, &format!("?since={}&limit=1", first["next"])).await;
    assert_eq!(sessions(&second), [sid(&bob)], "paging by next skips nothing");
    let since = before.format(&time::format_description::well_known::Rfc3339).unwrap();
    let by_time = page(&app, &token, &format!("?since={}", since.replace('+', "%2B"))).await;
    assert_eq!(sessions(&by_time), [sid(&alice), sid(&bob)]);
    let future = page(&app, &token, "?since=2999-01-01T00:00:00Z").await;
    assert_eq!(future["items"], json!([]));
    assert_eq!(future["next"], ids[1], "an empty page by time resumes after the newest event");

    // A later revocation comes after them.
    assert_eq!(app.logout(&alice_again.access_token).await.status(), 204);
    let later = page(&app, &token, &format!("?since={}", ids[1])).await;
    assert_eq!(sessions(&later), [sid(&alice_again)]);
}

async fn revocations_are_for_clients_only_and_check_the_query(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    let (id, token) = client(&app, &admin).await;

    let anonymous = app.client.get(app.url(REVOCATIONS)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let user = app.get(REVOCATIONS, &admin.access_token).await;
    assert_eq!(user.status(), 401, "a user's token, even a superuser's, is not a client's");
    assert_eq!(user.headers()["www-authenticate"], r#"Bearer error="invalid_token""#);

    for (query, fields) in [
        ("?since=yesterday", vec!["since"]),
        ("?since=99999999999999999999", vec!["since"]),
        ("?limit=0", vec!["limit"]),
        ("?limit=1001", vec!["limit"]),
        ("?since=x&limit=x", vec!["since", "limit"]),
    ] {
        let response = app.get(&format!("{REVOCATIONS}{query}"), &token).await;
        assert_eq!(response.status(), 422, "{query}");
        let problem: Value = response.json().await.unwrap();
        let named: Vec<&str> =
            problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(named, fields, "{query}");
    }

    // A client token without the scope (signed with the server's own key, as a token from
    // a build with more scopes would be) is known but not allowed.
    let mut claims = claims_of(&token);
    claims["scope"] = json!("revocations:write");
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    let key = jsonwebtoken::EncodingKey::from_secret(app.jwt_secret().as_bytes());
    let unscoped = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    assert_eq!(app.get(REVOCATIONS, &unscoped).await.status(), 403, "no revocations:read");
    let mut forged = claims_of(&token);
    forged["sid"] = json!(uuid::Uuid::now_v7());
    let with_session = jsonwebtoken::encode(&header, &forged, &key).unwrap();
    assert_eq!(app.get(REVOCATIONS, &with_session).await.status(), 401, "a client token with a session is no client's");

    assert_eq!(app.delete(&format!("/api/v1/admin/clients/{id}"), &admin.access_token).await.status(), 204);
    let deleted = app.get(REVOCATIONS, &token).await;
    assert_eq!(deleted.status(), 401, "a deleted client's token is refused at once");
}

async fn each_client_has_its_own_rate_budget(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.rate_limit.api_per_minute = 3).await;
    let admin = admin(&app).await;
    let (_, first) = client(&app, &admin).await;
    let (_, second) = client(&app, &admin).await;

    for _ in 0..3 {
        assert_eq!(app.get(REVOCATIONS, &first).await.status(), 200);
    }
    assert_eq!(app.get(REVOCATIONS, &first).await.status(), 429, "the first client's budget is spent");

    assert_eq!(app.get(REVOCATIONS, &second).await.status(), 200, "another client from the same address is not");
}

/// Reads a stream until `text` has arrived (or panics after `within`); answers all read.
async fn read_until(response: &mut reqwest::Response, text: &str, within: std::time::Duration) -> String {
    let mut read = String::new();
    let deadline = tokio::time::Instant::now() + within;
    while !read.contains(text) {
        let chunk = tokio::time::timeout_at(deadline, response.chunk()).await;
        match chunk {
            Ok(Ok(Some(bytes))) => read.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(Ok(None)) => panic!("the stream ended before {text:?}: {read}"),
            Ok(Err(error)) => panic!("reading the stream failed: {error}"),
            Err(_) => panic!("{text:?} did not arrive within {within:?}: {read}"),
        }
    }
    read
}

async fn open_stream(app: &TestApp, token: &str, last_event_id: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(&format!("{REVOCATIONS}/stream"))).bearer_auth(token);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    request.send().await.unwrap()
}

async fn the_stream_sends_recent_revocations_then_new_ones_and_resumes(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    let (_, token) = client(&app, &admin).await;
    let alice = app.register_ok("alice").await;
    let alice_again = app.login_ok("alice").await;
    let alice_third = app.login_ok("alice").await;
    let sid = |tokens: &Tokens| claims_of(&tokens.access_token)["sid"].as_str().unwrap().to_owned();
    assert_eq!(app.logout(&alice.access_token).await.status(), 204);

    let mut stream = open_stream(&app, &token, None).await;

    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert_eq!(stream.headers()["cache-control"], "no-store");
    let backlog = read_until(&mut stream, &sid(&alice), std::time::Duration::from_secs(5)).await;
    assert!(backlog.contains("event: revocation\n"), "{backlog}");
    let first_id = backlog.lines().find_map(|line| line.strip_prefix("id: ")).unwrap().to_owned();
    let started = std::time::Instant::now();
    assert_eq!(app.logout(&alice_again.access_token).await.status(), 204);
    let live = read_until(&mut stream, &sid(&alice_again), std::time::Duration::from_secs(1)).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "a new revocation arrives at once");
    let data: Value = serde_json::from_str(live.lines().find_map(|line| line.strip_prefix("data: ")).unwrap()).unwrap();
    assert_eq!(data["session_id"], sid(&alice_again));
    assert_eq!(data["user_id"], alice.user_id());
    drop(stream);

    assert_eq!(app.logout(&alice_third.access_token).await.status(), 204);
    let mut resumed = open_stream(&app, &token, Some(&first_id)).await;
    let read = read_until(&mut resumed, &sid(&alice_third), std::time::Duration::from_secs(5)).await;
    assert!(read.contains(&sid(&alice_again)), "the event missed while away comes first: {read}");
    assert!(!read.contains(&sid(&alice)), "nothing before Last-Event-ID is repeated: {read}");
}

async fn the_stream_ends_when_the_client_token_expires_and_checks_its_caller(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.access_ttl_secs = 3).await;
    let admin = admin(&app).await;
    let (_, token) = client(&app, &admin).await;

    let anonymous = app.client.get(app.url(&format!("{REVOCATIONS}/stream"))).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(open_stream(&app, &admin.access_token, None).await.status(), 401, "a user's token");
    let bad = open_stream(&app, &token, Some("yesterday")).await;
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "Last-Event-ID");

    let mut stream = open_stream(&app, &token, None).await;
    assert_eq!(stream.status(), 200);
    let read = read_until(&mut stream, ": end: the client token expired", std::time::Duration::from_secs(6)).await;
    assert!(!read.contains("event:"), "nothing was revoked: {read}");
    let rest = tokio::time::timeout(std::time::Duration::from_secs(2), stream.chunk()).await.unwrap().unwrap();
    assert!(rest.is_none(), "the stream is over");
}

async fn a_logout_on_another_instance_reaches_the_stream(backend: Backend) {
    let app = spawn_app(backend).await;
    // A second instance on the same database and keys, as behind a load balancer.
    let other = authdb_server::Application::build(app.settings.clone()).await.unwrap();
    let other_url = format!("http://127.0.0.1:{}", other.port());
    let other_handle = other.handle();
    tokio::spawn(other.run_until_stopped());
    let admin = admin(&app).await;
    let (_, token) = client(&app, &admin).await;
    let alice = app.register_ok("alice").await;
    let sid = claims_of(&alice.access_token)["sid"].as_str().unwrap().to_owned();
    let mut stream = open_stream(&app, &token, None).await;
    assert_eq!(stream.status(), 200);

    let started = std::time::Instant::now();
    let logout = app
        .client
        .post(format!("{other_url}/api/v1/auth/logout"))
        .bearer_auth(&alice.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);

    let bound = std::time::Duration::from_secs(1);
    read_until(&mut stream, &sid, bound).await;
    assert!(started.elapsed() < bound, "took {:?}", started.elapsed());
    other_handle.stop(false).await;
}

/// Several instances share a database only on PostgreSQL (SQLite has one process per
/// database), where the other instance's commit arrives through `NOTIFY`.
mod a_logout_on_another_instance_reaches_the_stream {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_logout_on_another_instance_reaches_the_stream(authdb_tests::Backend::Postgres).await;
    }
}

/// Old events are deleted (the replica feed's sweep runs when an instance starts, then
/// once a minute); a `Last-Event-ID` older than what is kept, or newer than anything this
/// database issued, gets the full recent set again.
async fn old_revocation_events_are_deleted_and_a_stale_last_event_id_gets_the_recent_set(backend: Backend) {
    use authdb_persistence::entities::revocation_events;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr};

    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    let (_, token) = client(&app, &admin).await;
    let old = [app.register_ok("alice").await, app.login_ok("alice").await];
    let recent = app.login_ok("alice").await;
    for tokens in old.iter().chain([&recent]) {
        assert_eq!(app.logout(&tokens.access_token).await.status(), 204);
    }
    let sid = |tokens: &Tokens| claims_of(&tokens.access_token)["sid"].as_str().unwrap().to_owned();
    let db = app.database().await;
    let events = revocation_events::Entity::find().order_by_asc(revocation_events::Column::Id).all(&db).await.unwrap();
    assert_eq!(events.len(), 3);
    let (oldest_id, newest_id) = (events[0].id, events[2].id);
    // The first two were revoked longer ago than the access-token lifetime plus leeway.
    let long_ago = time::OffsetDateTime::now_utc() - time::Duration::hours(2);
    revocation_events::Entity::update_many()
        .col_expr(revocation_events::Column::RevokedAt, Expr::value(long_ago))
        .filter(revocation_events::Column::Id.lt(newest_id))
        .exec(&db)
        .await
        .unwrap();
    drop(db);

    let app = app.restart().await;
    let db = app.database().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let kept = revocation_events::Entity::find().all(&db).await.unwrap();
        if kept.len() == 1 {
            assert_eq!(kept[0].id, newest_id, "only the recent one is kept");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "old events still there: {kept:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    for stale in [oldest_id, newest_id + 100] {
        let mut stream = open_stream(&app, &token, Some(&stale.to_string())).await;
        assert_eq!(stream.status(), 200);
        let read = read_until(&mut stream, &sid(&recent), std::time::Duration::from_secs(5)).await;
        assert!(read.contains(&format!("id: {newest_id}\n")), "{stale}: {read}");
        let listed = page(&app, &token, &format!("?since={stale}")).await;
        assert_eq!(sessions(&listed), [sid(&recent)], "{stale}");
        assert_eq!(listed["next"], newest_id);
    }
    // Resuming from a kept event is gap-free as before: nothing after the newest.
    let caught_up = page(&app, &token, &format!("?since={newest_id}")).await;
    assert_eq!(caught_up["items"], json!([]));

    // Ids are never reused after a sweep.
    let later = app.login_ok("alice").await;
    assert_eq!(app.logout(&later.access_token).await.status(), 204);
    let after = page(&app, &token, &format!("?since={newest_id}")).await;
    assert_eq!(sessions(&after), [sid(&later)]);
    assert!(after["next"].as_i64().unwrap() > newest_id);
}

on_both_backends!(
    old_revocation_events_are_deleted_and_a_stale_last_event_id_gets_the_recent_set,
    the_stream_sends_recent_revocations_then_new_ones_and_resumes,
    the_stream_ends_when_the_client_token_expires_and_checks_its_caller,
    a_client_pages_through_revocations_in_commit_order,
    revocations_are_for_clients_only_and_check_the_query,
    each_client_has_its_own_rate_budget,
);
