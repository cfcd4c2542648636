//! The `assets` table: an organization's inventory, scoped by [`TenantId`].
//!
//! PostgreSQL stores the address as `inet` and the tags as `text[]`; sqlx maps neither
//! without extra features, so this repository writes them through casts
//! (`CAST($1 AS inet)`, `CAST($1 AS text[])`) and reads them as `host(ip_address)` and
//! `to_jsonb(tags)`. SQLite stores the canonical text and a JSON array. Lists sort by
//! `ip_sort` and by expressions that order alike on both backends (NULLs last, byte
//! order for host names), so the same data lists the same way on each.

use authdb_domain::{
    Asset, AssetChanges, AssetFilter, AssetId, AssetSortKey, AssetStatus, AssetType, Criticality, Hostname, IpAddress,
    MacAddress, Metadata, NetworkId, NewAsset, OrganizationId, Page, Paged, PortState, RiskScore, ScannedHost, Sort,
    Tags, UserId, VulnerabilityCounts,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, SqlErr, TransactionTrait,
    sea_query::{Expr, ExprTrait, Query},
};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    PersistenceError, Result, TenantId,
    entities::{assets, services},
    rows, search_pattern,
};

const ASSET: &str = "asset";

fn is_postgres(conn: &impl ConnectionTrait) -> bool {
    conn.get_database_backend() == DatabaseBackend::Postgres
}

/// The address as the column takes it.
fn ip_value(postgres: bool, ip: authdb_domain::IpAddress) -> Expr {
    if postgres { Expr::cust_with_values("CAST($1 AS inet)", [ip.to_string()]) } else { Expr::val(ip.to_string()) }
}

/// The tags as the column takes them: a `text[]` literal (tags hold no character that
/// needs quoting in one) or a JSON array.
fn tags_value(postgres: bool, tags: &Tags) -> Expr {
    if postgres {
        Expr::cust_with_values("CAST($1 AS text[])", [format!("{{{}}}", tags.names().join(","))])
    } else {
        Expr::val(Value::from(tags.names()).to_string())
    }
}

/// Unique violations are the address taken in the network; foreign-key violations a
/// network (or owner) deleted meanwhile.
fn write_error(error: DbErr) -> PersistenceError {
    if let Some(SqlErr::ForeignKeyConstraintViolation(message)) = error.sql_err() {
        let entity = if message.contains("owner") { "owner" } else { "network" };
        return PersistenceError::NotFound { entity };
    }
    match PersistenceError::from(error) {
        PersistenceError::Conflict { .. } => PersistenceError::Conflict { fields: &["ip_address"] },
        other => other,
    }
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    new: NewAsset,
    now: OffsetDateTime,
) -> Result<Asset> {
    let postgres = is_postgres(conn);
    let id = AssetId::new();
    use assets::Column as C;
    let columns = [
        C::Id,
        C::OrganizationId,
        C::NetworkId,
        C::IpAddress,
        C::IpSort,
        C::Hostname,
        C::MacAddress,
        C::MacVendor,
        C::OperatingSystem,
        C::OsVersion,
        C::OsCpe,
        C::AssetType,
        C::Criticality,
        C::Tags,
        C::Status,
        C::IsReachable,
        C::RiskScore,
        C::VulnCritical,
        C::VulnHigh,
        C::VulnMedium,
        C::VulnLow,
        C::VulnInfo,
        C::FirstSeen,
        C::LastSeen,
        C::LastScanned,
        C::Metadata,
        C::OwnerId,
        C::CreatedAt,
        C::UpdatedAt,
    ];
    let counts = new.vulnerabilities;
    let values = [
        Expr::val(id.as_uuid()),
        Expr::val(tenant.uuid()),
        Expr::val(new.network_id.map(|network| network.as_uuid())),
        ip_value(postgres, new.ip_address),
        Expr::val(new.ip_address.sort_key()),
        Expr::val(new.hostname.map(|name| name.as_str().to_owned())),
        Expr::val(new.mac_address.map(|mac| mac.to_string())),
        Expr::val(new.mac_vendor),
        Expr::val(new.operating_system),
        Expr::val(new.os_version),
        Expr::val(new.os_cpe),
        Expr::val(new.asset_type.as_str()),
        Expr::val(new.criticality.as_str()),
        tags_value(postgres, &new.tags),
        Expr::val(new.status.as_str()),
        Expr::val(new.is_reachable),
        Expr::val(i16::from(new.risk_score.value())),
        Expr::val(count(counts.critical)),
        Expr::val(count(counts.high)),
        Expr::val(count(counts.medium)),
        Expr::val(count(counts.low)),
        Expr::val(count(counts.info)),
        Expr::val(now),
        Expr::val(new.last_seen),
        Expr::val(new.last_scanned),
        Expr::val(new.metadata.into_value()),
        Expr::val(new.owner_id.map(|owner| owner.as_uuid())),
        Expr::val(now),
        Expr::val(now),
    ];
    let statement = Query::insert().into_table(assets::Entity).columns(columns).values_panic(values).to_owned();
    conn.execute(&statement).await.map_err(write_error)?;
    find(conn, tenant, id).await?.ok_or(PersistenceError::NotFound { entity: ASSET })
}

