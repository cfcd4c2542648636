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
    /// Builds a hasher for `cost` (4..=31). Computes the dummy hash once, synchronously:
    /// call it at start-up, not on a request path.
    pub fn new(cost: u32) -> Result<Self> {
        if !(MIN_COST..=MAX_COST).contains(&cost) {
            return Err(AuthError::InvalidCost(cost));
        }
        let dummy = bcrypt::hash("authdb dummy password for unknown users", cost).map_err(AuthError::Hashing)?;
        let parallelism = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Ok(Self { cost, permits: Arc::new(Semaphore::new(parallelism)), dummy_hash: Arc::new(PasswordHash(dummy)) })
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

    async fn run_blocking<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        // The semaphore is never closed, so acquiring only fails if that invariant breaks;
        // hashing without a permit is then still correct, merely less throttled.
        let _permit = self.permits.acquire().await.ok();
        let span = Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(work)).await.map_err(AuthError::HashingTask)
    }
}

#[cfg(test)]
mod tests;
