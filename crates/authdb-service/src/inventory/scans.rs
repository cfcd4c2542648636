//! Scans of a network: importing one into the inventory, and the record of past imports.
//!
//! An import is one [`TenantWrite`]: every asset and service it touches, the scan row and
//! its audit event commit together or not at all. Assets are upserted by (organization,
//! network, address) and services by (asset, port, protocol), in multi-row statements of
//! thousands of rows (PostgreSQL: [`assets::POSTGRES_IMPORT_BATCH`]), never a statement
//! per host; the statements answer the ids and counts, so nothing is read back.

use authdb_domain::{
    AuditAction, IpAddress, NetworkId, Page, Paged, Permission, Scan, ScanCounts, ScanId, ScanReport, ScanSource,
    ScannedService,
};
use authdb_persistence::{assets, assets::SeenAsset, networks, scans, scans::NewScan, services};
use serde_json::json;

use super::InventoryService;
use crate::{
    ClientInfo, Result, ServiceError,
    audit::Target,
    membership::Membership,
    write::{Record, Stale},
};

const NETWORK: &str = "network";
const SCAN: &str = "scan";

impl InventoryService {
    /// A network's scans, newest first.
    pub async fn list_scans(&self, membership: &Membership, network: NetworkId, page: Page) -> Result<Paged<Scan>> {
        membership.require(Permission::AssetsRead)?;
        if !networks::exists(self.core.db(), membership.tenant(), network).await? {
            return Err(ServiceError::NotFound { entity: NETWORK });
        }
        Ok(scans::list(self.core.db(), membership.tenant(), network, page).await?)
    }

    pub async fn get_scan(&self, membership: &Membership, network: NetworkId, id: ScanId) -> Result<Scan> {
        membership.require(Permission::AssetsRead)?;
        scans::find(self.core.db(), membership.tenant(), network, id)
            .await?
            .ok_or(ServiceError::NotFound { entity: SCAN })
    }

    /// Imports a scan into one of the organization's networks (needs `assets:write`).
    /// Hosts up create or refresh their asset and services; hosts down mark a known
    /// asset unreachable and create nothing. Importing the same report twice leaves the
    /// same inventory, and the second count has only updates. The report's hosts must be
    /// distinct by address and each host's services by (port, protocol) (the API checks).
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), network_id = %network))]
    pub async fn import_scan(
        &self,
        membership: &Membership,
        network: NetworkId,
        source: ScanSource,
        report: ScanReport,
        client: &ClientInfo,
    ) -> Result<Scan> {
        let (write, organization) = self.begin_growing_write(membership, client).await?;
        let (conn, tenant, now) = (write.conn(), write.tenant(), write.now());
        // One import at a time per network: what exists before the upsert stays known.
        if !networks::lock(conn, tenant, network).await? {
            return Err(ServiceError::NotFound { entity: NETWORK });
        }
        let (mut up, down): (Vec<_>, Vec<_>) = report.hosts.into_iter().partition(|host| host.up);
        // Rows are written in one order whatever the scan's, so that concurrent imports
        // of overlapping hosts lock them in the same order (no deadlock on PostgreSQL).
        up.sort_by_key(|host| host.ip.addr());
        let down_addresses: Vec<IpAddress> = down.iter().map(|host| host.ip).collect();

        // The hosts up not yet in the network become assets: all of them fit, or none is
        // stored. The assets are counted before the upsert, under the organization's row
        // lock, and the upsert says how many it created; past the limit the write is
        // dropped, so nothing is stored.
        let before = match organization.max_assets {
            Some(_) => Some(assets::count_all(conn, tenant).await?),
            None => None,
        };
        let upserted = assets::upsert_seen(conn, tenant, network, &up, now).await?;
        if let Some(current) = before {
            organization
                .asset_room(current, upserted.created)
                .map_err(|limit| ServiceError::AssetLimitReached { limit, current })?;
        }
        let unreachable = assets::mark_unreachable(conn, tenant, network, &down_addresses, now).await?;

        let hosts_up = up.len() as u64;
        // The services go to the write by value (it serializes them on another thread).
        let mut seen: Vec<(SeenAsset, ScannedService)> = Vec::new();
        for host in up {
            let asset = *upserted.assets.get(&host.ip.sort_key()).ok_or(ServiceError::NotFound { entity: "asset" })?;
            seen.extend(host.services.into_iter().map(|service| (asset, service)));
        }
        seen.sort_by(|(asset, service), (other, other_service)| {
            (asset.id(), service.port, service.protocol.as_str()).cmp(&(
                other.id(),
                other_service.port,
                other_service.protocol.as_str(),
            ))
        });
        let services_seen = seen.len() as u64;
        let services_updated = services::upsert_seen(conn, tenant, seen, now).await?;

        let counts = ScanCounts {
            hosts_up,
            hosts_down: down.len() as u64,
            assets_created: upserted.created,
            assets_updated: hosts_up - upserted.created + unreachable,
            services_created: services_seen - services_updated,
            services_updated,
        };
        let new = NewScan {
            network_id: network,
            source,
            counts,
            started_at: report.started_at,
            finished_at: report.finished_at,
            created_by: Some(membership.user_id()),
        };
        let scan = scans::insert(conn, tenant, new, now).await?;
        let imported = Record::new(AuditAction::ScanImported, Target::Scan(scan.id)).details(json!({
            "network_id": network,
            "source": source.as_str(),
            "hosts_up": counts.hosts_up,
            "hosts_down": counts.hosts_down,
            "assets_created": counts.assets_created,
            "assets_updated": counts.assets_updated,
            "services_created": counts.services_created,
            "services_updated": counts.services_updated,
        }));
        write.commit(imported, Stale::Nothing).await?;
        Ok(scan)
    }
}