/// Counts are at most `i32::MAX` (`VulnerabilityCounts::parse`).
fn count(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

pub async fn find(conn: &impl ConnectionTrait, tenant: TenantId, id: AssetId) -> Result<Option<Asset>> {
    let query = of_tenant(tenant).filter(assets::Column::Id.eq(id.as_uuid()));
    let row = select_columns(conn, query).into_model::<AssetRow>().one(conn).await?;
    row.map(into_asset).transpose()
}

fn of_tenant(tenant: TenantId) -> Select<assets::Entity> {
    assets::Entity::find().filter(assets::Column::OrganizationId.eq(tenant.uuid()))
}

/// A stored asset, with the address as text and the tags as a JSON array on both
/// backends.
#[derive(Debug, FromQueryResult)]
struct AssetRow {
    id: Uuid,
    organization_id: Uuid,
    network_id: Option<Uuid>,
    ip_address: String,
    hostname: Option<String>,
    mac_address: Option<String>,
    mac_vendor: Option<String>,
    operating_system: Option<String>,
    os_version: Option<String>,
    os_cpe: Option<String>,
    asset_type: String,
    criticality: String,
    tags: Value,
    status: String,
    is_reachable: bool,
    risk_score: i16,
    vuln_critical: i32,
    vuln_high: i32,
    vuln_medium: i32,
    vuln_low: i32,
    vuln_info: i32,
    first_seen: OffsetDateTime,
    last_seen: Option<OffsetDateTime>,
    last_scanned: Option<OffsetDateTime>,
    metadata: Value,
    owner_id: Option<Uuid>,
    open_services: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

fn select_columns(conn: &impl ConnectionTrait, query: Select<assets::Entity>) -> Select<assets::Entity> {
    use assets::Column as C;
    let postgres = is_postgres(conn);
    let (ip, tags) = if postgres {
        (Expr::cust("host(\"assets\".\"ip_address\")"), Expr::cust("to_jsonb(\"assets\".\"tags\")"))
    } else {
        (Expr::col((assets::Entity, C::IpAddress)), Expr::col((assets::Entity, C::Tags)))
    };
    query
        .select_only()
        .columns([
            C::Id,
            C::OrganizationId,
            C::NetworkId,
            C::Hostname,
            C::MacAddress,
            C::MacVendor,
            C::OperatingSystem,
            C::OsVersion,
            C::OsCpe,
            C::AssetType,
            C::Criticality,
            C::Status,
            C::IsReachable,
            C::RiskScore,
            C::VulnCritical,
            C::VulnHigh,
            C::VulnMedium,
            C::VulnLow,
            C::VulnInfo,
            C::FirstSeen,
            C::LastSeen,
            C::LastScanned,
            C::Metadata,
            C::OwnerId,
            C::CreatedAt,
            C::UpdatedAt,
        ])
        .column_as(ip, "ip_address")
        .column_as(tags, "tags")
        .column_as(Expr::cust(OPEN_SERVICES), "open_services")
}

/// How many services of the row's asset are open (the unique index on the services'
/// (asset, port, protocol) serves it).
const OPEN_SERVICES: &str = "(SELECT COUNT(*) FROM \"services\" \
     WHERE \"services\".\"asset_id\" = \"assets\".\"id\" AND \"services\".\"state\" = 'open')";

/// One page of the tenant's assets matching `filter`, ordered by `sort`, ties broken by
/// address, then id.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &AssetFilter,
    sort: Sort<AssetSortKey>,
    page: Page,
) -> Result<Paged<Asset>> {
    use assets::Column as C;
    let postgres = is_postgres(conn);
    let mut query = of_tenant(tenant);
    if !filter.statuses.is_empty() {
        query = query.filter(C::Status.is_in(filter.statuses.iter().map(|status| status.as_str())));
    }
    if !filter.criticalities.is_empty() {
        query = query.filter(C::Criticality.is_in(filter.criticalities.iter().map(|value| value.as_str())));
    }
    if !filter.asset_types.is_empty() {
        query = query.filter(C::AssetType.is_in(filter.asset_types.iter().map(|value| value.as_str())));
    }
    if !filter.tags.is_empty() {
        if postgres && filter.cidr.is_some() {
            // The address range is read from the (organization, address) index, and each
            // entry's tags are tested there: `$1 = ANY(tags)` is the cheapest test (7.5 ms
            // for 25,000 entries, against 11 ms for `tags @> ARRAY[$1]`).
            for tag in &filter.tags {
                query = query.filter(Expr::cust_with_values("$1 = ANY(\"assets\".\"tags\")", [tag.as_str()]));
            }
        } else if postgres {
            // Containment, one test a tag, which the GIN index on tags answers. The array
            // is built from a text parameter by an immutable function, so that it is
            // computed once: `CAST($1 AS text[])` goes through `array_in`, which is only
            // stable, and was parsed again for every row the index did not rule out (19-25
            // ms for 25,000 rows). (`ARRAY[$1]` would do, but sea-query reads `[...]` as a
            // quoted name and leaves the placeholder in it.)
            for tag in &filter.tags {
                query = query.filter(Expr::cust_with_values(
                    "\"assets\".\"tags\" @> array_append(CAST('{}' AS text[]), $1)",
                    [tag.as_str()],
                ));
            }
        } else {
            // The column is the JSON array this module writes, and a tag's characters
            // (`[a-z0-9_.:-]`) are never escaped in JSON, so the tag in quotes occurs in
            // the text exactly when it is an element: a substring test, about half the
            // cost of walking the array with `json_each` for every row.
            for tag in &filter.tags {
                query = query.filter(Expr::cust_with_values(
                    "instr(\"assets\".\"tags\", ?) > 0",
                    [format!("\"{}\"", tag.as_str())],
                ));
            }
        }
    }
    if let Some(network) = filter.network_id {
        query = query.filter(C::NetworkId.eq(network.as_uuid()));
    }
    if let Some(owner) = filter.owner_id {
        query = query.filter(C::OwnerId.eq(owner.as_uuid()));
    }
    if let Some(port) = filter.open_port {
        let open_on_port = Query::select()
            .expr(Expr::val(1))
            .from(services::Entity)
            .and_where(Expr::col((services::Entity, services::Column::AssetId)).equals((assets::Entity, C::Id)))
            .and_where(Expr::col((services::Entity, services::Column::Port)).eq(i32::from(port.value())))
            .and_where(Expr::col((services::Entity, services::Column::State)).eq(PortState::Open.as_str()))
            .to_owned();
        query = query.filter(Expr::exists(open_on_port));
    }
    if let Some(min_risk) = filter.min_risk {
        query = query.filter(C::RiskScore.gte(i16::from(min_risk.value())));
    }
    if let Some(search) = filter.search.as_deref() {
        let ip_text = if postgres {
            Expr::cust("host(\"assets\".\"ip_address\")")
        } else {
            Expr::col((assets::Entity, C::IpAddress))
        };
        query = query.filter(
            Condition::any()
                .add(Expr::col((assets::Entity, C::Hostname)).like(search_pattern(search)))
                .add(ip_text.like(search_pattern(search)))
                .add(Expr::col((assets::Entity, C::MacAddress)).like(search_pattern(search))),
        );
    }
    let range = filter.cidr.map(|cidr| cidr.sort_range());
    let in_range = |query: Select<assets::Entity>, plan: PagePlan| match &range {
        // The unary `+` keeps SQLite from reading the range from an index (the test stays).
        Some((first, last)) if plan == PagePlan::RiskWalk => query
            .filter(Expr::cust_with_values("+\"assets\".\"ip_sort\" BETWEEN ? AND ?", [first.clone(), last.clone()])),
        Some((first, last)) => query.filter(C::IpSort.between(first.clone(), last.clone())),
        None => query,
    };
    let total = match count_by_tags(tenant, filter, range.as_ref()) {
        Some(count) => {
            let row = conn.query_one_raw(conn.get_database_backend().build(&count)).await?;
            let total: i64 = row.map(|row| row.try_get("", "total")).transpose()?.unwrap_or(0);
            u64::try_from(total).unwrap_or(0)
        }
        None => in_range(query.clone(), PagePlan::Planner).count(conn).await?,
    };
    let plan = PagePlan::of(postgres, sort, total, page);
    // The page is chosen on the narrow rows first (the listing index carries the address,
    // risk score, tags and id), then only its rows are read whole, in the same order.
    let page_ids = ordered(in_range(query, plan), sort, postgres, plan)
        .select_only()
        .column(C::Id)
        .limit(page.limit())
        .offset(page.offset())
        .into_query();
    // The ids come from the tenant's rows only; the outer query names no organization, so
    // that the planner looks the page up by id (with `organization_id = ?` as well, SQLite
    // walked all the organization's assets through the unique index: 170 ms at 100,000).
    let on_page = assets::Entity::find().filter(C::Id.in_subquery(page_ids));
    let rows = select_columns(conn, ordered(on_page, sort, postgres, plan)).into_model::<AssetRow>().all(conn).await?;
    let items = rows.into_iter().map(into_asset).collect::<Result<_>>()?;
    Ok(Paged { items, total, page })
}

/// The count of a listing filtered by tags, and perhaps an address range, and by nothing
/// else, read from `asset_tags` alone (one row per asset and tag, keyed by organization,
/// tag and address; kept by triggers, see the migration that creates it): a range of the
/// matching entries, with nothing to test on each. `None` for any other filter, whose
/// count reads `assets`. With several tags an asset matches when it has a row for each.
fn count_by_tags(
    tenant: TenantId,
    filter: &AssetFilter,
    range: Option<&(Vec<u8>, Vec<u8>)>,
) -> Option<sea_orm::sea_query::SelectStatement> {
    use sea_orm::sea_query::Alias;
    let AssetFilter {
        statuses,
        criticalities,
        asset_types,
        tags,
        network_id: None,
        owner_id: None,
        search: None,
        cidr: _,
        min_risk: None,
        open_port: None,
    } = filter
    else {
        return None;
    };
    if tags.is_empty() || !statuses.is_empty() || !criticalities.is_empty() || !asset_types.is_empty() {
        return None;
    }
    let mut tags: Vec<&str> = tags.iter().map(|tag| tag.as_str()).collect();
    tags.sort_unstable();
    tags.dedup();
    let mut matches = Query::select();
    matches
        .from(Alias::new("asset_tags"))
        .and_where(Expr::col(Alias::new("organization_id")).eq(tenant.uuid()))
        .and_where(Expr::col(Alias::new("tag")).is_in(tags.iter().copied()));
    if let Some((first, last)) = range {
        matches.and_where(Expr::col(Alias::new("ip_sort")).between(first.clone(), last.clone()));
    }
    if tags.len() == 1 {
        return Some(matches.expr_as(Expr::cust("COUNT(*)"), Alias::new("total")).to_owned());
    }
    matches
        .column(Alias::new("asset_id"))
        .group_by_col(Alias::new("asset_id"))
        .and_having(Expr::cust("COUNT(*)").eq(tags.len() as i64));
    Some(
        Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("total"))
            .from_subquery(matches.to_owned(), Alias::new("matching"))
            .to_owned(),
    )
}

