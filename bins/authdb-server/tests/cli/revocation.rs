//! Instant revocation across processes: two `authdb` servers on one PostgreSQL database.
//! A session ended through one must be refused by the other within a second, although the
//! other checked (and cached) it a moment before.

use std::time::{Duration, Instant};

use authdb_testkit::PostgresDatabase;
use serde_json::json;

use crate::support::{Sandbox, Server, expect_json, str_field};

const STOP_LIMIT: Duration = Duration::from_secs(40);
/// What the issue promises; the change feed usually delivers within milliseconds.
const PROPAGATION_LIMIT: Duration = Duration::from_secs(1);

fn instance(database: &PostgresDatabase) -> Sandbox {
    Sandbox::new()
        .with_env("AUTHDB__DATABASE__URL", database.url())
        .with_env("AUTHDB__AUTH__JWT_SECRET", "a-fixed-test-secret-shared-by-both-instances")
}

/// Polls `GET /auth/me` on `server` until it answers 401; returns how long that took.
async fn time_until_refused(server: &Server, access_token: &str) -> Duration {
    let started = Instant::now();
    loop {
        let status = server.get_authorized("/api/v1/auth/me", access_token).await.status().as_u16();
        if status == 401 {
            return started.elapsed();
        }
        assert_eq!(status, 200, "unexpected status while waiting for the revocation");
        assert!(started.elapsed() < Duration::from_secs(10), "the revocation never reached the other instance");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_revocation_on_one_instance_is_honoured_by_another_within_a_second() {
    let database = PostgresDatabase::create().await;
    let (sandbox_a, sandbox_b) = (instance(&database), instance(&database));
    let a = sandbox_a.serve().await;
    let b = sandbox_b.serve().await;

    let phone = a.register("alice").await;
    let laptop = expect_json(b.login("alice", crate::support::PASSWORD).await, 200).await;
    let (phone_token, laptop_token) = (str_field(&phone, "access_token"), str_field(&laptop, "access_token"));
    for (server, token) in [(&a, phone_token), (&b, phone_token), (&a, laptop_token), (&b, laptop_token)] {
        assert_eq!(server.get_authorized("/api/v1/auth/me", token).await.status(), 200, "warm both caches");
    }

    // Logout on A: B must stop accepting the phone's token.
    let logout =
        a.client().post(a.url("/api/v1/auth/logout")).bearer_auth(phone_token).send().await.expect("request to authdb");
    assert_eq!(logout.status(), 204);
    let elapsed = time_until_refused(&b, phone_token).await;
    assert!(elapsed < PROPAGATION_LIMIT, "logout took {elapsed:?} to reach the other instance");

    // Logout everywhere on B: A must stop accepting the laptop's token.
    let all = b
        .client()
        .post(b.url("/api/v1/auth/logout-all"))
        .bearer_auth(laptop_token)
        .send()
        .await
        .expect("request to authdb");
    assert_eq!(all.status(), 204);
    let elapsed = time_until_refused(&a, laptop_token).await;
    assert!(elapsed < PROPAGATION_LIMIT, "logout-all took {elapsed:?} to reach the other instance");

    // A password change on A ends B's cached view of the other sessions too.
    let fresh_phone = expect_json(a.login("alice", crate::support::PASSWORD).await, 200).await;
    let fresh_laptop = expect_json(b.login("alice", crate::support::PASSWORD).await, 200).await;
    let fresh_laptop_token = str_field(&fresh_laptop, "access_token");
    assert_eq!(b.get_authorized("/api/v1/auth/me", fresh_laptop_token).await.status(), 200);
    let change = a
        .client()
        .post(a.url("/api/v1/auth/change-password"))
        .bearer_auth(str_field(&fresh_phone, "access_token"))
        .json(&json!({ "current_password": crate::support::PASSWORD, "new_password": "Another-pass-77" }))
        .send()
        .await
        .expect("request to authdb");
    assert_eq!(change.status(), 204);
    let elapsed = time_until_refused(&b, fresh_laptop_token).await;
    assert!(elapsed < PROPAGATION_LIMIT, "a password change took {elapsed:?} to reach the other instance");

    a.stop(STOP_LIMIT).await;
    b.stop(STOP_LIMIT).await;
}
