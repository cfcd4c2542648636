//! Brute-force defence for password logins.
//!
//! Failed logins are counted twice: per account and client address (the login as typed,
//! normalized, hashed together with the address), and per client address across all
//! accounts. Once a counter reaches its threshold, each further failure locks it for a
//! delay that doubles with every failure up to a maximum; while locked, attempts are
//! refused with [`ServiceError::TooManyAttempts`] before any account lookup or password
//! hashing, so a locked-out attacker costs one indexed read, not a bcrypt verification.
//! Failures are forgiven one per decay period; a successful login clears its account
//! counter.
//!
//! Counters live in the `login_throttles` table rather than in process memory, so every
//! instance behind a load balancer sees the same counts and a restart forgets nothing.
//! Only a wrong password is a failure. An attempt whose password is still being checked
//! is *in flight*: it holds a reservation (a `login_attempts` row per counter, with an
//! expiry) that is taken inside a write transaction holding the counters' row locks, and
//! given back by the transaction that judges the attempt, which counts the failure if
//! there was one. An attempt is let through only while the failures plus the attempts in
//! flight stay below the threshold (see [`judge`]), so of many parallel wrong guesses
//! exactly as many as the threshold allows are checked. An attempt beyond that budget
//! is not refused: it waits for the ones in flight to be judged (woken at once in this
//! process, polled across instances), at most [`LoginThrottlePolicy::max_wait`], and then
//! goes through, or finds the counter locked.
//!
//! Failures of an existing account are also counted over all addresses, under the
//! account's id. That count never refuses anything (it would let anyone lock the owner
//! out); crossing [`LoginThrottlePolicy::account_alert_threshold`] records the audit event
//! `login.account_under_attack`, a warning and a metric.
//!
//! Unknown accounts are counted exactly like known ones (the key is the login as typed,
//! not an account id), so the 429 tells nothing about which accounts exist.

use std::{
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use authdb_auth::TokenHash;
use authdb_domain::{AuditAction, Email, Login, UserId};
use authdb_persistence::{
    login_throttles::{self, ThrottleCounter},
    users,
};
use serde_json::json;
use time::OffsetDateTime;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::{
    ClientInfo, Core, Result, ServiceError,
    audit::{Audit, Target},
    mail_templates::Message,
    write::Write,
};

/// How failed logins are limited. Times are whole milliseconds or more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginThrottlePolicy {
    /// Failures of one login from one address after which it is locked.
    pub threshold: u32,
    /// Failures from one address, over all logins, after which it is locked; 0 turns the
    /// per-address budget off (for example behind a proxy that hides client addresses).
    pub ip_threshold: u32,
    /// The first lock's length; each further failure doubles it.
    pub base_delay: Duration,
    /// The longest lock.
    pub max_delay: Duration,
    /// One failure is forgiven per this much time since the last failure.
    pub decay: Duration,
    /// The longest an attempt beyond the budget waits for the attempts in flight to be
    /// judged before it is refused.
    pub max_wait: Duration,
    /// Failures of one existing account, over all addresses, whose crossing is reported
    /// (`login.account_under_attack`); nothing is ever refused for it. 0 turns it off.
    pub account_alert_threshold: u32,
}

impl Default for LoginThrottlePolicy {
    fn default() -> Self {
        Self {
            threshold: 5,
            ip_threshold: 50,
            base_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(15 * 60),
            decay: Duration::from_secs(5 * 60),
            max_wait: Duration::from_secs(2),
            account_alert_threshold: 20,
        }
    }
}

/// How often, at most, one process deletes counters that no longer matter.
const PRUNE_EVERY_MS: i64 = 60_000;
/// How long an attempt in flight holds its place at most. Far longer than any password
/// check; an attempt whose instance stopped before judging it frees its place then.
const RESERVATION_MS: i64 = 60_000;
/// A waiting attempt looks again after this long, doubling up to [`MAX_POLL`], unless an
/// attempt judged in this process wakes it first (attempts judged on another instance
/// are only seen by looking).
const FIRST_POLL: Duration = Duration::from_millis(10);
const MAX_POLL: Duration = Duration::from_millis(100);

/// Counts login attempts; shared by every clone of the [`crate::AuthService`].
#[derive(Debug, Clone)]
pub(crate) struct LoginThrottle {
    core: Core,
    policy: LoginThrottlePolicy,
    last_prune_ms: Arc<AtomicI64>,
    /// Notified whenever this process judges (or abandons) an attempt.
    judged: Arc<Notify>,
}

