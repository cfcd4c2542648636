//! The `sessions` and `refresh_tokens` tables: one session per device login, and the
//! rotation chain of its refresh tokens (stored only as SHA-256 hashes).

use authdb_domain::{
    AuthMethods, OrganizationId, RefreshTokenId, RevokedSession, SessionAuthentication, SessionId, SessionSummary,
    User, UserId,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement, sea_query::Expr,
};
use time::OffsetDateTime;

use crate::{
    PersistenceError, Result, WriteGate,
    entities::{refresh_tokens, sessions, users},
    rows,
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
    /// How and when the user authenticated (the tokens' `amr` and `auth_time`).
    pub authentication: SessionAuthentication,
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
        amr: Set(new.authentication.methods.to_column()),
        auth_time: Set(Some(new.authentication.auth_time)),
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
    let token = refresh_tokens::ActiveModel {
        id: Set(id.as_uuid()),
        session_id: Set(session.as_uuid()),
        token_hash: Set(token_hash.to_owned()),
        parent_id: Set(parent.map(|parent| parent.as_uuid())),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
    };
    // Nothing to read back: `ActiveModel::insert` would add `RETURNING` and decode the row.
    refresh_tokens::Entity::insert(token).exec_without_returning(conn).await?;
    Ok(id)
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
    /// How and when the session's user authenticated: what every access token of the
    /// session says (`amr`, `auth_time`).
    pub authentication: SessionAuthentication,
}

/// A presented refresh token with its session and user, read in one query before refresh
/// queues for the write turn.
#[derive(Debug, Clone)]
pub struct PresentedToken {
    pub token: SpentToken,
    /// Unused, not revoked, not expired, and of a live session: worth rotating with
    /// [`rotate_refresh_token`]. Anything else goes through [`spend_refresh_token`], which
    /// tells a reuse from an invalid token.
    pub spendable: bool,
    pub user: User,
}

/// The refresh token with this hash, its session and its user, in one joined read; `None`
/// when no such token was ever issued.
pub async fn find_presented(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<Option<PresentedToken>> {
    let found = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
        .find_also_related(sessions::Entity)
        .and_also_related(users::Entity)
        .one(conn)
        .await?;
    let Some((token, Some(session), Some(user))) = found else {
        return Ok(None);
    };
    let spendable = token.used_at.is_none()
        && token.revoked_at.is_none()
        && token.expires_at > now
        && session.revoked_at.is_none()
        && session.expires_at > now;
    Ok(Some(PresentedToken {
        token: SpentToken {
            token_id: RefreshTokenId::from_uuid(token.id),
            session_id: SessionId::from_uuid(session.id),
            user_id: UserId::from_uuid(session.user_id),
            organization_id: session.organization_id.map(OrganizationId::from_uuid),
            session_expires_at: session.expires_at,
            authentication: authentication(&session)?,
        },
        spendable,
        user: rows::user(user)?,
    }))
}

/// One rotation as [`rotate_refresh_token`] writes it: the presented token (as read by
/// [`find_presented`]) is spent, its successor stored and its session touched.
#[derive(Debug, Clone, Copy)]
pub struct Rotation<'a> {
    /// The presented token.
    pub token_hash: &'a str,
    pub token_id: RefreshTokenId,
    pub session_id: SessionId,
    pub successor_hash: &'a str,
    /// When the successor expires: with its session.
    pub expires_at: OffsetDateTime,
    /// Where the session was used from; `None` keeps what the session has.
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// Makes this the session's organization; `None` keeps the current one.
    pub organization_id: Option<OrganizationId>,
    pub now: OffsetDateTime,
}

/// Both rotations name the session by the id [`find_presented`] read (it never changes for
/// a token), so that its liveness check is one primary-key lookup whatever the planner
/// makes of the tables' statistics.
///
/// The SQLite rotation: one batch, so that the write turn is held for a single round trip
/// to the connection's thread (each statement costs one, and that hand-over, not SQLite,
/// is what the turn spends its time on). The spending `UPDATE` requires the token unused,
/// unrevoked and unexpired, its session live and its user active; the `INSERT` and the
/// session's `UPDATE` only run when the previous statement changed a row (`changes()`).
/// The session's id comes back when the rotation happened (a batch's rows-affected count is
/// no use: SQLite reports the last data change again for `BEGIN` and `COMMIT`).
const SQLITE_ROTATION: &str = "\
BEGIN IMMEDIATE;
UPDATE refresh_tokens SET used_at = ?1
 WHERE token_hash = ?2 AND session_id = ?4 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?1
   AND EXISTS (SELECT 1 FROM sessions JOIN users ON users.id = sessions.user_id
                WHERE sessions.id = ?4 AND sessions.revoked_at IS NULL AND sessions.expires_at > ?1
                  AND users.is_active);
INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at, expires_at)
 SELECT ?3, ?4, ?5, ?6, ?1, ?7 WHERE changes() = 1;
UPDATE sessions SET last_used_at = ?1, ip = COALESCE(?8, ip), user_agent = COALESCE(?9, user_agent),
       organization_id = COALESCE(?10, organization_id)
 WHERE id = ?4 AND changes() = 1
 RETURNING id;
COMMIT;";

/// The PostgreSQL rotation: one statement, atomic on its own, so one round trip and no
/// `BEGIN`/`COMMIT`. The same conditions as on SQLite. Lock order as everywhere: the
/// session row is updated only with the ids the spending `UPDATE` returned, so the token
/// row is locked before the session row.
const POSTGRES_ROTATION: &str = "\
WITH spent AS (
    UPDATE refresh_tokens SET used_at = $1
     WHERE token_hash = $2 AND session_id = $4 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1
       AND EXISTS (SELECT 1 FROM sessions JOIN users ON users.id = sessions.user_id
                    WHERE sessions.id = $4 AND sessions.revoked_at IS NULL AND sessions.expires_at > $1
                      AND users.is_active)
    RETURNING id, session_id
), successor AS (
    INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at, expires_at)
    SELECT $3, session_id, $5, id, $1, $7 FROM spent
    RETURNING session_id
)
UPDATE sessions SET last_used_at = $1, ip = COALESCE($8, ip), user_agent = COALESCE($9, user_agent),
       organization_id = COALESCE($10, organization_id)
 WHERE id IN (SELECT session_id FROM successor)";

/// Spends the presented refresh token, stores its successor and touches the session, as
/// one transaction that holds the write turn for one round trip to the database. Of
/// several concurrent callers with the same token at most one gets `true`; `false` means
/// the token was spent or revoked, its session revoked or its user deactivated since
/// [`find_presented`] read it (and nothing was written): [`spend_refresh_token`] tells which.
pub async fn rotate_refresh_token(gate: &WriteGate, rotation: &Rotation<'_>) -> Result<bool> {
    let successor = RefreshTokenId::new();
    match gate.db().get_database_backend() {
        DatabaseBackend::Sqlite => {
            let _turn = gate.turn().await?;
            let pool = gate.db().get_sqlite_connection_pool();
            // Should this future be dropped mid-batch, or a statement fail after `BEGIN`,
            // the connection must not go back to the pool in a transaction: it is closed
            // instead (which rolls the transaction back) unless the batch completed.
            let mut conn = CloseUnlessDone(Some(pool.acquire().await.map_err(sqlx_error)?));
            let batch = sqlx::query(SQLITE_ROTATION)
                .bind(rotation.now)
                .bind(rotation.token_hash)
                .bind(successor.as_uuid())
                .bind(rotation.session_id.as_uuid())
                .bind(rotation.successor_hash)
                .bind(rotation.token_id.as_uuid())
                .bind(rotation.expires_at)
                .bind(rotation.ip)
                .bind(rotation.user_agent)
                .bind(rotation.organization_id.map(|org| org.as_uuid()));
            // `fetch_all` runs every statement of the batch, `COMMIT` included.
            match batch.fetch_all(&mut **conn.get()).await {
                Ok(touched) => {
                    conn.done();
                    Ok(!touched.is_empty())
                }
                Err(error) => {
                    let _closed_anyway = sqlx::query("ROLLBACK").execute(&mut **conn.get()).await;
                    Err(sqlx_error(error))
                }
            }
        }
        backend => {
            let values: [sea_orm::Value; 10] = [
                rotation.now.into(),
                rotation.token_hash.into(),
                successor.as_uuid().into(),
                rotation.session_id.as_uuid().into(),
                rotation.successor_hash.into(),
                rotation.token_id.as_uuid().into(),
                rotation.expires_at.into(),
                rotation.ip.map(str::to_owned).into(),
                rotation.user_agent.map(str::to_owned).into(),
                rotation.organization_id.map(|org| org.as_uuid()).into(),
            ];
            let statement = Statement::from_sql_and_values(backend, POSTGRES_ROTATION, values);
            Ok(gate.db().execute_raw(statement).await?.rows_affected() > 0)
        }
    }
}

