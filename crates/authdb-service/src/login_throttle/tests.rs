use authdb_domain::Login;

use super::*;

fn policy() -> LoginThrottlePolicy {
    LoginThrottlePolicy {
        threshold: 5,
        ip_threshold: 50,
        base_delay: Duration::from_secs(2),
        max_delay: Duration::from_secs(60),
        decay: Duration::from_secs(300),
        ..LoginThrottlePolicy::default()
    }
}

/// Fails `attempts` times at `now_ms`, one after the other, as a claim and a wrong
/// password would.
fn fail_n(mut counter: ThrottleCounter, attempts: u32, now_ms: i64) -> (ThrottleCounter, Option<Lock>) {
    let mut last_lock = None;
    for _ in 0..attempts {
        assert_eq!(judge(counter, 0, now_ms, 5, &policy()), Verdict::Allow, "refused at {counter:?}");
        let (next, lock) = fail(counter, now_ms, 5, &policy());
        counter = next;
        last_lock = lock;
    }
    (counter, last_lock)
}

#[test]
fn the_fifth_failure_locks_for_the_base_delay() {
    let (counter, lock) = fail_n(ThrottleCounter::default(), 4, 1_000_000);
    assert_eq!(lock, None, "four failures do not lock");
    let (counter, lock) = fail_n(counter, 1, 1_000_000);
    assert_eq!(lock, Some(Lock { failures: 5, delay_ms: 2_000 }));
    assert_eq!(judge(counter, 0, 1_000_500, 5, &policy()), Verdict::Refuse { retry_after_ms: 1_500 });
}

