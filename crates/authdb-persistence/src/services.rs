//! The `services` table: the ports and protocols of an organization's assets, scoped by
//! [`TenantId`] (every row carries its organization, so no query needs a join to be
//! scoped).

use authdb_domain::{
    AssetId, AssetService, AssetServiceChanges, AssetServiceId, Banner, Confidence, Metadata, NewAssetService,
    OrganizationId, Page, Paged, Port, PortState, Protocol, ScannedService, ServiceDetails,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, NotSet, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, SqlErr, Unchanged, sea_query::Expr,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{PersistenceError, Result, TenantId, assets::SeenAsset, entities::services, rows};

const SERVICE: &str = "service";

/// A taken (port, protocol) on the asset is a conflict on both; a foreign-key violation
/// is the asset deleted meanwhile.
fn write_error(error: DbErr) -> PersistenceError {
    if let Some(SqlErr::ForeignKeyConstraintViolation(_)) = error.sql_err() {
        return PersistenceError::NotFound { entity: "asset" };
    }
    match PersistenceError::from(error) {
        PersistenceError::Conflict { .. } => PersistenceError::Conflict { fields: &["port", "protocol"] },
        other => other,
    }
}

/// Records a service on one of the tenant's assets. The caller checks that the asset is
/// the tenant's: the foreign key only says that it exists.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    asset: AssetId,
    new: NewAssetService,
    now: OffsetDateTime,
) -> Result<AssetService> {
    let details = new.details;
    let model = services::ActiveModel {
        id: Set(AssetServiceId::new().as_uuid()),
        organization_id: Set(tenant.uuid()),
        asset_id: Set(asset.as_uuid()),
        port: Set(i32::from(new.port.value())),
        protocol: Set(new.protocol.as_str().to_owned()),
        state: Set(new.state.as_str().to_owned()),
        service_name: Set(details.service_name),
        product: Set(details.product),
        version: Set(details.version),
        cpe: Set(details.cpe),
        banner: Set(details.banner.map(|banner| banner.as_str().to_owned())),
        detection_method: Set(details.detection_method),
        confidence: Set(details.confidence.map(|value| i16::from(value.value()))),
        ssl_enabled: Set(details.ssl_enabled),
        ssl_info: Set(details.ssl_info.map(Metadata::into_value)),
        http_title: Set(details.http_title),
        http_technologies: Set(json!(details.http_technologies)),
        extra_info: Set(details.extra_info.map(Metadata::into_value)),
        first_seen: Set(now),
        last_seen: Set(new.last_seen),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await
    .map_err(write_error)?;
    into_service(model)
}

pub async fn find(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    asset: AssetId,
    id: AssetServiceId,
) -> Result<Option<AssetService>> {
    let found = services::Entity::find_by_id(id.as_uuid())
        .filter(services::Column::OrganizationId.eq(tenant.uuid()))
        .filter(services::Column::AssetId.eq(asset.as_uuid()))
        .one(conn)
        .await?;
    found.map(into_service).transpose()
}

/// The services of one of the tenant's assets, by protocol, then port.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    asset: AssetId,
    page: Page,
) -> Result<Paged<AssetService>> {
    let query = services::Entity::find()
        .filter(services::Column::OrganizationId.eq(tenant.uuid()))
        .filter(services::Column::AssetId.eq(asset.as_uuid()));
    let total = query.clone().count(conn).await?;
    let items = query
        .order_by_asc(services::Column::Protocol)
        .order_by_asc(services::Column::Port)
        .limit(page.limit())
        .offset(page.offset())
        .all(conn)
        .await?
        .into_iter()
        .map(into_service)
        .collect::<Result<_>>()?;
    Ok(Paged { items, total, page })
}

