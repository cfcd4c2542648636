//! One receiving end of a connection.

use crate::{Clock, Frame, Key, MAX_SKEW_MS, ProtocolError, ReplayWindow, Result, decode};

/// Checks the signed frames received on one connection: the signature under the
/// connection's key, then `ts` within [`MAX_SKEW_MS`] of the clock, then that the id is new
/// (only a frame that passed the first two is remembered, so a forger cannot fill the
/// window).
#[derive(Debug)]
pub struct Verifier<C> {
    key: Key,
    clock: C,
    window: ReplayWindow,
}

impl<C: Clock> Verifier<C> {
    /// A verifier with the default replay window.
    pub fn new(key: Key, clock: C) -> Self {
        Self::with_window(key, clock, ReplayWindow::default())
    }

    /// A verifier with its own replay window (another capacity).
    pub fn with_window(key: Key, clock: C, window: ReplayWindow) -> Self {
        Self { key, clock, window }
    }

    /// The connection's key.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The frame in `bytes`, if it decodes, is signed with this connection's key, is
    /// stamped within 30 s of now and has an id not seen before on this connection.
    pub fn accept(&mut self, bytes: &[u8]) -> Result<Frame> {
        let frame = decode(bytes)?.verify(&self.key)?;
        let now = self.clock.now_ms();
        check_ts(frame.ts(), now)?;
        self.window.check_and_insert(*frame.id(), frame.ts(), now)?;
        Ok(frame)
    }
}

/// `ts` at most [`MAX_SKEW_MS`] before or after `now` (both inclusive).
pub(crate) fn check_ts(ts: u64, now: u64) -> Result<()> {
    if ts < now && now - ts > MAX_SKEW_MS {
        return Err(ProtocolError::Stale { age_ms: now - ts });
    }
    if ts > now && ts - now > MAX_SKEW_MS {
        return Err(ProtocolError::Future { ahead_ms: ts - now });
    }
    Ok(())
}
