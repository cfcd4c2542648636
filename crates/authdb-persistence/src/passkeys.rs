//! The `passkeys` table: users' WebAuthn credentials. Every function takes the owner, so
//! that nobody reads, renames or removes another user's passkey by its id; only a sign-in
//! looks one up by credential id, before it knows whose it is.

use authdb_domain::{Passkey, PasskeyId, PasskeyName, UserId};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr};
use time::OffsetDateTime;

use crate::{PersistenceError, Result, entities::passkeys};

const ENTITY: &str = "passkey";

/// A passkey to store.
#[derive(Debug, Clone)]
pub struct NewPasskey<'a> {
    pub user_id: UserId,
    pub name: &'a PasskeyName,
    pub credential_id: &'a str,
    /// The relying party crate's stored form.
    pub passkey: &'a str,
    pub transports: &'a [String],
    pub sign_count: u32,
    pub backup_eligible: bool,
}

/// A passkey with its stored credential, for a sign-in.
#[derive(Debug, Clone)]
pub struct StoredPasskey {
    pub id: PasskeyId,
    pub user_id: UserId,
    pub passkey: String,
}

/// Stores a passkey; a credential id already registered (by anyone) is a conflict on
/// `credential_id`.
pub async fn insert(conn: &impl ConnectionTrait, new: NewPasskey<'_>, now: OffsetDateTime) -> Result<Passkey> {
    let id = PasskeyId::new();
    let model = passkeys::ActiveModel {
        id: Set(id.as_uuid()),
        user_id: Set(new.user_id.as_uuid()),
        credential_id: Set(new.credential_id.to_owned()),
        name: Set(new.name.as_str().to_owned()),
        passkey: Set(new.passkey.to_owned()),
        transports: Set(serde_json::to_string(new.transports).unwrap_or_else(|_| "[]".into())),
        sign_count: Set(i64::from(new.sign_count)),
        backup_eligible: Set(new.backup_eligible),
        created_at: Set(now),
        last_used_at: Set(None),
    };
    passkeys::Entity::insert(model).exec_without_returning(conn).await?;
    Ok(Passkey {
        id,
        name: new.name.clone(),
        credential_id: new.credential_id.to_owned(),
        transports: new.transports.to_vec(),
        sign_count: new.sign_count,
        backup_eligible: new.backup_eligible,
        created_at: now,
        last_used_at: None,
    })
}

/// The passkeys of `user`, oldest first.
pub async fn list(conn: &impl ConnectionTrait, user: UserId) -> Result<Vec<Passkey>> {
    passkeys::Entity::find()
        .filter(passkeys::Column::UserId.eq(user.as_uuid()))
        .order_by_asc(passkeys::Column::CreatedAt)
        .order_by_asc(passkeys::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(passkey)
        .collect()
}

/// One passkey of `user`.
pub async fn find(conn: &impl ConnectionTrait, user: UserId, id: PasskeyId) -> Result<Option<Passkey>> {
    passkeys::Entity::find_by_id(id.as_uuid())
        .filter(passkeys::Column::UserId.eq(user.as_uuid()))
        .one(conn)
        .await?
        .map(passkey)
        .transpose()
}

/// The stored credentials of `user` (to offer at a named sign-in, or to exclude at a
/// registration).
pub async fn stored_of_user(conn: &impl ConnectionTrait, user: UserId) -> Result<Vec<StoredPasskey>> {
    Ok(passkeys::Entity::find()
        .filter(passkeys::Column::UserId.eq(user.as_uuid()))
        .order_by_asc(passkeys::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(stored)
        .collect())
}

/// The passkey a sign-in assertion names, whoever owns it.
pub async fn find_by_credential_id(conn: &impl ConnectionTrait, credential_id: &str) -> Result<Option<StoredPasskey>> {
    Ok(passkeys::Entity::find().filter(passkeys::Column::CredentialId.eq(credential_id)).one(conn).await?.map(stored))
}

/// Records a sign-in with the passkey: its time, and its new stored form and sign count
/// when they changed. Only moves the sign count forward, so that of two racing sign-ins
/// the later count stays.
pub async fn record_use(
    conn: &impl ConnectionTrait,
    id: PasskeyId,
    updated: Option<&str>,
    sign_count: u32,
    now: OffsetDateTime,
) -> Result<()> {
    let mut update = passkeys::Entity::update_many()
        .col_expr(passkeys::Column::LastUsedAt, Expr::value(Some(now)))
        .filter(passkeys::Column::Id.eq(id.as_uuid()));
    if let Some(updated) = updated {
        update = update
            .col_expr(passkeys::Column::Passkey, Expr::value(updated))
            .col_expr(passkeys::Column::SignCount, Expr::value(i64::from(sign_count)))
            .filter(passkeys::Column::SignCount.lte(i64::from(sign_count)));
    }
    update.exec(conn).await?;
    Ok(())
}

/// Removes a passkey of `user`; false when `user` has no such passkey.
pub async fn delete(conn: &impl ConnectionTrait, user: UserId, id: PasskeyId) -> Result<bool> {
    let deleted = passkeys::Entity::delete_many()
        .filter(passkeys::Column::Id.eq(id.as_uuid()))
        .filter(passkeys::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Removes every passkey of `user`; how many there were.
pub async fn delete_all(conn: &impl ConnectionTrait, user: UserId) -> Result<u64> {
    let deleted =
        passkeys::Entity::delete_many().filter(passkeys::Column::UserId.eq(user.as_uuid())).exec(conn).await?;
    Ok(deleted.rows_affected)
}

/// Whether `user` has a passkey (a second factor by itself).
pub async fn any_of_user(conn: &impl ConnectionTrait, user: UserId) -> Result<bool> {
    Ok(passkeys::Entity::find().filter(passkeys::Column::UserId.eq(user.as_uuid())).one(conn).await?.is_some())
}

fn stored(model: passkeys::Model) -> StoredPasskey {
    StoredPasskey {
        id: PasskeyId::from_uuid(model.id),
        user_id: UserId::from_uuid(model.user_id),
        passkey: model.passkey,
    }
}

fn passkey(model: passkeys::Model) -> Result<Passkey> {
    let corrupt = |field: &'static str, message: String| PersistenceError::Corrupt { entity: ENTITY, field, message };
    let name = PasskeyName::parse(&model.name, "name").map_err(|violation| corrupt("name", violation.message))?;
    let transports: Vec<String> =
        serde_json::from_str(&model.transports).map_err(|error| corrupt("transports", error.to_string()))?;
    let sign_count = u32::try_from(model.sign_count).map_err(|error| corrupt("sign_count", error.to_string()))?;
    Ok(Passkey {
        id: PasskeyId::from_uuid(model.id),
        name,
        credential_id: model.credential_id,
        transports,
        sign_count,
        backup_eligible: model.backup_eligible,
        created_at: model.created_at,
        last_used_at: model.last_used_at,
    })
}
