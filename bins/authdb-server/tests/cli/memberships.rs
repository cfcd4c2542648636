//! Membership changes across processes: two `authdb` servers on one PostgreSQL database,
//! with caches that would trust a stale membership for a minute. A demotion or removal
//! made through one must be honoured by the other within a second, which only the change
//! feed can deliver.

use std::time::{Duration, Instant};

use authdb_testkit::PostgresDatabase;
use reqwest::Response;
use serde_json::{Value, json};

use crate::support::{Sandbox, Server, expect_json, str_field};

const STOP_LIMIT: Duration = Duration::from_secs(40);
const PROPAGATION_LIMIT: Duration = Duration::from_secs(1);
/// Longer than the catch-up poll's look-back (5 s) plus its period (1 s).
const CATCH_UP_WINDOW: Duration = Duration::from_secs(7);

fn instance(database: &PostgresDatabase) -> Sandbox {
    Sandbox::new()
        .with_env("AUTHDB__DATABASE__URL", database.url())
        .with_env("AUTHDB__AUTH__JWT_SECRET", "a-fixed-test-secret-shared-by-both-instances")
        .with_env("AUTHDB__AUTH__SESSION_CACHE_TTL_MS", "60000")
}

async fn send(server: &Server, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> Response {
    let mut request = server.client().request(method, server.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("sent")
}

/// Repeats `PATCH path` on `server` until it answers `expected`; returns how long it took.
async fn time_until(server: &Server, path: &str, token: &str, expected: u16) -> Duration {
    let started = Instant::now();
    loop {
        let body = Some(json!({"description": "probe"}));
        let status = send(server, reqwest::Method::PATCH, path, token, body).await.status().as_u16();
        if status == expected {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{path} still answers {status}, not {expected}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_demotion_on_one_instance_is_honoured_by_another_within_a_second() {
    let database = PostgresDatabase::create().await;
    let (sandbox_a, sandbox_b) = (instance(&database), instance(&database));
    let a = sandbox_a.serve().await;
    let b = sandbox_b.serve().await;
    let alice = a.register("alice").await;
    let bob = a.register("bob").await;
    let (alice_token, bob_token) = (str_field(&alice, "access_token"), str_field(&bob, "access_token"));
    let bob_id = bob["user"]["id"].as_str().expect("an id");
    let org = expect_json(
        send(
            &a,
            reqwest::Method::POST,
            "/api/v1/organizations",
            alice_token,
            Some(json!({"name": "Acme", "slug": "acme"})),
        )
        .await,
        201,
    )
    .await;
    let org_path = format!("/api/v1/organizations/{}", str_field(&org, "id"));
    let added = send(
        &a,
        reqwest::Method::POST,
        &format!("{org_path}/members"),
        alice_token,
        Some(json!({"user_id": bob_id, "role": "admin"})),
    )
    .await;
    assert_eq!(added.status(), 201);
    // The catch-up poll re-reads users changed in the last few seconds (and drops their
    // cached memberships as a side effect); wait it out so that only the change feed can
    // tell B about the demotion.
    tokio::time::sleep(CATCH_UP_WINDOW).await;
    // B resolves (and caches) bob's admin membership.
    assert_eq!(time_until(&b, &org_path, bob_token, 200).await.as_secs(), 0);

    let member_path = format!("{org_path}/members/{bob_id}");
    let demoted = send(&a, reqwest::Method::PATCH, &member_path, alice_token, Some(json!({"role": "viewer"}))).await;
    assert_eq!(demoted.status(), 200);
    let elapsed = time_until(&b, &org_path, bob_token, 403).await;
    assert!(elapsed < PROPAGATION_LIMIT, "the demotion took {elapsed:?} to reach the other instance");

    assert_eq!(send(&a, reqwest::Method::DELETE, &member_path, alice_token, None).await.status(), 204);
    let elapsed = time_until(&b, &org_path, bob_token, 404).await;
    assert!(elapsed < PROPAGATION_LIMIT, "the removal took {elapsed:?} to reach the other instance");

    a.stop(STOP_LIMIT).await;
    b.stop(STOP_LIMIT).await;
}