/// A pooled connection that is closed, not returned to the pool, unless [`Self::done`].
struct CloseUnlessDone(Option<sqlx::pool::PoolConnection<sqlx::Sqlite>>);

impl CloseUnlessDone {
    fn get(&mut self) -> &mut sqlx::pool::PoolConnection<sqlx::Sqlite> {
        self.0.as_mut().expect("the connection is held until done")
    }

    /// Returns the connection to the pool.
    fn done(mut self) {
        drop(self.0.take());
    }
}

impl Drop for CloseUnlessDone {
    fn drop(&mut self) {
        if let Some(mut conn) = self.0.take() {
            conn.close_on_drop();
        }
    }
}

fn sqlx_error(error: sqlx::Error) -> PersistenceError {
    PersistenceError::from(sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(error))))
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
        authentication: authentication(&session)?,
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

/// What a step-up needs of the session it renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SteppedUpSession {
    pub expires_at: OffsetDateTime,
    /// The organization the session acts in, to scope the new access token to.
    pub organization_id: Option<OrganizationId>,
}

/// Records that the user of a live session authenticated again (a step-up): the session's
/// `amr` and `auth_time` become `authentication`, and every refresh token of the session
/// still unrevoked is revoked (a token issued before the step-up must not refresh into a
/// stepped-up access token; the caller issues the session's one new token). `None` when
/// the session is not live (revoked, expired, unknown): nothing changes then.
///
/// Lock order as in [`revoke_session`]: the refresh tokens, then the session row.
pub async fn step_up(
    conn: &impl ConnectionTrait,
    session: SessionId,
    authentication: &SessionAuthentication,
    now: OffsetDateTime,
) -> Result<Option<SteppedUpSession>> {
    let live = || {
        Condition::all()
            .add(sessions::Column::Id.eq(session.as_uuid()))
            .add(sessions::Column::RevokedAt.is_null())
            .add(sessions::Column::ExpiresAt.gt(now))
    };
    if sessions::Entity::find().filter(live()).count(conn).await? == 0 {
        return Ok(None);
    }
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(Some(now)))
        .filter(refresh_tokens::Column::SessionId.eq(session.as_uuid()))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    sessions::Entity::update_many()
        .col_expr(sessions::Column::Amr, Expr::value(authentication.methods.to_column()))
        .col_expr(sessions::Column::AuthTime, Expr::value(Some(authentication.auth_time)))
        .col_expr(sessions::Column::LastUsedAt, Expr::value(now))
        .filter(live())
        .exec(conn)
        .await?;
    let found = sessions::Entity::find().filter(live()).one(conn).await?;
    Ok(found.map(|session| SteppedUpSession {
        expires_at: session.expires_at,
        organization_id: session.organization_id.map(OrganizationId::from_uuid),
    }))
}

