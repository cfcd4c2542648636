//! Production behaviour of the real binary: a rate-limit budget shared by two processes
//! through Redis, failing open when Redis goes away, no secret in the logs of a full flow
//! at trace level, and riding out a PostgreSQL outage.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use authdb_domain::Username;
use reqwest::Response;
use serde_json::{Value, json};

use crate::{
    services::{PrivatePostgres, Redis},
    support::{PASSWORD, Sandbox, expect_json, str_field},
};

const STOP_LIMIT: Duration = Duration::from_secs(40);

fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).map(|value| value.to_str().expect("ASCII header").to_owned())
}

/// Redis counts in one-minute windows: start a budget test early in a window so that it
/// cannot straddle two.
async fn wait_for_a_fresh_window() {
    let second = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs() % 60;
    if second >= 45 {
        tokio::time::sleep(Duration::from_secs(61 - second)).await;
    }
}

#[tokio::test]
async fn two_processes_share_one_rate_limit_budget_through_redis() {
    let redis = Redis::start();
    let sandbox = |name: &str| {
        Sandbox::new()
            .with_env("AUTHDB__REDIS__URL", &redis.url())
            .with_env("AUTHDB__REDIS__KEY_PREFIX", &format!("test-{name}-{}:", std::process::id()))
            .with_env("AUTHDB__RATE_LIMIT__AUTH_PER_MINUTE", "4")
    };
    // Both processes use one key prefix, as instances of one deployment do.
    let (first_box, second_box) = (sandbox("shared"), sandbox("shared"));
    let (first, second) = (first_box.serve().await, second_box.serve().await);
    wait_for_a_fresh_window().await;

    let mut remaining = Vec::new();
    for server in [&first, &second, &first, &second] {
        let response = server.login("nobody@example.com", "Wrong-password1").await;
        assert_eq!(response.status(), 401);
        assert_eq!(header(&response, "ratelimit-limit").as_deref(), Some("4"));
        remaining.push(header(&response, "ratelimit-remaining").expect("RateLimit-Remaining"));
    }
    assert_eq!(remaining, ["3", "2", "1", "0"], "the two processes must draw on one budget");

    for server in [&first, &second] {
        let refused = server.login("nobody@example.com", "Wrong-password1").await;
        assert_eq!(refused.status(), 429);
        let retry_after: u64 = header(&refused, "retry-after").expect("Retry-After").parse().expect("seconds");
        assert!((1..=60).contains(&retry_after), "{retry_after}");
    }

    let ready = expect_json(first.client().get(first.url("/health/ready")).send().await.expect("GET"), 200).await;
    assert_eq!(ready["checks"]["redis"]["status"], "up");
    first.stop(STOP_LIMIT).await;
    second.stop(STOP_LIMIT).await;
}

#[tokio::test]
async fn a_dead_redis_fails_open_with_a_warning_and_a_metric() {
    let mut redis = Redis::start();
    let sandbox = Sandbox::new()
        .with_env("AUTHDB__REDIS__URL", &redis.url())
        .with_env("AUTHDB__REDIS__TIMEOUT_MS", "200")
        .with_env("AUTHDB__RATE_LIMIT__AUTH_PER_MINUTE", "1");
    let server = sandbox.serve().await;
    wait_for_a_fresh_window().await;
    assert_eq!(server.login("nobody", "x").await.status(), 401);
    assert_eq!(server.login("nobody", "x").await.status(), 429);

    redis.kill();

    for _ in 0..3 {
        let started = Instant::now();
        let response = server.login("nobody", "x").await;
        assert_eq!(response.status(), 401, "requests go through while Redis is away");
        assert!(header(&response, "ratelimit-limit").is_none());
        assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    }
    let ready = server.client().get(server.url("/health/ready")).send().await.expect("GET");
    let ready = expect_json(ready, 200).await;
    assert_eq!(ready["status"], "degraded");
    assert_eq!(ready["checks"]["redis"]["status"], "down");
    let metrics = server.client().get(server.url("/metrics")).send().await.expect("GET").text().await.expect("text");
    assert!(metrics.contains("authdb_rate_limit_store_errors_total"), "{metrics}");
    let stderr = server.stderr();
    assert!(stderr.contains("rate limit store (Redis) failed"), "no warning in:\n{stderr}");
    server.stop(STOP_LIMIT).await;
}

