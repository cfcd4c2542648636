//! Access rules of a network and the router agent: rules recorded without an agent and
//! applied through one (the agent is a real HTTP server on loopback, started by the test,
//! that records what it receives), refusals, outages and timeouts that store nothing,
//! retries, concurrent duplicates, scans run through the agent, and the expiry sweep.

use std::{
    net::TcpListener,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::answers::fields;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::ServerHandle, web};
use authdb_persistence::entities::{access_rules, audit_events};
use authdb_tests::{Backend, TestApp, Tokens, claims_of, spawn_app, spawn_app_with};
use futures_util::future::join_all;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

const AGENT_TOKEN: &str = "agent-bearer-s3cret";

/// One request the fake agent received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    body: Value,
    authorization: Option<String>,
}

/// How the fake agent answers.
#[derive(Debug, Clone)]
enum Behaviour {
    Succeed,
    /// `success: false` with this message.
    Refuse(&'static str),
    /// Sleeps, then succeeds.
    Slow(Duration),
    /// Answers this many HTTP 500s (without an answer document), then succeeds.
    FailFirst(usize),
    /// `success: false` with this message on one path, success on every other.
    RefuseOn(&'static str, &'static str),
}

#[derive(Debug)]
struct AgentState {
    seen: Mutex<Vec<Seen>>,
    behaviour: Mutex<Behaviour>,
    scan: Mutex<Value>,
}

/// An agent on a loopback port, stopped when dropped.
struct FakeAgent {
    url: String,
    state: web::Data<AgentState>,
    handle: ServerHandle,
}

impl Drop for FakeAgent {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

impl FakeAgent {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}/", listener.local_addr().unwrap().port());
        let state = web::Data::new(AgentState {
            seen: Mutex::new(Vec::new()),
            behaviour: Mutex::new(Behaviour::Succeed),
            scan: Mutex::new(json!([])),
        });
        let data = state.clone();
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(agent_answer)))
            .workers(1)
            .disable_signals()
            .shutdown_timeout(0)
            .listen(listener)
            .unwrap()
            .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { url, state, handle }
    }

    fn behave(&self, behaviour: Behaviour) {
        *self.state.behaviour.lock().unwrap() = behaviour;
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    fn forget(&self) {
        self.state.seen.lock().unwrap().clear();
    }
}

async fn agent_answer(req: HttpRequest, body: web::Bytes, state: web::Data<AgentState>) -> HttpResponse {
    let seen = Seen {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        authorization: req.headers().get("authorization").map(|value| value.to_str().unwrap().to_owned()),
    };
    let path = seen.path.clone();
    state.seen.lock().unwrap().push(seen);
    let behaviour = state.behaviour.lock().unwrap().clone();
    let data = if path == "/scan" { state.scan.lock().unwrap().clone() } else { Value::Null };
    match behaviour {
        Behaviour::Succeed => HttpResponse::Ok().json(json!({"success": true, "data": data})),
        Behaviour::Refuse(message) => {
            HttpResponse::Ok().json(json!({"success": false, "error": {"code": "E_POLICY", "message": message}}))
        }
        Behaviour::Slow(wait) => {
            tokio::time::sleep(wait).await;
            HttpResponse::Ok().json(json!({"success": true, "data": data}))
        }
        Behaviour::RefuseOn(refused, message) if path == refused => {
            HttpResponse::Ok().json(json!({"success": false, "error": {"code": "E_PINNED", "message": message}}))
        }
        Behaviour::RefuseOn(..) => HttpResponse::Ok().json(json!({"success": true, "data": data})),
        Behaviour::FailFirst(count) => {
            if count > 0 {
                *state.behaviour.lock().unwrap() = Behaviour::FailFirst(count - 1);
                HttpResponse::InternalServerError().body("boom")
            } else {
                HttpResponse::Ok().json(json!({"success": true, "data": data}))
            }
        }
    }
}

/// A loopback URL where nothing listens.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// An organization; answers its id.
async fn organization(app: &TestApp, owner: &Tokens, slug: &str) -> String {
    app.create_organization_ok(&owner.access_token, slug).await["id"].as_str().unwrap().to_owned()
}

/// A network of the organization, with an agent when `agent_url` is given; answers its
/// access rules path and its id.
async fn network(app: &TestApp, owner: &Tokens, organization: &str, agent_url: Option<&str>) -> (String, String) {
    let mut body = json!({"name": format!("net-{}", uuid::Uuid::now_v7())});
    if let Some(url) = agent_url {
        body["agent_url"] = json!(url);
        body["agent_token"] = json!(AGENT_TOKEN);
    }
    let created = app.post(&format!("/api/v1/organizations/{organization}/networks"), &owner.access_token, &body).await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    (format!("/api/v1/organizations/{organization}/networks/{id}/access-rules"), id)
}

