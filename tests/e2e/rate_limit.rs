use authdb_tests::{Backend, spawn_app_with};
use serde_json::{Value, json};

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get(name).map(|value| value.to_str().unwrap().to_owned())
}

async fn auth_routes_are_limited_per_client_ip_with_a_429_problem(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.rate_limit.auth_per_minute = 3).await;

    let mut remaining = Vec::new();
    for _ in 0..3 {
        let response = app.login("nobody@example.com", "Wrong-password1").await;
        assert_eq!(response.status(), 401);
        assert_eq!(header(&response, "ratelimit-limit").as_deref(), Some("3"));
        assert_eq!(header(&response, "ratelimit-policy").as_deref(), Some("3;w=60"));
        assert!(header(&response, "ratelimit-reset").unwrap().parse::<u64>().unwrap() <= 60);
        remaining.push(header(&response, "ratelimit-remaining").unwrap());
    }
    assert_eq!(remaining, ["2", "1", "0"]);

    // The budget is shared by every sign-in route of this client.
    let refused = app.post_json("/api/v1/auth/register", &json!({})).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(header(&refused, "content-type").as_deref(), Some("application/problem+json"));
    let retry_after: u64 = header(&refused, "retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert_eq!(header(&refused, "ratelimit-remaining").as_deref(), Some("0"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["type"], "/problems/rate-limited");
    assert_eq!(body["status"], 429);

    // Probes are never limited.
    let live = app.client.get(app.url("/health/live")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    assert!(header(&live, "ratelimit-limit").is_none());
}

/// The router decodes percent-escapes (`/api/v1/auth/log%69n` is the login route), and so
/// does the limiter: an escaped sign-in route draws on the auth budget all the same.
async fn escaped_sign_in_paths_draw_on_the_auth_budget(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.rate_limit.auth_per_minute = 2).await;
    let send =
        |path: &'static str| app.client.post(app.url(path)).json(&json!({ "login": "nobody", "password": "x" })).send();

    assert_eq!(send("/api/v1/auth/log%69n").await.unwrap().status(), 401);
    assert_eq!(send("/api/v1/auth/regist%65r").await.unwrap().status(), 422);
    for escaped in ["/api/v1/auth/regist%65r", "/api/v1/auth/log%69n", "/api/v1/auth/tok%65n", "/api/v1/auth/refres%68"]
    {
        let refused = send(escaped).await.unwrap();
        assert_eq!(refused.status(), 429, "{escaped}");
        assert_eq!(header(&refused, "ratelimit-limit").as_deref(), Some("2"), "{escaped}");
    }
    assert_eq!(send("/api/v1/auth/login").await.unwrap().status(), 429);
}

/// IPv6 clients are counted by their /64, as the login lockout counts them: one host
/// commonly holds the whole network.
async fn ipv6_clients_share_a_budget_per_64(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.rate_limit.auth_per_minute = 2;
        settings.server.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let login = |forwarded: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("X-Forwarded-For", forwarded)
            .json(&json!({ "login": "nobody", "password": "x" }))
            .send()
    };

    assert_eq!(login("2001:db8:1:2::a").await.unwrap().status(), 401);
    assert_eq!(login("2001:db8:1:2:ffff::b").await.unwrap().status(), 401);
    assert_eq!(login("2001:db8:1:2:1234:5678:9abc:def0").await.unwrap().status(), 429);
    // Another /64 has a budget of its own.
    assert_eq!(login("2001:db8:1:3::a").await.unwrap().status(), 401);
}

on_both_backends!(
    auth_routes_are_limited_per_client_ip_with_a_429_problem,
    escaped_sign_in_paths_draw_on_the_auth_budget,
    ipv6_clients_share_a_budget_per_64,
);

#[tokio::test]
async fn the_api_is_limited_per_user_not_per_address() {
    let app = spawn_app_with(Backend::Sqlite, |settings| settings.rate_limit.api_per_minute = 2).await;
    let ada = app.register_ok("ada").await;
    let bob = app.register_ok("bob").await;

    for _ in 0..2 {
        assert_eq!(app.me(&ada.access_token).await.status(), 200);
    }
    let refused = app.me(&ada.access_token).await;
    assert_eq!(refused.status(), 429);
    assert!(header(&refused, "retry-after").is_some());

    // Same address, another user: a budget of its own.
    let other = app.me(&bob.access_token).await;
    assert_eq!(other.status(), 200);
    assert_eq!(header(&other, "ratelimit-remaining").as_deref(), Some("1"));
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let app = spawn_app_with(Backend::Sqlite, |settings| {
        settings.rate_limit.auth_per_minute = 1;
        settings.server.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let login = |forwarded: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("X-Forwarded-For", forwarded)
            .json(&json!({ "login": "nobody", "password": "x" }))
            .send()
    };

    // The peer (127.0.0.1) is trusted: each forwarded client has its own budget.
    assert_eq!(login("198.51.100.1").await.unwrap().status(), 401);
    assert_eq!(login("198.51.100.1").await.unwrap().status(), 429);
    assert_eq!(login("198.51.100.2").await.unwrap().status(), 401);
}

#[tokio::test]
async fn forwarded_addresses_from_an_untrusted_peer_are_ignored() {
    let app = spawn_app_with(Backend::Sqlite, |settings| settings.rate_limit.auth_per_minute = 1).await;
    let login = |forwarded: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("X-Forwarded-For", forwarded)
            .json(&json!({ "login": "nobody", "password": "x" }))
            .send()
    };

    assert_eq!(login("198.51.100.1").await.unwrap().status(), 401);
    // A new forwarded address does not buy a new budget: the socket address counts.
    assert_eq!(login("198.51.100.2").await.unwrap().status(), 429);
}

#[tokio::test]
async fn limits_can_be_switched_off() {
    let app = spawn_app_with(Backend::Sqlite, |settings| {
        settings.rate_limit.enabled = false;
        settings.rate_limit.auth_per_minute = 1;
    })
    .await;
    for _ in 0..3 {
        let response = app.login("nobody", "x").await;
        assert_eq!(response.status(), 401);
        assert!(header(&response, "ratelimit-limit").is_none());
    }
}

/// A token whose signature would have to be checked, from an address whose API budget
/// is already refusing, is refused from that budget without being verified: forged
/// tokens (a known header, a made-up signature) cost no more than a rate-limited answer.
/// A token verified recently keeps its own user's budget.
async fn an_address_over_its_budget_gets_no_signature_checks(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.rate_limit.api_per_minute = 2).await;
    let ada = app.register_ok("ada").await;
    let bob = app.register_ok("bob").await;
    assert_eq!(app.me(&ada.access_token).await.status(), 200, "verified once, remembered");
    let (unsigned, _) = ada.access_token.rsplit_once('.').unwrap();
    let forged = format!("{unsigned}.{}", "A".repeat(43));

    let statuses: Vec<u16> = futures_util::future::join_all((0..3).map(|_| app.me(&forged)))
        .await
        .iter()
        .map(|response| response.status().as_u16())
        .collect();

    let mut sorted = statuses.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [401, 401, 429], "the address's budget: {statuses:?}");
    assert_eq!(app.me(&forged).await.status(), 429);
    assert_eq!(app.me(&ada.access_token).await.status(), 200, "a recently verified token keeps its user's budget");
    let unverified = app.me(&bob.access_token).await;
    assert_eq!(unverified.status(), 429, "not verified while the address is refused");
    assert!(header(&unverified, "retry-after").is_some());
}

on_both_backends!(an_address_over_its_budget_gets_no_signature_checks);
