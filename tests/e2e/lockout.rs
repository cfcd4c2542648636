//! Brute-force defence: failed logins are counted per login and address and per
//! address, atomically; attempts in flight hold a place in the budget until judged, and
//! only a wrong password is a failure.

use std::{net::IpAddr, time::Duration};

use authdb_persistence::entities::{audit_events, login_attempts, login_throttles};
use authdb_tests::{Backend, PASSWORD, TestApp, spawn_app_with};
use futures_util::future::join_all;
use reqwest::{Client, Response};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

const TOKEN_PATH: &str = "/api/v1/auth/token";
const CHANGE_PASSWORD_PATH: &str = "/api/v1/auth/change-password";

/// Short delays so that waiting one out keeps the test fast.
async fn spawn(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.auth.lockout_base_delay_secs = 1;
        settings.auth.lockout_max_delay_secs = 60;
    })
    .await
}

/// For the tests of parallel attempts, which count the attempts judged before the lock:
/// a lock long enough not to expire while a loaded machine is still serving the batch
/// (after a 1 s lock, one more attempt is rightly let through).
async fn spawn_for_parallel_attempts(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| settings.auth.lockout_base_delay_secs = 60).await
}

/// A client whose connections come from another loopback address.
fn client_from(address: &str) -> Client {
    Client::builder().local_address(address.parse::<IpAddr>().unwrap()).build().unwrap()
}

async fn login_from(app: &TestApp, client: &Client, login: &str, password: &str) -> Response {
    client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "login": login, "password": password }))
        .send()
        .await
        .unwrap()
}

fn retry_after(response: &Response) -> u64 {
    response.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

async fn statuses(responses: Vec<Response>) -> (usize, usize, Vec<u16>) {
    let codes: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    let unauthorized = codes.iter().filter(|&&c| c == 401).count();
    let too_many = codes.iter().filter(|&&c| c == 429).count();
    (unauthorized, too_many, codes)
}

async fn five_failures_lock_the_login_from_that_address(backend: Backend) {
    let app = spawn(backend).await;
    app.register_ok("alice").await;
    for attempt in 1..=5 {
        assert_eq!(app.login("alice", "Wrong1234").await.status(), 401, "attempt {attempt}");
    }

    let refused = app.login("alice", "Wrong1234").await;

    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    assert_eq!(retry_after(&refused), 1);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["type"], "/problems/too-many-attempts");
    assert_eq!(body["status"], 429);
    let right_password = app.login("alice@example.com", PASSWORD).await;
    assert_eq!(right_password.status(), 200, "the email is counted apart from the username");
    assert_eq!(app.login("ALICE", PASSWORD).await.status(), 429, "even the right password waits out the lock");
    let elsewhere = login_from(&app, &client_from("127.0.0.2"), "alice", PASSWORD).await;
    assert_eq!(elsewhere.status(), 200, "another address is not locked out");
}

async fn unknown_accounts_are_throttled_exactly_like_known_ones(backend: Backend) {
    let app = spawn(backend).await;
    app.register_ok("alice").await;
    for _ in 0..5 {
        assert_eq!(app.login("alice", "Wrong1234").await.status(), 401);
        assert_eq!(app.login("nobody", "Wrong1234").await.status(), 401);
    }

    let known = app.login("alice", "Wrong1234").await;
    let unknown = app.login("nobody", "Wrong1234").await;

    assert_eq!((known.status().as_u16(), unknown.status().as_u16()), (429, 429));
    assert_eq!(retry_after(&known), retry_after(&unknown));
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
}

async fn parallel_attempts_cannot_slip_past_the_limit(backend: Backend) {
    let app = spawn_for_parallel_attempts(backend).await;
    app.register_ok("alice").await;

    let known = join_all((0..20).map(|_| app.login("alice", "Wrong1234"))).await;
    let unknown = join_all((0..20).map(|_| app.login("ghost@example.com", "Wrong1234"))).await;

    let (unauthorized, too_many, codes) = statuses(known).await;
    assert_eq!((unauthorized, too_many), (5, 15), "{codes:?}");
    let (unauthorized, too_many, codes) = statuses(unknown).await;
    assert_eq!((unauthorized, too_many), (5, 15), "{codes:?}");
}

