//! The `sessions` and `refresh_tokens` tables: one session per device login, and the
//! rotation chain of its refresh tokens (stored only as SHA-256 hashes).

use authdb_domain::{OrganizationId, RefreshTokenId, SessionId, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
    sea_query::{Expr, Query},
};
use time::OffsetDateTime;

use crate::{
    Result,
    entities::{refresh_tokens, sessions},
};

/// A device login about to be recorded.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub user_id: UserId,
    pub organization_id: Option<OrganizationId>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub expires_at: OffsetDateTime,
}

pub async fn insert_session(conn: &impl ConnectionTrait, new: NewSession, now: OffsetDateTime) -> Result<SessionId> {
    let id = SessionId::new();
    sessions::ActiveModel {
        id: Set(id.as_uuid()),
        user_id: Set(new.user_id.as_uuid()),
        organization_id: Set(new.organization_id.map(|org| org.as_uuid())),
        user_agent: Set(new.user_agent),
        ip: Set(new.ip),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        revoked_reason: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Stores the hash of a new refresh token of `session`, `parent` being the token it
/// replaces.
pub async fn insert_refresh_token(
    conn: &impl ConnectionTrait,
    session: SessionId,
    token_hash: &str,
    parent: Option<RefreshTokenId>,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<RefreshTokenId> {
    let id = RefreshTokenId::new();
    refresh_tokens::ActiveModel {
        id: Set(id.as_uuid()),
        session_id: Set(session.as_uuid()),
        token_hash: Set(token_hash.to_owned()),
        parent_id: Set(parent.map(|parent| parent.as_uuid())),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Whether a refresh token with this hash was ever issued (spent, revoked or not).
pub async fn refresh_token_exists(conn: &impl ConnectionTrait, token_hash: &str) -> Result<bool> {
    let count =
        refresh_tokens::Entity::find().filter(refresh_tokens::Column::TokenHash.eq(token_hash)).count(conn).await?;
    Ok(count > 0)
}

/// The session a refresh token belongs to, as far as rotation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpentToken {
    pub token_id: RefreshTokenId,
    pub session_id: SessionId,
    pub user_id: UserId,
    pub organization_id: Option<OrganizationId>,
    pub session_expires_at: OffsetDateTime,
}

/// What presenting a refresh token amounted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpendOutcome {
    /// The token was live and is now spent; the caller issues its successor.
    Spent(SpentToken),
    /// The token had already been spent: someone is replaying it.
    Reused { session_id: SessionId, user_id: UserId },
    /// Unknown, expired, revoked, or of a revoked session.
    Invalid,
}

/// Marks a refresh token as used, atomically: of several concurrent callers with the same
/// token exactly one gets [`SpendOutcome::Spent`].
///
/// The conditional `UPDATE` runs first so that on SQLite the transaction takes the write
/// lock at once (a read-then-write transaction could fail to upgrade under contention).
pub async fn spend_refresh_token(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<SpendOutcome> {
    let spent = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(Some(now)))
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .filter(refresh_tokens::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?
        .rows_affected
        == 1;
    let found = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
        .find_also_related(sessions::Entity)
        .one(conn)
        .await?;
    let Some((token, Some(session))) = found else {
        return Ok(SpendOutcome::Invalid);
    };
    let session_live = session.revoked_at.is_none() && session.expires_at > now;
    if spent && session_live {
        return Ok(SpendOutcome::Spent(SpentToken {
            token_id: RefreshTokenId::from_uuid(token.id),
            session_id: SessionId::from_uuid(session.id),
            user_id: UserId::from_uuid(session.user_id),
            organization_id: session.organization_id.map(OrganizationId::from_uuid),
            session_expires_at: session.expires_at,
        }));
    }
    if !spent && token.used_at.is_some() && token.revoked_at.is_none() && session_live {
        return Ok(SpendOutcome::Reused {
            session_id: SessionId::from_uuid(session.id),
            user_id: UserId::from_uuid(session.user_id),
        });
    }
    Ok(SpendOutcome::Invalid)
}

/// Records that a session was used (a refresh) from `ip` and `user_agent`.
pub async fn touch_session(
    conn: &impl ConnectionTrait,
    session: SessionId,
    now: OffsetDateTime,
    ip: Option<String>,
    user_agent: Option<String>,
) -> Result<()> {
    let mut update = sessions::Entity::update_many()
        .col_expr(sessions::Column::LastUsedAt, Expr::value(now))
        .filter(sessions::Column::Id.eq(session.as_uuid()));
    if let Some(ip) = ip {
        update = update.col_expr(sessions::Column::Ip, Expr::value(ip));
    }
    if let Some(user_agent) = user_agent {
        update = update.col_expr(sessions::Column::UserAgent, Expr::value(user_agent));
    }
    update.exec(conn).await?;
    Ok(())
}

/// Revokes a session and every refresh token of it. Returns whether the session was live.
///
/// Lock order: every transaction here touches a session's refresh tokens before the
/// session row itself (refresh spends a token, then touches its session). Revoking in the
/// other order deadlocks on PostgreSQL against a concurrent refresh or replay, because a
/// conditional `UPDATE` keeps the row lock it took to re-check its `WHERE`.
pub async fn revoke_session(
    conn: &impl ConnectionTrait,
    session: SessionId,
    reason: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(Some(now)))
        .filter(refresh_tokens::Column::SessionId.eq(session.as_uuid()))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    let revoked = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(Some(now)))
        .col_expr(sessions::Column::RevokedReason, Expr::value(Some(reason.to_owned())))
        .filter(sessions::Column::Id.eq(session.as_uuid()))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected;
    Ok(revoked > 0)
}

/// Revokes every live session of `user` and their refresh tokens (deactivation). Returns
/// the sessions revoked. Tokens first, then sessions: the lock order of [`revoke_session`].
pub async fn revoke_all_of_user(
    conn: &impl ConnectionTrait,
    user: UserId,
    reason: &str,
    now: OffsetDateTime,
) -> Result<Vec<SessionId>> {
    let live: Vec<SessionId> = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user.as_uuid()))
        .filter(sessions::Column::RevokedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|session| SessionId::from_uuid(session.id))
        .collect();
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(Some(now)))
        .filter(
            refresh_tokens::Column::SessionId.in_subquery(
                Query::select()
                    .column(sessions::Column::Id)
                    .from(sessions::Entity)
                    .and_where(sessions::Column::UserId.eq(user.as_uuid()))
                    .to_owned(),
            ),
        )
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(Some(now)))
        .col_expr(sessions::Column::RevokedReason, Expr::value(Some(reason.to_owned())))
        .filter(sessions::Column::UserId.eq(user.as_uuid()))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(live)
}
