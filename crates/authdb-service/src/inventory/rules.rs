//! Access rules of a network (its allow and deny lists), applied on the router through
//! the network's agent, and the sweep that removes them when they expire.
//!
//! **Agent first, then the database.** A rule on a network with an agent is stored only
//! once the agent has confirmed it (`applied`); a refusal or an unreachable agent stores
//! nothing. The agent is called before the write begins, so no transaction (and on
//! SQLite no write turn) waits for it. Two concurrent creates of the same target both
//! pass the early check and both reach the agent; the unique index then lets one insert
//! win and the other answers 409. The agent's lists are sets, so the loser's call in the
//! same list changed nothing; a loser that put the target in the *other* list takes it
//! out again, as does a create whose write fails for any other reason (best effort,
//! logged when that fails), so the agent ends as the stored rules say. Deleting removes
//! the rule at the agent first, then the row (a retried delete asks the agent again,
//! which is harmless: its lists are sets). Deleting a network takes its applied rules out
//! at the agent the same way, one by one, before the network goes (see
//! `InventoryService::delete_network`).

use std::{sync::Arc, time::Duration};

use authdb_domain::{
    AccessRule, AccessRuleId, AgentEndpoint, AuditAction, AuditOutcome, NetworkId, NewAccessRule, Page, Paged,
    Permission, RuleStatus, SessionId,
};
use authdb_persistence::{access_rules, networks};
use serde_json::json;
use tokio::task::JoinHandle;

use super::InventoryService;
use crate::{
    AgentCall, ClientInfo, Result, ServiceError,
    audit::{Audit, Target},
    error_chain,
    membership::Membership,
    write::{Record, Stale, Write},
};

const NETWORK: &str = "network";
const RULE: &str = "access rule";
/// The most rules one sweep pass claims.
const SWEEP_BATCH: u64 = 20;

impl InventoryService {
    /// A network's access rules in creation order, expired ones included (needs
    /// `assets:read`).
    pub async fn list_access_rules(
        &self,
        membership: &Membership,
        network: NetworkId,
        page: Page,
    ) -> Result<Paged<AccessRule>> {
        membership.require(Permission::AssetsRead)?;
        if !networks::exists(self.core.db(), membership.tenant(), network).await? {
            return Err(ServiceError::NotFound { entity: NETWORK });
        }
        Ok(access_rules::list(self.core.db(), membership.tenant(), network, page).await?)
    }

    /// The network's agent, or `NotFound` for a network the tenant does not have.
    pub(super) async fn network_agent(
        &self,
        membership: &Membership,
        network: NetworkId,
    ) -> Result<Option<AgentEndpoint>> {
        networks::agent(self.core.db(), membership.tenant(), network)
            .await?
            .ok_or(ServiceError::NotFound { entity: NETWORK })
    }

    /// Adds a rule to a network's allow or deny list (needs `networks:control`): through
    /// the agent first when the network has one (`applied`), stored only otherwise
    /// (`recorded`). A target already live in either list is a conflict on `target`.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), network_id = %network))]
    pub async fn create_access_rule(
        &self,
        membership: &Membership,
        session: SessionId,
        network: NetworkId,
        new: NewAccessRule,
        client: &ClientInfo,
    ) -> Result<AccessRule> {
        membership.require(Permission::NetworksControl)?;
        self.check_licence(membership).await?;
        let endpoint = self.network_agent(membership, network).await?;
        // Refused early, without bothering the agent, when the target is already listed.
        if access_rules::find_live(self.core.db(), membership.tenant(), network, new.target).await?.is_some() {
            return Err(ServiceError::Conflict { fields: &["target"] });
        }
        let call = endpoint.map(|endpoint| AgentCall { endpoint, router: network, session: Some(session) });
        let status = match &call {
            Some(call) => {
                self.agent.add(call, new.list, new.target).await?;
                RuleStatus::Applied
            }
            None => RuleStatus::Recorded,
        };
        let stored = self.store_rule(membership, network, new.clone(), status, client).await;
        if let (Err(error), Some(call)) = (&stored, &call) {
            self.undo_applied(membership, call, &new, error).await;
        }
        stored
    }