/// Applies `changes` to one service of one of the tenant's assets.
pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    asset: AssetId,
    id: AssetServiceId,
    changes: AssetServiceChanges,
    now: OffsetDateTime,
) -> Result<AssetService> {
    if find(conn, tenant, asset, id).await?.is_none() {
        return Err(PersistenceError::NotFound { entity: SERVICE });
    }
    let mut model = services::ActiveModel { id: Unchanged(id.as_uuid()), ..Default::default() };
    let set_or_keep = |value: Option<Option<String>>| value.map_or(NotSet, Set);
    if let Some(port) = changes.port {
        model.port = Set(i32::from(port.value()));
    }
    if let Some(protocol) = changes.protocol {
        model.protocol = Set(protocol.as_str().to_owned());
    }
    if let Some(state) = changes.state {
        model.state = Set(state.as_str().to_owned());
    }
    model.service_name = set_or_keep(changes.service_name);
    model.product = set_or_keep(changes.product);
    model.version = set_or_keep(changes.version);
    model.cpe = set_or_keep(changes.cpe);
    model.detection_method = set_or_keep(changes.detection_method);
    model.http_title = set_or_keep(changes.http_title);
    if let Some(banner) = changes.banner {
        model.banner = Set(banner.map(|banner| banner.as_str().to_owned()));
    }
    if let Some(confidence) = changes.confidence {
        model.confidence = Set(confidence.map(|value| i16::from(value.value())));
    }
    if let Some(ssl_enabled) = changes.ssl_enabled {
        model.ssl_enabled = Set(ssl_enabled);
    }
    if let Some(ssl_info) = changes.ssl_info {
        model.ssl_info = Set(ssl_info.map(Metadata::into_value));
    }
    if let Some(technologies) = changes.http_technologies {
        model.http_technologies = Set(json!(technologies));
    }
    if let Some(extra_info) = changes.extra_info {
        model.extra_info = Set(extra_info.map(Metadata::into_value));
    }
    if let Some(last_seen) = changes.last_seen {
        model.last_seen = Set(last_seen);
    }
    model.updated_at = Set(now);
    into_service(model.update(conn).await.map_err(write_error)?)
}