#[tokio::test]
async fn no_secret_reaches_the_logs_of_a_full_flow_at_trace_level() {
    for format in ["human", "json"] {
        let jwt_secret = "log-test-secret-that-is-long-enough-for-hs256-0123456789";
        let sandbox = Sandbox::new()
            .with_env("RUST_LOG", "trace")
            .with_env("AUTHDB__LOG__FORMAT", format)
            .with_env("AUTHDB__AUTH__JWT_SECRET", jwt_secret)
            // A spent refresh token presented again is then a replay at once.
            .with_env("AUTHDB__AUTH__REFRESH_REUSE_GRACE_SECS", "0");
        let server = sandbox.serve().await;
        let wrong_password = "Not-the-Password-42";
        let new_password = "Changed-Password-43";

        let registered = server.register("logged").await;
        let login = expect_json(server.login("logged", PASSWORD).await, 200).await;
        let failed = server.login("logged@example.com", wrong_password).await;
        assert_eq!(failed.status(), 401);
        // A password typed into the login field must not be logged either.
        assert_eq!(server.login(new_password, PASSWORD).await.status(), 401);
        let access = str_field(&login, "access_token").to_owned();
        let me = server.get_authorized("/api/v1/auth/me", &access).await;
        assert_eq!(me.status(), 200);
        let patched = server
            .client()
            .patch(server.url("/api/v1/auth/me"))
            .bearer_auth(&access)
            .json(&json!({ "full_name": "Logged User" }))
            .send()
            .await
            .expect("PATCH");
        assert_eq!(patched.status(), 200);
        let refresh = str_field(&login, "refresh_token").to_owned();
        let rotated =
            expect_json(server.post("/api/v1/auth/refresh", &json!({ "refresh_token": refresh })).await, 200).await;
        // Reuse of the spent token revokes the session.
        let reused = server.post("/api/v1/auth/refresh", &json!({ "refresh_token": refresh })).await;
        assert_eq!(reused.status(), 401);
        let second = expect_json(server.login("logged", PASSWORD).await, 200).await;
        let logout = server
            .client()
            .post(server.url("/api/v1/auth/logout"))
            .bearer_auth(str_field(&second, "access_token"))
            .send()
            .await
            .expect("logout");
        assert_eq!(logout.status(), 204);
        let hash = password_hash(&sandbox).await;

        let logs = server.stderr();
        assert!(logs.contains("request_id"), "the logs should be at trace level and carry request ids:\n{logs}");
        let mut secrets: Vec<(&str, String)> = vec![
            ("password", PASSWORD.to_owned()),
            ("wrong password", wrong_password.to_owned()),
            ("password typed as login", new_password.to_owned()),
            ("JWT secret", jwt_secret.to_owned()),
            ("password hash", hash.clone()),
        ];
        for (name, tokens) in [("register", &registered), ("login", &login), ("refresh", &rotated), ("second", &second)]
        {
            let access = str_field(tokens, "access_token").to_owned();
            let signature = access.rsplit('.').next().expect("a JWT").to_owned();
            secrets.push((name, access));
            secrets.push((name, signature));
            secrets.push((name, str_field(tokens, "refresh_token").to_owned()));
        }
        // The hash without its `$2b$04$` prefix: salt and digest alone must not appear either.
        secrets.push(("password hash digest", hash.rsplit('$').next().expect("bcrypt").to_owned()));
        for (name, secret) in &secrets {
            assert!(!logs.contains(secret.as_str()), "the {name} ({secret}) appears in the {format} logs");
        }
        server.stop(STOP_LIMIT).await;
    }
}

/// The stored bcrypt hash of the user `logged`, read from the sandbox's SQLite file.
async fn password_hash(sandbox: &Sandbox) -> String {
    let config = authdb_persistence::DatabaseConfig {
        url: format!("sqlite://{}", sandbox.data_dir().join("authdb.db").display()),
        max_connections: 1,
        min_connections: 0,
        connect_timeout: Duration::from_secs(5),
        acquire_timeout: Duration::from_secs(5),
        idle_timeout: None,
        max_lifetime: None,
    };
    let db = authdb_persistence::connect(&config).await.expect("open the sandbox database");
    let key = Username::parse("logged").expect("valid").key();
    let credentials = authdb_persistence::users::find_credentials_by_username_key(&db, &key)
        .await
        .expect("query")
        .expect("the user exists");
    db.close().await.expect("close");
    credentials.password_hash
}

#[tokio::test]
async fn a_postgres_outage_answers_503_fast_and_the_server_recovers_by_itself() {
    let Some(postgres) = PrivatePostgres::create() else { return };
    let sandbox = Sandbox::new()
        .with_env("AUTHDB__DATABASE__URL", &postgres.url())
        .with_env("AUTHDB__DATABASE__ACQUIRE_TIMEOUT_SECS", "2")
        .with_env("AUTHDB__DATABASE__CONNECT_TIMEOUT_SECS", "2")
        // Every authenticated request asks the database.
        .with_env("AUTHDB__AUTH__SESSION_CACHE_TTL_MS", "0")
        .with_env("AUTHDB__AUTH__JWT_SECRET", "outage-test-secret-that-is-long-enough-for-hs256");
    let server = sandbox.serve().await;
    let registered = server.register("survivor").await;
    let access = str_field(&registered, "access_token").to_owned();

    postgres.stop();

    // Under load: a burst of concurrent requests while the database is gone.
    let started = Instant::now();
    let (server_ref, access_ref) = (&server, access.as_str());
    let burst = (0..20).map(|i| async move {
        if i % 2 == 0 {
            server_ref.login("survivor", PASSWORD).await
        } else {
            server_ref.get_authorized("/api/v1/auth/me", access_ref).await
        }
    });
    let answers = futures_util::future::join_all(burst).await;
    let elapsed = started.elapsed();
    for answer in answers {
        assert_eq!(
            answer.status(),
            503,
            "every request fails with 503 while the database is away: {}",
            server.stderr()
        );
        assert_eq!(header(&answer, "content-type").as_deref(), Some("application/problem+json"));
        assert!(header(&answer, "retry-after").is_some());
    }
    assert!(elapsed < Duration::from_secs(10), "20 requests took {elapsed:?}: requests must fail fast");
    let ready = server.client().get(server.url("/health/ready")).send().await.expect("GET");
    assert_eq!(ready.status(), 503);
    let live = server.client().get(server.url("/health/live")).send().await.expect("GET");
    assert_eq!(live.status(), 200);

    postgres.start();

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = server.client().get(server.url("/health/ready")).send().await.expect("GET");
        if ready.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "not ready 30 s after the database came back");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let login: Value = expect_json(server.login("survivor", PASSWORD).await, 200).await;
    assert!(login["access_token"].is_string());
    assert_eq!(server.get_authorized("/api/v1/auth/me", &access).await.status(), 200);
    assert!(!server.stderr().contains("panicked"), "{}", server.stderr());
    server.stop(STOP_LIMIT).await;
}
