//! The `networks` table: an organization's routers or sites, scoped by [`TenantId`].

use authdb_domain::{AgentEndpoint, AgentToken, AgentUrl, Network, NetworkChanges, NetworkId, NewNetwork, Page, Paged};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, SqlErr, Unchanged, sea_query::Expr,
};
use serde_json::json;
use time::OffsetDateTime;

use crate::{PersistenceError, Result, TenantId, assets, entities::networks, rows};

const NETWORK: &str = "network";

/// A taken name is a conflict on `name`.
fn name_conflict(error: DbErr) -> PersistenceError {
    match PersistenceError::from(error) {
        PersistenceError::Conflict { .. } => PersistenceError::Conflict { fields: &["name"] },
        other => other,
    }
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    new: NewNetwork,
    now: OffsetDateTime,
) -> Result<Network> {
    let model = networks::ActiveModel {
        id: Set(NetworkId::new().as_uuid()),
        organization_id: Set(tenant.uuid()),
        name: Set(new.name.as_str().to_owned()),
        description: Set(new.description),
        site: Set(new.site),
        cidrs: Set(json!(new.cidrs.iter().map(ToString::to_string).collect::<Vec<_>>())),
        agent_url: Set(new.agent_url.map(|url| url.as_str().to_owned())),
        agent_token: Set(new.agent_token.map(|token| token.expose().to_owned())),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await
    .map_err(name_conflict)?;
    rows::network(model)
}

pub async fn find(conn: &impl ConnectionTrait, tenant: TenantId, id: NetworkId) -> Result<Option<Network>> {
    let found = networks::Entity::find_by_id(id.as_uuid())
        .filter(networks::Column::OrganizationId.eq(tenant.uuid()))
        .one(conn)
        .await?;
    found.map(rows::network).transpose()
}

/// Whether the tenant has this network.
pub async fn exists(conn: &impl ConnectionTrait, tenant: TenantId, id: NetworkId) -> Result<bool> {
    Ok(networks::Entity::find_by_id(id.as_uuid())
        .filter(networks::Column::OrganizationId.eq(tenant.uuid()))
        .count(conn)
        .await?
        > 0)
}

/// Takes the row lock of one of the tenant's networks for the rest of the transaction (an
/// update that changes nothing: a row lock on PostgreSQL, the write lock SQLite takes
/// anyway); answers whether the network exists. Scan imports into one network take it,
/// so that they run one after another and count what they created exactly.
pub async fn lock(conn: &impl ConnectionTrait, tenant: TenantId, id: NetworkId) -> Result<bool> {
    let updated = networks::Entity::update_many()
        .col_expr(networks::Column::UpdatedAt, Expr::col(networks::Column::UpdatedAt))
        .filter(networks::Column::Id.eq(id.as_uuid()))
        .filter(networks::Column::OrganizationId.eq(tenant.uuid()))
        .exec(conn)
        .await?;
    Ok(updated.rows_affected > 0)
}

/// The tenant's networks in creation order (ids are time-ordered).
pub async fn list(conn: &impl ConnectionTrait, tenant: TenantId, page: Page) -> Result<Paged<Network>> {
    let query = networks::Entity::find().filter(networks::Column::OrganizationId.eq(tenant.uuid()));
    let total = query.clone().count(conn).await?;
    let items = query
        .order_by_asc(networks::Column::Id)
        .limit(page.limit())
        .offset(page.offset())
        .all(conn)
        .await?
        .into_iter()
        .map(rows::network)
        .collect::<Result<_>>()?;
    Ok(Paged { items, total, page })
}

pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: NetworkId,
    changes: NetworkChanges,
    now: OffsetDateTime,
) -> Result<Network> {
    if !exists(conn, tenant, id).await? {
        return Err(PersistenceError::NotFound { entity: NETWORK });
    }
    let mut model = networks::ActiveModel { id: Unchanged(id.as_uuid()), ..Default::default() };
    if let Some(name) = changes.name {
        model.name = Set(name.as_str().to_owned());
    }
    if let Some(description) = changes.description {
        model.description = Set(description);
    }
    if let Some(site) = changes.site {
        model.site = Set(site);
    }
    if let Some(cidrs) = changes.cidrs {
        model.cidrs = Set(json!(cidrs.iter().map(ToString::to_string).collect::<Vec<_>>()));
    }
    if let Some(agent_url) = changes.agent_url {
        model.agent_url = Set(agent_url.map(|url| url.as_str().to_owned()));
    }
    if let Some(agent_token) = changes.agent_token {
        model.agent_token = Set(agent_token.map(|token| token.expose().to_owned()));
    }
    model.updated_at = Set(now);
    rows::network(model.update(conn).await.map_err(name_conflict)?)
}

/// What deleting a network did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkDeletion {
    /// Deleted, with this many assets (only when cascading).
    Deleted {
        assets: u64,
    },
    NotFound,
    /// Assets still reference it and no cascade was asked.
    InUse {
        assets: u64,
    },
}

/// Deletes one of the tenant's networks; with `cascade`, its assets go first, otherwise
/// a network with assets stays.
pub async fn delete(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: NetworkId,
    cascade: bool,
) -> Result<NetworkDeletion> {
    if !exists(conn, tenant, id).await? {
        return Ok(NetworkDeletion::NotFound);
    }
    let assets = assets::count_in_network(conn, tenant, id).await?;
    if assets > 0 && !cascade {
        return Ok(NetworkDeletion::InUse { assets });
    }
    let removed = if cascade { assets::delete_in_network(conn, tenant, id).await? } else { 0 };
    let deleted = networks::Entity::delete_many()
        .filter(networks::Column::Id.eq(id.as_uuid()))
        .filter(networks::Column::OrganizationId.eq(tenant.uuid()))
        .exec(conn)
        .await;
    match deleted {
        Ok(result) if result.rows_affected > 0 => Ok(NetworkDeletion::Deleted { assets: removed }),
        Ok(_) => Ok(NetworkDeletion::NotFound),
        // An asset was added meanwhile (PostgreSQL): the network is in use after all.
        // (The transaction is aborted there, so the new count cannot be read: at least one.)
        Err(error) if matches!(error.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_))) => {
            Ok(NetworkDeletion::InUse { assets: assets.max(1) })
        }
        Err(error) => Err(error.into()),
    }
}

/// Removes every network of the tenant (when the organization is deleted, after its
/// assets).
pub(crate) async fn delete_all(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<()> {
    networks::Entity::delete_many().filter(networks::Column::OrganizationId.eq(tenant.uuid())).exec(conn).await?;
    Ok(())
}

/// The agent of one of the tenant's networks: `None` when there is no such network,
/// `Some(None)` when it has no agent. The only read of the stored agent token, which
/// goes to the agent and nowhere else.
pub async fn agent(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: NetworkId,
) -> Result<Option<Option<AgentEndpoint>>> {
    let Some(model) = networks::Entity::find_by_id(id.as_uuid())
        .filter(networks::Column::OrganizationId.eq(tenant.uuid()))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let Some(url) = model.agent_url else { return Ok(Some(None)) };
    let url = rows::parsed(AgentUrl::parse(&url, "agent_url"), NETWORK, "agent_url")?;
    let token = model
        .agent_token
        .map(|token| rows::parsed(AgentToken::parse(&token, "agent_token"), NETWORK, "agent_token"))
        .transpose()?;
    Ok(Some(Some(AgentEndpoint { url, token })))
}