async fn the_delay_doubles_with_each_failure_and_a_success_resets_the_count(backend: Backend) {
    let app = spawn(backend).await;
    app.register_ok("alice").await;
    for _ in 0..5 {
        assert_eq!(app.login("alice", "Wrong1234").await.status(), 401);
    }
    assert_eq!(retry_after(&app.login("alice", "Wrong1234").await), 1);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(app.login("alice", "Wrong1234").await.status(), 401, "allowed again once the lock ends");
    let refused = app.login("alice", "Wrong1234").await;
    assert_eq!(refused.status(), 429);
    assert_eq!(retry_after(&refused), 2, "the sixth failure locks twice as long");

    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200);
    for attempt in 1..=5 {
        assert_eq!(app.login("alice", "Wrong1234").await.status(), 401, "attempt {attempt} after the reset");
    }
    assert_eq!(retry_after(&app.login("alice", "Wrong1234").await), 1, "the delay starts over");
}

async fn failures_are_forgiven_with_time(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.auth.lockout_base_delay_secs = 1;
        settings.auth.lockout_decay_secs = 1;
    })
    .await;
    app.register_ok("alice").await;
    for _ in 0..4 {
        assert_eq!(app.login("alice", "Wrong1234").await.status(), 401);
    }

    // Two seconds without failures forgive two of the four.
    tokio::time::sleep(Duration::from_millis(2100)).await;

    for attempt in 1..=3 {
        assert_eq!(app.login("alice", "Wrong1234").await.status(), 401, "attempt {attempt}");
    }
    assert_eq!(app.login("alice", "Wrong1234").await.status(), 429);
}

async fn one_address_has_a_budget_across_all_logins(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.lockout_ip_threshold = 10).await;
    app.register_ok("alice").await;
    // Successful logins from the address do not use its budget.
    for _ in 0..12 {
        app.login_ok("alice").await;
    }

    let logins: Vec<String> = (0..30).map(|n| format!("user{n}")).collect();
    let sprayed = join_all(logins.iter().map(|login| app.login(login, "Spray1234"))).await;

    let (unauthorized, too_many, codes) = statuses(sprayed).await;
    assert_eq!((unauthorized, too_many), (10, 20), "{codes:?}");
    assert_eq!(app.login("alice", PASSWORD).await.status(), 429, "the whole address waits");
    let elsewhere = login_from(&app, &client_from("127.0.0.3"), "alice", PASSWORD).await;
    assert_eq!(elsewhere.status(), 200);
    let db = app.database().await;
    let lockouts = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("login.locked_out"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(lockouts.len(), 1);
    assert_eq!(lockouts[0].actor_id, None, "an address lockout is nobody's account");
    assert_eq!(lockouts[0].target.as_deref(), Some("ip:127.0.0.1"));
    assert_eq!(lockouts[0].details["scope"], "ip");
}

/// Counters whose failures are all forgiven and whose lock has passed are deleted by the
/// next attempt (at most once a minute per process); the others stay.
async fn forgotten_counters_are_deleted(backend: Backend) {
    let app = spawn(backend).await;
    let db = app.database().await;
    let now_ms = i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap();
    let hour = 3_600_000;
    let counters = [
        ("ip:192.0.2.1", 3, now_ms - 2 * hour, 0),              // forgiven long ago
        ("ip:192.0.2.2", 3, now_ms - 60_000, 0),                // still counted
        ("ip:192.0.2.3", 60, now_ms - 2 * hour, now_ms + hour), // still locked
        ("ip:192.0.2.4", 0, 0, 0),                              // empty
    ];
    for (key, failures, last_failure_at_ms, locked_until_ms) in counters {
        login_throttles::Entity::insert(login_throttles::ActiveModel {
            key: Set(key.to_owned()),
            failures: Set(failures),
            last_failure_at_ms: Set(last_failure_at_ms),
            locked_until_ms: Set(locked_until_ms),
        })
        .exec_without_returning(&db)
        .await
        .unwrap();
    }

    assert_eq!(app.login("nobody", "Wrong1234").await.status(), 401);

    let mut left: Vec<String> =
        login_throttles::Entity::find().all(&db).await.unwrap().into_iter().map(|row| row.key).collect();
    left.sort();
    assert_eq!(left.len(), 4, "{left:?}");
    assert!(left[0].starts_with("account:"), "the attempt's own counters: {left:?}");
    assert_eq!(&left[1..], ["ip:127.0.0.1", "ip:192.0.2.2", "ip:192.0.2.3"]);
    let own = login_throttles::Entity::find_by_id("ip:127.0.0.1".to_owned()).one(&db).await.unwrap();
    assert_eq!(own.map(|row| row.failures), Some(1));
}