/// The live (not revoked, not expired) sessions of `user`, most recently used first, at
/// most `limit` of them.
pub async fn list_live(
    conn: &impl ConnectionTrait,
    user: UserId,
    now: OffsetDateTime,
    limit: u64,
) -> Result<Vec<SessionSummary>> {
    let found = live_of(user, now)
        .order_by_desc(sessions::Column::LastUsedAt)
        .order_by_desc(sessions::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(found.into_iter().map(into_summary).collect())
}

/// The live sessions of `user` beyond the `keep` most recently used ones, least recently
/// used first: the ones to end so that `keep` remain.
pub async fn least_recently_used(
    conn: &impl ConnectionTrait,
    user: UserId,
    now: OffsetDateTime,
    keep: u64,
) -> Result<Vec<RevokedSession>> {
    let live = live_of(user, now).count(conn).await?;
    let Some(excess) = live.checked_sub(keep).filter(|excess| *excess > 0) else {
        return Ok(Vec::new());
    };
    let found = live_of(user, now)
        .order_by_asc(sessions::Column::LastUsedAt)
        .order_by_asc(sessions::Column::Id)
        .limit(excess)
        .all(conn)
        .await?;
    Ok(found
        .into_iter()
        .map(|session| RevokedSession {
            id: SessionId::from_uuid(session.id),
            user_id: user,
            revoked_at: now,
            expires_at: session.expires_at,
        })
        .collect())
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

/// The session's `amr` and `auth_time` as stored; a list that no longer parses is
/// [`PersistenceError::Corrupt`]. A NULL `auth_time` (never written since the migration
/// filled it) reads as the session's creation.
pub(crate) fn authentication(session: &sessions::Model) -> Result<SessionAuthentication> {
    let methods = AuthMethods::from_column(&session.amr).ok_or_else(|| PersistenceError::Corrupt {
        entity: "sessions",
        field: "amr",
        message: format!("not a list of RFC 8176 method names: {:?}", session.amr),
    })?;
    Ok(SessionAuthentication { methods, auth_time: session.auth_time.unwrap_or(session.created_at) })
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

/// Whether `user` has ever had a session (live or ended) from this user agent and
/// address: a sign-in from a pair not seen before is worth telling the user about.
pub async fn device_seen(
    conn: &impl ConnectionTrait,
    user: UserId,
    user_agent: Option<&str>,
    ip: Option<&str>,
) -> Result<bool> {
    let mut query = sessions::Entity::find().filter(sessions::Column::UserId.eq(user.as_uuid()));
    query = match user_agent {
        Some(user_agent) => query.filter(sessions::Column::UserAgent.eq(user_agent)),
        None => query.filter(sessions::Column::UserAgent.is_null()),
    };
    query = match ip {
        Some(ip) => query.filter(sessions::Column::Ip.eq(ip)),
        None => query.filter(sessions::Column::Ip.is_null()),
    };
    Ok(query.count(conn).await? > 0)
}

#[cfg(test)]
mod tests {
    use std::time::Duration as StdDuration;

    use authdb_domain::{Email, Username};
    use sea_orm::DatabaseConnection;
    use time::Duration;

    use super::*;
    use crate::{
        DatabaseConfig, connect, migrate_up,
        users::{self as user_repo, NewUser},
    };

    async fn database(dir: &tempfile::TempDir) -> DatabaseConnection {
        let config = DatabaseConfig {
            url: format!("sqlite://{}", dir.path().join("test.db").display()),
            max_connections: 2,
            min_connections: 1,
            connect_timeout: StdDuration::from_secs(5),
            acquire_timeout: StdDuration::from_secs(5),
            idle_timeout: None,
            max_lifetime: None,
        };
        let db = connect(&config).await.expect("connects");
        migrate_up(&db).await.expect("migrates");
        db
    }

    /// A user with one session and one live refresh token (`hash`); returns the user's id.
    async fn user_with_token(
        db: &DatabaseConnection,
        name: &str,
        hash: &str,
        now: OffsetDateTime,
    ) -> (UserId, SessionId) {
        let new = NewUser {
            email: Email::parse(&format!("{name}@example.com")).expect("valid"),
            username: Username::parse(name).expect("valid"),
            password_hash: "not-a-hash".into(),
            full_name: None,
            is_superuser: false,
            is_verified: false,
        };
        let user = user_repo::insert(db, new, now).await.expect("user");
        let expires_at = now + Duration::days(1);
        let session = NewSession {
            user_id: user.id,
            organization_id: None,
            user_agent: None,
            ip: None,
            client_id: None,
            expires_at,
            authentication: SessionAuthentication { methods: AuthMethods::password(), auth_time: now },
        };
        let session = insert_session(db, session, now).await.expect("session");
        insert_refresh_token(db, session, hash, None, now, expires_at).await.expect("token");
        (user.id, session)
    }

    fn rotation<'a>(
        presented: &PresentedToken,
        hash: &'a str,
        successor: &'a str,
        now: OffsetDateTime,
    ) -> Rotation<'a> {
        Rotation {
            token_hash: hash,
            token_id: presented.token.token_id,
            session_id: presented.token.session_id,
            successor_hash: successor,
            expires_at: presented.token.session_expires_at,
            ip: Some("192.0.2.1"),
            user_agent: None,
            organization_id: None,
            now,
        }
    }

    #[tokio::test]
    async fn a_live_token_is_found_with_its_user_and_rotated_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = database(&dir).await;
        let gate = WriteGate::new(db.clone());
        let now = crate::now();
        let (user, session) = user_with_token(&db, "alice", "h1", now).await;

        let presented = find_presented(&db, "h1", now).await.expect("reads").expect("found");
        assert!(presented.spendable);
        assert_eq!((presented.user.id, presented.token.session_id, presented.token.user_id), (user, session, user));
        assert!(find_presented(&db, "never-issued", now).await.expect("reads").is_none());

        assert!(rotate_refresh_token(&gate, &rotation(&presented, "h1", "h2", now)).await.expect("rotates"));
        assert!(
            !rotate_refresh_token(&gate, &rotation(&presented, "h1", "h3", now)).await.expect("writes nothing"),
            "spent once only"
        );
        assert!(refresh_token_is_live(&db, "h2", now).await.expect("reads"), "the successor is stored");
        assert!(find_presented(&db, "h3", now).await.expect("reads").is_none(), "the loser stored nothing");
        let successor = find_presented(&db, "h2", now).await.expect("reads").expect("found");
        assert_eq!(successor.token.session_id, session);
        assert!(successor.spendable);
        let touched = sessions::Entity::find_by_id(session.as_uuid()).one(&db).await.expect("reads").expect("found");
        assert_eq!(touched.ip.as_deref(), Some("192.0.2.1"));
        assert!(!find_presented(&db, "h1", now).await.expect("reads").expect("found").spendable);
        assert!(matches!(spend_refresh_token(&db, "h1", now).await.expect("reads"), SpendOutcome::Reused { .. }));
    }

    #[tokio::test]
    async fn a_token_of_a_revoked_session_or_a_deactivated_user_is_not_rotated() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = database(&dir).await;
        let gate = WriteGate::new(db.clone());
        let now = crate::now();
        let (_, session) = user_with_token(&db, "alice", "a1", now).await;
        let (bob, _) = user_with_token(&db, "bob", "b1", now).await;
        let alices = find_presented(&db, "a1", now).await.expect("reads").expect("found");
        let bobs = find_presented(&db, "b1", now).await.expect("reads").expect("found");
        // Only the rows the rotation re-checks change; the tokens themselves stay live.
        sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, Expr::value(Some(now)))
            .filter(sessions::Column::Id.eq(session.as_uuid()))
            .exec(&db)
            .await
            .expect("revokes the session row");
        users::Entity::update_many()
            .col_expr(users::Column::IsActive, Expr::value(false))
            .filter(users::Column::Id.eq(bob.as_uuid()))
            .exec(&db)
            .await
            .expect("deactivates");

        assert!(!find_presented(&db, "a1", now).await.expect("reads").expect("found").spendable);
        assert!(!rotate_refresh_token(&gate, &rotation(&alices, "a1", "a2", now)).await.expect("writes nothing"));
        let bobs_now = find_presented(&db, "b1", now).await.expect("reads").expect("found");
        assert!(bobs_now.spendable && !bobs_now.user.is_active, "activity is the caller's to check");
        assert!(!rotate_refresh_token(&gate, &rotation(&bobs, "b1", "b2", now)).await.expect("writes nothing"));
        let later = now + Duration::days(2);
        assert!(!rotate_refresh_token(&gate, &rotation(&bobs, "b1", "b3", later)).await.expect("expired"));
        for hash in ["a2", "b2", "b3"] {
            assert!(find_presented(&db, hash, now).await.expect("reads").is_none(), "{hash} was not stored");
        }
        assert!(refresh_token_is_live(&db, "b1", now).await.expect("reads"), "nothing was spent");
    }

    #[tokio::test]
    async fn a_failed_rotation_rolls_back_and_leaves_no_transaction_open() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = database(&dir).await;
        let gate = WriteGate::new(db.clone());
        let now = crate::now();
        user_with_token(&db, "alice", "a1", now).await;
        user_with_token(&db, "bob", "b1", now).await;
        let alices = find_presented(&db, "a1", now).await.expect("reads").expect("found");

        // A successor hash that is already taken fails the INSERT after the UPDATE spent.
        let failed = rotate_refresh_token(&gate, &rotation(&alices, "a1", "b1", now)).await;

        assert!(matches!(failed, Err(PersistenceError::Conflict { fields: &["token_hash"] })), "{failed:?}");
        assert!(refresh_token_is_live(&db, "a1", now).await.expect("reads"), "the spend was rolled back");
        // The write lock is free again: the next rotation (and any other write) goes through.
        assert!(rotate_refresh_token(&gate, &rotation(&alices, "a1", "a2", now)).await.expect("rotates"));
        let txn = gate.begin().await.expect("begins");
        touch_session(&*txn, alices.token.session_id, now, None, None).await.expect("writes");
        txn.commit().await.expect("commits");
    }
}