async fn rule_rows(app: &TestApp) -> Vec<access_rules::Model> {
    let db = app.database().await;
    access_rules::Entity::find().order_by_asc(access_rules::Column::Id).all(&db).await.unwrap()
}

async fn rules_without_an_agent_are_recorded_listed_and_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let adam = app.register_ok("adam").await;
    let mia = app.register_ok("mia").await;
    let vera = app.register_ok("vera").await;
    let org = organization(&app, &alice, "acme").await;
    app.add_member_ok(&alice.access_token, &org, &adam, "admin").await;
    app.add_member_ok(&alice.access_token, &org, &mia, "member").await;
    app.add_member_ok(&alice.access_token, &org, &vera, "viewer").await;
    let (rules, _) = network(&app, &alice, &org, None).await;

    let created = app
        .post(&rules, &alice.access_token, &json!({"list": "DENY", "target": "203.0.113.7/32", "comment": " bot "}))
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(
        (&created["list"], &created["target"], &created["target_kind"], &created["status"], &created["comment"]),
        (&json!("deny"), &json!("203.0.113.7"), &json!("ip"), &json!("recorded"), &json!("bot"))
    );
    assert_eq!(created["created_by"], alice.user["id"]);
    assert_eq!(created["expires_at"], Value::Null);
    // An admin holds networks:control too; MACs and blocks are canonical.
    let mac = app.post(&rules, &adam.access_token, &json!({"list": "allow", "target": "AA-BB-CC-DD-EE-0F"})).await;
    assert_eq!(mac.status(), 201);
    assert_eq!(mac.json::<Value>().await.unwrap()["target"], "aa:bb:cc:dd:ee:0f");
    let expires = (time::OffsetDateTime::now_utc() + time::Duration::hours(1)).replace_nanosecond(0).unwrap();
    let expires_text = expires.format(&time::format_description::well_known::Rfc3339).unwrap();
    let block = app
        .post(
            &rules,
            &alice.access_token,
            &json!({"list": "allow", "target": "2001:DB8::/32", "expires_at": expires_text}),
        )
        .await;
    assert_eq!(block.status(), 201);
    let block: Value = block.json().await.unwrap();
    assert_eq!((&block["target"], &block["target_kind"]), (&json!("2001:db8::/32"), &json!("cidr")));
    assert_eq!(block["expires_at"], expires_text);

    // One target, one list: the other list and the same list are both 409 on `target`.
    for (list, target) in [("allow", "203.0.113.7"), ("deny", "203.0.113.7"), ("deny", "aabb.ccdd.ee0f")] {
        let duplicate = app.post(&rules, &alice.access_token, &json!({"list": list, "target": target})).await;
        assert_eq!(duplicate.status(), 409, "{list} {target}");
        assert_eq!(fields(&duplicate.json().await.unwrap()), ["target"]);
    }

    // Reads need assets:read, writes networks:control (a member has assets:write only).
    let listed: Value = app.get(&format!("{rules}?limit=2"), &vera.access_token).await.json().await.unwrap();
    assert_eq!((listed["total"].as_u64(), listed["limit"].as_u64()), (Some(3), Some(2)));
    assert_eq!(listed["items"][0]["target"], "203.0.113.7");
    let rest: Value = app.get(&format!("{rules}?limit=2&offset=2"), &vera.access_token).await.json().await.unwrap();
    assert_eq!(rest["items"][0]["target"], "2001:db8::/32");
    let body = json!({"list": "deny", "target": "198.51.100.1"});
    assert_eq!(app.post(&rules, &vera.access_token, &body).await.status(), 403);
    let refused = app.post(&rules, &mia.access_token, &body).await;
    assert_eq!(refused.status(), 403);
    let rule = format!("{rules}/{}", created["id"].as_str().unwrap());
    assert_eq!(app.delete(&rule, &mia.access_token).await.status(), 403);
    assert_eq!(app.delete(&rule, &vera.access_token).await.status(), 403);

    // Deleting frees the target.
    assert_eq!(app.delete(&rule, &alice.access_token).await.status(), 204);
    assert_eq!(app.delete(&rule, &alice.access_token).await.status(), 404);
    assert_eq!(
        app.post(&rules, &alice.access_token, &json!({"list": "allow", "target": "203.0.113.7"})).await.status(),
        201
    );

    // Without a token: 401; a method the resource does not have: 405.
    assert_eq!(app.client.get(app.url(&rules)).send().await.unwrap().status(), 401);
    assert_eq!(app.client.post(app.url(&rules)).json(&body).send().await.unwrap().status(), 401);
    assert_eq!(app.client.delete(app.url(&rule)).send().await.unwrap().status(), 401);
    let run = rules.replace("/access-rules", "/scans/run");
    assert_eq!(app.client.post(app.url(&run)).send().await.unwrap().status(), 401);
    assert_eq!(app.patch(&rule, &alice.access_token, &body).await.status(), 405);
    assert_eq!(app.get(&run, &alice.access_token).await.status(), 405);

    // Unknown networks and rules are 404, malformed ids too.
    let unknown = format!("/api/v1/organizations/{org}/networks/00000000-0000-7000-8000-00000000abcd/access-rules");
    assert_eq!(app.get(&unknown, &alice.access_token).await.status(), 404);
    assert_eq!(app.post(&unknown, &alice.access_token, &body).await.status(), 404);
    assert_eq!(
        app.delete(&format!("{unknown}/00000000-0000-7000-8000-00000000abcd"), &alice.access_token).await.status(),
        404
    );
    assert_eq!(
        app.delete(&format!("{rules}/00000000-0000-7000-8000-00000000abcd"), &alice.access_token).await.status(),
        404
    );
    assert_eq!(app.delete(&format!("{rules}/not-a-uuid"), &alice.access_token).await.status(), 404);

    let db = app.database().await;
    let events = audit_events::Entity::find().order_by_asc(audit_events::Column::Id).all(&db).await.unwrap();
    let actions: Vec<&str> =
        events.iter().map(|event| event.action.as_str()).filter(|action| action.starts_with("access_rule.")).collect();
    assert_eq!(
        actions,
        [
            "access_rule.created",
            "access_rule.created",
            "access_rule.created",
            "access_rule.deleted",
            "access_rule.created"
        ]
    );
    let first = events.iter().find(|event| event.action == "access_rule.created").unwrap();
    assert_eq!(first.details["target"], "203.0.113.7");
    assert_eq!(first.details["status"], "recorded");
}

