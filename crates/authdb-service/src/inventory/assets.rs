//! Assets of an organization: addresses in its networks (or in none).

use authdb_domain::{
    Asset, AssetChanges, AssetFilter, AssetId, AssetSortKey, AuditAction, NetworkId, NewAsset, Page, Paged, Permission,
    Sort, UserId, Violation,
};
use authdb_persistence::{DatabaseTransaction, PersistenceError, TenantId, assets, memberships, networks};
use serde_json::json;

use super::{InventoryService, make_room};
use crate::{
    ClientInfo, Result, ServiceError,
    audit::Target,
    membership::Membership,
    write::{Record, Stale},
};

const ASSET: &str = "asset";

impl InventoryService {
    /// One page of the organization's assets matching `filter`.
    pub async fn list_assets(
        &self,
        membership: &Membership,
        filter: &AssetFilter,
        sort: Sort<AssetSortKey>,
        page: Page,
    ) -> Result<Paged<Asset>> {
        membership.require(Permission::AssetsRead)?;
        Ok(assets::list_planned(self.core.db(), membership.tenant(), filter, sort, page).await?)
    }

    pub async fn get_asset(&self, membership: &Membership, id: AssetId) -> Result<Asset> {
        membership.require(Permission::AssetsRead)?;
        assets::find(self.core.db(), membership.tenant(), id).await?.ok_or(ServiceError::NotFound { entity: ASSET })
    }

    /// Creates an asset. Its network must be one of the organization's (422 on
    /// `network_id`) and its owner a member (422 on `owner_id`); an address already in
    /// that network (or, without one, among the assets without a network) is a conflict
    /// on `ip_address`.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn create_asset(&self, membership: &Membership, new: NewAsset, client: &ClientInfo) -> Result<Asset> {
        let (write, organization) = self.begin_growing_write(membership, client).await?;
        check_references(write.conn(), write.tenant(), new.network_id, new.owner_id).await?;
        make_room(&write, &organization, 1).await?;
        let asset = assets::insert(write.conn(), write.tenant(), new, write.now()).await.map_err(reference_error)?;
        let created = Record::new(AuditAction::AssetCreated, Target::Asset(asset.id)).details(json!({
            "ip_address": asset.ip_address.to_string(),
            "network_id": asset.network_id,
        }));
        write.commit(created, Stale::Nothing).await?;
        Ok(asset)
    }

    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), asset_id = %id))]
    pub async fn update_asset(
        &self,
        membership: &Membership,
        id: AssetId,
        changes: AssetChanges,
        client: &ClientInfo,
    ) -> Result<Asset> {
        let write = self.begin_write(membership, client).await?;
        let before =
            assets::find(write.conn(), write.tenant(), id).await?.ok_or(ServiceError::NotFound { entity: ASSET })?;
        check_references(write.conn(), write.tenant(), changes.network_id.flatten(), changes.owner_id.flatten())
            .await?;
        let asset =
            assets::update(write.conn(), write.tenant(), id, changes, write.now()).await.map_err(reference_error)?;
        let updated = Record::new(AuditAction::AssetUpdated, Target::Asset(id)).details(json!({
            "before": { "ip_address": before.ip_address.to_string(), "network_id": before.network_id },
            "after": { "ip_address": asset.ip_address.to_string(), "network_id": asset.network_id },
        }));
        write.commit(updated, Stale::Nothing).await?;
        Ok(asset)
    }

    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), asset_id = %id))]
    pub async fn delete_asset(&self, membership: &Membership, id: AssetId, client: &ClientInfo) -> Result<()> {
        let write = self.begin_write(membership, client).await?;
        let asset =
            assets::find(write.conn(), write.tenant(), id).await?.ok_or(ServiceError::NotFound { entity: ASSET })?;
        assets::delete(write.conn(), write.tenant(), id).await?;
        let deleted = Record::new(AuditAction::AssetDeleted, Target::Asset(id)).details(json!({
            "ip_address": asset.ip_address.to_string(),
            "network_id": asset.network_id,
        }));
        write.commit(deleted, Stale::Nothing).await
    }
}

/// The network must be the organization's and the owner one of its members; both are
/// named as the request field when not.
async fn check_references(
    conn: &DatabaseTransaction,
    tenant: TenantId,
    network: Option<NetworkId>,
    owner: Option<UserId>,
) -> Result<()> {
    let mut violations = Vec::new();
    if let Some(network) = network
        && !networks::exists(conn, tenant, network).await?
    {
        violations.push(Violation::new("network_id", "is not a network of this organization"));
    }
    if let Some(owner) = owner
        && memberships::find(conn, tenant, owner).await?.is_none()
    {
        violations.push(Violation::new("owner_id", "is not a member of this organization"));
    }
    if violations.is_empty() { Ok(()) } else { Err(ServiceError::Invalid(violations)) }
}

/// A network or owner removed between the check and the write (a foreign key refused
/// it) is the same 422 as one that never existed.
fn reference_error(error: PersistenceError) -> ServiceError {
    match error {
        PersistenceError::NotFound { entity: "network" } => {
            ServiceError::Invalid(vec![Violation::new("network_id", "is not a network of this organization")])
        }
        PersistenceError::NotFound { entity: "owner" } => {
            ServiceError::Invalid(vec![Violation::new("owner_id", "is not a member of this organization")])
        }
        other => other.into(),
    }
}