    /// The write of a new rule, after the agent (if any) confirmed it.
    async fn store_rule(
        &self,
        membership: &Membership,
        network: NetworkId,
        new: NewAccessRule,
        status: RuleStatus,
        client: &ClientInfo,
    ) -> Result<AccessRule> {
        let write = self.begin_write_needing(membership, Permission::NetworksControl, client).await?;
        // The network may have gone while the agent was asked. Its row lock orders this
        // insert with a concurrent delete of the network, which takes the lock too: either
        // the delete sees this rule (and refuses), or this write sees the network gone.
        if !networks::lock(write.conn(), write.tenant(), network).await? {
            return Err(ServiceError::NotFound { entity: NETWORK });
        }
        let rule =
            access_rules::insert(write.conn(), write.tenant(), network, new, status, membership.user_id(), write.now())
                .await?;
        let created = Record::new(AuditAction::AccessRuleCreated, Target::AccessRule(rule.id)).details(json!({
            "network_id": network,
            "list": rule.list.as_str(),
            "target": rule.target.to_string(),
            "status": rule.status.as_str(),
            "expires_at": rule.expires_at.map(|at| at.unix_timestamp()),
        }));
        write.commit(created, Stale::Nothing).await?;
        Ok(rule)
    }

    /// The agent took the rule but it was not stored: a concurrent create of the same
    /// target won the insert, the network went, or the database failed. When the stored
    /// winner is in the same list, the agent holds what the database says and nothing is
    /// done; otherwise this call's entry is taken out again, so the agent does not keep a
    /// rule the database does not show.
    async fn undo_applied(&self, membership: &Membership, call: &AgentCall, new: &NewAccessRule, error: &ServiceError) {
        if matches!(error, ServiceError::Conflict { .. }) {
            let winner = access_rules::find_live(self.core.db(), membership.tenant(), call.router, new.target).await;
            if matches!(&winner, Ok(Some(rule)) if rule.list == new.list) {
                return;
            }
        }
        if let Err(error) = self.agent.remove(call, new.list, new.target).await {
            tracing::warn!(
                error = %error,
                list = new.list.as_str(),
                target = %new.target,
                "a rule the agent took but the database did not store could not be taken out at the agent"
            );
        }
    }

    /// Deletes a rule (needs `networks:control`): an `applied` rule is removed at the
    /// network's agent first, and stays when the agent refuses or cannot be reached.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), network_id = %network, rule_id = %id))]
    pub async fn delete_access_rule(
        &self,
        membership: &Membership,
        session: SessionId,
        network: NetworkId,
        id: AccessRuleId,
        client: &ClientInfo,
    ) -> Result<()> {
        membership.require(Permission::NetworksControl)?;
        self.check_licence(membership).await?;
        let endpoint = self.network_agent(membership, network).await?;
        let rule = access_rules::find(self.core.db(), membership.tenant(), network, id)
            .await?
            .ok_or(ServiceError::NotFound { entity: RULE })?;
        // A rule the agent never had (recorded) or no longer has (expired) is only a row.
        // A network whose agent was removed since cannot be asked: the row goes.
        if let (RuleStatus::Applied, Some(endpoint)) = (rule.status, endpoint) {
            let call = AgentCall { endpoint, router: network, session: Some(session) };
            self.agent.remove(&call, rule.list, rule.target).await?;
        }
        if !self.forget_rule(membership, &rule, None, client).await? {
            return Err(ServiceError::NotFound { entity: RULE });
        }
        Ok(())
    }

    /// Takes out, at the network's agent, every rule it holds (`applied`), one after
    /// another, each removal followed by the deletion of its row with an audit event
    /// (`via: network_deletion`), exactly as deleting the rule would. The first refusal
    /// or outage stops here with the agent's problem: the rules already removed are gone
    /// from the agent and from the database alike, the others stay on both. Answers how
    /// many were removed.
    pub(super) async fn remove_rules_at_agent(
        &self,
        membership: &Membership,
        call: &AgentCall,
        rules: Vec<AccessRule>,
        client: &ClientInfo,
    ) -> Result<u64> {
        let mut removed = 0;
        for rule in rules {
            self.agent.remove(call, rule.list, rule.target).await?;
            // A row gone meanwhile (deleted, or expired by the sweep) needs nothing more.
            self.forget_rule(membership, &rule, Some("network_deletion"), client).await?;
            removed += 1;
        }
        Ok(removed)
    }

    /// The write that deletes a rule's row once its agent (if any) no longer holds it, with
    /// its `access_rule.deleted` event; answers whether the row was there.
    async fn forget_rule(
        &self,
        membership: &Membership,
        rule: &AccessRule,
        via: Option<&str>,
        client: &ClientInfo,
    ) -> Result<bool> {
        let write = self.begin_write_needing(membership, Permission::NetworksControl, client).await?;
        if !access_rules::delete(write.conn(), write.tenant(), rule.network_id, rule.id).await? {
            return Ok(false);
        }
        let mut details = json!({
            "network_id": rule.network_id,
            "list": rule.list.as_str(),
            "target": rule.target.to_string(),
            "status": rule.status.as_str(),
        });
        if let Some(via) = via {
            details["via"] = json!(via);
        }
        let deleted = Record::new(AuditAction::AccessRuleDeleted, Target::AccessRule(rule.id)).details(details);
        write.commit(deleted, Stale::Nothing).await?;
        Ok(true)
    }