/// How a listing's page is found. PostgreSQL's planner chooses well by itself (it keeps
/// statistics of the addresses and plans for the values, see [`list_planned`]); SQLite's
/// cannot tell from the query how many assets an address range holds, so a listing by
/// risk is told which of its two plans to take, from the count it has just made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PagePlan {
    /// The query as written: PostgreSQL, and every SQLite listing not sorted by risk.
    Planner,
    /// SQLite, sorted by risk: read the address range from `idx_assets_listing` and sort
    /// every match (the risk is ordered by `+risk_score`, which `idx_assets_risk` cannot
    /// serve). Reads every entry in the range, whatever the page.
    SortMatches,
    /// SQLite, `sort=-risk_score`: walk `idx_assets_risk` (the organization's assets by
    /// descending risk, then address and id) and stop after the page (the range is tested
    /// as `+ip_sort`, which no index can serve). Reads about (offset + limit) x assets /
    /// matches entries.
    RiskWalk,
}

impl PagePlan {
    /// The walk is chosen with 1,000 matches or more and 16 times the rows up to the page's
    /// end, so that it reads at most a sixteenth of the organization's entries (100,000
    /// assets, 12,500 matches: the page took 9-12 ms sorted, 0.3 ms walked; 9 matches in a
    /// narrow range: 0.2 ms sorted, 17 ms walked; docs/benchmarks.md).
    fn of(postgres: bool, sort: Sort<AssetSortKey>, total: u64, page: Page) -> Self {
        if postgres || sort.key != AssetSortKey::RiskScore {
            Self::Planner
        } else if sort.descending && total >= 1_000 && total / 16 >= page.offset().saturating_add(page.limit()) {
            Self::RiskWalk
        } else {
            Self::SortMatches
        }
    }
}