async fn a_lockout_is_audited_for_the_account(backend: Backend) {
    let app = spawn(backend).await;
    let alice = app.register_ok("alice").await;
    for _ in 0..6 {
        app.login("alice", "Wrong1234").await;
    }

    let db = app.database().await;
    let events = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("login.locked_out"))
        .all(&db)
        .await
        .unwrap();

    assert_eq!(events.len(), 1, "one lockout, however many refused attempts follow");
    let event = &events[0];
    assert_eq!(event.actor_id.unwrap().to_string(), alice.user["id"].as_str().unwrap());
    assert_eq!(event.outcome, "failure");
    assert_eq!(event.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(event.details, json!({ "scope": "account", "failures": 5, "retry_after_secs": 1 }));
    let failed =
        audit_events::Entity::find().filter(audit_events::Column::Action.eq("login.failed")).all(&db).await.unwrap();
    assert_eq!(failed.len(), 5, "a refused attempt checks no password, so it records no failed login");
}

/// A refused attempt answers before any hashing: with a bcrypt cost that makes every
/// checked password take a while, the 429 is faster than the quickest 401.
async fn a_locked_attempt_costs_no_password_hashing(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.bcrypt_cost = 11).await;
    app.register_ok("alice").await;
    let mut quickest_check = Duration::MAX;
    for _ in 0..5 {
        let started = std::time::Instant::now();
        assert_eq!(app.login("alice", "Wrong1234").await.status(), 401);
        quickest_check = quickest_check.min(started.elapsed());
    }

    let started = std::time::Instant::now();
    let refused = app.login("alice", "Wrong1234").await;
    let refusal = started.elapsed();

    assert_eq!(refused.status(), 429);
    assert!(refusal < quickest_check, "refused in {refusal:?}, a checked password took at least {quickest_check:?}");
}

fn count(codes: &[u16], code: u16) -> usize {
    codes.iter().filter(|&&c| c == code).count()
}

async fn parallel_logins<'a>(app: &TestApp, passwords: impl IntoIterator<Item = &'a str>) -> Vec<u16> {
    let logins = passwords.into_iter().map(|password| app.login("alice", password));
    join_all(logins).await.iter().map(|response| response.status().as_u16()).collect()
}

/// Attempts in flight are not failures: many parallel logins with the right password wait
/// for their turn instead of being refused.
async fn parallel_logins_with_the_right_password_all_succeed(backend: Backend) {
    let app = spawn_for_parallel_attempts(backend).await;
    app.register_ok("alice").await;

    let codes = parallel_logins(&app, [PASSWORD; 16]).await;

    assert_eq!(count(&codes, 200), 16, "{codes:?}");
    let failures = parallel_logins(&app, ["Wrong1234"; 20]).await;
    assert_eq!((count(&failures, 401), count(&failures, 429)), (5, 15), "{failures:?}");
}

async fn right_and_wrong_passwords_in_parallel_are_each_judged_on_their_own(backend: Backend) {
    let app = spawn_for_parallel_attempts(backend).await;
    app.register_ok("alice").await;
    let mut passwords = vec![PASSWORD; 12];
    for at in [1, 5, 9, 13] {
        passwords.insert(at, "Wrong1234");
    }

    let codes = parallel_logins(&app, passwords).await;

    assert_eq!((count(&codes, 200), count(&codes, 401)), (12, 4), "{codes:?}");
}