/// What a password attempt is made on: its failures are counted per this and address.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Attempted<'a> {
    /// A login as typed (counted under `Login::throttle_key`).
    Login(&'a Login),
    /// The current password given to change it, by a signed-in user: a budget of its own,
    /// so that a stolen access token does not give unlimited guesses.
    PasswordChange(UserId),
    /// A password-reset request for an address: every request counts, so that nobody can
    /// flood an address (or the outbox) with reset mail.
    PasswordReset(&'a Email),
    /// A service client's secret, by the `client_id` as presented (client credentials
    /// grant): guessing a client's secret is throttled like guessing a password.
    Client(&'a str),
    /// A second-factor code (TOTP or recovery code) for a user whose password was right:
    /// a budget of its own, which a right password does not reset.
    SecondFactor(UserId),
    /// A passkey sign-in started without a login name (a discoverable credential): its
    /// failures are counted per address under a key of their own.
    DiscoverablePasskey,
}

impl Attempted<'_> {
    /// The normalized name counters are kept under (hashed with the address). The forms
    /// are stored: changing one resets every counter of its kind.
    fn normalized(self) -> String {
        match self {
            Self::Login(login) => login.throttle_key(),
            Self::PasswordChange(user) => format!("r:change-password:{user}"),
            Self::PasswordReset(email) => format!("r:password-reset:{}", email.as_str()),
            Self::Client(client_id) => format!("c:{client_id}"),
            Self::SecondFactor(user) => format!("m:second-factor:{user}"),
            Self::DiscoverablePasskey => "p:discoverable".to_owned(),
        }
    }
}

/// An attempt that was let through: in flight until [`LoginThrottle::succeeded`] or
/// [`LoginThrottle::failed`] judges it. Dropped unjudged (the request was abandoned, or
/// failed before its password was checked), it gives its place back without counting a
/// failure: nobody learnt anything from it.
#[derive(Debug)]
pub(crate) struct Claim {
    attempt: Uuid,
    account_key: String,
    ip_key: Option<String>,
    /// Gives the place back when dropped unjudged; `None` once judged.
    release: Option<LoginThrottle>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let Some(throttle) = self.release.take() else { return };
        let attempt = self.attempt;
        // No runtime: the process is going away, and the reservation expires by itself.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = throttle.release(attempt).await {
                    tracing::warn!(error = %crate::error_chain(&error), "giving back an abandoned login attempt failed");
                }
            });
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lock {
    failures: u32,
    delay_ms: i64,
}

/// What a counter says about a new attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Locked: try again after this long.
    Refuse { retry_after_ms: i64 },
    /// The budget is taken by attempts in flight: wait for them to be judged.
    Wait,
    /// Let through.
    Allow,
}

/// Why a claim did not get through this time.
enum NotYet {
    Refused { retry_after_ms: i64 },
    Wait,
}

impl LoginThrottle {
    pub(crate) fn new(core: Core, policy: LoginThrottlePolicy) -> Self {
        Self { core, policy, last_prune_ms: Arc::new(AtomicI64::new(0)), judged: Arc::new(Notify::new()) }
    }

    /// Lets an attempt on `account` from `client` through, waiting while the budget is
    /// taken by attempts in flight, or refuses it while that account and address, or the
    /// address alone, is locked (or when the wait is over and the budget still taken).
    #[tracing::instrument(skip_all)]
    pub(crate) async fn claim(&self, account: Attempted<'_>, client: &ClientInfo) -> Result<Claim> {
        let address = address_key(client.ip.as_deref());
        let account_key = account_key(account, &address);
        let ip_key = (self.policy.ip_threshold > 0).then(|| format!("ip:{address}"));
        let deadline = tokio::time::Instant::now() + self.policy.max_wait;
        let mut pause = FIRST_POLL;
        loop {
            // Made before looking, so that an attempt judged in between still wakes us.
            let judged = self.judged.notified();
            match self.try_claim(&account_key, ip_key.as_deref()).await? {
                Ok(attempt) => {
                    return Ok(Claim { attempt, account_key, ip_key, release: Some(self.clone()) });
                }
                Err(NotYet::Refused { retry_after_ms }) => return Err(refusal(retry_after_ms)),
                Err(NotYet::Wait) => {}
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                tracing::info!("login refused: the attempts in flight were not judged in time");
                return Err(refusal(1000));
            }
            // Woken early by an attempt judged here; a timeout is not an error.
            let _woken = tokio::time::timeout(pause.min(deadline - now), judged).await;
            pause = (pause * 2).min(MAX_POLL);
        }
    }