async fn invalid_rules_name_every_wrong_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = organization(&app, &alice, "acme").await;
    let (rules, _) = network(&app, &alice, &org, None).await;

    let past = app
        .post(
            &rules,
            &alice.access_token,
            &json!({"list": "block", "target": "10.0.0.1/8", "comment": "x".repeat(501), "expires_at": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(past.status(), 422);
    assert_eq!(fields(&past.json().await.unwrap()), ["list", "target", "comment", "expires_at"]);
    for (body, field) in [
        (json!({"list": "deny", "target": "not-an-address"}), "target"),
        (json!({"list": "deny", "target": "fe80::1%eth0"}), "target"),
        (json!({"list": "deny"}), "target"),
        (json!({"list": "deny", "target": "10.0.0.1", "expires_at": "tomorrow"}), "expires_at"),
        (json!({"list": "deny", "target": "10.0.0.1", "status": "applied"}), "status"),
    ] {
        let invalid = app.post(&rules, &alice.access_token, &body).await;
        assert_eq!(invalid.status(), 422, "{body}");
        assert_eq!(fields(&invalid.json().await.unwrap()), [field], "{body}");
    }
    assert!(rule_rows(&app).await.is_empty());
}

async fn the_agent_receives_session_router_and_token_and_confirms_rules(backend: Backend) {
    let agent = FakeAgent::start();
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = organization(&app, &alice, "acme").await;
    let (rules, network_id) = network(&app, &alice, &org, Some(&agent.url)).await;
    let session = claims_of(&alice.access_token)["sid"].as_str().unwrap().to_owned();

    let deny = app.post(&rules, &alice.access_token, &json!({"list": "deny", "target": "203.0.113.7"})).await;
    assert_eq!(deny.status(), 201);
    let deny: Value = deny.json().await.unwrap();
    assert_eq!(deny["status"], "applied");
    let allow = app.post(&rules, &alice.access_token, &json!({"list": "allow", "target": "AA:BB:CC:DD:EE:FF"})).await;
    assert_eq!(allow.status(), 201);
    let allow: Value = allow.json().await.unwrap();
    assert_eq!(
        app.delete(&format!("{rules}/{}", deny["id"].as_str().unwrap()), &alice.access_token).await.status(),
        204
    );
    assert_eq!(
        app.delete(&format!("{rules}/{}", allow["id"].as_str().unwrap()), &alice.access_token).await.status(),
        204
    );

    let seen = agent.seen();
    let calls: Vec<(&str, &str)> = seen.iter().map(|seen| (seen.method.as_str(), seen.path.as_str())).collect();
    assert_eq!(
        calls,
        [("POST", "/blacklist"), ("POST", "/whitelist"), ("DELETE", "/blacklist"), ("DELETE", "/whitelist")]
    );
    for seen in &seen {
        assert_eq!(seen.authorization.as_deref(), Some(format!("Bearer {AGENT_TOKEN}").as_str()));
        assert_eq!(seen.body["sessionId"], session, "{seen:?}");
        assert_eq!(seen.body["routerId"], network_id, "{seen:?}");
        assert!(seen.query.is_empty(), "writes carry everything in the body: {seen:?}");
    }
    assert_eq!(seen[0].body["ip"], "203.0.113.7");
    assert_eq!(seen[1].body["target"], "aa:bb:cc:dd:ee:ff");
    assert_eq!(seen[2].body["ip"], "203.0.113.7");
    assert_eq!(seen[3].body["target"], "aa:bb:cc:dd:ee:ff");

    // No audit event holds the agent token.
    let db = app.database().await;
    for event in audit_events::Entity::find().all(&db).await.unwrap() {
        assert!(!event.details.to_string().contains(AGENT_TOKEN), "{:?}", event.details);
    }
}

async fn agent_refusals_outages_and_timeouts_store_nothing(backend: Backend) {
    let agent = FakeAgent::start();
    let app = spawn_app_with(backend, |settings| settings.inventory.agent_timeout_ms = 300).await;
    let alice = app.register_ok("alice").await;
    let org = organization(&app, &alice, "acme").await;
    let (rules, _) = network(&app, &alice, &org, Some(&agent.url)).await;
    let body = json!({"list": "deny", "target": "203.0.113.7"});

    // success: false -> 502 with the agent's message.
    agent.behave(Behaviour::Refuse("address is the router itself"));
    let refused = app.post(&rules, &alice.access_token, &body).await;
    assert_eq!(refused.status(), 502);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["type"], "/problems/agent-refused");
    assert!(refused["detail"].as_str().unwrap().contains("address is the router itself"), "{refused}");
    assert!(refused["detail"].as_str().unwrap().contains("E_POLICY"), "{refused}");
    assert!(rule_rows(&app).await.is_empty());

    // Slower than agent_timeout_ms -> 503 with Retry-After, and no retry of the write.
    agent.forget();
    agent.behave(Behaviour::Slow(Duration::from_secs(3)));
    let started = Instant::now();
    let slow = app.post(&rules, &alice.access_token, &body).await;
    assert_eq!(slow.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(2), "the timeout cut it short: {:?}", started.elapsed());
    assert!(slow.headers().get("retry-after").is_some());
    assert_eq!(slow.json::<Value>().await.unwrap()["type"], "/problems/agent-unavailable");
    assert_eq!(agent.seen().len(), 1, "a write that reached the agent is not tried again");
    assert!(rule_rows(&app).await.is_empty());

    // A 5xx without an answer document -> 503, not retried either.
    agent.forget();
    agent.behave(Behaviour::FailFirst(1));
    let failing = app.post(&rules, &alice.access_token, &body).await;
    assert_eq!(failing.status(), 503);
    assert_eq!(agent.seen().len(), 1);
    assert!(rule_rows(&app).await.is_empty());

    // Down (a closed port) -> 503; the connection was never made, so it was tried again.
    let (down, _) = network(&app, &alice, &org, Some(&closed_port_url())).await;
    let unreachable = app.post(&down, &alice.access_token, &body).await;
    assert_eq!(unreachable.status(), 503);
    assert_eq!(unreachable.headers().get("retry-after").unwrap(), "5");
    assert_eq!(unreachable.json::<Value>().await.unwrap()["type"], "/problems/agent-unavailable");
    assert!(rule_rows(&app).await.is_empty());

    // A rule the agent holds stays when its removal is refused or times out.
    agent.behave(Behaviour::Succeed);
    let created: Value = app.post(&rules, &alice.access_token, &body).await.json().await.unwrap();
    let rule = format!("{rules}/{}", created["id"].as_str().unwrap());
    let before = rule_rows(&app).await;
    agent.behave(Behaviour::Refuse("locked"));
    assert_eq!(app.delete(&rule, &alice.access_token).await.status(), 502);
    agent.behave(Behaviour::Slow(Duration::from_secs(3)));
    assert_eq!(app.delete(&rule, &alice.access_token).await.status(), 503);
    assert_eq!(rule_rows(&app).await, before);
    agent.behave(Behaviour::Succeed);
    assert_eq!(app.delete(&rule, &alice.access_token).await.status(), 204);
    assert!(rule_rows(&app).await.is_empty());
}

async fn concurrent_duplicate_creates_give_one_rule(backend: Backend) {
    let agent = FakeAgent::start();
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = organization(&app, &alice, "acme").await;

    for agent_url in [None, Some(agent.url.as_str())] {
        let (rules, _) = network(&app, &alice, &org, agent_url).await;
        let bodies: Vec<Value> = (0..12)
            .map(|index| json!({"list": if index % 2 == 0 { "allow" } else { "deny" }, "target": "10.9.8.7"}))
            .collect();
        let responses = join_all(bodies.iter().map(|body| app.post(&rules, &alice.access_token, body))).await;
        let mut statuses = Vec::new();
        let mut unexpected = Vec::new();
        for response in responses {
            let status = response.status().as_u16();
            if status != 201 && status != 409 {
                unexpected.push(response.text().await.unwrap_or_default());
            }
            statuses.push(status);
        }
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [[201].as_slice(), &[409; 11]].concat(),
            "one wins, the rest conflict, no 5xx (agent: {agent_url:?}); other answers: {unexpected:?}"
        );
        let listed: Value = app.get(&rules, &alice.access_token).await.json().await.unwrap();
        assert_eq!(listed["total"], 1);
        if agent_url.is_some() {
            // Losers that reached the agent with the other list took their entry out again;
            // the winner's list was never asked to remove anything.
            let (kept, other) = match listed["items"][0]["list"].as_str().unwrap() {
                "allow" => ("/whitelist", "/blacklist"),
                _ => ("/blacklist", "/whitelist"),
            };
            let count = |method: &str, path: &str| {
                agent.seen().iter().filter(|seen| seen.method == method && seen.path == path).count()
            };
            assert!(count("POST", kept) >= 1);
            assert_eq!(count("DELETE", kept), 0);
            assert_eq!(count("POST", other), count("DELETE", other), "{:?}", agent.seen());
        }
    }
}

