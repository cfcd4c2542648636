//! SIGTERM and SIGINT: stop accepting, finish the requests in flight, exit 0.

use std::time::{Duration, Instant};

use crate::support::{PASSWORD, Sandbox};

/// Generous: a graceful stop also waits for idle keep-alive connections to close.
const STOP_LIMIT: Duration = Duration::from_secs(40);

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_and_exits_zero() {
    signal_finishes_in_flight_requests_and_exits_zero("TERM").await;
}

#[tokio::test]
async fn sigint_finishes_in_flight_requests_and_exits_zero() {
    signal_finishes_in_flight_requests_and_exits_zero("INT").await;
}

#[tokio::test]
async fn sigint_on_an_idle_server_exits_zero() {
    let sandbox = Sandbox::new();
    let mut server = sandbox.serve().await;

    server.signal("INT");
    let status = server.wait_for_exit(STOP_LIMIT).await;

    assert_eq!(status.code(), Some(0), "authdb did not exit cleanly on SIGINT; stderr:\n{}", server.stderr());
}

/// A login at bcrypt cost 13 takes a good fraction of a second, long enough to send the
/// signal while it is being hashed.
async fn signal_finishes_in_flight_requests_and_exits_zero(signal: &str) {
    let sandbox = Sandbox::new().with_env("AUTHDB__AUTH__BCRYPT_COST", "13");
    let mut server = sandbox.serve().await;
    server.register("inflight").await;
    let login = {
        let client = server.client().clone();
        let url = server.url("/api/v1/auth/login");
        let body = serde_json::json!({ "login": "inflight", "password": PASSWORD });
        tokio::spawn(async move {
            let started = Instant::now();
            let response = client.post(url).json(&body).send().await;
            (response, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;

    server.signal(signal);
    let (response, took) = login.await.expect("the login task");
    let status = server.wait_for_exit(STOP_LIMIT).await;

    let response = response.unwrap_or_else(|error| {
        panic!("the in-flight login failed after SIG{signal}: {error}; stderr:\n{}", server.stderr())
    });
    assert_eq!(response.status().as_u16(), 200, "the in-flight login after SIG{signal}");
    assert!(
        took > Duration::from_millis(150),
        "the login finished before the signal ({took:?}): nothing was in flight"
    );
    assert_eq!(status.code(), Some(0), "authdb did not exit cleanly on SIG{signal}; stderr:\n{}", server.stderr());
    // The server logs a request when it completes: the stop must have begun before that.
    let stderr = server.stderr();
    let stopping = stderr.find("stopping: finishing the requests in flight");
    let login_done = stderr.find(r#"path="/api/v1/auth/login""#);
    assert!(
        matches!((stopping, login_done), (Some(stop), Some(done)) if stop < done),
        "the signal should arrive while the login is in flight; stderr:\n{stderr}"
    );
}
