use super::*;

fn memory(auth: u32, api: u32) -> RateLimiter {
    RateLimiter::new(&RateLimitConfig {
        enabled: true,
        auth_per_minute: auth,
        api_per_minute: api,
        chat_posts_per_minute: 120,
        redis: None,
    })
    .expect("valid configuration")
}

#[actix_web::test]
async fn the_budget_counts_down_then_refuses_with_a_retry_time() {
    let limiter = memory(3, 100);
    let remaining: Vec<u32> = futures_util::future::join_all((0..3).map(|_| limiter.check(Policy::Auth, "ip:1")))
        .await
        .into_iter()
        .map(|decision| decision.expect("limited").remaining)
        .collect();
    assert_eq!(remaining, [2, 1, 0]);
    let refused = limiter.check(Policy::Auth, "ip:1").await.expect("limited");
    assert!(!refused.allowed);
    assert_eq!(refused.limit, 3);
    assert_eq!(refused.remaining, 0);
    // One request comes back every 20 s.
    assert!((19..=20).contains(&refused.retry_after_secs), "{refused:?}");
}

#[actix_web::test]
async fn keys_and_policies_have_separate_budgets() {
    let limiter = memory(1, 1);
    assert!(limiter.check(Policy::Auth, "ip:1").await.expect("limited").allowed);
    assert!(!limiter.check(Policy::Auth, "ip:1").await.expect("limited").allowed);
    assert!(limiter.check(Policy::Auth, "ip:2").await.expect("limited").allowed);
    assert!(limiter.check(Policy::Api, "ip:1").await.expect("limited").allowed);
}

#[actix_web::test]
async fn a_disabled_limiter_limits_nothing() {
    let limiter = RateLimiter::new(&RateLimitConfig {
        enabled: false,
        auth_per_minute: 1,
        api_per_minute: 1,
        chat_posts_per_minute: 120,
        redis: None,
    })
    .expect("valid");
    assert!(!limiter.is_enabled());
    assert_eq!(limiter.check(Policy::Auth, "ip:1").await, None);
    assert_eq!(limiter.redis_up().await, None);
}

#[test]
fn zero_budgets_and_bad_redis_urls_are_refused() {
    let config = RateLimitConfig {
        enabled: true,
        auth_per_minute: 0,
        api_per_minute: 1,
        chat_posts_per_minute: 120,
        redis: None,
    };
    assert!(RateLimiter::new(&config).is_err());
    let redis =
        RedisConfig { url: "http://nope".into(), timeout: Duration::from_millis(100), key_prefix: String::new() };
    let config = RateLimitConfig {
        enabled: true,
        auth_per_minute: 1,
        api_per_minute: 1,
        chat_posts_per_minute: 120,
        redis: Some(redis),
    };
    assert!(RateLimiter::new(&config).is_err());
}

#[actix_web::test]
async fn an_unreachable_redis_lets_requests_through() {
    // Port 1 on loopback refuses connections at once.
    let redis = RedisConfig {
        url: "redis://127.0.0.1:1".into(),
        timeout: Duration::from_millis(200),
        key_prefix: "test:".into(),
    };
    let config = RateLimitConfig {
        enabled: true,
        auth_per_minute: 1,
        api_per_minute: 1,
        chat_posts_per_minute: 120,
        redis: Some(redis),
    };
    let limiter = RateLimiter::new(&config).expect("lazy connection");
    for _ in 0..3 {
        assert_eq!(limiter.check(Policy::Auth, "ip:1").await, None);
    }
    assert_eq!(limiter.redis_up().await, Some(false));
}

#[test]
fn redis_passwords_stay_out_of_debug_output() {
    let redis = RedisConfig {
        url: "redis://user:hunter2@cache:6379/0".into(),
        timeout: Duration::from_millis(100),
        key_prefix: String::new(),
    };
    let shown = format!("{redis:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("cache:6379"), "{shown}");
}

#[test]
fn sign_in_routes_are_limited_per_address_under_a_mount_prefix_too() {
    for route in ["/api/v1/auth/login", "/auth/api/v1/auth/login", "/a/b/api/v1/auth/token"] {
        assert!(is_ip_limited(route), "{route}");
    }
    for route in ["/api/v1/auth/me", "/auth/api/v1/organizations", "/login/api/v1/auth/me"] {
        assert!(!is_ip_limited(route), "{route}");
    }
}
