//! Networks of an organization: routers or sites, each optionally with an agent.

use authdb_domain::{AuditAction, Network, NetworkChanges, NetworkId, NewNetwork, Page, Paged, Permission, SessionId};
use authdb_persistence::{access_rules, assets, networks, networks::NetworkDeletion};
use serde_json::json;

use super::InventoryService;
use crate::{
    AgentCall, ClientInfo, Result, ServiceError,
    audit::Target,
    membership::Membership,
    write::{Record, Stale},
};

const NETWORK: &str = "network";

impl InventoryService {
    pub async fn list_networks(&self, membership: &Membership, page: Page) -> Result<Paged<Network>> {
        membership.require(Permission::AssetsRead)?;
        Ok(networks::list(self.core.db(), membership.tenant(), page).await?)
    }

    pub async fn get_network(&self, membership: &Membership, id: NetworkId) -> Result<Network> {
        membership.require(Permission::AssetsRead)?;
        networks::find(self.core.db(), membership.tenant(), id).await?.ok_or(ServiceError::NotFound { entity: NETWORK })
    }

    /// Creates a network; a name taken in the organization is a conflict on `name`. The
    /// audit event says whether an agent token was set, never the token.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn create_network(
        &self,
        membership: &Membership,
        new: NewNetwork,
        client: &ClientInfo,
    ) -> Result<Network> {
        let write = self.begin_write(membership, client).await?;
        let network = networks::insert(write.conn(), write.tenant(), new, write.now()).await?;
        let created = Record::new(AuditAction::NetworkCreated, Target::Network(network.id)).details(json!({
            "name": network.name.as_str(),
            "cidrs": network.cidrs.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "agent_url": network.agent_url.as_ref().map(|url| url.as_str()),
            "agent_token_set": network.has_agent_token,
        }));
        write.commit(created, Stale::Nothing).await?;
        Ok(network)
    }

    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), network_id = %id))]
    pub async fn update_network(
        &self,
        membership: &Membership,
        id: NetworkId,
        changes: NetworkChanges,
        client: &ClientInfo,
    ) -> Result<Network> {
        let write = self.begin_write(membership, client).await?;
        let changed = changed_fields(&changes);
        let network = networks::update(write.conn(), write.tenant(), id, changes, write.now()).await?;
        let updated = Record::new(AuditAction::NetworkUpdated, Target::Network(id)).details(json!({
            "name": network.name.as_str(),
            "changed": changed,
        }));
        write.commit(updated, Stale::Nothing).await?;
        Ok(network)
    }

    /// Deletes a network. While assets are in it, only with `cascade` (which deletes them
    /// too, in the same transaction); otherwise [`ServiceError::StateConflict`]. Returns
    /// how many assets went with it.
    ///
    /// **Rules at the router.** When the network has an agent holding rules (`applied`),
    /// the caller needs `networks:control` as well, and each rule is taken out at the agent
    /// first, exactly as deleting it would (`remove_rules_at_agent`): a refusal answers
    /// [`ServiceError::AgentRefused`] (502) and an outage
    /// [`ServiceError::AgentUnavailable`] (503), and the network stays, with the rules not
    /// yet removed. Only then is the network deleted; its row lock, which a rule's insert
    /// takes too, makes a rule applied meanwhile refuse the delete (409: delete again)
    /// rather than go with the network while the router keeps it.
    /// Rules `recorded` or `expired` are rows only and go with the network. A network
    /// whose agent was removed cannot be asked: its rows go, the router keeps them.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), network_id = %id))]
    pub async fn delete_network(
        &self,
        membership: &Membership,
        session: SessionId,
        id: NetworkId,
        cascade: bool,
        client: &ClientInfo,
    ) -> Result<u64> {
        membership.require(Permission::AssetsWrite)?;
        let mut removed_at_agent = 0;
        if let Some(endpoint) = self.network_agent(membership, id).await? {
            let applied = access_rules::applied_in_network(self.core.db(), membership.tenant(), id).await?;
            if !applied.is_empty() {
                membership.require(Permission::NetworksControl)?;
                self.check_licence(membership).await?;
                // Refused early, before the agent loses anything, when the delete would be.
                let assets = assets::count_in_network(self.core.db(), membership.tenant(), id).await?;
                if assets > 0 && !cascade {
                    return Err(in_use(assets));
                }
                let call = AgentCall { endpoint, router: id, session: Some(session) };
                removed_at_agent = self.remove_rules_at_agent(membership, &call, applied, client).await?;
            }
        }
        let write = self.begin_write(membership, client).await?;
        if !networks::lock(write.conn(), write.tenant(), id).await? {
            return Err(ServiceError::NotFound { entity: NETWORK });
        }
        let network = networks::find(write.conn(), write.tenant(), id)
            .await?
            .ok_or(ServiceError::NotFound { entity: NETWORK })?;
        if network.agent_url.is_some()
            && !access_rules::applied_in_network(write.conn(), write.tenant(), id).await?.is_empty()
        {
            return Err(ServiceError::StateConflict(
                "an access rule was applied at the network's agent while the network was being deleted; delete again"
                    .into(),
            ));
        }
        match networks::delete(write.conn(), write.tenant(), id, cascade).await? {
            NetworkDeletion::Deleted { assets } => {
                let deleted = Record::new(AuditAction::NetworkDeleted, Target::Network(id)).details(json!({
                    "name": network.name.as_str(),
                    "cascade": cascade,
                    "assets_deleted": assets,
                    "rules_removed_at_agent": removed_at_agent,
                }));
                write.commit(deleted, Stale::Nothing).await?;
                Ok(assets)
            }
            NetworkDeletion::NotFound => Err(ServiceError::NotFound { entity: NETWORK }),
            NetworkDeletion::InUse { assets } => Err(in_use(assets)),
        }
    }
}

fn in_use(assets: u64) -> ServiceError {
    ServiceError::StateConflict(format!(
        "the network still has {assets} asset(s); move or delete them first, or delete with cascade=true"
    ))
}

/// The names of the fields a change touches, for the audit event (the agent token's
/// value never appears, only that it changed).
fn changed_fields(changes: &NetworkChanges) -> Vec<&'static str> {
    [
        ("name", changes.name.is_some()),
        ("description", changes.description.is_some()),
        ("site", changes.site.is_some()),
        ("cidrs", changes.cidrs.is_some()),
        ("agent_url", changes.agent_url.is_some()),
        ("agent_token", changes.agent_token.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, changed)| changed.then_some(name))
    .collect()
}