    /// One look at the counters: the attempt's id when it is let through.
    async fn try_claim(&self, account_key: &str, ip_key: Option<&str>) -> Result<Result<Uuid, NotYet>> {
        let now_ms = unix_ms(OffsetDateTime::now_utc());
        // A locked or busy counter is recognized from a read on the pool, without queueing
        // for a write turn: a flood of refused or waiting attempts must not delay anyone.
        let keys: Vec<&str> = [Some(account_key), ip_key].into_iter().flatten().collect();
        let counters = login_throttles::peek(self.core.db(), &keys).await?;
        let pending = login_throttles::pending(self.core.db(), &keys, now_ms).await?;
        let verdicts = keys.iter().map(|&key| {
            let counter = counters.iter().find(|(k, _)| k == key).map_or_else(ThrottleCounter::default, |(_, c)| *c);
            let pending = in_flight(&pending, key);
            judge(counter, pending, now_ms, self.threshold_of(key, account_key), &self.policy)
        });
        if let Some(not_yet) = not_yet(verdicts) {
            return Ok(Err(not_yet));
        }
        let write = Write::begin(&self.core).await?;
        let txn = write.conn();
        // Always the account counter first, then the address: one lock order for all.
        let mut locked = Vec::with_capacity(keys.len());
        for key in &keys {
            locked.push((*key, login_throttles::lock(txn, key).await?));
        }
        // Counted under the locks: every attempt in flight under these counters was
        // reserved by a transaction that held them and has committed.
        let pending = login_throttles::pending(txn, &keys, now_ms).await?;
        let verdicts = locked.iter().map(|(key, counter)| {
            judge(*counter, in_flight(&pending, key), now_ms, self.threshold_of(key, account_key), &self.policy)
        });
        if let Some(not_yet) = not_yet(verdicts) {
            // Dropping the write rolls back the empty counters it may have created.
            drop(write);
            return Ok(Err(not_yet));
        }
        let attempt = Uuid::now_v7();
        login_throttles::reserve(txn, attempt, &keys, now_ms.saturating_add(RESERVATION_MS)).await?;
        write.commit().await?;
        self.prune_if_due(now_ms).await;
        Ok(Ok(attempt))
    }

    fn threshold_of(&self, key: &str, account_key: &str) -> u32 {
        if key == account_key { self.policy.threshold } else { self.policy.ip_threshold }
    }

    /// The password was right: the account counter starts again from zero, and the
    /// attempt gives its place back.
    pub(crate) async fn succeeded(&self, mut claim: Claim) -> Result<()> {
        let write = Write::begin(&self.core).await?;
        login_throttles::lock(write.conn(), &claim.account_key).await?;
        login_throttles::store(write.conn(), &claim.account_key, ThrottleCounter::default()).await?;
        login_throttles::release(write.conn(), claim.attempt).await?;
        write.commit().await?;
        // Judged; had anything above failed, dropping the claim would give its place back.
        claim.release = None;
        self.judged.notify_waiters();
        Ok(())
    }

