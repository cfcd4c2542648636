//! The `service_clients` table: services that obtain access tokens as themselves.
//!
//! Registering, listing, rotating and deleting take a [`SuperuserContext`] (only a
//! superuser administers clients); authenticating a client reads its stored secret hash
//! by id, which only the token endpoint does.

use authdb_domain::{ClientId, ClientName, ClientScopes, NewServiceClient, Page, Paged, ServiceClient};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, Unchanged,
};
use serde_json::json;
use time::OffsetDateTime;

use crate::{PersistenceError, Result, SuperuserContext, entities::service_clients, rows::parsed};

const ENTITY: &str = "service_client";

/// A client as the token endpoint needs it: its read model and its secret's stored hash.
#[derive(Clone)]
pub struct ClientCredentials {
    pub client: ServiceClient,
    pub secret_hash: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials").field("client", &self.client).finish_non_exhaustive()
    }
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    superuser: &SuperuserContext,
    new: NewServiceClient,
    secret_hash: &str,
    now: OffsetDateTime,
) -> Result<ServiceClient> {
    let model = service_clients::ActiveModel {
        id: Set(ClientId::new().as_uuid()),
        name: Set(new.name.as_str().to_owned()),
        scopes: Set(json!(new.scopes.names())),
        secret_hash: Set(secret_hash.to_owned()),
        secret_created_at: Set(now),
        created_by: Set(Some(superuser.user_id().as_uuid())),
        created_at: Set(now),
        updated_at: Set(now),
        last_used_at: Set(None),
    }
    .insert(conn)
    .await?;
    client(model)
}

pub async fn find(
    conn: &impl ConnectionTrait,
    _superuser: &SuperuserContext,
    id: ClientId,
) -> Result<Option<ServiceClient>> {
    service_clients::Entity::find_by_id(id.as_uuid()).one(conn).await?.map(client).transpose()
}

/// Whether the client exists (a client's token is honoured only while it does).
pub async fn exists(conn: &impl ConnectionTrait, id: ClientId) -> Result<bool> {
    Ok(service_clients::Entity::find_by_id(id.as_uuid()).count(conn).await? > 0)
}

/// The client and its secret hash, for authenticating it.
pub async fn find_credentials(conn: &impl ConnectionTrait, id: ClientId) -> Result<Option<ClientCredentials>> {
    let Some(model) = service_clients::Entity::find_by_id(id.as_uuid()).one(conn).await? else {
        return Ok(None);
    };
    let secret_hash = model.secret_hash.clone();
    Ok(Some(ClientCredentials { client: client(model)?, secret_hash }))
}

/// Every client, oldest first (ids are time-ordered).
pub async fn list(
    conn: &impl ConnectionTrait,
    _superuser: &SuperuserContext,
    page: Page,
) -> Result<Paged<ServiceClient>> {
    let query = service_clients::Entity::find();
    let total = query.clone().count(conn).await?;
    let items = query
        .order_by_asc(service_clients::Column::Id)
        .limit(page.limit())
        .offset(page.offset())
        .all(conn)
        .await?
        .into_iter()
        .map(client)
        .collect::<Result<_>>()?;
    Ok(Paged { items, total, page })
}

/// Replaces the secret's hash: the old secret stops matching with this commit.
pub async fn set_secret(
    conn: &impl ConnectionTrait,
    _superuser: &SuperuserContext,
    id: ClientId,
    secret_hash: &str,
    now: OffsetDateTime,
) -> Result<ServiceClient> {
    if service_clients::Entity::find_by_id(id.as_uuid()).count(conn).await? == 0 {
        return Err(PersistenceError::NotFound { entity: ENTITY });
    }
    let model = service_clients::ActiveModel {
        id: Unchanged(id.as_uuid()),
        secret_hash: Set(secret_hash.to_owned()),
        secret_created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    client(model.update(conn).await?)
}

/// Records that the client obtained a token.
pub async fn touch(conn: &impl ConnectionTrait, id: ClientId, now: OffsetDateTime) -> Result<()> {
    service_clients::Entity::update_many()
        .col_expr(service_clients::Column::LastUsedAt, sea_orm::sea_query::Expr::value(now))
        .filter(service_clients::Column::Id.eq(id.as_uuid()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes a client; answers whether it existed.
pub async fn delete(conn: &impl ConnectionTrait, _superuser: &SuperuserContext, id: ClientId) -> Result<bool> {
    Ok(service_clients::Entity::delete_by_id(id.as_uuid()).exec(conn).await?.rows_affected > 0)
}

fn client(model: service_clients::Model) -> Result<ServiceClient> {
    let names: Vec<String> = serde_json::from_value(model.scopes).map_err(|error| PersistenceError::Corrupt {
        entity: ENTITY,
        field: "scopes",
        message: error.to_string(),
    })?;
    let scopes = ClientScopes::parse_list(&names, "scopes").map_err(|error| PersistenceError::Corrupt {
        entity: ENTITY,
        field: "scopes",
        message: error.to_string(),
    })?;
    Ok(ServiceClient {
        id: ClientId::from_uuid(model.id),
        name: parsed(ClientName::parse(&model.name), ENTITY, "name")?,
        scopes,
        created_by: model.created_by.map(authdb_domain::UserId::from_uuid),
        created_at: model.created_at,
        updated_at: model.updated_at,
        secret_created_at: model.secret_created_at,
        last_used_at: model.last_used_at,
    })
}
