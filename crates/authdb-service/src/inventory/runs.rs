//! Scans run through a network's agent: the agent's `GET /scan` answer, which the caller
//! checks and imports like any scan (source `agent`).

use authdb_domain::{NetworkId, Permission, SessionId};
use serde_json::Value;

use super::InventoryService;
use crate::{AgentCall, Result, ServiceError, membership::Membership};

impl InventoryService {
    /// Asks the network's agent for a scan and answers its `data` as sent (an array of
    /// hosts in the JSON import format, unchecked). Needs `networks:control`, and
    /// `assets:write` for the import that follows, both checked before the agent is
    /// asked. A network without an agent is [`ServiceError::NoAgent`].
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), network_id = %network))]
    pub async fn fetch_agent_scan(
        &self,
        membership: &Membership,
        session: SessionId,
        network: NetworkId,
    ) -> Result<Value> {
        membership.require(Permission::NetworksControl)?;
        membership.require(Permission::AssetsWrite)?;
        self.check_licence(membership).await?;
        let endpoint = self.network_agent(membership, network).await?.ok_or(ServiceError::NoAgent)?;
        let call = AgentCall { endpoint, router: network, session: Some(session) };
        Ok(self.agent.scan(&call).await?)
    }
}