    /// One pass of the expiry sweep: claims up to 20 live rules past their `expires_at`
    /// (a lease no other instance's pass takes, see `sweep_lease`), removes each `applied` one at its network's
    /// agent, and marks it `expired` with an audit event. A rule whose agent fails keeps
    /// its status, its lease is dropped and the next pass tries again. Answers how many
    /// rules expired.
    pub async fn sweep_expired_rules(&self) -> Result<u64> {
        let now = authdb_persistence::now();
        let lease_until = now + sweep_lease(self.policy.agent_timeout);
        let claim = Write::begin(&self.core).await?;
        let claimed = access_rules::claim_expired(claim.conn(), now, lease_until, SWEEP_BATCH).await?;
        claim.commit().await?;
        let mut expired = 0;
        for claimed in claimed {
            let (tenant, rule) = (claimed.tenant, claimed.rule);
            let removed = match rule.status {
                RuleStatus::Applied => self.remove_expired_at_agent(tenant, &rule).await,
                RuleStatus::Recorded | RuleStatus::Expired => Ok(()),
            };
            let write = Write::begin(&self.core).await?;
            if let Err(error) = removed {
                tracing::warn!(
                    rule_id = %rule.id,
                    network_id = %rule.network_id,
                    error = %error_chain(&error),
                    "an expired access rule could not be removed at its agent; the next pass tries again"
                );
                access_rules::release(write.conn(), tenant, rule.id).await?;
                write.commit().await?;
                continue;
            }
            if access_rules::mark_expired(write.conn(), tenant, rule.id, write.now()).await? {
                let event =
                    Audit::new(AuditAction::AccessRuleExpired, AuditOutcome::Success, None, &ClientInfo::default())
                        .target(Target::AccessRule(rule.id))
                        .organization(tenant.organization_id())
                        .details(json!({
                            "network_id": rule.network_id,
                            "list": rule.list.as_str(),
                            "target": rule.target.to_string(),
                            "status": rule.status.as_str(),
                        }));
                write.audit(event).await?;
                expired += 1;
            }
            write.commit().await?;
        }
        Ok(expired)
    }

    async fn remove_expired_at_agent(&self, tenant: authdb_persistence::TenantId, rule: &AccessRule) -> Result<()> {
        let Some(Some(endpoint)) = networks::agent(self.core.db(), tenant, rule.network_id).await? else {
            // The network lost its agent (or is gone): nothing to ask.
            return Ok(());
        };
        let call = AgentCall { endpoint, router: rule.network_id, session: None };
        Ok(self.agent.remove(&call, rule.list, rule.target).await?)
    }

    /// Starts the expiry sweep on this runtime, one pass every `rule_sweep_interval`
    /// (none when it is zero). The task stops when the returned handle is dropped.
    pub fn start_rule_sweep(&self) -> Option<SweepTask> {
        let interval = self.policy.rule_sweep_interval;
        if interval.is_zero() {
            return None;
        }
        let service = self.clone();
        Some(SweepTask(Arc::new(AbortOnDrop(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match service.sweep_expired_rules().await {
                    Ok(0) => {}
                    Ok(expired) => tracing::info!(expired, "expired access rules removed"),
                    Err(error) => tracing::warn!(error = %error_chain(&error), "the access rule sweep failed"),
                }
            }
        })))))
    }
}

/// How long a pass holds the rules it claimed: long enough to ask the agent about each of a
/// full batch, one after another (each request takes at most the timeout, plus the quick
/// retries of a connection never made), and 30 s more; in whole seconds, like every
/// stored time. A pass that dies holds its rules this long at most.
fn sweep_lease(agent_timeout: Duration) -> time::Duration {
    let per_rule = agent_timeout.saturating_add(Duration::from_secs(1));
    let lease = per_rule.saturating_mul(SWEEP_BATCH as u32).saturating_add(Duration::from_secs(30));
    time::Duration::seconds(i64::try_from(lease.as_secs()).unwrap_or(i64::MAX / 2).min(86_400))
}

/// The running expiry sweep; it stops when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct SweepTask(#[allow(dead_code, reason = "held only to abort the task when dropped")] Arc<AbortOnDrop>);

#[derive(Debug)]
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lease_covers_a_batch_in_whole_seconds() {
        assert_eq!(sweep_lease(Duration::from_millis(5000)), time::Duration::seconds(20 * 6 + 30));
        assert_eq!(sweep_lease(Duration::from_millis(300)), time::Duration::seconds(56));
        assert_eq!(sweep_lease(Duration::from_secs(u64::MAX / 4)), time::Duration::seconds(86_400));
    }
}
