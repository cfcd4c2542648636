//! The network inventory of an organization: networks, their assets and the assets'
//! services, one module per resource, all methods of [`InventoryService`].
//!
//! Every use case takes the caller's [`crate::Membership`]; reads need `assets:read`,
//! writes `assets:write` and go through `TenantWrite` with an audit record. Nothing here
//! is cached, so every write states `Stale::Nothing`.

mod assets;
mod networks;
mod scans;
mod services;

use crate::Core;

/// Networks, assets and services of organizations.
#[derive(Debug, Clone)]
pub struct InventoryService {
    core: Core,
    policy: InventoryPolicy,
}

/// Limits of the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InventoryPolicy {
    /// The largest scan body an import reads, in bytes.
    pub max_scan_bytes: usize,
}

impl Default for InventoryPolicy {
    fn default() -> Self {
        Self { max_scan_bytes: 32 * 1024 * 1024 }
    }
}

impl InventoryService {
    pub fn new(core: Core, policy: InventoryPolicy) -> Self {
        Self { core, policy }
    }

    /// The largest scan body an import reads, in bytes.
    pub fn max_scan_bytes(&self) -> usize {
        self.policy.max_scan_bytes
    }
}
