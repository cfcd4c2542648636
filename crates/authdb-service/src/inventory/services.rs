//! Services of an asset: what listens on one of its ports and protocols.

use authdb_domain::{
    AssetId, AssetService, AssetServiceChanges, AssetServiceId, AuditAction, NewAssetService, Page, Paged, Permission,
};
use authdb_persistence::{ConnectionTrait, PersistenceError, TenantId, assets, services};
use serde_json::json;

use super::InventoryService;
use crate::{
    ClientInfo, Result, ServiceError,
    audit::Target,
    membership::Membership,
    write::{Record, Stale},
};

const ASSET: &str = "asset";
const SERVICE: &str = "service";

impl InventoryService {
    /// One page of an asset's services, by protocol then port; an asset that is not the
    /// organization's is not found.
    pub async fn list_services(
        &self,
        membership: &Membership,
        asset: AssetId,
        page: Page,
    ) -> Result<Paged<AssetService>> {
        membership.require(Permission::AssetsRead)?;
        require_asset(self.core.db(), membership.tenant(), asset).await?;
        Ok(services::list(self.core.db(), membership.tenant(), asset, page).await?)
    }

    pub async fn get_service(
        &self,
        membership: &Membership,
        asset: AssetId,
        id: AssetServiceId,
    ) -> Result<AssetService> {
        membership.require(Permission::AssetsRead)?;
        require_asset(self.core.db(), membership.tenant(), asset).await?;
        services::find(self.core.db(), membership.tenant(), asset, id)
            .await?
            .ok_or(ServiceError::NotFound { entity: SERVICE })
    }

    /// Records a service on an asset; a (port, protocol) the asset already has is a
    /// conflict on both.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), asset_id = %asset))]
    pub async fn create_service(
        &self,
        membership: &Membership,
        asset: AssetId,
        new: NewAssetService,
        client: &ClientInfo,
    ) -> Result<AssetService> {
        let write = self.begin_write(membership, client).await?;
        require_asset(write.conn(), write.tenant(), asset).await?;
        let service = services::insert(write.conn(), write.tenant(), asset, new, write.now()).await?;
        let created = Record::new(AuditAction::ServiceCreated, Target::Service(service.id)).details(summary(&service));
        write.commit(created, Stale::Nothing).await?;
        Ok(service)
    }

    #[tracing::instrument(
        skip_all,
        fields(organization_id = %membership.organization_id(), asset_id = %asset, service_id = %id)
    )]
    pub async fn update_service(
        &self,
        membership: &Membership,
        asset: AssetId,
        id: AssetServiceId,
        changes: AssetServiceChanges,
        client: &ClientInfo,
    ) -> Result<AssetService> {
        let write = self.begin_write(membership, client).await?;
        require_asset(write.conn(), write.tenant(), asset).await?;
        let before = services::find(write.conn(), write.tenant(), asset, id)
            .await?
            .ok_or(ServiceError::NotFound { entity: SERVICE })?;
        let service = services::update(write.conn(), write.tenant(), asset, id, changes, write.now()).await?;
        let updated = Record::new(AuditAction::ServiceUpdated, Target::Service(id))
            .details(json!({ "before": summary(&before), "after": summary(&service) }));
        write.commit(updated, Stale::Nothing).await?;
        Ok(service)
    }

    #[tracing::instrument(
        skip_all,
        fields(organization_id = %membership.organization_id(), asset_id = %asset, service_id = %id)
    )]
    pub async fn delete_service(
        &self,
        membership: &Membership,
        asset: AssetId,
        id: AssetServiceId,
        client: &ClientInfo,
    ) -> Result<()> {
        let write = self.begin_write(membership, client).await?;
        require_asset(write.conn(), write.tenant(), asset).await?;
        let service = services::find(write.conn(), write.tenant(), asset, id)
            .await?
            .ok_or(ServiceError::NotFound { entity: SERVICE })?;
        services::delete(write.conn(), write.tenant(), asset, id).await?;
        let deleted = Record::new(AuditAction::ServiceDeleted, Target::Service(id)).details(summary(&service));
        write.commit(deleted, Stale::Nothing).await
    }
}

/// The asset must be the organization's; otherwise it is not found (404 on the path),
/// whoever else has it.
async fn require_asset(conn: &impl ConnectionTrait, tenant: TenantId, asset: AssetId) -> Result<()> {
    match assets::find(conn, tenant, asset).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) | Err(PersistenceError::NotFound { .. }) => Err(ServiceError::NotFound { entity: ASSET }),
        Err(other) => Err(other.into()),
    }
}

/// What the audit trail keeps of a service: where it is, not its banner.
fn summary(service: &AssetService) -> serde_json::Value {
    json!({
        "asset_id": service.asset_id,
        "port": service.port.value(),
        "protocol": service.protocol.as_str(),
        "state": service.state.as_str(),
    })
}
