//! The ids already seen on one connection.

use std::collections::{BTreeSet, HashSet};

use crate::{ID_LEN, MAX_SKEW_MS, ProtocolError, Result};

/// The ids of the frames accepted on one connection, for as long as they matter.
///
/// Memory is bounded two ways. An id is kept only while its frame's `ts` could still pass
/// the timestamp check (until `ts + 30 s`): a replay after that is refused as stale anyway,
/// so it is forgotten then (ids are kept in `ts` order, and the old ones are dropped on
/// each check). And at most `capacity` ids are kept at once: a frame that would need more
/// is refused with [`ProtocolError::ReplayWindowFull`] rather than forgetting an id that a
/// replay could still use. An id costs some 60 bytes (a hash-set entry and a B-tree
/// entry), so at [`ReplayWindow::DEFAULT_CAPACITY`] a connection holds about 64 KiB at
/// worst, and a peer must send more than 1,024 frames within 30 s (some 34 a second,
/// sustained) to reach it.
#[derive(Debug, Clone)]
pub struct ReplayWindow {
    seen: HashSet<[u8; ID_LEN]>,
    by_ts: BTreeSet<(u64, [u8; ID_LEN])>,
    capacity: usize,
}

impl Default for ReplayWindow {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl ReplayWindow {
    /// The most ids kept at once by default.
    pub const DEFAULT_CAPACITY: usize = 1024;

    /// An empty window that keeps at most `capacity` ids (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self { seen: HashSet::new(), by_ts: BTreeSet::new(), capacity: capacity.max(1) }
    }

    /// How many ids are kept now.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no id is kept.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Records `id` (of a frame stamped `ts`, checked against `now_ms` already), or
    /// refuses it when it was seen before or the window is full.
    pub fn check_and_insert(&mut self, id: [u8; ID_LEN], ts: u64, now_ms: u64) -> Result<()> {
        self.forget_before(now_ms.saturating_sub(MAX_SKEW_MS));
        if self.seen.contains(&id) {
            return Err(ProtocolError::Replayed);
        }
        if self.seen.len() >= self.capacity {
            return Err(ProtocolError::ReplayWindowFull);
        }
        self.seen.insert(id);
        self.by_ts.insert((ts, id));
        Ok(())
    }

    /// Drops the ids of frames stamped before `cutoff`, which the `ts` check refuses now.
    fn forget_before(&mut self, cutoff: u64) {
        while let Some(&(ts, id)) = self.by_ts.first() {
            if ts >= cutoff {
                break;
            }
            self.by_ts.pop_first();
            self.seen.remove(&id);
        }
    }
}
