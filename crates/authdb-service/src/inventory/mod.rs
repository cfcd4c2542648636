//! The network inventory of an organization: networks, their assets and the assets'
//! services, scans, and the networks' access rules, one module per resource, all methods
//! of [`InventoryService`].
//!
//! `scan_format` reads a scan file (the JSON import format or nmap's XML) into the
//! `ScanReport` that [`InventoryService::import_scan`] takes; both HTTP adapters call it.
//!
//! Every use case takes the caller's [`crate::Membership`]; reads need `assets:read`,
//! writes `assets:write` (access rules and agent scans `networks:control`) and go through
//! `TenantWrite` with an audit record. Nothing here is cached, so every write states
//! `Stale::Nothing`. Calls to a network's agent go through the [`RouterAgent`] port and
//! are made before any write begins: no transaction and no SQLite write turn is held
//! while an agent is waited for.
//!
//! The organization's licence governs every write, read inside the write itself:
//! [`InventoryService::begin_write`] refuses one past `license_expires_at`
//! ([`ServiceError::LicenseExpired`]; reads stay open), and a write that may add assets
//! begins with [`InventoryService::begin_growing_write`], which takes the organization's
//! row lock first, so that creates and imports count the assets one after another and
//! none of them can take the organization over `max_assets` ([`make_room`]; an import
//! counts before its upsert and checks the assets the upsert says it created).

mod assets;
mod networks;
mod rules;
mod runs;
pub(crate) mod scan_format;
mod scans;
mod services;

use std::{sync::Arc, time::Duration};

use authdb_domain::{Organization, Permission};
use authdb_persistence::organizations;

pub use self::rules::SweepTask;
use crate::{ClientInfo, Core, Result, RouterAgent, ServiceError, membership::Membership, write::TenantWrite};

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

    /// Begins a write to the inventory (`assets:write`) that adds no asset, refused once
    /// the organization's licence has expired.
    pub(crate) async fn begin_write<'a>(
        &'a self,
        membership: &Membership,
        client: &'a ClientInfo,
    ) -> Result<TenantWrite<'a>> {
        self.begin_write_needing(membership, Permission::AssetsWrite, client).await
    }

    /// [`Self::begin_write`] for a write that needs `permission` instead of `assets:write`
    /// (access rules need `networks:control`).
    pub(crate) async fn begin_write_needing<'a>(
        &'a self,
        membership: &Membership,
        permission: Permission,
        client: &'a ClientInfo,
    ) -> Result<TenantWrite<'a>> {
        let write = TenantWrite::begin(&self.core, membership, permission, client).await?;
        licence_in_force(&write).await?;
        Ok(write)
    }

    /// Refuses, before a network's agent is asked to act, a write the licence would refuse
    /// anyway (the write itself checks again, at its own time).
    pub(crate) async fn check_licence(&self, membership: &Membership) -> Result<()> {
        let organization = organizations::find(self.core.db(), membership.tenant()).await?;
        in_force(organization, time::OffsetDateTime::now_utc()).map(drop)
    }

    /// Begins a write that may add assets: the organization's row lock is taken first
    /// (before any other lock of the write), then the licence is read; the caller checks
    /// its additions with [`make_room`] before making them.
    pub(crate) async fn begin_growing_write<'a>(
        &'a self,
        membership: &Membership,
        client: &'a ClientInfo,
    ) -> Result<(TenantWrite<'a>, Organization)> {
        let write = TenantWrite::begin(&self.core, membership, Permission::AssetsWrite, client).await?;
        write.lock_organization().await?;
        let organization = licence_in_force(&write).await?;
        Ok((write, organization))
    }
}

/// The organization, unless its licence has expired at the write's time.
async fn licence_in_force(write: &TenantWrite<'_>) -> Result<Organization> {
    in_force(organizations::find(write.conn(), write.tenant()).await?, write.now())
}

/// The organization, unless its licence has expired at `now`: the one licence check of
/// [`InventoryService::check_licence`] and of every write.
fn in_force(organization: Organization, now: time::OffsetDateTime) -> Result<Organization> {
    if organization.license_expired(now) {
        return Err(ServiceError::LicenseExpired);
    }
    Ok(organization)
}

/// Refuses a write that would add `adding` assets beyond the licence's `max_assets`,
/// counting under the organization's row lock taken by [`InventoryService::begin_growing_write`].
pub(crate) async fn make_room(write: &TenantWrite<'_>, organization: &Organization, adding: u64) -> Result<()> {
    if organization.max_assets.is_none() || adding == 0 {
        return Ok(());
    }
    let current = authdb_persistence::assets::count_all(write.conn(), write.tenant()).await?;
    organization.asset_room(current, adding).map_err(|limit| ServiceError::AssetLimitReached { limit, current })
}
