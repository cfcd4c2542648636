//! Membership changes across processes: two `authdb` servers on one PostgreSQL database,
//! with caches that would trust a stale membership for a minute. A demotion, a removal or
//! an organization's suspension made through one must be honoured by the other within a
//! second, which only the change feed can deliver.

use std::time::{Duration, Instant};

use authdb_testkit::PostgresDatabase;
use reqwest::Response;
use serde_json::{Value, json};

use crate::support::{PASSWORD, Sandbox, Server, expect_json, str_field};

const STOP_LIMIT: Duration = Duration::from_secs(40);
const PROPAGATION_LIMIT: Duration = Duration::from_secs(1);
/// Longer than the catch-up poll's look-back (5 s) plus its period (1 s).
const CATCH_UP_WINDOW: Duration = Duration::from_secs(7);

fn instance(database: &PostgresDatabase) -> Sandbox {
    Sandbox::new()
        .with_env("AUTHDB__DATABASE__URL", database.url())
        .with_env("AUTHDB__AUTH__JWT_SECRET", "a-fixed-test-secret-shared-by-both-instances")
        .with_env("AUTHDB__AUTH__SESSION_CACHE_TTL_MS", "60000")
        // No mail is delivered, so the inviter gets the invitation's token to pass on.
        .with_env("AUTHDB__MAIL__TRANSPORT", "none")
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

/// Invites bob@example.com into the organization at `org_path` as `role` and accepts as bob.
async fn join(server: &Server, org_path: &str, inviter_token: &str, bob_token: &str, role: &str) {
    let body = Some(json!({"email": "bob@example.com", "role": role}));
    let invited = send(server, reqwest::Method::POST, &format!("{org_path}/members"), inviter_token, body).await;
    let invitation = expect_json(invited, 202).await;
    let body = Some(json!({"token": str_field(&invitation, "token")}));
    let accepted = send(server, reqwest::Method::POST, "/api/v1/invitations/accept", bob_token, body).await;
    assert_eq!(accepted.status(), 200);
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
    join(&a, &org_path, alice_token, bob_token, "admin").await;
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

#[tokio::test]
async fn a_suspension_on_one_instance_is_honoured_by_another_within_a_second() {
    let database = PostgresDatabase::create().await;
    let (sandbox_a, sandbox_b) = (instance(&database), instance(&database));
    let a = sandbox_a.serve().await;
    let b = sandbox_b.serve().await;
    instance(&database)
        .with_env("AUTHDB_SUPERUSER_PASSWORD", PASSWORD)
        .run(&["create-superuser", "--email", "root@example.com", "--username", "root"], None)
        .await
        .assert_success();
    let alice = a.register("alice").await;
    let bob = a.register("bob").await;
    let (alice_token, bob_token) = (str_field(&alice, "access_token"), str_field(&bob, "access_token"));
    let root = expect_json(a.login("root", PASSWORD).await, 200).await;
    let root_token = str_field(&root, "access_token");
    let created = send(
        &a,
        reqwest::Method::POST,
        "/api/v1/organizations",
        alice_token,
        Some(json!({"name": "Acme", "slug": "acme"})),
    )
    .await;
    let org = expect_json(created, 201).await;
    let org_path = format!("/api/v1/organizations/{}", str_field(&org, "id"));
    join(&a, &org_path, alice_token, bob_token, "admin").await;
    // Only the change feed may tell B (see the test above).
    tokio::time::sleep(CATCH_UP_WINDOW).await;
    assert_eq!(time_until(&b, &org_path, bob_token, 200).await.as_secs(), 0);

    let suspend = Some(json!({"is_active": false}));
    assert_eq!(send(&a, reqwest::Method::PATCH, &org_path, root_token, suspend).await.status(), 200);
    let elapsed = time_until(&b, &org_path, bob_token, 403).await;
    assert!(elapsed < PROPAGATION_LIMIT, "the suspension took {elapsed:?} to reach the other instance");

    let lift = Some(json!({"is_active": true}));
    assert_eq!(send(&a, reqwest::Method::PATCH, &org_path, root_token, lift).await.status(), 200);
    let elapsed = time_until(&b, &org_path, bob_token, 200).await;
    assert!(elapsed < PROPAGATION_LIMIT, "lifting the suspension took {elapsed:?} to reach the other instance");

    a.stop(STOP_LIMIT).await;
    b.stop(STOP_LIMIT).await;
}
