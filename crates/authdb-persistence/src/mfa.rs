//! Second factors: `mfa_totp`, `mfa_recovery_codes` and `mfa_challenges` (see the
//! migration `m20261202_000011_create_mfa`). Secrets arrive sealed and codes and tokens
//! hashed: nothing here ever holds one in the clear.

use authdb_domain::{OrganizationId, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    Result,
    entities::{mfa_challenges, mfa_recovery_codes, mfa_totp},
};

/// A user's TOTP factor as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredTotp {
    pub secret_sealed: String,
    /// `None` while the enrolment is pending.
    pub confirmed_at: Option<OffsetDateTime>,
    pub last_step: Option<i64>,
}

impl std::fmt::Debug for StoredTotp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredTotp").field("confirmed_at", &self.confirmed_at).finish_non_exhaustive()
    }
}

pub async fn find_totp(conn: &impl ConnectionTrait, user: UserId) -> Result<Option<StoredTotp>> {
    Ok(mfa_totp::Entity::find_by_id(user.as_uuid()).one(conn).await?.map(|row| StoredTotp {
        secret_sealed: row.secret_sealed,
        confirmed_at: row.confirmed_at,
        last_step: row.last_step,
    }))
}

/// Whether `user` has a confirmed TOTP factor.
pub async fn has_confirmed_totp(conn: &impl ConnectionTrait, user: UserId) -> Result<bool> {
    Ok(find_totp(conn, user).await?.is_some_and(|totp| totp.confirmed_at.is_some()))
}

/// Starts (or restarts) a pending enrolment with a new sealed secret; a confirmed factor
/// is left alone and `false` returned.
pub async fn start_totp(conn: &impl ConnectionTrait, user: UserId, sealed: &str, now: OffsetDateTime) -> Result<bool> {
    mfa_totp::Entity::delete_many()
        .filter(mfa_totp::Column::UserId.eq(user.as_uuid()))
        .filter(mfa_totp::Column::ConfirmedAt.is_null())
        .exec(conn)
        .await?;
    if find_totp(conn, user).await?.is_some() {
        return Ok(false);
    }
    mfa_totp::ActiveModel {
        user_id: Set(user.as_uuid()),
        secret_sealed: Set(sealed.to_owned()),
        created_at: Set(now),
        confirmed_at: Set(None),
        last_step: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(true)
}

/// Accepts TOTP step `step` for `user` (and confirms a pending enrolment when `confirm`),
/// atomically: only if no step at or after it was accepted before. `false`: a replay (or
/// no such factor).
pub async fn accept_step(
    conn: &impl ConnectionTrait,
    user: UserId,
    step: i64,
    confirm: bool,
    now: OffsetDateTime,
) -> Result<bool> {
    let mut update = mfa_totp::Entity::update_many()
        .col_expr(mfa_totp::Column::LastStep, Expr::value(Some(step)))
        .filter(mfa_totp::Column::UserId.eq(user.as_uuid()))
        .filter(Condition::any().add(mfa_totp::Column::LastStep.is_null()).add(mfa_totp::Column::LastStep.lt(step)));
    if confirm {
        update = update
            .col_expr(mfa_totp::Column::ConfirmedAt, Expr::value(Some(now)))
            .filter(mfa_totp::Column::ConfirmedAt.is_null());
    } else {
        update = update.filter(mfa_totp::Column::ConfirmedAt.is_not_null());
    }
    Ok(update.exec(conn).await?.rows_affected == 1)
}

/// Removes every second factor of `user` (TOTP and recovery codes); whether there was a
/// TOTP factor.
pub async fn remove_all(conn: &impl ConnectionTrait, user: UserId) -> Result<bool> {
    let removed =
        mfa_totp::Entity::delete_many().filter(mfa_totp::Column::UserId.eq(user.as_uuid())).exec(conn).await?;
    mfa_recovery_codes::Entity::delete_many()
        .filter(mfa_recovery_codes::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await?;
    Ok(removed.rows_affected > 0)
}

/// Replaces the recovery codes of `user` with these (hashes).
pub async fn replace_recovery_codes(
    conn: &impl ConnectionTrait,
    user: UserId,
    hashes: &[String],
    now: OffsetDateTime,
) -> Result<()> {
    mfa_recovery_codes::Entity::delete_many()
        .filter(mfa_recovery_codes::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await?;
    let rows = hashes.iter().map(|hash| mfa_recovery_codes::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.as_uuid()),
        code_hash: Set(hash.clone()),
        created_at: Set(now),
        used_at: Set(None),
    });
    mfa_recovery_codes::Entity::insert_many(rows).exec_without_returning(conn).await?;
    Ok(())
}

/// Spends the unused recovery code of `user` with this hash, atomically; whether there
/// was one.
pub async fn spend_recovery_code(
    conn: &impl ConnectionTrait,
    user: UserId,
    hash: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let spent = mfa_recovery_codes::Entity::update_many()
        .col_expr(mfa_recovery_codes::Column::UsedAt, Expr::value(Some(now)))
        .filter(mfa_recovery_codes::Column::UserId.eq(user.as_uuid()))
        .filter(mfa_recovery_codes::Column::CodeHash.eq(hash))
        .filter(mfa_recovery_codes::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(spent.rows_affected == 1)
}

/// How many unused recovery codes `user` has left.
pub async fn recovery_codes_left(conn: &impl ConnectionTrait, user: UserId) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(mfa_recovery_codes::Entity::find()
        .filter(mfa_recovery_codes::Column::UserId.eq(user.as_uuid()))
        .filter(mfa_recovery_codes::Column::UsedAt.is_null())
        .count(conn)
        .await?)
}

/// A login waiting for its second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub user_id: UserId,
    pub organization_id: Option<OrganizationId>,
    pub ip: Option<String>,
}