/// `query` in the listing's order: `sort`, then the address, then the id (a total order,
/// so pages never overlap). `plan` says whether SQLite may read a risk order from
/// `idx_assets_risk`.
fn ordered(
    query: Select<assets::Entity>,
    sort: Sort<AssetSortKey>,
    postgres: bool,
    plan: PagePlan,
) -> Select<assets::Entity> {
    use assets::Column as C;
    let order = if sort.descending { Order::Desc } else { Order::Asc };
    let query = match sort.key {
        AssetSortKey::IpAddress => query.order_by(C::IpSort, order),
        AssetSortKey::Hostname => {
            let hostname = if postgres { "\"assets\".\"hostname\" COLLATE \"C\"" } else { "\"assets\".\"hostname\"" };
            query
                .order_by(Expr::cust("(\"assets\".\"hostname\" IS NULL)"), Order::Asc)
                .order_by(Expr::cust(hostname), order)
        }
        AssetSortKey::RiskScore if plan == PagePlan::SortMatches => {
            query.order_by(Expr::cust("+\"assets\".\"risk_score\""), order)
        }
        AssetSortKey::RiskScore => query.order_by(C::RiskScore, order),
        AssetSortKey::LastSeen => {
            query.order_by(Expr::cust("(\"assets\".\"last_seen\" IS NULL)"), Order::Asc).order_by(C::LastSeen, order)
        }
        AssetSortKey::Criticality => query.order_by(
            Expr::cust(
                "CASE \"assets\".\"criticality\" WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 4 END",
            ),
            order,
        ),
    };
    query.order_by(C::IpSort, Order::Asc).order_by(C::Id, Order::Asc)
}

/// Applies `changes` to one of the tenant's assets.
pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: AssetId,
    changes: AssetChanges,
    now: OffsetDateTime,
) -> Result<Asset> {
    use assets::Column as C;
    let postgres = is_postgres(conn);
    let mut update = assets::Entity::update_many()
        .filter(C::OrganizationId.eq(tenant.uuid()))
        .filter(C::Id.eq(id.as_uuid()))
        .col_expr(C::UpdatedAt, Expr::val(now));
    if let Some(network) = changes.network_id {
        update = update.col_expr(C::NetworkId, Expr::val(network.map(|network| network.as_uuid())));
    }
    if let Some(ip) = changes.ip_address {
        update = update.col_expr(C::IpAddress, ip_value(postgres, ip)).col_expr(C::IpSort, Expr::val(ip.sort_key()));
    }
    if let Some(hostname) = changes.hostname {
        update = update.col_expr(C::Hostname, Expr::val(hostname.map(|name| name.as_str().to_owned())));
    }
    if let Some(mac) = changes.mac_address {
        update = update.col_expr(C::MacAddress, Expr::val(mac.map(|mac| mac.to_string())));
    }
    for (column, value) in [
        (C::MacVendor, changes.mac_vendor),
        (C::OperatingSystem, changes.operating_system),
        (C::OsVersion, changes.os_version),
        (C::OsCpe, changes.os_cpe),
    ] {
        if let Some(value) = value {
            update = update.col_expr(column, Expr::val(value));
        }
    }
    if let Some(asset_type) = changes.asset_type {
        update = update.col_expr(C::AssetType, Expr::val(asset_type.as_str()));
    }
    if let Some(criticality) = changes.criticality {
        update = update.col_expr(C::Criticality, Expr::val(criticality.as_str()));
    }
    if let Some(tags) = changes.tags {
        update = update.col_expr(C::Tags, tags_value(postgres, &tags));
    }
    if let Some(status) = changes.status {
        update = update.col_expr(C::Status, Expr::val(status.as_str()));
    }
    if let Some(reachable) = changes.is_reachable {
        update = update.col_expr(C::IsReachable, Expr::val(reachable));
    }
    if let Some(score) = changes.risk_score {
        update = update.col_expr(C::RiskScore, Expr::val(i16::from(score.value())));
    }
    if let Some(counts) = changes.vulnerabilities {
        update = update
            .col_expr(C::VulnCritical, Expr::val(count(counts.critical)))
            .col_expr(C::VulnHigh, Expr::val(count(counts.high)))
            .col_expr(C::VulnMedium, Expr::val(count(counts.medium)))
            .col_expr(C::VulnLow, Expr::val(count(counts.low)))
            .col_expr(C::VulnInfo, Expr::val(count(counts.info)));
    }
    if let Some(last_seen) = changes.last_seen {
        update = update.col_expr(C::LastSeen, Expr::val(last_seen));
    }
    if let Some(last_scanned) = changes.last_scanned {
        update = update.col_expr(C::LastScanned, Expr::val(last_scanned));
    }
    if let Some(metadata) = changes.metadata {
        update = update.col_expr(C::Metadata, Expr::val(metadata.into_value()));
    }
    if let Some(owner) = changes.owner_id {
        update = update.col_expr(C::OwnerId, Expr::val(owner.map(|owner| owner.as_uuid())));
    }
    let updated = update.exec(conn).await.map_err(write_error)?;
    if updated.rows_affected == 0 {
        return Err(PersistenceError::NotFound { entity: ASSET });
    }
    find(conn, tenant, id).await?.ok_or(PersistenceError::NotFound { entity: ASSET })
}