async fn token_requests(app: &TestApp, passwords: &[&str]) -> Vec<u16> {
    let requests = passwords.iter().map(|password| {
        let form = oauth2::url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "password")
            .append_pair("username", "alice")
            .append_pair("password", password)
            .finish();
        app.client
            .post(app.url(TOKEN_PATH))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
    });
    join_all(requests).await.into_iter().map(|response| response.unwrap().status().as_u16()).collect()
}

async fn the_token_endpoint_judges_parallel_attempts_like_logins(backend: Backend) {
    let app = spawn_for_parallel_attempts(backend).await;
    app.register_ok("alice").await;

    let right = token_requests(&app, &[PASSWORD; 16]).await;
    let mut mixed = vec![PASSWORD; 12];
    mixed.extend(["Wrong1234"; 4]);
    let mixed = token_requests(&app, &mixed).await;
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200, "a success clears the four failures");
    let wrong = token_requests(&app, &["Wrong1234"; 20]).await;

    assert_eq!(count(&right, 200), 16, "{right:?}");
    assert_eq!((count(&mixed, 200), count(&mixed, 400)), (12, 4), "{mixed:?}");
    assert_eq!((count(&wrong, 400), count(&wrong, 429)), (5, 15), "{wrong:?}");
}

async fn password_changes(app: &TestApp, access_token: &str, current_passwords: &[&str]) -> Vec<u16> {
    // The new password is the current one, so that every change that succeeds leaves the
    // others right.
    let bodies: Vec<Value> = current_passwords
        .iter()
        .map(|current| json!({ "current_password": current, "new_password": PASSWORD }))
        .collect();
    let changes = bodies.iter().map(|body| app.post_with(CHANGE_PASSWORD_PATH, access_token, body));
    join_all(changes).await.iter().map(|response| response.status().as_u16()).collect()
}

async fn parallel_password_changes_are_judged_like_logins(backend: Backend) {
    let app = spawn_for_parallel_attempts(backend).await;
    let alice = app.register_ok("alice").await;

    let right = password_changes(&app, &alice.access_token, &[PASSWORD; 16]).await;
    let mut mixed = vec![PASSWORD; 12];
    mixed.extend(["Wrong1234"; 4]);
    let mixed = password_changes(&app, &alice.access_token, &mixed).await;
    assert_eq!(password_changes(&app, &alice.access_token, &[PASSWORD]).await, [204], "clears the four failures");
    let wrong = password_changes(&app, &alice.access_token, &["Wrong1234"; 20]).await;

    assert_eq!(count(&right, 204), 16, "{right:?}");
    assert_eq!((count(&mixed, 204), count(&mixed, 400)), (12, 4), "{mixed:?}");
    assert_eq!((count(&wrong, 400), count(&wrong, 429)), (5, 15), "{wrong:?}");
}

/// An attempt beyond the budget waits at most `auth.lockout_max_wait_ms` for the attempts
/// in flight; an attempt that was never judged (its instance stopped) stops counting when
/// its reservation expires.
async fn attempts_never_judged_hold_the_budget_only_until_they_expire(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.auth.lockout_ip_threshold = 5;
        settings.auth.lockout_max_wait_ms = 200;
    })
    .await;
    app.register_ok("alice").await;
    let db = app.database().await;
    let now_ms = i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap();
    let reserve = |expires_at_ms: i64| login_attempts::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        key: Set("ip:127.0.0.1".to_owned()),
        expires_at_ms: Set(expires_at_ms),
    };
    let in_flight: Vec<_> = (0..5).map(|_| reserve(now_ms + 3_600_000)).collect();
    login_attempts::Entity::insert_many(in_flight).exec_without_returning(&db).await.unwrap();

    let busy = app.login("alice", PASSWORD).await;

    assert_eq!(busy.status(), 429, "the address's budget is held by five attempts in flight");
    assert_eq!(retry_after(&busy), 1);
    let body: Value = busy.json().await.unwrap();
    assert_eq!(body["type"], "/problems/too-many-attempts");
    login_attempts::Entity::update_many()
        .col_expr(login_attempts::Column::ExpiresAtMs, sea_orm::sea_query::Expr::value(now_ms - 1))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(app.login("alice", PASSWORD).await.status(), 200, "expired attempts do not count");
    let failures =
        login_throttles::Entity::find_by_id("ip:127.0.0.1".to_owned()).one(&db).await.unwrap().map(|row| row.failures);
    assert_eq!(failures.unwrap_or(0), 0, "waiting is no failure");
}

