//! The network inventory of an organization: networks, their assets and the assets'
//! services, one module per resource, all methods of [`InventoryService`].
//!
//! Every use case takes the caller's [`crate::Membership`]; reads need `assets:read`,
//! writes `assets:write` and go through `TenantWrite` with an audit record. Nothing here
//! is cached, so every write states `Stale::Nothing`.

mod assets;
mod networks;
mod services;

use crate::Core;

/// Networks, assets and services of organizations.
#[derive(Debug, Clone)]
pub struct InventoryService {
    core: Core,
}

impl InventoryService {
    pub fn new(core: Core) -> Self {
        Self { core }
    }
}