/// Deletes one of the tenant's assets. Returns whether it existed.
pub async fn delete(conn: &impl ConnectionTrait, tenant: TenantId, id: AssetId) -> Result<bool> {
    let deleted = assets::Entity::delete_many()
        .filter(assets::Column::OrganizationId.eq(tenant.uuid()))
        .filter(assets::Column::Id.eq(id.as_uuid()))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// How many assets the tenant holds.
pub async fn count_all(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<u64> {
    Ok(of_tenant(tenant).count(conn).await?)
}

/// How many of the tenant's assets are in `network`.
pub async fn count_in_network(conn: &impl ConnectionTrait, tenant: TenantId, network: NetworkId) -> Result<u64> {
    Ok(of_tenant(tenant).filter(assets::Column::NetworkId.eq(network.as_uuid())).count(conn).await?)
}

/// Deletes the tenant's assets in `network`; returns how many.
pub(crate) async fn delete_in_network(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    network: NetworkId,
) -> Result<u64> {
    let deleted = assets::Entity::delete_many()
        .filter(assets::Column::OrganizationId.eq(tenant.uuid()))
        .filter(assets::Column::NetworkId.eq(network.as_uuid()))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected)
}

/// Removes every asset of the tenant (when the organization is deleted).
pub(crate) async fn delete_all(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<()> {
    assets::Entity::delete_many().filter(assets::Column::OrganizationId.eq(tenant.uuid())).exec(conn).await?;
    Ok(())
}

fn into_asset(row: AssetRow) -> Result<Asset> {
    const ENTITY: &str = "asset";
    let corrupt = |field, message: String| PersistenceError::Corrupt { entity: ENTITY, field, message };
    let tag_texts: Vec<String> =
        serde_json::from_value(row.tags).map_err(|error| corrupt("tags", error.to_string()))?;
    let tags = Tags::parse(&tag_texts, "tags").map_err(|violations| {
        corrupt("tags", violations.into_iter().map(|v| v.message).collect::<Vec<_>>().join("; "))
    })?;
    let count = |field, value: i32| u32::try_from(value).map_err(|_| corrupt(field, "negative count".into()));
    Ok(Asset {
        id: AssetId::from_uuid(row.id),
        organization_id: OrganizationId::from_uuid(row.organization_id),
        network_id: row.network_id.map(NetworkId::from_uuid),
        ip_address: rows::parsed(IpAddress::parse(&row.ip_address, "ip_address"), ENTITY, "ip_address")?,
        hostname: row
            .hostname
            .map(|name| rows::parsed(Hostname::parse(&name, "hostname"), ENTITY, "hostname"))
            .transpose()?,
        mac_address: row
            .mac_address
            .map(|mac| rows::parsed(MacAddress::parse(&mac, "mac_address"), ENTITY, "mac_address"))
            .transpose()?,
        mac_vendor: row.mac_vendor,
        operating_system: row.operating_system,
        os_version: row.os_version,
        os_cpe: row.os_cpe,
        asset_type: rows::parsed(AssetType::parse(&row.asset_type, "asset_type"), ENTITY, "asset_type")?,
        criticality: rows::parsed(Criticality::parse(&row.criticality, "criticality"), ENTITY, "criticality")?,
        tags,
        status: rows::parsed(AssetStatus::parse(&row.status, "status"), ENTITY, "status")?,
        is_reachable: row.is_reachable,
        risk_score: rows::parsed(RiskScore::parse(i64::from(row.risk_score), "risk_score"), ENTITY, "risk_score")?,
        vulnerabilities: VulnerabilityCounts {
            critical: count("vuln_critical", row.vuln_critical)?,
            high: count("vuln_high", row.vuln_high)?,
            medium: count("vuln_medium", row.vuln_medium)?,
            low: count("vuln_low", row.vuln_low)?,
            info: count("vuln_info", row.vuln_info)?,
        },
        first_seen: row.first_seen,
        last_seen: row.last_seen,
        last_scanned: row.last_scanned,
        metadata: rows::parsed(Metadata::parse(row.metadata, "metadata"), ENTITY, "metadata")?,
        owner_id: row.owner_id.map(UserId::from_uuid),
        open_services: u64::try_from(row.open_services)
            .map_err(|_| corrupt("open_services", "negative count".into()))?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// [`list`] on the pool. On PostgreSQL the count and the page are read in one
/// transaction planned for their values (`SET LOCAL plan_cache_mode =
/// force_custom_plan`): planned generically, for any organization, range and tag,
/// PostgreSQL guesses that a couple of rows match and sorts every match by the
/// (organization, address) index (88 ms for 12,500 matches) instead of walking the
/// risk-ordered index and stopping after the page (1 ms, see the `index_asset_risk`
/// migration). The transaction also gives the total and the page one snapshot. On SQLite,
/// directly on the pool.
pub async fn list_planned(
    db: &DatabaseConnection,
    tenant: TenantId,
    filter: &AssetFilter,
    sort: Sort<AssetSortKey>,
    page: Page,
) -> Result<Paged<Asset>> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return list(db, tenant, filter, sort, page).await;
    }
    let txn = db.begin().await?;
    plan_for_values(&txn).await?;
    let listed = list(&txn, tenant, filter, sort, page).await?;
    txn.commit().await?;
    Ok(listed)
}

/// Makes PostgreSQL plan every statement of the current transaction for the values it is
/// given (`SET LOCAL plan_cache_mode = force_custom_plan`); nothing on SQLite.
///
/// After five executions PostgreSQL may switch a prepared statement to a generic plan,
/// which cannot see which index suits the values (the listing's generic plan ignores
/// `idx_assets_risk` and sorts every match). Only for reads: the mode reaches the
/// foreign-key checks of every row a write inserts too, and planning each check anew made
/// a scan import's checks four to six times slower (docs/benchmarks.md).
async fn plan_for_values(conn: &impl ConnectionTrait) -> Result<()> {
    if is_postgres(conn) {
        conn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan").await?;
    }
    Ok(())
}

/// Addresses per statement of [`mark_unreachable`] on SQLite, far below its limit of
/// 32,766 bound values.
const IMPORT_BATCH: usize = 500;

/// What an import's upsert of assets did: every host's asset, by address sort key, and
/// how many of them it created.
#[derive(Debug, Default)]
pub struct Upserted {
    pub assets: std::collections::HashMap<Vec<u8>, SeenAsset>,
    pub created: u64,
}

/// An asset an import saw up: its id, and whether the import created it. Only
/// [`upsert_seen`] makes one, so that `services::upsert_seen` can trust `is_new` (a new
/// asset has no services yet, and its services are inserted without a conflict check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeenAsset {
    id: AssetId,
    new: bool,
}

impl SeenAsset {
    pub fn id(self) -> AssetId {
        self.id
    }

    /// Whether the import that saw it created it (in its transaction, not yet committed).
    pub fn is_new(self) -> bool {
        self.new
    }
}

/// Creates or refreshes one asset per host that a scan saw up in `network`, set-based:
/// a new one gets `first_seen`; every one gets `last_seen`, `last_scanned` and
/// `is_reachable`; a detail the scan does not carry (host name, MAC, vendor, operating
/// system, its version and CPE) keeps its known value. The hosts' addresses must be
/// distinct. Answers the assets' ids and how many were created.
///
/// The statements themselves answer them (`RETURNING` the id and address of every row
/// they inserted or updated): a row that kept the id this function proposed for it was
/// inserted, any other existed (an id never changes, and a proposed one is a fresh UUID
/// v7). So an import reads no asset back.
pub async fn upsert_seen(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    network: NetworkId,
    hosts: &[ScannedHost],
    now: OffsetDateTime,
) -> Result<Upserted> {
    if is_postgres(conn) {
        return upsert_seen_postgres(conn, tenant, network, hosts, now).await;
    }
    upsert_seen_sqlite(conn, tenant, network, hosts, now).await
}

impl Upserted {
    /// Takes in the `RETURNING id, ip_sort` rows of one statement whose new rows were
    /// given the ids in `proposed`.
    fn take(&mut self, returned: Vec<sea_orm::QueryResult>, proposed: &std::collections::HashSet<Uuid>) -> Result<()> {
        for row in returned {
            let id: Uuid = row.try_get("", "id")?;
            let key: Vec<u8> = row.try_get("", "ip_sort")?;
            let new = proposed.contains(&id);
            self.created += u64::from(new);
            self.assets.insert(key, SeenAsset { id: AssetId::from_uuid(id), new });
        }
        Ok(())
    }
}

/// The rule by which an import refreshes an asset it finds stored, the same on both
/// backends (only the conflict target differs: the nil network is `x''` on SQLite and the
/// nil UUID on PostgreSQL): a detail the scan does not carry keeps its known value, the
/// reachability and the times are the scan's. The statement answers every row's id and
/// address key. (A macro, so that both statements are built from one copy by `concat!`.)
macro_rules! refresh_on_conflict {
    () => {
        "DO UPDATE SET hostname = COALESCE(excluded.hostname, assets.hostname), \
        mac_address = COALESCE(excluded.mac_address, assets.mac_address), \
        mac_vendor = COALESCE(excluded.mac_vendor, assets.mac_vendor), \
        operating_system = COALESCE(excluded.operating_system, assets.operating_system), \
        os_version = COALESCE(excluded.os_version, assets.os_version), \
        os_cpe = COALESCE(excluded.os_cpe, assets.os_cpe), \
        is_reachable = excluded.is_reachable, last_seen = excluded.last_seen, \
        last_scanned = excluded.last_scanned, updated_at = excluded.updated_at \
        RETURNING id, ip_sort"
    };
}

/// Rows per statement of [`upsert_seen`] on SQLite: 9 bound values a row (what varies
/// between hosts), 27,000 in all, below SQLite's limit of 32,766.
const SQLITE_IMPORT_BATCH: usize = 3_000;

/// [`upsert_seen`]'s statements on SQLite: a `VALUES` list of [`SQLITE_IMPORT_BATCH`] rows
/// holding only what differs between hosts; the organization, the network, the time and
/// a new asset's defaults are bound once per statement (as `services::upsert_seen` does,
/// and for the same reason: a bound value costs allocations, and 28 of them a row were
/// most of the statement).
async fn upsert_seen_sqlite(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    network: NetworkId,
    hosts: &[ScannedHost],
    now: OffsetDateTime,
) -> Result<Upserted> {
    const INSERT: &str = "INSERT INTO assets (id, organization_id, network_id, ip_address, ip_sort, hostname, \
        mac_address, mac_vendor, operating_system, os_version, os_cpe, asset_type, criticality, tags, status, \
        is_reachable, risk_score, vuln_critical, vuln_high, vuln_medium, vuln_low, vuln_info, first_seen, last_seen, \
        last_scanned, metadata, created_at, updated_at) \
        SELECT v.column1, ?, ?, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, \
        v.column9, ?, ?, '[]', ?, TRUE, 0, 0, 0, 0, 0, 0, ?, ?, ?, '{}', ?, ? FROM (VALUES ";
    // The target is the unique index (`COALESCE(network_id, <nil>)`, see the migration);
    // `WHERE true` tells SQLite's parser that `ON CONFLICT` belongs to the upsert.
    const CONFLICT: &str = concat!(
        ") AS v WHERE true ON CONFLICT (organization_id, COALESCE(network_id, x''), ip_address) ",
        refresh_on_conflict!()
    );
    const ROW: usize = 9;
    let mut upserted = Upserted { assets: std::collections::HashMap::with_capacity(hosts.len()), created: 0 };
    for batch in hosts.chunks(SQLITE_IMPORT_BATCH) {
        let mut proposed = std::collections::HashSet::with_capacity(batch.len());
        let mut sql = String::with_capacity(INSERT.len() + CONFLICT.len() + batch.len() * 48);
        sql.push_str(INSERT);
        // The placeholders in the order they are written: the shared ones, then the rows.
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(10 + batch.len() * ROW);
        values.extend([
            tenant.uuid().into(),
            network.as_uuid().into(),
            AssetType::Unknown.as_str().into(),
            Criticality::Medium.as_str().into(),
            AssetStatus::Active.as_str().into(),
        ]);
        values.extend([now; 5].map(sea_orm::Value::from));
        for (index, host) in batch.iter().enumerate() {
            if index > 0 {
                sql.push_str(", ");
            }
            rows::push_placeholders(&mut sql, ROW);
            let id = AssetId::new().as_uuid();
            proposed.insert(id);
            values.extend([
                id.into(),
                host.ip.to_string().into(),
                host.ip.sort_key().into(),
                host.hostname.as_ref().map(|name| name.as_str().to_owned()).into(),
                host.mac_address.map(|mac| mac.to_string()).into(),
                host.mac_vendor.clone().into(),
                host.operating_system.clone().into(),
                host.os_version.clone().into(),
                host.os_cpe.clone().into(),
            ]);
        }
        sql.push_str(CONFLICT);
        let returned = conn
            .query_all_raw(sea_orm::Statement::from_sql_and_values(DatabaseBackend::Sqlite, sql, values))
            .await
            .map_err(write_error)?;
        upserted.take(returned, &proposed)?;
    }
    Ok(upserted)
}

/// Rows per statement of an import on PostgreSQL, where a batch is one JSON parameter
/// (see `upsert_seen_postgres`) rather than a bound parameter per value.
pub const POSTGRES_IMPORT_BATCH: usize = 5_000;

/// [`upsert_seen`] on PostgreSQL: each batch is one statement whose rows arrive as one
/// `json` parameter, expanded by `json_to_recordset`, instead of a `VALUES` list of 28
/// bound parameters a row. PostgreSQL then parses and plans a short statement with seven
/// parameters, not one with 14,000, and a 10,000-host scan is two statements instead of
/// twenty (measured in docs/benchmarks.md). The values and the conflict rule are those
/// of the `VALUES` form. `json`, not `jsonb`: the text is read once, as the rows are made,
/// instead of being converted to a `jsonb` document first.
///
/// The statement answers every row's id (`RETURNING`), so the import reads no asset back:
/// a row that kept the id proposed here was inserted, any other existed (an id never
/// changes, and a new one is a fresh UUID v7). The JSON text is written straight from the
/// hosts (`serde`), without building a `serde_json::Value` per row.
async fn upsert_seen_postgres(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    network: NetworkId,
    hosts: &[ScannedHost],
    now: OffsetDateTime,
) -> Result<Upserted> {
    const SQL: &str = concat!(
        "INSERT INTO assets (id, organization_id, network_id, ip_address, ip_sort, hostname, \
        mac_address, mac_vendor, operating_system, os_version, os_cpe, asset_type, criticality, tags, status, \
        is_reachable, risk_score, vuln_critical, vuln_high, vuln_medium, vuln_low, vuln_info, first_seen, last_seen, \
        last_scanned, metadata, created_at, updated_at) \
        SELECT r.id, $2, $3, CAST(r.ip AS inet), decode(r.ip_sort, 'hex'), r.hostname, r.mac_address, r.mac_vendor, \
        r.operating_system, r.os_version, r.os_cpe, $5, $6, CAST('{}' AS text[]), $7, TRUE, 0, 0, 0, 0, 0, 0, $4, $4, \
        $4, CAST('{}' AS jsonb), $4, $4 \
        FROM json_to_recordset(CAST($1 AS json)) AS r(id uuid, ip text, ip_sort text, hostname text, \
        mac_address text, mac_vendor text, operating_system text, os_version text, os_cpe text) \
        ON CONFLICT (organization_id, COALESCE(network_id, '00000000-0000-0000-0000-000000000000'::uuid), ip_address) ",
        refresh_on_conflict!()
    );

    /// One row of the JSON parameter.
    #[derive(serde::Serialize)]
    struct Row<'a> {
        id: Uuid,
        ip: String,
        ip_sort: String,
        hostname: Option<&'a str>,
        mac_address: Option<String>,
        mac_vendor: Option<&'a str>,
        operating_system: Option<&'a str>,
        os_version: Option<&'a str>,
        os_cpe: Option<&'a str>,
    }

    let mut upserted = Upserted { assets: std::collections::HashMap::with_capacity(hosts.len()), created: 0 };
    for batch in hosts.chunks(POSTGRES_IMPORT_BATCH) {
        let rows: Vec<Row<'_>> = batch
            .iter()
            .map(|host| Row {
                id: AssetId::new().as_uuid(),
                ip: host.ip.to_string(),
                ip_sort: hex(&host.ip.sort_key()),
                hostname: host.hostname.as_ref().map(|name| name.as_str()),
                mac_address: host.mac_address.map(|mac| mac.to_string()),
                mac_vendor: host.mac_vendor.as_deref(),
                operating_system: host.operating_system.as_deref(),
                os_version: host.os_version.as_deref(),
                os_cpe: host.os_cpe.as_deref(),
            })
            .collect();
        let proposed: std::collections::HashSet<Uuid> = rows.iter().map(|row| row.id).collect();
        let json = serde_json::to_string(&rows).map_err(|error| DbErr::Custom(error.to_string()))?;
        drop(rows);
        let values: [sea_orm::Value; 7] = [
            json.into(),
            tenant.uuid().into(),
            network.as_uuid().into(),
            now.into(),
            AssetType::Unknown.as_str().into(),
            Criticality::Medium.as_str().into(),
            AssetStatus::Active.as_str().into(),
        ];
        let returned = conn
            .query_all_raw(sea_orm::Statement::from_sql_and_values(DatabaseBackend::Postgres, SQL, values))
            .await
            .map_err(write_error)?;
        upserted.take(returned, &proposed)?;
    }
    Ok(upserted)
}

/// Lower-case hexadecimal, as PostgreSQL's `decode(..., 'hex')` reads it.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|byte| [DIGITS[usize::from(byte >> 4)], DIGITS[usize::from(byte & 0x0f)]])
        .map(char::from)
        .collect()
}

