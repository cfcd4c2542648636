//! The network inventory of an organization: networks and their assets, one module per
//! resource, all methods of [`InventoryService`].
//!
//! Every use case takes the caller's [`crate::Membership`]; reads need `assets:read`,
//! writes `assets:write` and go through `TenantWrite` with an audit record. Nothing here
//! is cached, so every write states `Stale::Nothing`.

mod assets;
mod networks;

use crate::Core;

/// Networks and assets of organizations.
#[derive(Debug, Clone)]
pub struct InventoryService {
    core: Core,
}

impl InventoryService {
    pub fn new(core: Core) -> Self {
        Self { core }
    }
}
