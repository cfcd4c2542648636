//! The network inventory of an organization: networks, their assets and the assets'
//! services, scans, and the networks' access rules, one module per resource, all methods
//! of [`InventoryService`].
//!
//! Every use case takes the caller's [`crate::Membership`]; reads need `assets:read`,
//! writes `assets:write` (access rules and agent scans `networks:control`) and go through
//! `TenantWrite` with an audit record. Nothing here is cached, so every write states
//! `Stale::Nothing`. Calls to a network's agent go through the [`RouterAgent`] port and
//! are made before any write begins: no transaction and no SQLite write turn is held
//! while an agent is waited for.

mod assets;
mod networks;
mod rules;
mod runs;
mod scans;
mod services;

use std::{sync::Arc, time::Duration};

pub use self::rules::SweepTask;
use crate::{Core, RouterAgent};

/// Networks, assets and services of organizations.
#[derive(Debug, Clone)]
pub struct InventoryService {
    core: Core,
    policy: InventoryPolicy,
    agent: Arc<dyn RouterAgent>,
}

/// Limits of the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InventoryPolicy {
    /// The largest scan body an import reads, in bytes.
    pub max_scan_bytes: usize,
    /// How long one request to an agent may take (the HTTP client's timeout; the sweep's
    /// lease on a rule is derived from it).
    pub agent_timeout: Duration,
    /// How often the expiry sweep looks for access rules past their `expires_at`; zero
    /// starts no sweep.
    pub rule_sweep_interval: Duration,
}

impl Default for InventoryPolicy {
    fn default() -> Self {
        Self {
            max_scan_bytes: 32 * 1024 * 1024,
            agent_timeout: Duration::from_millis(5000),
            rule_sweep_interval: Duration::from_secs(60),
        }
    }
}

impl InventoryService {
    pub fn new(core: Core, policy: InventoryPolicy, agent: Arc<dyn RouterAgent>) -> Self {
        Self { core, policy, agent }
    }

    /// The largest scan body an import reads, in bytes.
    pub fn max_scan_bytes(&self) -> usize {
        self.policy.max_scan_bytes
    }
}