    /// The password was wrong: the failure is counted and the attempt gives its place
    /// back, in one transaction. When that locks a counter, the lockout is logged and
    /// audited; `actor` is the account the login names, if it exists, and its failures
    /// over all addresses are counted too.
    pub(crate) async fn failed(&self, mut claim: Claim, actor: Option<UserId>, client: &ClientInfo) -> Result<()> {
        let now_ms = unix_ms(OffsetDateTime::now_utc());
        let mut write = Write::begin(&self.core).await?;
        let txn = write.conn();
        // The lock order of `claim`, then the account's own counter last.
        let counter = login_throttles::lock(txn, &claim.account_key).await?;
        let (counter, account_lock) = fail(counter, now_ms, self.policy.threshold, &self.policy);
        login_throttles::store(txn, &claim.account_key, counter).await?;
        let mut ip_lock = None;
        if let Some(key) = &claim.ip_key {
            let counter = login_throttles::lock(txn, key).await?;
            let (counter, lock) = fail(counter, now_ms, self.policy.ip_threshold, &self.policy);
            login_throttles::store(txn, key, counter).await?;
            ip_lock = lock;
        }
        let mut under_attack = None;
        if let Some(user) = actor.filter(|_| self.policy.account_alert_threshold > 0) {
            let key = user_key(user);
            let before = login_throttles::lock(txn, &key).await?;
            let after = count_failure(before, now_ms, &self.policy);
            login_throttles::store(txn, &key, after).await?;
            under_attack = crosses(before, after, now_ms, self.policy.account_alert_threshold, &self.policy)
                .then_some(after.failures);
        }
        login_throttles::release(txn, claim.attempt).await?;
        if let Some(lock) = account_lock {
            let retry_after_secs = secs_ceil(lock.delay_ms);
            tracing::warn!(
                user_id = actor.map(|id| id.to_string()),
                ip = client.ip.as_deref(),
                failures = lock.failures,
                retry_after_secs,
                "login locked: too many failed attempts for one account from one address"
            );
            write.audit(lockout_event(actor, client, "account", lock)).await?;
            // The owner hears of the first lock of a run only: the doubling locks that
            // follow each further failure would make the notice a flood.
            if lock.failures == self.policy.threshold
                && let Some(user) = actor
                && let Some(owner) = users::find_by_id(write.conn(), user).await?
            {
                let ip = client.ip.as_deref().unwrap_or("an unknown address");
                write.mail(Message::AccountLocked { to: &owner.email, username: owner.username.as_ref(), ip }).await?;
            }
        }
        if let (Some(lock), Some(key)) = (ip_lock, &claim.ip_key) {
            let retry_after_secs = secs_ceil(lock.delay_ms);
            tracing::warn!(
                ip = client.ip.as_deref(),
                failures = lock.failures,
                retry_after_secs,
                "login locked: too many failed attempts from one address"
            );
            write.audit(lockout_event(None, client, "ip", lock).target(Target::Counter(key.clone()))).await?;
        }
        if let (Some(failures), Some(user)) = (under_attack, actor) {
            tracing::warn!(
                user_id = %user,
                ip = client.ip.as_deref(),
                failures,
                "account under attack: many failed attempts over all addresses"
            );
            let event = Audit::failure(AuditAction::LoginAccountUnderAttack, Some(user), client)
                .details(json!({ "scope": "account", "failures": failures }));
            write.audit(event).await?;
        }
        write.commit().await?;
        claim.release = None;
        if under_attack.is_some() {
            metrics::counter!("authdb_login_accounts_under_attack_total").increment(1);
        }
        self.judged.notify_waiters();
        Ok(())
    }

    /// Gives back the place of an attempt that was never judged.
    async fn release(&self, attempt: Uuid) -> Result<()> {
        let write = Write::begin(&self.core).await?;
        login_throttles::release(write.conn(), attempt).await?;
        write.commit().await?;
        self.judged.notify_waiters();
        Ok(())
    }

    /// Deletes forgotten counters and expired reservations about once a minute per
    /// process; a failure only leaves them for the next time.
    async fn prune_if_due(&self, now_ms: i64) {
        let last = self.last_prune_ms.load(Ordering::Relaxed);
        if now_ms - last < PRUNE_EVERY_MS
            || self.last_prune_ms.compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed).is_err()
        {
            return;
        }
        let decay_ms = duration_ms(self.policy.decay);
        let pruned = async {
            let write = Write::begin(&self.core).await?;
            let pruned = login_throttles::prune(write.conn(), now_ms, decay_ms).await?;
            write.commit().await?;
            Ok::<_, ServiceError>(pruned)
        }
        .await;
        match pruned {
            Ok(count) => tracing::debug!(count, "forgotten login counters deleted"),
            Err(error) => tracing::warn!(error = %crate::error_chain(&error), "deleting old login counters failed"),
        }
    }
}

/// The attempts in flight under `key`, from [`login_throttles::pending`]'s answer.
fn in_flight(pending: &[(String, u32)], key: &str) -> u32 {
    pending.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n)
}

/// The strongest "not yet" among the verdicts: a refusal (the longest) before a wait.
fn not_yet(verdicts: impl IntoIterator<Item = Verdict>) -> Option<NotYet> {
    let mut wait = false;
    let mut refusal: Option<i64> = None;
    for verdict in verdicts {
        match verdict {
            Verdict::Refuse { retry_after_ms } => {
                refusal = Some(refusal.map_or(retry_after_ms, |r| r.max(retry_after_ms)))
            }
            Verdict::Wait => wait = true,
            Verdict::Allow => {}
        }
    }
    match (refusal, wait) {
        (Some(retry_after_ms), _) => Some(NotYet::Refused { retry_after_ms }),
        (None, true) => Some(NotYet::Wait),
        (None, false) => None,
    }
}

fn refusal(retry_after_ms: i64) -> ServiceError {
    let retry_after_secs = secs_ceil(retry_after_ms).max(1);
    // Not audited and only a debug line: refusals are what an attacker can produce
    // fastest; the lockout itself was logged and audited once.
    tracing::debug!(retry_after_secs, "login refused: too many failed attempts");
    ServiceError::TooManyAttempts { retry_after_secs }
}

