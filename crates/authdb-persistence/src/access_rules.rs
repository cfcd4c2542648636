//! The `access_rules` table: the entries of a network's allow and deny lists, scoped by
//! [`TenantId`].
//!
//! A target is in at most one list of a network while its rule is live (the unique index
//! `uq_access_rules_network_id_target` over the rows not `expired`): a second insert of
//! the same target, in either list, is `Conflict { fields: ["target"] }`, also when two
//! inserts race.

use authdb_domain::{
    AccessRule, AccessRuleId, NetworkId, NewAccessRule, OrganizationId, Page, Paged, RuleList, RuleStatus, RuleTarget,
    UserId,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use time::OffsetDateTime;

use crate::{PersistenceError, Result, TenantId, entities::access_rules, rows::parsed};

const RULE: &str = "access rule";

/// A taken target is a conflict on `target`.
fn target_conflict(error: DbErr) -> PersistenceError {
    match PersistenceError::from(error) {
        PersistenceError::Conflict { .. } => PersistenceError::Conflict { fields: &["target"] },
        other => other,
    }
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    network: NetworkId,
    new: NewAccessRule,
    status: RuleStatus,
    created_by: UserId,
    now: OffsetDateTime,
) -> Result<AccessRule> {
    let model = access_rules::ActiveModel {
        id: Set(AccessRuleId::new().as_uuid()),
        organization_id: Set(tenant.uuid()),
        network_id: Set(network.as_uuid()),
        list: Set(new.list.as_str().to_owned()),
        target: Set(new.target.to_string()),
        comment: Set(new.comment),
        expires_at: Set(new.expires_at),
        status: Set(status.as_str().to_owned()),
        created_by: Set(Some(created_by.as_uuid())),
        sweep_claimed_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await
    .map_err(target_conflict)?;
    into_rule(model)
}

pub async fn find(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    network: NetworkId,
    id: AccessRuleId,
) -> Result<Option<AccessRule>> {
    access_rules::Entity::find_by_id(id.as_uuid())
        .filter(access_rules::Column::OrganizationId.eq(tenant.uuid()))
        .filter(access_rules::Column::NetworkId.eq(network.as_uuid()))
        .one(conn)
        .await?
        .map(into_rule)
        .transpose()
}

/// The live (not expired) rule of the network on `target`, in either list.
pub async fn find_live(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    network: NetworkId,
    target: RuleTarget,
) -> Result<Option<AccessRule>> {
    access_rules::Entity::find()
        .filter(access_rules::Column::OrganizationId.eq(tenant.uuid()))
        .filter(access_rules::Column::NetworkId.eq(network.as_uuid()))
        .filter(access_rules::Column::Target.eq(target.to_string()))
        .filter(access_rules::Column::Status.ne(RuleStatus::Expired.as_str()))
        .one(conn)
        .await?
        .map(into_rule)
        .transpose()
}

/// A network's rules in creation order (ids are time-ordered), expired ones included.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    network: NetworkId,
    page: Page,
) -> Result<Paged<AccessRule>> {
    let query = access_rules::Entity::find()
        .filter(access_rules::Column::OrganizationId.eq(tenant.uuid()))
        .filter(access_rules::Column::NetworkId.eq(network.as_uuid()));
    let total = query.clone().count(conn).await?;
    let items = query
        .order_by_asc(access_rules::Column::Id)
        .limit(page.limit())
        .offset(page.offset())
        .all(conn)
        .await?
        .into_iter()
        .map(into_rule)
        .collect::<Result<_>>()?;
    Ok(Paged { items, total, page })
}

/// A network's `applied` rules (those its agent holds) in creation order: what deleting
/// the network must take out at the agent first.
pub async fn applied_in_network(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    network: NetworkId,
) -> Result<Vec<AccessRule>> {
    access_rules::Entity::find()
        .filter(access_rules::Column::OrganizationId.eq(tenant.uuid()))
        .filter(access_rules::Column::NetworkId.eq(network.as_uuid()))
        .filter(access_rules::Column::Status.eq(RuleStatus::Applied.as_str()))
        .order_by_asc(access_rules::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(into_rule)
        .collect()
}

/// Deletes one rule; answers whether it was there.
pub async fn delete(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    network: NetworkId,
    id: AccessRuleId,
) -> Result<bool> {
    let deleted = access_rules::Entity::delete_many()
        .filter(access_rules::Column::Id.eq(id.as_uuid()))
        .filter(access_rules::Column::OrganizationId.eq(tenant.uuid()))
        .filter(access_rules::Column::NetworkId.eq(network.as_uuid()))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// A rule past its expiry that this caller has claimed for the sweep, with the tenant it
/// belongs to (the sweep acts for no member, so the row itself is its proof of access).
#[derive(Debug, Clone)]
pub struct ClaimedRule {
    pub tenant: TenantId,
    pub rule: AccessRule,
}

/// Claims up to `limit` live rules whose `expires_at` has passed and that no other pass
/// holds (no lease, or a lapsed one), leasing each until `lease_until`. Each claim is a
/// conditional update of one row, so of two instances sweeping at once exactly one gets
/// a given rule. A rule whose removal failed keeps its lease until it lapses and is
/// claimed again by a later pass.
pub async fn claim_expired(
    conn: &impl ConnectionTrait,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: u64,
) -> Result<Vec<ClaimedRule>> {
    let unclaimed = || {
        Condition::any()
            .add(access_rules::Column::SweepClaimedUntil.is_null())
            .add(access_rules::Column::SweepClaimedUntil.lte(now))
    };
    let due = || {
        Condition::all()
            .add(access_rules::Column::Status.ne(RuleStatus::Expired.as_str()))
            .add(access_rules::Column::ExpiresAt.lte(now))
            .add(unclaimed())
    };
    let candidates = access_rules::Entity::find()
        .filter(due())
        .order_by_asc(access_rules::Column::ExpiresAt)
        .limit(limit)
        .all(conn)
        .await?;
    let mut claimed = Vec::with_capacity(candidates.len());
    for mut model in candidates {
        let updated = access_rules::Entity::update_many()
            .col_expr(access_rules::Column::SweepClaimedUntil, Expr::value(lease_until))
            .filter(access_rules::Column::Id.eq(model.id))
            .filter(due())
            .exec(conn)
            .await?;
        if updated.rows_affected == 1 {
            model.sweep_claimed_until = Some(lease_until);
            let tenant = TenantId::resolved(OrganizationId::from_uuid(model.organization_id));
            claimed.push(ClaimedRule { tenant, rule: into_rule(model)? });
        }
    }
    Ok(claimed)
}

/// Marks a claimed rule `expired` and drops its lease; answers whether it was still live
/// (a rule deleted meanwhile is not).
pub async fn mark_expired(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: AccessRuleId,
    now: OffsetDateTime,
) -> Result<bool> {
    let updated = access_rules::Entity::update_many()
        .col_expr(access_rules::Column::Status, Expr::value(RuleStatus::Expired.as_str()))
        .col_expr(access_rules::Column::SweepClaimedUntil, Expr::value(Option::<OffsetDateTime>::None))
        .col_expr(access_rules::Column::UpdatedAt, Expr::value(now))
        .filter(access_rules::Column::Id.eq(id.as_uuid()))
        .filter(access_rules::Column::OrganizationId.eq(tenant.uuid()))
        .filter(access_rules::Column::Status.ne(RuleStatus::Expired.as_str()))
        .exec(conn)
        .await?;
    Ok(updated.rows_affected > 0)
}

/// Removes every rule of the tenant (when the organization is deleted).
pub(crate) async fn delete_all(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<()> {
    access_rules::Entity::delete_many()
        .filter(access_rules::Column::OrganizationId.eq(tenant.uuid()))
        .exec(conn)
        .await?;
    Ok(())
}

fn into_rule(model: access_rules::Model) -> Result<AccessRule> {
    Ok(AccessRule {
        id: AccessRuleId::from_uuid(model.id),
        organization_id: OrganizationId::from_uuid(model.organization_id),
        network_id: NetworkId::from_uuid(model.network_id),
        list: parsed(RuleList::parse(&model.list, "list"), RULE, "list")?,
        target: parsed(RuleTarget::parse(&model.target, "target"), RULE, "target")?,
        comment: model.comment,
        expires_at: model.expires_at,
        status: parsed(RuleStatus::parse(&model.status, "status"), RULE, "status")?,
        created_by: model.created_by.map(UserId::from_uuid),
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// Drops the sweep's lease on a rule whose removal failed, so the next pass claims it
/// again.
pub async fn release(conn: &impl ConnectionTrait, tenant: TenantId, id: AccessRuleId) -> Result<()> {
    access_rules::Entity::update_many()
        .col_expr(access_rules::Column::SweepClaimedUntil, Expr::value(Option::<OffsetDateTime>::None))
        .filter(access_rules::Column::Id.eq(id.as_uuid()))
        .filter(access_rules::Column::OrganizationId.eq(tenant.uuid()))
        .exec(conn)
        .await?;
    Ok(())
}