#[test]
fn each_further_failure_doubles_the_delay_up_to_the_maximum() {
    let mut now = 1_000_000;
    let (mut counter, _) = fail_n(ThrottleCounter::default(), 5, now);
    let mut delays = Vec::new();
    for _ in 0..6 {
        now = counter.locked_until_ms;
        let (next, lock) = fail_n(counter, 1, now);
        counter = next;
        delays.push(lock.expect("locks").delay_ms);
    }
    assert_eq!(delays, [4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
}

#[test]
fn failures_are_forgiven_one_per_decay_period() {
    let (counter, _) = fail_n(ThrottleCounter::default(), 5, 0);
    // Two decay periods after the last failure, two failures are forgiven: the next
    // failure counts as the fourth and does not lock.
    assert_eq!(judge(counter, 0, 600_000, 5, &policy()), Verdict::Allow);
    let (next, lock) = fail(counter, 600_000, 5, &policy());
    assert_eq!(next.failures, 4);
    assert_eq!(lock, None);
    // Long after, everything is forgiven.
    assert_eq!(fail(counter, 10_000_000, 5, &policy()).0.failures, 1);
}

#[test]
fn a_lock_is_not_shortened_by_decay() {
    let policy = LoginThrottlePolicy { decay: Duration::from_secs(1), ..policy() };
    let locked = ThrottleCounter { failures: 9, last_failure_at_ms: 0, locked_until_ms: 50_000 };
    assert_eq!(judge(locked, 0, 40_000, 5, &policy), Verdict::Refuse { retry_after_ms: 10_000 });
}

#[test]
fn a_counter_below_its_threshold_is_not_locked_whatever_its_lock_time() {
    let counter = ThrottleCounter { failures: 4, last_failure_at_ms: 0, locked_until_ms: 50_000 };
    assert_eq!(judge(counter, 0, 1_000, 5, &policy()), Verdict::Allow);
}

#[test]
fn attempts_in_flight_take_the_budget_until_judged() {
    let empty = ThrottleCounter::default();
    assert_eq!(judge(empty, 4, 1_000, 5, &policy()), Verdict::Allow, "the fifth attempt in flight");
    assert_eq!(judge(empty, 5, 1_000, 5, &policy()), Verdict::Wait, "the sixth waits, it is not refused");
    let (two_failures, _) = fail_n(empty, 2, 1_000);
    assert_eq!(judge(two_failures, 2, 1_000, 5, &policy()), Verdict::Allow);
    assert_eq!(
        judge(two_failures, 3, 1_000, 5, &policy()),
        Verdict::Wait,
        "failures and attempts in flight share the budget"
    );
    // Once a lock has passed, one attempt at a time.
    let (locked, lock) = fail_n(empty, 5, 1_000);
    let after_lock = 1_000 + lock.expect("locks").delay_ms;
    assert_eq!(judge(locked, 0, after_lock, 5, &policy()), Verdict::Allow);
    assert_eq!(judge(locked, 1, after_lock, 5, &policy()), Verdict::Wait);
    assert!(
        matches!(judge(locked, 0, after_lock - 1, 5, &policy()), Verdict::Refuse { .. }),
        "a lock refuses, it does not wait"
    );
}

/// Whatever order parallel attempts are judged in, failures stop at the threshold: an
/// attempt is let through only while failures plus attempts in flight are below it.
#[test]
fn parallel_failures_cannot_pass_the_threshold() {
    let mut counter = ThrottleCounter::default();
    let mut in_flight = 0;
    let mut checked = 0;
    for _ in 0..20 {
        if judge(counter, in_flight, 1_000, 5, &policy()) == Verdict::Allow {
            in_flight += 1;
            checked += 1;
        }
    }
    for _ in 0..in_flight {
        counter = fail(counter, 1_000, 5, &policy()).0;
    }
    assert_eq!((checked, counter.failures), (5, 5));
    assert!(matches!(judge(counter, 0, 1_000, 5, &policy()), Verdict::Refuse { .. }));
}

#[test]
fn the_account_alert_fires_once_when_crossed() {
    let policy = policy();
    let mut counter = ThrottleCounter::default();
    let mut alerts = Vec::new();
    for failure in 1..=25 {
        let next = count_failure(counter, 1_000, &policy);
        if crosses(counter, next, 1_000, 20, &policy) {
            alerts.push(failure);
        }
        counter = next;
    }
    assert_eq!(alerts, [20]);
    assert_eq!(counter.locked_until_ms, 0, "the account count never locks");
    // Forgiven below the threshold, it fires again when crossed again.
    let later = 1_000 + 6 * 300_000;
    let next = count_failure(counter, later, &policy);
    assert_eq!(next.failures, 20);
    assert!(crosses(counter, next, later, 20, &policy));
}

#[test]
fn huge_failure_counts_do_not_overflow() {
    assert_eq!(delay_ms(u32::MAX, &policy()), 60_000);
    let counter = ThrottleCounter { failures: u32::MAX, last_failure_at_ms: i64::MIN, locked_until_ms: 0 };
    assert_eq!(judge(counter, 0, i64::MAX, 5, &policy()), Verdict::Allow);
    assert_eq!(fail(counter, i64::MAX, 5, &policy()).0.failures, 1);
    let never_forgiven = ThrottleCounter { failures: u32::MAX, last_failure_at_ms: i64::MAX, locked_until_ms: 0 };
    assert_eq!(judge(never_forgiven, u32::MAX, 0, 5, &policy()), Verdict::Wait);
    assert_eq!(fail(never_forgiven, 0, 5, &policy()).0.failures, u32::MAX);
}

#[test]
fn logins_are_normalized_and_never_stored_in_clear() {
    let key_of = |login: &str, address: &str| account_key(Attempted::Login(&Login::parse(login)), address);
    let key = key_of("Alice@Example.com ", "127.0.0.1");
    assert_eq!(key, key_of("alice@example.com", "127.0.0.1"));
    assert_eq!(key_of("Alice", "127.0.0.1"), key_of("alice", "127.0.0.1"));
    assert_ne!(key_of("alice", "127.0.0.1"), key_of("alice@example.com", "127.0.0.1"));
    assert_ne!(key, key_of("alice@example.com", "127.0.0.2"), "the address is part of the key");
    assert!(key.starts_with("account:") && !key.contains("alice"), "{key}");
    assert!(key.len() <= 128);
}

/// The keys are stored: a change of form would silently reset every counter, lockouts
/// included.
#[test]
fn the_stored_key_forms_do_not_change() {
    let hashed =
        |normalized: &str| format!("account:{}", TokenHash::of(&format!("{normalized}\n203.0.113.7")).as_str());
    let key_of = |login: &str| account_key(Attempted::Login(&Login::parse(login)), "203.0.113.7");
    assert_eq!(key_of(" Alice@Example.com"), hashed("e:alice@example.com"));
    assert_eq!(key_of("Alice"), hashed("u:alice"));
    assert_eq!(key_of("not a login"), hashed("r:not a login"));
    let user = UserId::from_uuid(uuid::Uuid::nil());
    assert_eq!(
        account_key(Attempted::PasswordChange(user), "203.0.113.7"),
        hashed("r:change-password:00000000-0000-0000-0000-000000000000")
    );
}

#[test]
fn ipv6_addresses_are_counted_by_their_64_network() {
    assert_eq!(address_key(Some("203.0.113.7")), "203.0.113.7");
    assert_eq!(address_key(Some("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
    assert_eq!(address_key(Some("2001:db8:1:2:bbbb::9")), "2001:db8:1:2::/64");
    assert_eq!(address_key(Some("::ffff:203.0.113.7")), "203.0.113.7");
    assert_eq!(address_key(None), "unknown");
    assert_eq!(address_key(Some("garbage")), "unknown");
}