/// Marks the tenant's assets in `network` at `addresses` as scanned and found down
/// (not reachable); returns how many there were. Unknown addresses are left alone: a
/// host that did not answer is no evidence of an asset.
///
/// On PostgreSQL the addresses arrive as one `json` parameter (as in [`upsert_seen`]) and
/// are joined with the unique (organization, network, address) index, a plan that stays
/// right when the prepared statement turns generic; on SQLite, one `IN` list a batch.
pub async fn mark_unreachable(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    network: NetworkId,
    addresses: &[IpAddress],
    now: OffsetDateTime,
) -> Result<u64> {
    use assets::Column as C;
    if addresses.is_empty() {
        return Ok(0);
    }
    if is_postgres(conn) {
        const SQL: &str = "UPDATE assets SET is_reachable = FALSE, last_scanned = $4, updated_at = $4 \
            FROM json_array_elements_text(CAST($3 AS json)) AS down(ip) \
            WHERE assets.organization_id = $1 \
            AND COALESCE(assets.network_id, '00000000-0000-0000-0000-000000000000'::uuid) = $2 \
            AND assets.ip_address = CAST(down.ip AS inet)";
        let ips: Vec<String> = addresses.iter().map(ToString::to_string).collect();
        let json = serde_json::to_string(&ips).map_err(|error| DbErr::Custom(error.to_string()))?;
        let values: [sea_orm::Value; 4] = [tenant.uuid().into(), network.as_uuid().into(), json.into(), now.into()];
        let updated =
            conn.execute_raw(sea_orm::Statement::from_sql_and_values(DatabaseBackend::Postgres, SQL, values)).await?;
        return Ok(updated.rows_affected());
    }
    let mut marked = 0;
    for batch in addresses.chunks(IMPORT_BATCH) {
        let updated = assets::Entity::update_many()
            .filter(C::OrganizationId.eq(tenant.uuid()))
            .filter(C::NetworkId.eq(network.as_uuid()))
            .filter(C::IpSort.is_in(batch.iter().map(|ip| ip.sort_key())))
            .col_expr(C::IsReachable, Expr::val(false))
            .col_expr(C::LastScanned, Expr::val(now))
            .col_expr(C::UpdatedAt, Expr::val(now))
            .exec(conn)
            .await?;
        marked += updated.rows_affected;
    }
    Ok(marked)
}

