use std::{fmt, sync::Arc};

use authdb_domain::{BCRYPT_MAX_PASSWORD_BYTES, Password};
use tokio::sync::Semaphore;
use tracing::Span;

use crate::{AuthError, Result};

/// bcrypt's own bounds on the cost parameter.
const MIN_COST: u32 = 4;
const MAX_COST: u32 = 31;

/// A bcrypt hash in its modular crypt form (`$2b$12$...`). `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a hash read back from storage.
    pub fn from_stored(hash: String) -> Self {
        Self(hash)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The bcrypt cost this hash was made at, from its `$2b$NN$` prefix; `None` when the
    /// stored text is not a bcrypt hash.
    pub fn cost(&self) -> Option<u32> {
        let mut fields = self.0.split('$');
        match (fields.next(), fields.next(), fields.next()) {
            (Some(""), Some("2a" | "2b" | "2x" | "2y"), Some(cost)) if cost.len() == 2 => cost.parse().ok(),
            _ => None,
        }
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// Hashes and verifies passwords with bcrypt off the async workers.
///
/// At most one hash per CPU runs at a time; further requests wait asynchronously for a
/// permit instead of piling up blocking threads, so a login flood cannot starve the rest
/// of the server of threads.
#[derive(Clone)]
pub struct PasswordHasher {
    cost: u32,
    permits: Arc<Semaphore>,
    /// Verified against when the user does not exist, so that an unknown login takes as
    /// long as a wrong password.
    dummy_hash: Arc<PasswordHash>,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher").field("cost", &self.cost).finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// Builds a hasher for `cost` (4..=31), with a dummy hash of that cost. Costs
    /// microseconds whatever the cost: see `dummy_hash` in this module.
    pub fn new(cost: u32) -> Result<Self> {
        if !(MIN_COST..=MAX_COST).contains(&cost) {
            return Err(AuthError::InvalidCost(cost));
        }
        let parallelism = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let dummy_hash = Arc::new(dummy_hash(cost)?);
        Ok(Self { cost, permits: Arc::new(Semaphore::new(parallelism)), dummy_hash })
    }

    pub fn cost(&self) -> u32 {
        self.cost
    }

    /// Hashes a password that already satisfies the policy (so it is at most 72 bytes).
    #[tracing::instrument(skip_all, fields(cost = self.cost))]
    pub async fn hash(&self, password: &Password) -> Result<PasswordHash> {
        let password = password.expose().to_owned();
        let cost = self.cost;
        // The policy guarantees at most 72 bytes, all of which bcrypt reads; only its own
        // NUL terminator may fall off the end, which `non_truncating_hash` would refuse.
        self.run_blocking(move || bcrypt::hash(password, cost).map(PasswordHash)).await?.map_err(AuthError::Hashing)
    }

    /// Checks a presented password against a stored hash, or against the dummy hash when
    /// there is no user (the answer is then always `false`, after the same work).
    ///
    /// Passwords longer than bcrypt's 72 bytes never match: bcrypt would otherwise compare
    /// only their first 72 bytes.
    #[tracing::instrument(skip_all)]
    pub async fn verify(&self, presented: &str, stored: Option<&PasswordHash>) -> Result<bool> {
        // bcrypt would compare only the first 72 bytes of a longer password.
        let within_limit = presented.len() <= BCRYPT_MAX_PASSWORD_BYTES && !presented.contains('\0');
        let presented = presented.to_owned();
        let (hash, user_exists) = match stored {
            Some(hash) => (hash.0.clone(), true),
            None => (self.dummy_hash.0.clone(), false),
        };
        let matched = self.run_blocking(move || bcrypt::verify(presented, &hash)).await?.map_err(AuthError::Hashing)?;
        Ok(matched && user_exists && within_limit)
    }

    /// Whether a stored hash was made at another cost than the configured one (or is no
    /// bcrypt hash at all), so that it should be made again the next time its password is
    /// known: a login then costs what every other login costs, the dummy one included.
    pub fn needs_rehash(&self, stored: &PasswordHash) -> bool {
        stored.cost() != Some(self.cost)
    }

    /// Hashes again, at the configured cost, a password that has just verified against
    /// its stored hash ([`Self::verify`] only accepts passwords bcrypt reads whole).
    #[tracing::instrument(skip_all, fields(cost = self.cost))]
    pub async fn rehash(&self, verified: &str) -> Result<PasswordHash> {
        let password = verified.to_owned();
        let cost = self.cost;
        self.run_blocking(move || bcrypt::hash(password, cost).map(PasswordHash)).await?.map_err(AuthError::Hashing)
    }

    async fn run_blocking<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        // The semaphore is never closed, so acquiring only fails if that invariant breaks;
        // hashing without a permit is then still correct, merely less throttled.
        let _permit = self.permits.acquire().await.ok();
        let span = Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(work)).await.map_err(AuthError::HashingTask)
    }
}

/// A bcrypt hash of cost `cost` that no password matches, made without paying that cost:
/// a hash of a random password at the lowest cost, relabelled with `cost`. Verifying
/// against it runs bcrypt at `cost` with its salt, exactly the work of verifying against a
/// real hash of that cost, and then compares against a digest that `cost` never produced
/// (a match would need a 184-bit collision). So the start-up does not wait for one
/// full-cost hash (a quarter of a second at cost 12, minutes at the highest costs).
fn dummy_hash(cost: u32) -> Result<PasswordHash> {
    let mut password = [0_u8; 32];
    let mut salt = [0_u8; 16];
    getrandom::fill(&mut password).map_err(AuthError::Random)?;
    getrandom::fill(&mut salt).map_err(AuthError::Random)?;
    let cheap = bcrypt::hash_with_salt(password, MIN_COST, salt).map_err(AuthError::Hashing)?;
    let cheap = cheap.format_for_version(bcrypt::Version::TwoB);
    // `$2b$04$` + 53 characters of salt and digest: only the cost field changes.
    let salt_and_digest = cheap.get(7..).unwrap_or_default();
    Ok(PasswordHash(format!("$2b${cost:02}${salt_and_digest}")))
}

#[cfg(test)]
mod tests;