/// Deletes one service of one of the tenant's assets. Returns whether it existed.
pub async fn delete(conn: &impl ConnectionTrait, tenant: TenantId, asset: AssetId, id: AssetServiceId) -> Result<bool> {
    let deleted = services::Entity::delete_many()
        .filter(services::Column::OrganizationId.eq(tenant.uuid()))
        .filter(services::Column::AssetId.eq(asset.as_uuid()))
        .filter(services::Column::Id.eq(id.as_uuid()))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Removes every service of the tenant (when the organization is deleted, before its
/// assets).
pub(crate) async fn delete_all(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<()> {
    services::Entity::delete_many().filter(services::Column::OrganizationId.eq(tenant.uuid())).exec(conn).await?;
    Ok(())
}

fn into_service(model: services::Model) -> Result<AssetService> {
    const ENTITY: &str = "service";
    let corrupt = |field, message: String| PersistenceError::Corrupt { entity: ENTITY, field, message };
    let object = |value: Option<Value>, field: &'static str| {
        value
            .filter(|value| !value.is_null())
            .map(|value| rows::parsed(Metadata::parse(value, field), ENTITY, field))
            .transpose()
    };
    let http_technologies: Vec<String> = serde_json::from_value(model.http_technologies)
        .map_err(|error| corrupt("http_technologies", error.to_string()))?;
    Ok(AssetService {
        id: AssetServiceId::from_uuid(model.id),
        organization_id: OrganizationId::from_uuid(model.organization_id),
        asset_id: AssetId::from_uuid(model.asset_id),
        port: rows::parsed(Port::parse(i64::from(model.port), "port"), ENTITY, "port")?,
        protocol: rows::parsed(Protocol::parse(&model.protocol, "protocol"), ENTITY, "protocol")?,
        state: rows::parsed(PortState::parse(&model.state, "state"), ENTITY, "state")?,
        details: ServiceDetails {
            service_name: model.service_name,
            product: model.product,
            version: model.version,
            cpe: model.cpe,
            banner: model
                .banner
                .map(|banner| rows::parsed(Banner::parse(&banner, "banner"), ENTITY, "banner"))
                .transpose()?,
            detection_method: model.detection_method,
            confidence: model
                .confidence
                .map(|value| rows::parsed(Confidence::parse(i64::from(value), "confidence"), ENTITY, "confidence"))
                .transpose()?,
            ssl_enabled: model.ssl_enabled,
            ssl_info: object(model.ssl_info, "ssl_info")?,
            http_title: model.http_title,
            http_technologies,
            extra_info: object(model.extra_info, "extra_info")?,
        },
        first_seen: model.first_seen,
        last_seen: model.last_seen,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// The rule by which an import refreshes a service it finds stored, the same on both
/// backends: the state and `last_seen` are the scan's, and a detail the scan does not
/// carry keeps its known value. (A macro, so that both statements are built from one
/// copy of the rule by `concat!`.)
macro_rules! refresh_on_conflict {
    () => {
        "ON CONFLICT (asset_id, port, protocol) DO UPDATE SET state = excluded.state, \
        service_name = COALESCE(excluded.service_name, services.service_name), \
        product = COALESCE(excluded.product, services.product), \
        version = COALESCE(excluded.version, services.version), cpe = COALESCE(excluded.cpe, services.cpe), \
        banner = COALESCE(excluded.banner, services.banner), \
        confidence = COALESCE(excluded.confidence, services.confidence), \
        extra_info = COALESCE(excluded.extra_info, services.extra_info), last_seen = excluded.last_seen, \
        updated_at = excluded.updated_at"
    };
}

/// The columns an import writes, in the order both backends' statements give them.
macro_rules! import_columns {
    () => {
        "INSERT INTO services (id, organization_id, asset_id, port, protocol, state, service_name, product, \
        version, cpe, banner, confidence, extra_info, ssl_enabled, http_technologies, first_seen, last_seen, \
        created_at, updated_at) "
    };
}

/// Creates or refreshes the services a scan saw, set-based, by (asset, port, protocol):
/// a new one gets `first_seen`; every one gets its state and `last_seen`; a detail the
/// scan does not carry keeps its known value. The keys must be distinct, and the assets
/// the tenant's. Answers how many of them existed before (were updated, not created).
///
/// The services of an asset this import created cannot exist yet (no other transaction
/// sees the asset before this one commits), so they are inserted without looking for a
/// conflict: on PostgreSQL a plain insert of 5,000 services takes about half the time of
/// the upsert's speculative one (docs/benchmarks.md). The services of assets that existed
/// are upserted; each of those statements counts what it created itself: a row that kept
/// the id proposed for it was inserted (ids never change, and a proposed one is a fresh
/// UUID v7). So an import reads no service back.
///
/// The services are taken by value: on PostgreSQL each statement's rows are written as
/// JSON on a blocking thread while the statement before them runs.
pub async fn upsert_seen(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    seen: Vec<(SeenAsset, ScannedService)>,
    now: OffsetDateTime,
) -> Result<u64> {
    let (mut new, mut known) = (Vec::new(), Vec::new());
    for (asset, service) in seen {
        if asset.is_new() { &mut new } else { &mut known }.push((asset.id(), service));
    }
    let writes = [(Write::Insert, new), (Write::Upsert, known)];
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        return write_postgres(conn, tenant, writes, now).await;
    }
    let mut updated = 0;
    for (write, services) in &writes {
        for rows in services.chunks(SQLITE_IMPORT_BATCH) {
            let created = write_sqlite(conn, tenant, rows, now, *write).await?;
            updated += rows.len() as u64 - created;
        }
    }
    Ok(updated)
}

/// How one statement of [`upsert_seen`] writes its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    /// Every row is new (its asset was created by this import).
    Insert,
    /// A row may exist: it is refreshed by [`refresh_on_conflict`]'s rule.
    Upsert,
}

/// Rows per statement of [`upsert_seen`] on SQLite: 12 bound values a row (what varies
/// between services), 24,000 in all, below SQLite's limit of 32,766.
const SQLITE_IMPORT_BATCH: usize = 2_000;

/// One statement of [`upsert_seen`] on SQLite, answering how many rows it created: a
/// `VALUES` list holding only what differs between services; what is the same for all of
/// them (the organization, the time, the defaults) is bound once per statement. A row of
/// bound values costs the server an allocation or more per value (the value, its SQL
/// argument, its copy for SQLite), so the 19 values a row this statement used to bind for
/// 50,000 services were most of an import's time on SQLite. An upsert answers its rows'
/// ids (`RETURNING id`), which are counted here.
async fn write_sqlite(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    rows: &[(AssetId, ScannedService)],
    now: OffsetDateTime,
    write: Write,
) -> Result<u64> {
    const INSERT: &str = concat!(
        import_columns!(),
        "SELECT v.column1, ?, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, \
        v.column9, v.column10, v.column11, v.column12, FALSE, '[]', ?, ?, ?, ? FROM (VALUES "
    );
    // `WHERE true` tells SQLite's parser that `ON CONFLICT` belongs to the upsert, not a join.
    const UPSERT_END: &str = concat!(") AS v WHERE true ", refresh_on_conflict!(), " RETURNING id");
    const INSERT_END: &str = ") AS v";
    const ROW: usize = 12;
    let end = match write {
        Write::Insert => INSERT_END,
        Write::Upsert => UPSERT_END,
    };
    // The ids proposed for the rows, by which an upsert tells what it created (an insert
    // creates every row, and needs none).
    let mut proposed = std::collections::HashSet::with_capacity(if write == Write::Upsert { rows.len() } else { 0 });
    let mut sql = String::with_capacity(INSERT.len() + end.len() + rows.len() * 80);
    sql.push_str(INSERT);
    // The placeholders in the order they are written: the shared ones, then the rows.
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(5 + rows.len() * ROW);
    values.push(tenant.uuid().into());
    values.extend([now; 4].map(sea_orm::Value::from));
    for (index, (asset, service)) in rows.iter().enumerate() {
        if index > 0 {
            sql.push_str(", ");
        }
        crate::rows::push_placeholders(&mut sql, ROW);
        let id = AssetServiceId::new().as_uuid();
        if write == Write::Upsert {
            proposed.insert(id);
        }
        values.extend([
            id.into(),
            asset.as_uuid().into(),
            i32::from(service.port.value()).into(),
            service.protocol.as_str().into(),
            service.state.as_str().into(),
            service.service_name.clone().into(),
            service.product.clone().into(),
            service.version.clone().into(),
            service.cpe.clone().into(),
            service.banner.as_ref().map(|banner| banner.as_str().to_owned()).into(),
            service.confidence.map(|value| i16::from(value.value())).into(),
            service.extra_info.as_ref().map(|info| info.as_value().clone()).into(),
        ]);
    }
    sql.push_str(end);
    let statement = sea_orm::Statement::from_sql_and_values(DatabaseBackend::Sqlite, sql, values);
    if write == Write::Insert {
        return Ok(conn.execute_raw(statement).await.map_err(write_error)?.rows_affected());
    }
    let mut created = 0;
    for row in conn.query_all_raw(statement).await.map_err(write_error)? {
        if proposed.contains(&row.try_get::<Uuid>("", "id")?) {
            created += 1;
        }
    }
    Ok(created)
}

/// The rows of an import's statement on PostgreSQL: one `json` parameter (see
/// `assets::upsert_seen_postgres`), `$1`.
macro_rules! postgres_rows {
    () => {
        "json_to_recordset(CAST($1 AS json)) AS r(id uuid, asset_id uuid, port integer, protocol text, state text, \
        service_name text, product text, version text, cpe text, banner text, confidence smallint, extra_info jsonb)"
    };
}

/// The values of an import's rows on PostgreSQL, in [`import_columns`]'s order, from the
/// rows `r` (the organization is `$2`, the time `$3`).
macro_rules! postgres_values {
    () => {
        "SELECT r.id, $2, r.asset_id, r.port, r.protocol, r.state, r.service_name, r.product, r.version, r.cpe, \
        r.banner, r.confidence, r.extra_info, FALSE, CAST('[]' AS jsonb), $3, $3, $3, $3 "
    };
}

/// [`upsert_seen`] on PostgreSQL, answering how many of the rows were updated. Each
/// statement's rows arrive as one `json` parameter, 5,000 at a time, written straight from
/// the services (`serde`). An upsert counts in the statement: `RETURNING` gives each row's
/// id, which is the proposed one exactly when it was inserted (the main query of a `WITH`
/// reads the data-modifying one's output).
///
/// The JSON of the next statement is written on a blocking thread while the current one
/// runs, one statement ahead (a channel of one): written between the statements, it kept
/// the database idle for about 20 ms a statement, a fifth of an import's services time
/// (docs/benchmarks.md). A writer that stops early (a panic) is an error, never fewer rows.
async fn write_postgres(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    writes: [(Write, Vec<(AssetId, ScannedService)>); 2],
    now: OffsetDateTime,
) -> Result<u64> {
    const INSERT: &str = concat!(import_columns!(), postgres_values!(), "FROM ", postgres_rows!());
    const UPSERT: &str = concat!(
        "WITH r AS MATERIALIZED (SELECT * FROM ",
        postgres_rows!(),
        "), upserted AS (",
        import_columns!(),
        postgres_values!(),
        "FROM r ",
        refresh_on_conflict!(),
        " RETURNING id) SELECT COUNT(*) AS created FROM upserted JOIN r ON r.id = upserted.id"
    );

    let (sender, mut batches) = tokio::sync::mpsc::channel(1);
    let writer = tokio::task::spawn_blocking(move || {
        for (write, services) in writes {
            for rows in services.chunks(crate::assets::POSTGRES_IMPORT_BATCH) {
                if sender.blocking_send((write, rows.len() as u64, postgres_json(rows))).is_err() {
                    return; // the statements stopped at an error
                }
            }
        }
    });
    let mut updated = 0;
    while let Some((write, len, json)) = batches.recv().await {
        let values: [sea_orm::Value; 3] = [json?.into(), tenant.uuid().into(), now.into()];
        let created = if write == Write::Insert {
            let statement = sea_orm::Statement::from_sql_and_values(DatabaseBackend::Postgres, INSERT, values);
            conn.execute_raw(statement).await.map_err(write_error)?.rows_affected()
        } else {
            let statement = sea_orm::Statement::from_sql_and_values(DatabaseBackend::Postgres, UPSERT, values);
            let created: i64 = conn
                .query_one_raw(statement)
                .await
                .map_err(write_error)?
                .map(|row| row.try_get("", "created"))
                .transpose()?
                .unwrap_or(0);
            u64::try_from(created).unwrap_or(0)
        };
        updated += len - created;
    }
    writer.await.map_err(|error| DbErr::Custom(format!("writing the services' JSON: {error}")))?;
    Ok(updated)
}

/// The JSON parameter of one statement of [`write_postgres`]: its rows, each with a new id.
fn postgres_json(rows: &[(AssetId, ScannedService)]) -> Result<String> {
    /// One row of the JSON parameter.
    #[derive(serde::Serialize)]
    struct Row<'a> {
        id: Uuid,
        asset_id: Uuid,
        port: u16,
        protocol: &'a str,
        state: &'a str,
        service_name: Option<&'a str>,
        product: Option<&'a str>,
        version: Option<&'a str>,
        cpe: Option<&'a str>,
        banner: Option<&'a str>,
        confidence: Option<u8>,
        extra_info: Option<&'a Value>,
    }

    let rows: Vec<Row<'_>> = rows
        .iter()
        .map(|(asset, service)| Row {
            id: AssetServiceId::new().as_uuid(),
            asset_id: asset.as_uuid(),
            port: service.port.value(),
            protocol: service.protocol.as_str(),
            state: service.state.as_str(),
            service_name: service.service_name.as_deref(),
            product: service.product.as_deref(),
            version: service.version.as_deref(),
            cpe: service.cpe.as_deref(),
            banner: service.banner.as_ref().map(|banner| banner.as_str()),
            confidence: service.confidence.map(|value| value.value()),
            extra_info: service.extra_info.as_ref().map(|info| info.as_value()),
        })
        .collect();
    Ok(serde_json::to_string(&rows).map_err(|error| DbErr::Custom(error.to_string()))?)
}

/// The tenant's open services counted by port (all protocols together): the `top`
/// ports with the most, most first (ties: the lower port first), and how many open
/// services there are in all. Two queries over the organization's open services, each a
/// range of `idx_services_organization_state_port`.
pub async fn count_open_by_port(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    top: u64,
) -> Result<(Vec<(Port, u64)>, u64)> {
    use services::Column as C;
    let open = || {
        services::Entity::find()
            .filter(C::OrganizationId.eq(tenant.uuid()))
            .filter(C::State.eq(PortState::Open.as_str()))
    };
    let total = open().count(conn).await?;
    let rows: Vec<(i32, i64)> = open()
        .select_only()
        .column(C::Port)
        // `COUNT(*)`: the grouping reads `idx_services_organization_state_port` alone.
        .column_as(Expr::cust("COUNT(*)"), "services")
        .group_by(C::Port)
        .order_by_desc(Expr::cust("COUNT(*)"))
        .order_by_asc(C::Port)
        .limit(top)
        .into_tuple()
        .all(conn)
        .await?;
    let ports = rows
        .into_iter()
        .map(|(port, count)| {
            Ok((rows::parsed(Port::parse(port.into(), "port"), SERVICE, "port")?, u64::try_from(count).unwrap_or(0)))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((ports, total))
}