/// Failures of one account from many addresses are reported once the account count
/// crosses its threshold, without locking the owner out.
async fn failures_of_one_account_across_addresses_raise_an_alert(backend: Backend) {
    let app = spawn(backend).await;
    let alice = app.register_ok("alice").await;
    for address in ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"] {
        let client = client_from(address);
        for _ in 0..5 {
            assert_eq!(login_from(&app, &client, "alice", "Wrong1234").await.status(), 401);
        }
    }
    let db = app.database().await;
    let under_attack = || async {
        audit_events::Entity::find()
            .filter(audit_events::Column::Action.eq("login.account_under_attack"))
            .all(&db)
            .await
            .unwrap()
    };
    let events = under_attack().await;
    assert_eq!(events.len(), 1, "the twentieth failure crosses the default threshold");
    assert_eq!(events[0].actor_id.unwrap().to_string(), alice.user["id"].as_str().unwrap());
    assert_eq!(events[0].outcome, "failure");
    assert_eq!(events[0].details["failures"], 20);

    assert_eq!(app.login("alice", PASSWORD).await.status(), 200, "the owner is not locked out");
    let elsewhere = client_from("127.0.0.6");
    assert_eq!(login_from(&app, &elsewhere, "alice", "Wrong1234").await.status(), 401);
    assert_eq!(under_attack().await.len(), 1, "reported once per crossing, not per failure");
    let own_events = app.get_with("/api/v1/auth/events", &alice.access_token).await.json::<Value>().await.unwrap();
    let shown = own_events["items"].as_array().unwrap();
    assert!(shown.iter().any(|event| event["action"] == "login.account_under_attack"), "{own_events}");
}

async fn the_account_alert_threshold_can_be_changed_or_turned_off(backend: Backend) {
    for (threshold, expected) in [(3, 1), (0, 0)] {
        let app = spawn_app_with(backend, |settings| settings.auth.lockout_account_alert_threshold = threshold).await;
        app.register_ok("alice").await;
        for address in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
            assert_eq!(login_from(&app, &client_from(address), "alice", "Wrong1234").await.status(), 401);
        }
        let db = app.database().await;
        let events = audit_events::Entity::find()
            .filter(audit_events::Column::Action.eq("login.account_under_attack"))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(events.len(), expected, "threshold {threshold}");
    }
}

on_both_backends!(
    five_failures_lock_the_login_from_that_address,
    unknown_accounts_are_throttled_exactly_like_known_ones,
    parallel_attempts_cannot_slip_past_the_limit,
    the_delay_doubles_with_each_failure_and_a_success_resets_the_count,
    failures_are_forgiven_with_time,
    one_address_has_a_budget_across_all_logins,
    a_lockout_is_audited_for_the_account,
    a_locked_attempt_costs_no_password_hashing,
    forgotten_counters_are_deleted,
    parallel_logins_with_the_right_password_all_succeed,
    right_and_wrong_passwords_in_parallel_are_each_judged_on_their_own,
    the_token_endpoint_judges_parallel_attempts_like_logins,
    parallel_password_changes_are_judged_like_logins,
    attempts_never_judged_hold_the_budget_only_until_they_expire,
    failures_of_one_account_across_addresses_raise_an_alert,
    the_account_alert_threshold_can_be_changed_or_turned_off,
);
