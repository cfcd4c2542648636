//! The `sessions` and `refresh_tokens` tables: one session per device login, and the
//! rotation chain of its refresh tokens (stored only as SHA-256 hashes).

use authdb_domain::{OrganizationId, RefreshTokenId, RevokedSession, SessionId, SessionSummary, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, sea_query::Expr,
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
    /// The OAuth2 client that asked for the session, if any.
    pub client_id: Option<String>,
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
        client_id: Set(new.client_id),
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

/// The OAuth2 client of the session a refresh token belongs to: `None` for an unknown
/// token, `Some(None)` for a session opened without a client.
pub async fn client_of_refresh_token(conn: &impl ConnectionTrait, token_hash: &str) -> Result<Option<Option<String>>> {
    let found = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
        .find_also_related(sessions::Entity)
        .one(conn)
        .await?;
    Ok(found.and_then(|(_, session)| session).map(|session| session.client_id))
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
    /// The token had already been spent, at `used_at`: a replay, or a client racing itself.
    Reused { token: SpentToken, used_at: OffsetDateTime },
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
    let spent_token = SpentToken {
        token_id: RefreshTokenId::from_uuid(token.id),
        session_id: SessionId::from_uuid(session.id),
        user_id: UserId::from_uuid(session.user_id),
        organization_id: session.organization_id.map(OrganizationId::from_uuid),
        session_expires_at: session.expires_at,
    };
    if spent && session_live {
        return Ok(SpendOutcome::Spent(spent_token));
    }
    match token.used_at {
        Some(used_at) if !spent && token.revoked_at.is_none() && session_live => {
            Ok(SpendOutcome::Reused { token: spent_token, used_at })
        }
        _ => Ok(SpendOutcome::Invalid),
    }
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

/// The live (not revoked, not expired) sessions of `user`, most recently used first.
pub async fn list_live(conn: &impl ConnectionTrait, user: UserId, now: OffsetDateTime) -> Result<Vec<SessionSummary>> {
    let found = live_of(user, now)
        .order_by_desc(sessions::Column::LastUsedAt)
        .order_by_desc(sessions::Column::Id)
        .all(conn)
        .await?;
    Ok(found.into_iter().map(into_summary).collect())
}

/// A live session of `user` by id, if there is one.
pub async fn find_live(
    conn: &impl ConnectionTrait,
    user: UserId,
    session: SessionId,
    now: OffsetDateTime,
) -> Result<Option<SessionSummary>> {
    let found = live_of(user, now).filter(sessions::Column::Id.eq(session.as_uuid())).one(conn).await?;
    Ok(found.map(into_summary))
}

fn live_of(user: UserId, now: OffsetDateTime) -> sea_orm::Select<sessions::Entity> {
    sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user.as_uuid()))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now))
}

fn into_summary(session: sessions::Model) -> SessionSummary {
    SessionSummary {
        id: SessionId::from_uuid(session.id),
        organization_id: session.organization_id.map(OrganizationId::from_uuid),
        client_id: session.client_id,
        user_agent: session.user_agent,
        ip: session.ip,
        created_at: session.created_at,
        last_used_at: session.last_used_at,
        expires_at: session.expires_at,
    }
}

/// Revokes the live sessions of `user` (all of them, or all but `except`) and their
/// refresh tokens; returns the sessions revoked. Refresh tokens first, as in
/// [`revoke_session`].
pub async fn revoke_user_sessions(
    conn: &impl ConnectionTrait,
    user: UserId,
    except: Option<SessionId>,
    reason: &str,
    now: OffsetDateTime,
) -> Result<Vec<RevokedSession>> {
    let mut live = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user.as_uuid()))
        .filter(sessions::Column::RevokedAt.is_null());
    if let Some(except) = except {
        live = live.filter(sessions::Column::Id.ne(except.as_uuid()));
    }
    let targets = live.all(conn).await?;
    let mut revoked = Vec::with_capacity(targets.len());
    for session in targets {
        let id = SessionId::from_uuid(session.id);
        if revoke_session(conn, id, reason, now).await? {
            revoked.push(RevokedSession { id, user_id: user, revoked_at: now, expires_at: session.expires_at });
        }
    }
    Ok(revoked)
}

/// Sessions revoked at or after `since` that have not expired by `now`. Reads only the
/// four columns the revocation set keeps: at start this can be a hundred thousand rows.
pub async fn revoked_since(
    conn: &impl ConnectionTrait,
    since: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<Vec<RevokedSession>> {
    let rows: Vec<(uuid::Uuid, uuid::Uuid, Option<OffsetDateTime>, OffsetDateTime)> = sessions::Entity::find()
        .select_only()
        .columns([
            sessions::Column::Id,
            sessions::Column::UserId,
            sessions::Column::RevokedAt,
            sessions::Column::ExpiresAt,
        ])
        .filter(sessions::Column::RevokedAt.gte(since))
        .filter(sessions::Column::ExpiresAt.gt(now))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, user_id, revoked_at, expires_at)| {
            Some(RevokedSession {
                id: SessionId::from_uuid(id),
                user_id: UserId::from_uuid(user_id),
                revoked_at: revoked_at?,
                expires_at,
            })
        })
        .collect())
}

/// Whether the refresh token with this hash can still be spent: issued, unused, not
/// revoked and not expired.
pub async fn refresh_token_is_live(conn: &impl ConnectionTrait, token_hash: &str, now: OffsetDateTime) -> Result<bool> {
    let count = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .filter(refresh_tokens::Column::ExpiresAt.gt(now))
        .count(conn)
        .await?;
    Ok(count > 0)
}

/// Makes `organization` the active tenant of a session (`None` clears it).
pub async fn set_organization(
    conn: &impl ConnectionTrait,
    session: SessionId,
    organization: Option<OrganizationId>,
) -> Result<()> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::OrganizationId, Expr::value(organization.map(|org| org.as_uuid())))
        .filter(sessions::Column::Id.eq(session.as_uuid()))
        .exec(conn)
        .await?;
    Ok(())
}
