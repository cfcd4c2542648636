//! Brute-force defence for password logins.
//!
//! Failed logins are counted twice: per account and client address (the login as typed,
//! normalized, hashed together with the address), and per client address across all
//! accounts. Once a counter reaches its threshold, each further failure locks it for a
//! delay that doubles with every failure up to a maximum; while locked, attempts are
//! refused with [`ServiceError::TooManyAttempts`] before any account lookup or password
//! hashing, so a locked-out attacker costs one indexed read, not a bcrypt verification.
//! Failures are forgiven one per decay period; a successful login clears its
//! account counter (and takes its own attempt off the address counter).
//!
//! Counters live in the `login_throttles` table rather than in process memory, so every
//! instance behind a load balancer sees the same counts and a restart forgets nothing.
//! An attempt is counted *before* its password is checked, inside a write transaction
//! that locks the counter rows (see `authdb_persistence::login_throttles`): of many
//! parallel attempts, exactly as many as the threshold allows get through; the rest are
//! refused. Attempts in flight count as failures until they succeed.
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
use authdb_domain::{AuditAction, Login, UserId};
use authdb_persistence::login_throttles::{self, ThrottleCounter};
use serde_json::json;
use time::OffsetDateTime;

use crate::{
    ClientInfo, Core, Result, ServiceError,
    audit::{Audit, Target},
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
}

impl Default for LoginThrottlePolicy {
    fn default() -> Self {
        Self {
            threshold: 5,
            ip_threshold: 50,
            base_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(15 * 60),
            decay: Duration::from_secs(5 * 60),
        }
    }
}

/// How often, at most, one process deletes counters that no longer matter.
const PRUNE_EVERY_MS: i64 = 60_000;

/// Counts login attempts; shared by every clone of the [`crate::AuthService`].
#[derive(Debug, Clone)]
pub(crate) struct LoginThrottle {
    core: Core,
    policy: LoginThrottlePolicy,
    last_prune_ms: Arc<AtomicI64>,
}

/// What a password attempt is made on: its failures are counted per this and address.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Attempted<'a> {
    /// A login as typed (counted under `Login::throttle_key`).
    Login(&'a Login),
    /// The current password given to change it, by a signed-in user: a budget of its own,
    /// so that a stolen access token does not give unlimited guesses.
    PasswordChange(UserId),
}

impl Attempted<'_> {
    /// The normalized name counters are kept under (hashed with the address). The forms
    /// are stored: changing one resets every counter of its kind.
    fn normalized(self) -> String {
        match self {
            Self::Login(login) => login.throttle_key(),
            Self::PasswordChange(user) => format!("r:change-password:{user}"),
        }
    }
}

/// An attempt that was let through and counted as a failure until it succeeds.
#[derive(Debug)]
pub(crate) struct Claim {
    account_key: String,
    ip_key: Option<String>,
    /// Set when this attempt, if it fails, locks its counter.
    account_lock: Option<Lock>,
    ip_lock: Option<Lock>,
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
    /// Counted; `lock` is set when a failure of this attempt locks the counter.
    Allow { counter: ThrottleCounter, lock: Option<Lock> },
}

impl LoginThrottle {
    pub(crate) fn new(core: Core, policy: LoginThrottlePolicy) -> Self {
        Self { core, policy, last_prune_ms: Arc::new(AtomicI64::new(0)) }
    }