/// The audit event of a lockout; about the account `actor` when the login names one.
fn lockout_event(actor: Option<UserId>, client: &ClientInfo, scope: &str, lock: Lock) -> Audit {
    Audit::failure(AuditAction::LoginLockedOut, actor, client).details(json!({
        "scope": scope,
        "failures": lock.failures,
        "retry_after_secs": secs_ceil(lock.delay_ms),
    }))
}

/// Applies the policy to a counter with `pending` attempts in flight at `now_ms`, for
/// one more attempt: refused while locked; let through while the failures not yet
/// forgiven plus the attempts in flight stay below the threshold (one at a time once
/// past it), so that even if every attempt in flight fails, the counter locks at its
/// threshold and no later; otherwise it waits.
fn judge(counter: ThrottleCounter, pending: u32, now_ms: i64, threshold: u32, policy: &LoginThrottlePolicy) -> Verdict {
    if counter.failures >= threshold && counter.locked_until_ms > now_ms {
        return Verdict::Refuse { retry_after_ms: counter.locked_until_ms - now_ms };
    }
    let budget = threshold.saturating_sub(unforgiven(counter, now_ms, policy)).max(1);
    if pending < budget { Verdict::Allow } else { Verdict::Wait }
}

/// The failures of a counter not yet forgiven at `now_ms` (one per decay period since
/// the last failure).
fn unforgiven(counter: ThrottleCounter, now_ms: i64, policy: &LoginThrottlePolicy) -> u32 {
    let decay_ms = duration_ms(policy.decay).max(1);
    let elapsed = now_ms.saturating_sub(counter.last_failure_at_ms).max(0);
    let forgiven = u32::try_from(elapsed / decay_ms).unwrap_or(u32::MAX);
    counter.failures.saturating_sub(forgiven)
}

/// A counter with one more failure at `now_ms`, never locked.
fn count_failure(counter: ThrottleCounter, now_ms: i64, policy: &LoginThrottlePolicy) -> ThrottleCounter {
    let failures = unforgiven(counter, now_ms, policy).saturating_add(1);
    ThrottleCounter { failures, last_failure_at_ms: now_ms, locked_until_ms: 0 }
}

/// A counter with one more failure at `now_ms`, and its lock when that failure reaches
/// the threshold.
fn fail(
    counter: ThrottleCounter,
    now_ms: i64,
    threshold: u32,
    policy: &LoginThrottlePolicy,
) -> (ThrottleCounter, Option<Lock>) {
    let counted = count_failure(counter, now_ms, policy);
    let lock = (counted.failures >= threshold)
        .then(|| Lock { failures: counted.failures, delay_ms: delay_ms(counted.failures - threshold, policy) });
    let locked_until_ms = lock.map_or(0, |lock| now_ms.saturating_add(lock.delay_ms));
    (ThrottleCounter { locked_until_ms, ..counted }, lock)
}

/// Whether one more failure (`before` to `after`) takes a count across `threshold`.
fn crosses(
    before: ThrottleCounter,
    after: ThrottleCounter,
    now_ms: i64,
    threshold: u32,
    policy: &LoginThrottlePolicy,
) -> bool {
    unforgiven(before, now_ms, policy) < threshold && after.failures >= threshold
}

/// The lock after `beyond` failures past the threshold: the base delay doubled `beyond`
/// times, at most the maximum.
fn delay_ms(beyond: u32, policy: &LoginThrottlePolicy) -> i64 {
    let base = duration_ms(policy.base_delay);
    let max = duration_ms(policy.max_delay);
    let factor = 1_i64.checked_shl(beyond.min(62)).unwrap_or(i64::MAX);
    base.saturating_mul(factor).min(max)
}

/// The counter key of an account from an address. Only a hash is stored: people type
/// passwords into the login field.
fn account_key(account: Attempted<'_>, address: &str) -> String {
    format!("account:{}", TokenHash::of(&format!("{}\n{address}", account.normalized())).as_str())
}

/// The counter of an existing account's failures over all addresses.
fn user_key(user: UserId) -> String {
    format!("user:{user}")
}

/// The address an attempt is counted under: IPv4 as is, IPv6 by its /64 network, since
/// one host commonly holds a whole /64. The API's rate limiter keys clients by it too.
pub fn address_key(ip: Option<&str>) -> String {
    match ip.and_then(|ip| ip.parse::<IpAddr>().ok()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".to_owned(),
    }
}

fn unix_ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Milliseconds as whole seconds, rounded up.
fn secs_ceil(ms: i64) -> u64 {
    u64::try_from(ms).unwrap_or(0).div_ceil(1000)
}

fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
