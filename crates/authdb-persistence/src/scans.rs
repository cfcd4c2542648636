//! The `scans` table: one row per import of a scan into a network, scoped by
//! [`TenantId`]. The import itself writes through `assets::upsert_seen` and
//! `services::upsert_seen`; this module keeps the record of what it did.

use authdb_domain::{NetworkId, OrganizationId, Page, Paged, Scan, ScanCounts, ScanId, ScanSource, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use time::OffsetDateTime;

use crate::{PersistenceError, Result, TenantId, entities::scans, rows};

/// What to record of an import.
#[derive(Debug, Clone)]
pub struct NewScan {
    pub network_id: NetworkId,
    pub source: ScanSource,
    pub counts: ScanCounts,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
    pub created_by: Option<UserId>,
}

fn stored(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

pub async fn insert(conn: &impl ConnectionTrait, tenant: TenantId, new: NewScan, now: OffsetDateTime) -> Result<Scan> {
    let counts = new.counts;
    let model = scans::ActiveModel {
        id: Set(ScanId::new().as_uuid()),
        organization_id: Set(tenant.uuid()),
        network_id: Set(new.network_id.as_uuid()),
        source: Set(new.source.as_str().to_owned()),
        hosts_up: Set(stored(counts.hosts_up)),
        hosts_down: Set(stored(counts.hosts_down)),
        assets_created: Set(stored(counts.assets_created)),
        assets_updated: Set(stored(counts.assets_updated)),
        services_created: Set(stored(counts.services_created)),
        services_updated: Set(stored(counts.services_updated)),
        started_at: Set(new.started_at),
        finished_at: Set(new.finished_at),
        created_by: Set(new.created_by.map(|user| user.as_uuid())),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    into_scan(model)
}

pub async fn find(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    network: NetworkId,
    id: ScanId,
) -> Result<Option<Scan>> {
    let found = scans::Entity::find_by_id(id.as_uuid())
        .filter(scans::Column::OrganizationId.eq(tenant.uuid()))
        .filter(scans::Column::NetworkId.eq(network.as_uuid()))
        .one(conn)
        .await?;
    found.map(into_scan).transpose()
}

/// A network's scans, newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    network: NetworkId,
    page: Page,
) -> Result<Paged<Scan>> {
    let query = scans::Entity::find()
        .filter(scans::Column::OrganizationId.eq(tenant.uuid()))
        .filter(scans::Column::NetworkId.eq(network.as_uuid()));
    let total = query.clone().count(conn).await?;
    let items = query
        .order_by_desc(scans::Column::Id)
        .limit(page.limit())
        .offset(page.offset())
        .all(conn)
        .await?
        .into_iter()
        .map(into_scan)
        .collect::<Result<_>>()?;
    Ok(Paged { items, total, page })
}

/// Removes every scan of the tenant (when the organization is deleted).
pub(crate) async fn delete_all(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<()> {
    scans::Entity::delete_many().filter(scans::Column::OrganizationId.eq(tenant.uuid())).exec(conn).await?;
    Ok(())
}

fn into_scan(model: scans::Model) -> Result<Scan> {
    const ENTITY: &str = "scan";
    let count = |field, value: i64| {
        u64::try_from(value).map_err(|_| PersistenceError::Corrupt {
            entity: ENTITY,
            field,
            message: "negative count".into(),
        })
    };
    Ok(Scan {
        id: ScanId::from_uuid(model.id),
        organization_id: OrganizationId::from_uuid(model.organization_id),
        network_id: NetworkId::from_uuid(model.network_id),
        source: rows::parsed(ScanSource::parse(&model.source, "source"), ENTITY, "source")?,
        counts: ScanCounts {
            hosts_up: count("hosts_up", model.hosts_up)?,
            hosts_down: count("hosts_down", model.hosts_down)?,
            assets_created: count("assets_created", model.assets_created)?,
            assets_updated: count("assets_updated", model.assets_updated)?,
            services_created: count("services_created", model.services_created)?,
            services_updated: count("services_updated", model.services_updated)?,
        },
        started_at: model.started_at,
        finished_at: model.finished_at,
        created_by: model.created_by.map(UserId::from_uuid),
        created_at: model.created_at,
    })
}