    /// Counts an attempt on `account` from `client`, or refuses it while that account and
    /// address, or the address alone, is locked.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn claim(&self, account: Attempted<'_>, client: &ClientInfo) -> Result<Claim> {
        let now_ms = unix_ms(OffsetDateTime::now_utc());
        let address = address_key(client.ip.as_deref());
        let account_key = account_key(account, &address);
        let ip_key = (self.policy.ip_threshold > 0).then(|| format!("ip:{address}"));
        // A locked counter is refused from a read on the pool, without queueing for a
        // write turn: a flood of refused attempts must not delay anyone's login.
        if let Some(retry_after_ms) = self.peek(&account_key, ip_key.as_deref(), now_ms).await? {
            return Err(refusal(retry_after_ms));
        }
        let write = Write::begin(&self.core).await?;
        let txn = write.conn();
        // Always the account counter first, then the address: one lock order for all.
        let account =
            judge(login_throttles::lock(txn, &account_key).await?, now_ms, self.policy.threshold, &self.policy);
        let ip = match &ip_key {
            Some(key) => {
                Some(judge(login_throttles::lock(txn, key).await?, now_ms, self.policy.ip_threshold, &self.policy))
            }
            None => None,
        };
        if let Some(retry_after_ms) = longest_refusal([Some(account), ip]) {
            // Dropping the write rolls back the empty counters it may have created.
            drop(write);
            return Err(refusal(retry_after_ms));
        }
        let mut claim = Claim { account_key, ip_key, account_lock: None, ip_lock: None };
        if let Verdict::Allow { counter, lock } = account {
            login_throttles::store(txn, &claim.account_key, counter).await?;
            claim.account_lock = lock;
        }
        if let (Some(key), Some(Verdict::Allow { counter, lock })) = (&claim.ip_key, ip) {
            login_throttles::store(txn, key, counter).await?;
            claim.ip_lock = lock;
        }
        write.commit().await?;
        self.prune_if_due(now_ms).await;
        Ok(claim)
    }

    /// How long the stored counters refuse an attempt at `now_ms`, if they do.
    async fn peek(&self, account_key: &str, ip_key: Option<&str>, now_ms: i64) -> Result<Option<i64>> {
        let keys: Vec<&str> = [Some(account_key), ip_key].into_iter().flatten().collect();
        let counters = login_throttles::peek(self.core.db(), &keys).await?;
        let verdicts = counters.into_iter().map(|(key, counter)| {
            let threshold = if key == account_key { self.policy.threshold } else { self.policy.ip_threshold };
            Some(judge(counter, now_ms, threshold, &self.policy))
        });
        Ok(longest_refusal(verdicts))
    }

    /// The password was right: the account counter starts again from zero and this
    /// attempt no longer counts against the address.
    pub(crate) async fn succeeded(&self, claim: Claim) -> Result<()> {
        let write = Write::begin(&self.core).await?;
        login_throttles::clear(write.conn(), &claim.account_key).await?;
        if let Some(key) = &claim.ip_key {
            login_throttles::forgive_one(write.conn(), key).await?;
        }
        write.commit().await
    }

    /// The password was wrong (the attempt was already counted). When that locks a
    /// counter, the lockout is logged and audited; `actor` is the account the login
    /// names, if it exists.
    pub(crate) async fn failed(&self, claim: Claim, actor: Option<UserId>, client: &ClientInfo) -> Result<()> {
        if claim.account_lock.is_none() && claim.ip_lock.is_none() {
            return Ok(());
        }
        let write = Write::begin(&self.core).await?;
        if let Some(lock) = claim.account_lock {
            let retry_after_secs = secs_ceil(lock.delay_ms);
            tracing::warn!(
                user_id = actor.map(|id| id.to_string()),
                ip = client.ip.as_deref(),
                failures = lock.failures,
                retry_after_secs,
                "login locked: too many failed attempts for one account from one address"
            );
            write.audit(lockout_event(actor, client, "account", lock)).await?;
        }
        if let (Some(lock), Some(key)) = (claim.ip_lock, &claim.ip_key) {
            let retry_after_secs = secs_ceil(lock.delay_ms);
            tracing::warn!(
                ip = client.ip.as_deref(),
                failures = lock.failures,
                retry_after_secs,
                "login locked: too many failed attempts from one address"
            );
            write.audit(lockout_event(None, client, "ip", lock).target(Target::Counter(key.clone()))).await?;
        }
        write.commit().await
    }

    /// Deletes forgotten counters about once a minute per process; a failure only
    /// leaves them for the next time.
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

fn longest_refusal(verdicts: impl IntoIterator<Item = Option<Verdict>>) -> Option<i64> {
    verdicts
        .into_iter()
        .flatten()
        .filter_map(|verdict| match verdict {
            Verdict::Refuse { retry_after_ms } => Some(retry_after_ms),
            Verdict::Allow { .. } => None,
        })
        .max()
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

/// Applies the policy to a counter at `now_ms` for one more attempt.
fn judge(counter: ThrottleCounter, now_ms: i64, threshold: u32, policy: &LoginThrottlePolicy) -> Verdict {
    if counter.failures >= threshold && counter.locked_until_ms > now_ms {
        return Verdict::Refuse { retry_after_ms: counter.locked_until_ms - now_ms };
    }
    let decay_ms = duration_ms(policy.decay).max(1);
    let elapsed = now_ms.saturating_sub(counter.last_failure_at_ms).max(0);
    let forgiven = u32::try_from(elapsed / decay_ms).unwrap_or(u32::MAX);
    let failures = counter.failures.saturating_sub(forgiven).saturating_add(1);
    let lock = (failures >= threshold).then(|| Lock { failures, delay_ms: delay_ms(failures - threshold, policy) });
    let locked_until_ms = lock.map_or(0, |lock| now_ms.saturating_add(lock.delay_ms));
    Verdict::Allow { counter: ThrottleCounter { failures, last_failure_at_ms: now_ms, locked_until_ms }, lock }
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