/// Records a challenge (its token's hash) for `user`, valid until `expires_at`.
pub async fn insert_challenge(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    challenge: &Challenge,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<()> {
    let row = mfa_challenges::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(token_hash.to_owned()),
        user_id: Set(challenge.user_id.as_uuid()),
        organization_id: Set(challenge.organization_id.map(|org| org.as_uuid())),
        ip: Set(challenge.ip.clone()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        webauthn_ceremony_id: Set(None),
    };
    mfa_challenges::Entity::insert(row).exec_without_returning(conn).await?;
    // Spent and expired challenges are of no further use.
    mfa_challenges::Entity::delete_many().filter(mfa_challenges::Column::ExpiresAt.lt(now)).exec(conn).await?;
    Ok(())
}

/// The challenge with this token hash, while it is live (unused and unexpired).
fn live_challenge(token_hash: &str, now: OffsetDateTime) -> Condition {
    Condition::all()
        .add(mfa_challenges::Column::TokenHash.eq(token_hash))
        .add(mfa_challenges::Column::UsedAt.is_null())
        .add(mfa_challenges::Column::ExpiresAt.gt(now))
}

/// The live (unused, unexpired) challenge with this token hash.
pub async fn find_challenge(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<Option<Challenge>> {
    let found = mfa_challenges::Entity::find().filter(live_challenge(token_hash, now)).one(conn).await?;
    Ok(found.map(|row| Challenge {
        user_id: UserId::from_uuid(row.user_id),
        organization_id: row.organization_id.map(OrganizationId::from_uuid),
        ip: row.ip,
    }))
}

/// Spends the live challenge with this hash, atomically: of concurrent callers exactly one
/// gets `true`.
pub async fn spend_challenge(conn: &impl ConnectionTrait, token_hash: &str, now: OffsetDateTime) -> Result<bool> {
    let spent = mfa_challenges::Entity::update_many()
        .col_expr(mfa_challenges::Column::UsedAt, Expr::value(Some(now)))
        .filter(live_challenge(token_hash, now))
        .exec(conn)
        .await?;
    Ok(spent.rows_affected == 1)
}

/// Points the live challenge with this hash at the passkey ceremony of its second step
/// (replacing an earlier one); `false` when the challenge is not live.
pub async fn set_challenge_ceremony(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    ceremony: Uuid,
    now: OffsetDateTime,
) -> Result<bool> {
    let updated = mfa_challenges::Entity::update_many()
        .col_expr(mfa_challenges::Column::WebauthnCeremonyId, Expr::value(Some(ceremony)))
        .filter(live_challenge(token_hash, now))
        .exec(conn)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// The passkey ceremony the live challenge with this hash started, if any.
pub async fn challenge_ceremony(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<Option<Uuid>> {
    let found = mfa_challenges::Entity::find().filter(live_challenge(token_hash, now)).one(conn).await?;
    Ok(found.and_then(|row| row.webauthn_ceremony_id))
}

/// A sealed TOTP secret and whose it is.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedTotp {
    pub user_id: UserId,
    pub secret_sealed: String,
}

impl std::fmt::Debug for SealedTotp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedTotp").field("user_id", &self.user_id).finish_non_exhaustive()
    }
}

/// Up to `limit` sealed TOTP secrets of users after `after`, in user id order: a page of
/// the walk the start-up key check makes over every stored secret.
pub async fn sealed_totp_page(
    conn: &impl ConnectionTrait,
    after: Option<UserId>,
    limit: u64,
) -> Result<Vec<SealedTotp>> {
    use sea_orm::{QueryOrder, QuerySelect};
    let mut query = mfa_totp::Entity::find().order_by_asc(mfa_totp::Column::UserId).limit(limit);
    if let Some(after) = after {
        query = query.filter(mfa_totp::Column::UserId.gt(after.as_uuid()));
    }
    let rows = query.all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|row| SealedTotp { user_id: UserId::from_uuid(row.user_id), secret_sealed: row.secret_sealed })
        .collect())
}

/// Replaces `user`'s sealed TOTP secret `old` with `new` (the same secret sealed under
/// another key); `false` when it changed meanwhile (re-enrolled, removed, or re-sealed by
/// a concurrent request), which leaves it alone.
pub async fn reseal_totp(conn: &impl ConnectionTrait, user: UserId, old: &str, new: &str) -> Result<bool> {
    let updated = mfa_totp::Entity::update_many()
        .col_expr(mfa_totp::Column::SecretSealed, Expr::value(new))
        .filter(mfa_totp::Column::UserId.eq(user.as_uuid()))
        .filter(mfa_totp::Column::SecretSealed.eq(old))
        .exec(conn)
        .await?;
    Ok(updated.rows_affected == 1)
}