/// How many of the tenant's assets hold each value of `column` (`asset_type` or
/// `criticality`), as stored; values no asset holds are absent. One grouped query over
/// the organization's assets.
async fn count_by(conn: &impl ConnectionTrait, tenant: TenantId, column: assets::Column) -> Result<Vec<(String, u64)>> {
    let rows: Vec<(String, i64)> = assets::Entity::find()
        .select_only()
        .column(column)
        // `COUNT(*)`, not of a column outside the index: the grouping reads
        // `idx_assets_organization_criticality_type` alone.
        .column_as(Expr::cust("COUNT(*)"), "assets")
        .filter(assets::Column::OrganizationId.eq(tenant.uuid()))
        .group_by(column)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|(value, count)| (value, u64::try_from(count).unwrap_or(0))).collect())
}

/// How many of the tenant's assets are of each criticality; criticalities no asset has
/// are absent.
pub async fn count_by_criticality(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<(Criticality, u64)>> {
    count_by(conn, tenant, assets::Column::Criticality)
        .await?
        .into_iter()
        .map(|(value, count)| {
            Ok((rows::parsed(Criticality::parse(&value, "criticality"), ASSET, "criticality")?, count))
        })
        .collect()
}

/// How many of the tenant's assets are of each type; types no asset has are absent.
pub async fn count_by_type(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<(AssetType, u64)>> {
    count_by(conn, tenant, assets::Column::AssetType)
        .await?
        .into_iter()
        .map(|(value, count)| Ok((rows::parsed(AssetType::parse(&value, "asset_type"), ASSET, "asset_type")?, count)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(query: &str) -> Page {
        let value = |name: &str| query.split('&').find_map(|pair| pair.strip_prefix(name));
        Page::parse(value("limit="), value("offset=")).expect("a page")
    }

    #[test]
    fn sqlite_walks_the_risk_index_only_for_many_matches_and_an_early_page() {
        let worst_first = Sort { key: AssetSortKey::RiskScore, descending: true };
        let plan = |sort, total, query| PagePlan::of(false, sort, total, page(query));
        assert_eq!(plan(worst_first, 12_500, "limit=50"), PagePlan::RiskWalk);
        assert_eq!(plan(worst_first, 1_600, "limit=50&offset=50"), PagePlan::RiskWalk, "1,600 / 16 = 100");
        assert_eq!(plan(worst_first, 1_600, "limit=50&offset=51"), PagePlan::SortMatches);
        assert_eq!(plan(worst_first, 999, "limit=1"), PagePlan::SortMatches, "few matches are sorted");
        let best_first = Sort { descending: false, ..worst_first };
        assert_eq!(plan(best_first, 12_500, "limit=50"), PagePlan::SortMatches, "the index is descending");
        let by_address = Sort { key: AssetSortKey::IpAddress, descending: true };
        assert_eq!(plan(by_address, 12_500, "limit=50"), PagePlan::Planner);
        assert_eq!(PagePlan::of(true, worst_first, 12_500, page("limit=50")), PagePlan::Planner);
    }
}
