//! The `webauthn_ceremonies` table: the server-side state of a passkey registration or
//! sign-in between its start and its finish. Spent with one conditional update, so that
//! of concurrent finishes exactly one gets the state; expired rows are pruned when new
//! ones are stored.

use authdb_domain::UserId;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{Result, entities::webauthn_ceremonies};

/// What a ceremony is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyPurpose {
    Register,
    Login,
    /// The second step of a password login (bound to its user and its `mfa_token`).
    SecondFactor,
    /// A step-up of a signed-in session (bound to its user).
    StepUp,
}

impl CeremonyPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Login => "login",
            Self::SecondFactor => "mfa",
            Self::StepUp => "step_up",
        }
    }
}

/// A ceremony to store.
#[derive(Debug, Clone)]
pub struct NewCeremony<'a> {
    pub purpose: CeremonyPurpose,
    pub user_id: Option<UserId>,
    pub login: Option<&'a str>,
    pub state: &'a str,
    pub expires_at: OffsetDateTime,
}

/// A ceremony that was just spent.
#[derive(Debug, Clone)]
pub struct SpentCeremony {
    pub user_id: Option<UserId>,
    pub login: Option<String>,
    pub state: String,
}

/// How long after expiry a ceremony row is kept (a finish that comes later is answered
/// the same whether the row is there or not).
const KEEP_EXPIRED: Duration = Duration::hours(1);

/// Stores a ceremony and prunes those expired for a while; returns its id.
pub async fn insert(conn: &impl ConnectionTrait, new: NewCeremony<'_>, now: OffsetDateTime) -> Result<Uuid> {
    webauthn_ceremonies::Entity::delete_many()
        .filter(webauthn_ceremonies::Column::ExpiresAt.lt(now - KEEP_EXPIRED))
        .exec(conn)
        .await?;
    let id = Uuid::now_v7();
    let model = webauthn_ceremonies::ActiveModel {
        id: Set(id),
        purpose: Set(new.purpose.as_str().to_owned()),
        user_id: Set(new.user_id.map(|user| user.as_uuid())),
        login: Set(new.login.map(str::to_owned)),
        state: Set(new.state.to_owned()),
        created_at: Set(now),
        expires_at: Set(new.expires_at),
        used_at: Set(None),
    };
    webauthn_ceremonies::Entity::insert(model).exec_without_returning(conn).await?;
    Ok(id)
}

/// Spends the unexpired, unspent ceremony `id` of `purpose` (bound to `user` when given):
/// one conditional update, so of concurrent callers exactly one wins.
pub async fn spend(
    conn: &impl ConnectionTrait,
    id: Uuid,
    purpose: CeremonyPurpose,
    user: Option<UserId>,
    now: OffsetDateTime,
) -> Result<Option<SpentCeremony>> {
    let mut update = webauthn_ceremonies::Entity::update_many()
        .col_expr(webauthn_ceremonies::Column::UsedAt, Expr::value(Some(now)))
        .filter(webauthn_ceremonies::Column::Id.eq(id))
        .filter(webauthn_ceremonies::Column::Purpose.eq(purpose.as_str()))
        .filter(webauthn_ceremonies::Column::UsedAt.is_null())
        .filter(webauthn_ceremonies::Column::ExpiresAt.gt(now));
    if let Some(user) = user {
        update = update.filter(webauthn_ceremonies::Column::UserId.eq(user.as_uuid()));
    }
    let rows = update.exec_with_returning(conn).await?;
    Ok(rows.into_iter().next().map(|row| SpentCeremony {
        user_id: row.user_id.map(UserId::from_uuid),
        login: row.login,
        state: row.state,
    }))
}
