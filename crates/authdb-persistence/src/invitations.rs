//! The `invitations` table: single-use, expiring invitations, stored only as hashes.

use authdb_domain::{Email, InvitationId, OrganizationId, Page, Paged, RoleId, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, sea_query::Expr,
};
use time::OffsetDateTime;

use crate::{PersistenceError, Result, TenantId, entities::invitations, rows};

/// An invitation as listed (never with its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: InvitationId,
    pub organization_id: OrganizationId,
    pub email: Email,
    pub role_id: RoleId,
    pub invited_by: Option<UserId>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// An invitation about to be stored.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub email: Email,
    pub role_id: RoleId,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    pub invited_by: UserId,
    pub expires_at: OffsetDateTime,
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    new: NewInvitation,
    now: OffsetDateTime,
) -> Result<Invitation> {
    let model = invitations::ActiveModel {
        id: Set(InvitationId::new().as_uuid()),
        organization_id: Set(tenant.uuid()),
        email: Set(new.email.into_inner()),
        role_id: Set(new.role_id.as_uuid()),
        token_hash: Set(new.token_hash),
        invited_by: Set(Some(new.invited_by.as_uuid())),
        created_at: Set(now),
        expires_at: Set(new.expires_at),
        accepted_at: Set(None),
        accepted_by: Set(None),
    }
    .insert(conn)
    .await?;
    into_invitation(model)
}

/// The tenant's invitations that are neither accepted nor expired, oldest first.
pub async fn list_pending(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    now: OffsetDateTime,
    page: Page,
) -> Result<Paged<Invitation>> {
    let query = invitations::Entity::find()
        .filter(invitations::Column::OrganizationId.eq(tenant.uuid()))
        .filter(invitations::Column::AcceptedAt.is_null())
        .filter(invitations::Column::ExpiresAt.gt(now));
    let total = query.clone().count(conn).await?;
    let items = query
        .order_by_asc(invitations::Column::Id)
        .limit(page.limit())
        .offset(page.offset())
        .all(conn)
        .await?
        .into_iter()
        .map(into_invitation)
        .collect::<Result<_>>()?;
    Ok(Paged { items, total, page })
}

/// Withdraws a pending invitation. Returns whether there was one.
pub async fn delete(conn: &impl ConnectionTrait, tenant: TenantId, id: InvitationId) -> Result<bool> {
    let deleted = invitations::Entity::delete_many()
        .filter(invitations::Column::Id.eq(id.as_uuid()))
        .filter(invitations::Column::OrganizationId.eq(tenant.uuid()))
        .filter(invitations::Column::AcceptedAt.is_null())
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// The tenant's invitations that are neither accepted nor expired, all of them or those
/// `issued_by` one user, oldest first: what a change to an inviter's rights re-examines.
pub async fn pending_issued(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    issued_by: Option<UserId>,
    now: OffsetDateTime,
) -> Result<Vec<Invitation>> {
    let mut query = invitations::Entity::find()
        .filter(invitations::Column::OrganizationId.eq(tenant.uuid()))
        .filter(invitations::Column::AcceptedAt.is_null())
        .filter(invitations::Column::ExpiresAt.gt(now));
    if let Some(inviter) = issued_by {
        query = query.filter(invitations::Column::InvitedBy.eq(inviter.as_uuid()));
    }
    query.order_by_asc(invitations::Column::Id).all(conn).await?.into_iter().map(into_invitation).collect()
}

/// Deletes the tenant's invitations with these ids (pending or just claimed in the
/// caller's transaction). Returns how many there were.
pub async fn delete_ids(conn: &impl ConnectionTrait, tenant: TenantId, ids: &[InvitationId]) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let deleted = invitations::Entity::delete_many()
        .filter(invitations::Column::OrganizationId.eq(tenant.uuid()))
        .filter(invitations::Column::Id.is_in(ids.iter().map(|id| id.as_uuid())))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected)
}

pub(crate) async fn delete_all(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<()> {
    invitations::Entity::delete_many().filter(invitations::Column::OrganizationId.eq(tenant.uuid())).exec(conn).await?;
    Ok(())
}

/// A spent invitation: the tenant it admits to, and on what terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedInvitation {
    pub tenant: TenantId,
    pub invitation: Invitation,
}

/// Spends a live invitation for `user`, atomically: of concurrent claims exactly one
/// succeeds. Unknown, expired or spent tokens give `None`.
///
/// The organization's row lock is taken first, the order every membership change takes
/// (a removal of the inviter locks the organization, then deletes their invitations), so
/// the two cannot deadlock and the caller's check of the inviter sees a settled state.
pub async fn claim(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    user: UserId,
    now: OffsetDateTime,
) -> Result<Option<ClaimedInvitation>> {
    let Some(target) = invitations::Entity::find()
        .select_only()
        .column(invitations::Column::OrganizationId)
        .filter(invitations::Column::TokenHash.eq(token_hash))
        .into_tuple::<uuid::Uuid>()
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    crate::row_lock::organization(conn, TenantId::resolved(OrganizationId::from_uuid(target))).await?;
    let claimed = invitations::Entity::update_many()
        .col_expr(invitations::Column::AcceptedAt, Expr::value(Some(now)))
        .col_expr(invitations::Column::AcceptedBy, Expr::value(Some(user.as_uuid())))
        .filter(invitations::Column::TokenHash.eq(token_hash))
        .filter(invitations::Column::AcceptedAt.is_null())
        .filter(invitations::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?
        .rows_affected
        == 1;
    if !claimed {
        return Ok(None);
    }
    let model = invitations::Entity::find()
        .filter(invitations::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await?
        .ok_or(PersistenceError::NotFound { entity: "invitation" })?;
    let invitation = into_invitation(model)?;
    Ok(Some(ClaimedInvitation { tenant: TenantId::resolved(invitation.organization_id), invitation }))
}

fn into_invitation(model: invitations::Model) -> Result<Invitation> {
    Ok(Invitation {
        id: InvitationId::from_uuid(model.id),
        organization_id: OrganizationId::from_uuid(model.organization_id),
        email: rows::email(&model.email, "invitation")?,
        role_id: RoleId::from_uuid(model.role_id),
        invited_by: model.invited_by.map(UserId::from_uuid),
        created_at: model.created_at,
        expires_at: model.expires_at,
    })
}