async fn scans_run_through_the_agent_are_imported(backend: Backend) {
    let agent = FakeAgent::start();
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let mia = app.register_ok("mia").await;
    let org = organization(&app, &alice, "acme").await;
    app.add_member_ok(&alice.access_token, &org, &mia, "member").await;
    let (_, network_id) = network(&app, &alice, &org, Some(&agent.url)).await;
    let run = format!("/api/v1/organizations/{org}/networks/{network_id}/scans/run");
    let assets = format!("/api/v1/organizations/{org}/assets");
    *agent.state.scan.lock().unwrap() = json!([
        {"ip": "10.0.0.1", "status": "up", "mac": "AA-BB-CC-00-00-01", "hostname": "gw",
         "services": [{"port": 22, "protocol": "tcp", "state": "open", "service_name": "ssh"}]},
        {"ip": "10.0.0.2", "status": "up"},
        {"ip": "10.0.0.3", "status": "down"},
    ]);
    let session = claims_of(&alice.access_token)["sid"].as_str().unwrap().to_owned();

    // A member lacks networks:control: refused before the agent is asked.
    assert_eq!(app.post(&run, &mia.access_token, &json!({})).await.status(), 403);
    assert!(agent.seen().is_empty());

    // Two 500s first: the GET is tried again twice and the third answer is imported.
    agent.behave(Behaviour::FailFirst(2));
    let ran = app.post(&run, &alice.access_token, &json!({})).await;
    assert_eq!(ran.status(), 201);
    let ran: Value = ran.json().await.unwrap();
    assert_eq!(ran["source"], "agent");
    // The run's times are the server's clock, kept as every time is: UTC, whole seconds.
    for time in [&ran["started_at"], &ran["finished_at"]] {
        let time = time.as_str().unwrap();
        assert!(time.len() == "2026-12-02T02:38:57Z".len() && time.ends_with('Z'), "{time}");
    }
    assert_eq!((ran["hosts_up"].as_u64(), ran["hosts_down"].as_u64()), (Some(2), Some(1)));
    assert_eq!((ran["assets_created"].as_u64(), ran["services_created"].as_u64()), (Some(2), Some(1)));
    let seen = agent.seen();
    assert_eq!(seen.len(), 3);
    for seen in &seen {
        assert_eq!((seen.method.as_str(), seen.path.as_str()), ("GET", "/scan"));
        assert_eq!(seen.authorization.as_deref(), Some(format!("Bearer {AGENT_TOKEN}").as_str()));
        assert_eq!(
            seen.query,
            [("sessionId".to_owned(), session.clone()), ("routerId".to_owned(), network_id.clone())]
        );
    }
    let listed: Value = app.get(&assets, &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 2);
    let scans: Value = app
        .get(&format!("/api/v1/organizations/{org}/networks/{network_id}/scans"), &alice.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(scans["items"][0]["source"], "agent");

    // Still failing after the retries: 503, nothing imported.
    agent.forget();
    agent.behave(Behaviour::FailFirst(5));
    let failing = app.post(&run, &alice.access_token, &json!({})).await;
    assert_eq!(failing.status(), 503);
    assert_eq!(agent.seen().len(), 3);
    // A refusal: 502.
    agent.behave(Behaviour::Refuse("scanner busy"));
    let refused = app.post(&run, &alice.access_token, &json!({})).await;
    assert_eq!(refused.status(), 502);
    assert!(refused.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("scanner busy"));
    // An answer that fails the import's checks is the agent's fault: 502, nothing stored.
    agent.behave(Behaviour::Succeed);
    *agent.state.scan.lock().unwrap() =
        json!([{"ip": "10.0.0.4", "status": "up"}, {"ip": "999.1.1.1", "status": "up"}]);
    let bad = app.post(&run, &alice.access_token, &json!({})).await;
    assert_eq!(bad.status(), 502);
    let bad: Value = bad.json().await.unwrap();
    assert_eq!(bad["type"], "/problems/agent-bad-answer");
    assert!(bad["detail"].as_str().unwrap().contains("hosts[1].ip"), "{bad}");
    *agent.state.scan.lock().unwrap() = json!({"hosts": []});
    assert_eq!(app.post(&run, &alice.access_token, &json!({})).await.status(), 502);
    let listed: Value = app.get(&assets, &alice.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 2, "nothing was imported by the failures");

    // A network without an agent: 409 no-agent; an unknown one: 404.
    let (_, plain) = network(&app, &alice, &org, None).await;
    let none = app
        .post(&format!("/api/v1/organizations/{org}/networks/{plain}/scans/run"), &alice.access_token, &json!({}))
        .await;
    assert_eq!(none.status(), 409);
    assert_eq!(none.json::<Value>().await.unwrap()["type"], "/problems/no-agent");
    let unknown = format!("/api/v1/organizations/{org}/networks/00000000-0000-7000-8000-00000000abcd/scans/run");
    assert_eq!(app.post(&unknown, &alice.access_token, &json!({})).await.status(), 404);
    // A down agent: 503.
    let (_, down) = network(&app, &alice, &org, Some(&closed_port_url())).await;
    let down = app
        .post(&format!("/api/v1/organizations/{org}/networks/{down}/scans/run"), &alice.access_token, &json!({}))
        .await;
    assert_eq!(down.status(), 503);
    assert!(down.headers().get("retry-after").is_some());
}

async fn expired_rules_are_removed_through_the_agent_by_the_sweep(backend: Backend) {
    let agent = FakeAgent::start();
    let app = spawn_app_with(backend, |settings| settings.inventory.rule_sweep_interval_secs = 1).await;
    let alice = app.register_ok("alice").await;
    let org = organization(&app, &alice, "acme").await;
    let (with_agent, network_id) = network(&app, &alice, &org, Some(&agent.url)).await;
    let (without_agent, _) = network(&app, &alice, &org, None).await;
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::seconds(2))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let later = (time::OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let body = |target: &str, expires: &str| json!({"list": "deny", "target": target, "expires_at": expires});
    assert_eq!(app.post(&with_agent, &alice.access_token, &body("203.0.113.7", &soon)).await.status(), 201);
    assert_eq!(app.post(&with_agent, &alice.access_token, &body("203.0.113.8", &later)).await.status(), 201);
    assert_eq!(app.post(&without_agent, &alice.access_token, &body("203.0.113.7", &soon)).await.status(), 201);
    // The agent refuses at first: the sweep leaves the rule as it is and tries again.
    agent.forget();
    agent.behave(Behaviour::Refuse("not now"));

    let status_of = |rules: Value, target: &str| {
        rules["items"].as_array().unwrap().iter().find(|rule| rule["target"] == target).unwrap()["status"].clone()
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let recorded: Value = app.get(&without_agent, &alice.access_token).await.json().await.unwrap();
        if status_of(recorded, "203.0.113.7") == "expired" && agent.seen().len() >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "the sweep did not run");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let applied: Value = app.get(&with_agent, &alice.access_token).await.json().await.unwrap();
    assert_eq!(status_of(applied.clone(), "203.0.113.7"), "applied", "refused: still applied");
    assert_eq!(status_of(applied, "203.0.113.8"), "applied");

    agent.behave(Behaviour::Succeed);
    loop {
        let applied: Value = app.get(&with_agent, &alice.access_token).await.json().await.unwrap();
        if status_of(applied.clone(), "203.0.113.7") == "expired" {
            assert_eq!(status_of(applied, "203.0.113.8"), "applied", "not yet expired");
            break;
        }
        assert!(Instant::now() < deadline, "the sweep did not retry");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let removals: Vec<Seen> = agent.seen();
    assert!(removals.iter().all(|seen| seen.method == "DELETE" && seen.path == "/blacklist"), "{removals:?}");
    let last = removals.last().unwrap();
    assert_eq!((&last.body["ip"], &last.body["routerId"]), (&json!("203.0.113.7"), &json!(network_id)));
    assert_eq!(last.body["sessionId"], Value::Null, "the sweep acts for no session");
    assert_eq!(last.authorization.as_deref(), Some(format!("Bearer {AGENT_TOKEN}").as_str()));

    // An expired rule no longer holds its target, and each expiry was audited once.
    assert_eq!(
        app.post(&with_agent, &alice.access_token, &json!({"list": "allow", "target": "203.0.113.7"})).await.status(),
        201
    );
    let db = app.database().await;
    let expired = audit_events::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.action == "access_rule.expired")
        .count();
    assert_eq!(expired, 2);
}

async fn owners_and_admins_hold_networks_control(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = organization(&app, &alice, "acme").await;
    let roles: Value =
        app.get(&format!("/api/v1/organizations/{org}/roles"), &alice.access_token).await.json().await.unwrap();
    let holders: Vec<&str> = roles["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|role| role["permissions"].as_array().unwrap().contains(&json!("networks:control")))
        .map(|role| role["name"].as_str().unwrap())
        .collect();
    assert_eq!(holders, ["owner", "admin"]);
    // A custom role may be given it, by someone who holds it.
    let created = app
        .post(
            &format!("/api/v1/organizations/{org}/roles"),
            &alice.access_token,
            &json!({"name": "netops", "permissions": ["assets:read", "networks:control"]}),
        )
        .await;
    assert_eq!(created.status(), 201);
}

/// What the agent holds after the calls it answered with success, as (list path, target).
fn held_by_agent(seen: &[Seen]) -> std::collections::BTreeSet<(String, String)> {
    let mut held = std::collections::BTreeSet::new();
    for seen in seen {
        let target = seen.body.get("ip").or_else(|| seen.body.get("target")).and_then(Value::as_str);
        let Some(target) = target else { continue };
        let entry = (seen.path.clone(), target.to_owned());
        match seen.method.as_str() {
            "POST" => held.insert(entry),
            "DELETE" => held.remove(&entry),
            _ => false,
        };
    }
    held
}

/// The applied rules of the database as the agent would hold them.
async fn applied_rows(app: &TestApp) -> std::collections::BTreeSet<(String, String)> {
    rule_rows(app)
        .await
        .into_iter()
        .filter(|rule| rule.status == "applied")
        .map(|rule| ((if rule.list == "deny" { "/blacklist" } else { "/whitelist" }).to_owned(), rule.target))
        .collect()
}

async fn deleting_a_network_takes_its_rules_out_at_the_agent_first(backend: Backend) {
    let agent = FakeAgent::start();
    let app = spawn_app_with(backend, |settings| settings.inventory.agent_timeout_ms = 300).await;
    let alice = app.register_ok("alice").await;
    let mia = app.register_ok("mia").await;
    let org = organization(&app, &alice, "acme").await;
    app.add_member_ok(&alice.access_token, &org, &mia, "member").await;
    let (rules, network_id) = network(&app, &alice, &org, Some(&agent.url)).await;
    let session = claims_of(&alice.access_token)["sid"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/organizations/{org}/networks/{network_id}");
    let cascade = format!("{path}?cascade=true");
    for body in [json!({"list": "deny", "target": "203.0.113.7"}), json!({"list": "allow", "target": "10.9.0.0/16"})] {
        assert_eq!(app.post(&rules, &alice.access_token, &body).await.status(), 201);
    }
    let asset = app
        .post(
            &format!("/api/v1/organizations/{org}/assets"),
            &alice.access_token,
            &json!({"ip_address": "10.9.0.1", "network_id": network_id}),
        )
        .await;
    assert_eq!(asset.status(), 201);
    let before = rule_rows(&app).await;
    assert_eq!(before.len(), 2);
    agent.forget();

    // A member holds assets:write but not networks:control, which taking rules out needs.
    let forbidden = app.delete(&cascade, &mia.access_token).await;
    assert_eq!(forbidden.status(), 403);
    // Assets and no cascade: refused before the agent loses anything.
    let in_use = app.delete(&path, &alice.access_token).await;
    assert_eq!(in_use.status(), 409);
    assert!(in_use.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("cascade=true"));
    assert!(agent.seen().is_empty(), "{:?}", agent.seen());

    // The agent refuses the first removal: 502 with its message, nothing changes.
    agent.behave(Behaviour::Refuse("router busy"));
    let refused = app.delete(&cascade, &alice.access_token).await;
    assert_eq!(refused.status(), 502);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["type"], "/problems/agent-refused");
    assert!(refused["detail"].as_str().unwrap().contains("router busy"), "{refused}");
    assert_eq!(agent.seen().len(), 1);
    // Too slow: 503 with Retry-After, nothing changes.
    agent.behave(Behaviour::Slow(Duration::from_secs(3)));
    let slow = app.delete(&cascade, &alice.access_token).await;
    assert_eq!(slow.status(), 503);
    assert!(slow.headers().get("retry-after").is_some());
    assert_eq!(slow.json::<Value>().await.unwrap()["type"], "/problems/agent-unavailable");
    assert_eq!(rule_rows(&app).await, before);
    assert_eq!(app.get(&path, &alice.access_token).await.status(), 200);

    // The second removal is refused: the first rule is gone at the agent and here alike,
    // the second stays on both, and so does the network with its asset.
    agent.forget();
    agent.behave(Behaviour::RefuseOn("/whitelist", "pinned by policy"));
    let partly = app.delete(&cascade, &alice.access_token).await;
    assert_eq!(partly.status(), 502);
    assert!(partly.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("pinned by policy"));
    assert_eq!(rule_rows(&app).await, before[1..]);
    assert_eq!(app.get(&path, &alice.access_token).await.status(), 200);

    // Then it goes, the remaining rule first, with the session, router and token.
    agent.forget();
    agent.behave(Behaviour::Succeed);
    let deleted = app.delete(&cascade, &alice.access_token).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(deleted.json::<Value>().await.unwrap()["assets_deleted"], 1);
    let seen = agent.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!((seen[0].method.as_str(), seen[0].path.as_str()), ("DELETE", "/whitelist"));
    assert_eq!(seen[0].body["target"], "10.9.0.0/16");
    assert_eq!(seen[0].body["sessionId"], session);
    assert_eq!(seen[0].body["routerId"], network_id);
    assert_eq!(seen[0].authorization.as_deref(), Some(format!("Bearer {AGENT_TOKEN}").as_str()));
    assert!(rule_rows(&app).await.is_empty());
    assert_eq!(app.get(&path, &alice.access_token).await.status(), 404);

    let db = app.database().await;
    let events = audit_events::Entity::find().order_by_asc(audit_events::Column::Id).all(&db).await.unwrap();
    let via_deletion = events
        .iter()
        .filter(|event| event.action == "access_rule.deleted" && event.details["via"] == "network_deletion")
        .count();
    assert_eq!(via_deletion, 2);
    let network_deleted = events.iter().find(|event| event.action == "network.deleted").unwrap();
    assert_eq!(network_deleted.details["rules_removed_at_agent"], 1);
    assert_eq!(network_deleted.details["assets_deleted"], 1);

    // Rules of a network without an agent are rows only: they go with it.
    let (plain_rules, plain_id) = network(&app, &alice, &org, None).await;
    let recorded = app.post(&plain_rules, &alice.access_token, &json!({"list": "deny", "target": "192.0.2.1"})).await;
    assert_eq!(recorded.status(), 201);
    agent.forget();
    let plain = format!("/api/v1/organizations/{org}/networks/{plain_id}");
    assert_eq!(app.delete(&plain, &mia.access_token).await.status(), 200);
    assert!(agent.seen().is_empty());
    assert!(rule_rows(&app).await.is_empty());
}

/// Rules created while their network is deleted: whichever wins, the agent ends holding
/// exactly the rules stored as applied (none once the network is gone).
async fn rules_created_during_a_network_delete_are_never_left_at_the_agent(backend: Backend) {
    let agent = FakeAgent::start();
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = organization(&app, &alice, "acme").await;
    let (rules, network_id) = network(&app, &alice, &org, Some(&agent.url)).await;
    let path = format!("/api/v1/organizations/{org}/networks/{network_id}");
    assert_eq!(
        app.post(&rules, &alice.access_token, &json!({"list": "deny", "target": "203.0.113.1"})).await.status(),
        201
    );
    agent.behave(Behaviour::Slow(Duration::from_millis(300)));
    let creates = (2..6).map(|n| {
        let body = json!({"list": "deny", "target": format!("203.0.113.{n}")});
        let (app, rules, token) = (&app, &rules, &alice.access_token);
        async move { app.post(rules, token, &body).await.status().as_u16() }
    });
    let delete = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        app.delete(&path, &alice.access_token).await.status().as_u16()
    };
    let (created, deleted) = tokio::join!(join_all(creates), delete);
    for status in &created {
        assert!([201, 404].contains(status), "a create got {status}");
    }
    assert!([200, 409].contains(&deleted), "the delete got {deleted}");
    assert_eq!(held_by_agent(&agent.seen()), applied_rows(&app).await, "{:?}", agent.seen());
    if deleted == 409 {
        // A rule applied meanwhile refused it; deleting again takes everything out.
        agent.behave(Behaviour::Succeed);
        assert_eq!(app.delete(&path, &alice.access_token).await.status(), 200);
    }
    assert_eq!(app.get(&path, &alice.access_token).await.status(), 404);
    assert!(held_by_agent(&agent.seen()).is_empty(), "{:?}", agent.seen());
    assert!(rule_rows(&app).await.is_empty());
}

on_both_backends!(
    rules_without_an_agent_are_recorded_listed_and_deleted,
    invalid_rules_name_every_wrong_field,
    the_agent_receives_session_router_and_token_and_confirms_rules,
    agent_refusals_outages_and_timeouts_store_nothing,
    concurrent_duplicate_creates_give_one_rule,
    scans_run_through_the_agent_are_imported,
    expired_rules_are_removed_through_the_agent_by_the_sweep,
    owners_and_admins_hold_networks_control,
    deleting_a_network_takes_its_rules_out_at_the_agent_first,
    rules_created_during_a_network_delete_are_never_left_at_the_agent,
);
