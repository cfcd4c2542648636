//! The `email_tokens` table: single-use, expiring tokens mailed to a user, stored only as
//! the SHA-256 of the token. Each has a purpose it may be spent on; a user holds at most
//! one live token per purpose (a newer one retires the older).

use authdb_domain::UserId;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Result, entities::email_tokens};

/// What a token may be spent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    PasswordReset,
    /// Confirms a new address; the token's `email` is the new address.
    ChangeEmail,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::PasswordReset => "password_reset",
            Self::ChangeEmail => "change_email",
        }
    }
}

/// A token that was just spent.
#[derive(Debug, Clone)]
pub struct SpentToken {
    pub user_id: UserId,
    /// The address the token was mailed to.
    pub email: String,
}

/// Stores a new token for `user` and retires every older unspent token of the same
/// purpose. Call it in the transaction that mails the token.
pub async fn issue(
    conn: &impl ConnectionTrait,
    user: UserId,
    purpose: TokenPurpose,
    token_hash: &str,
    email: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<()> {
    retire(conn, user, purpose, now).await?;
    let model = email_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.as_uuid()),
        purpose: Set(purpose.as_str().to_owned()),
        token_hash: Set(token_hash.to_owned()),
        email: Set(email.to_owned()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
    };
    email_tokens::Entity::insert(model).exec_without_returning(conn).await?;
    Ok(())
}

/// Retires every unspent token of `purpose` that `user` holds (a password change retires
/// the reset links).
pub async fn retire(
    conn: &impl ConnectionTrait,
    user: UserId,
    purpose: TokenPurpose,
    now: OffsetDateTime,
) -> Result<()> {
    email_tokens::Entity::update_many()
        .col_expr(email_tokens::Column::UsedAt, Expr::value(Some(now)))
        .filter(email_tokens::Column::UserId.eq(user.as_uuid()))
        .filter(email_tokens::Column::Purpose.eq(purpose.as_str()))
        .filter(email_tokens::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Spends the token of `purpose` whose hash is `token_hash`, if it is unspent and
/// unexpired: one conditional update, so of concurrent callers exactly one wins.
pub async fn spend(
    conn: &impl ConnectionTrait,
    purpose: TokenPurpose,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<Option<SpentToken>> {
    let rows = email_tokens::Entity::update_many()
        .col_expr(email_tokens::Column::UsedAt, Expr::value(Some(now)))
        .filter(email_tokens::Column::TokenHash.eq(token_hash))
        .filter(email_tokens::Column::Purpose.eq(purpose.as_str()))
        .filter(email_tokens::Column::UsedAt.is_null())
        .filter(email_tokens::Column::ExpiresAt.gt(now))
        .exec_with_returning(conn)
        .await?;
    Ok(rows.into_iter().next().map(|row| SpentToken { user_id: UserId::from_uuid(row.user_id), email: row.email }))
}

/// When `user` was last given a token of `purpose`, if ever.
pub async fn last_issued(
    conn: &impl ConnectionTrait,
    user: UserId,
    purpose: TokenPurpose,
) -> Result<Option<OffsetDateTime>> {
    Ok(email_tokens::Entity::find()
        .select_only()
        .column(email_tokens::Column::CreatedAt)
        .filter(email_tokens::Column::UserId.eq(user.as_uuid()))
        .filter(email_tokens::Column::Purpose.eq(purpose.as_str()))
        .order_by_desc(email_tokens::Column::CreatedAt)
        .limit(1)
        .into_tuple::<OffsetDateTime>()
        .one(conn)
        .await?)
}
