//! Members of an organization: list, add (superusers; everyone else invites), change
//! their role, remove.

use authdb_domain::{
    AuditAction, BuiltInRole, Member, MemberRole, MemberSortKey, Page, Paged, Permission, RoleId, RoleName, Sort,
    UserId,
};
use authdb_persistence::{PersistenceError, memberships, users};
use serde_json::json;

use super::{OrganizationService, already_a_member, invitations::revoke_ungrantable_invitations};
use crate::{
    ClientInfo, Principal, Result, ServiceError, StepUp,
    audit::Target,
    membership::Membership,
    replica::Invalidation,
    write::{Record, Stale, TenantWrite},
};

const MEMBER: &str = "member";

impl OrganizationService {
    pub async fn list_members(
        &self,
        membership: &Membership,
        search: Option<&str>,
        sort: Sort<MemberSortKey>,
        page: Page,
    ) -> Result<Paged<Member>> {
        membership.require(Permission::MembersRead)?;
        Ok(memberships::list(self.core.db(), membership.tenant(), search, sort, page).await?)
    }

    /// Adds the user `user` directly, in the role named `role`: superusers only (the
    /// superuser flag is read from the database). Everyone else adds people by inviting
    /// them ([`OrganizationService::invite`]), so nobody becomes a member without
    /// accepting, and nobody learns whether an address has an account.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), target = %user))]
    pub async fn add_member_directly(
        &self,
        principal: &Principal,
        membership: &Membership,
        user: UserId,
        role: &RoleName,
        client: &ClientInfo,
    ) -> Result<Member> {
        membership.require(Permission::MembersManage)?;
        self.require_superuser(
            principal,
            "only a superuser may add a member directly by `user_id`; invite others by `email`",
        )
        .await?;
        let db = self.core.db();
        let role = self.grantable_role(membership, role).await?;
        let user = users::find_by_id(db, user).await?.ok_or(ServiceError::NotFound { entity: "user" })?;
        let write = TenantWrite::begin(&self.core, membership, Permission::MembersManage, client).await?;
        write.lock_organization().await?;
        let joined_at = write.now();
        match memberships::insert(write.conn(), write.tenant(), user.id, role.id, joined_at).await {
            Ok(()) => {}
            Err(PersistenceError::Conflict { .. }) => return Err(already_a_member()),
            Err(error) => return Err(error.into()),
        }
        let added = Record::new(AuditAction::MemberAdded, Target::User(user.id))
            .details(json!({ "before_role": null, "after_role": role.name.as_str(), "directly": true }));
        write.commit(added, Stale::Memberships(Invalidation::Member(user.id, membership.organization_id()))).await?;
        Ok(Member {
            user_id: user.id,
            email: user.email,
            username: user.username,
            full_name: user.full_name,
            role: role.name,
            joined_at,
        })
    }

    /// Gives a member another role. Nobody changes the role of a member who holds
    /// permissions they lack, and the last owner cannot be demoted. Granting or taking
    /// away `owner` is a sensitive action ([`StepUp`]).
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), target = %user))]
    pub async fn change_member_role(
        &self,
        step_up: &StepUp,
        membership: &Membership,
        user: UserId,
        role: &RoleName,
        client: &ClientInfo,
    ) -> Result<Member> {
        membership.require(Permission::MembersManage)?;
        let role = self.grantable_role(membership, role).await?;
        // Whether the caller's session is recent enough, judged before the write turn (it
        // may read the caller's factors); needed only if `owner` is granted or taken away.
        let stepped_up = step_up.require_for(membership.user_id()).await;
        let write = TenantWrite::begin(&self.core, membership, Permission::MembersManage, client).await?;
        write.lock_organization().await?;
        let current = memberships::find(write.conn(), write.tenant(), user)
            .await?
            .ok_or(ServiceError::NotFound { entity: MEMBER })?;
        membership.require_all(current.permissions, "changing this member's role")?;
        if current.id != role.id {
            // Taking `owner` away is granting's mirror: only an owner may.
            membership.require_grant(current.id, current.permissions)?;
            if is_owner_role(current.id) || is_owner_role(role.id) {
                stepped_up?;
            }
            refuse_losing_last_owner(&write, &current, "demoted").await?;
            memberships::set_role(write.conn(), write.tenant(), user, role.id, write.now()).await?;
            revoke_ungrantable_invitations(&write, Some(user), "inviter_role_changed").await?;
            let changed = Record::new(AuditAction::MemberRoleChanged, Target::User(user))
                .details(json!({ "before_role": current.name.as_str(), "after_role": role.name.as_str() }));
            write.commit(changed, Stale::Memberships(Invalidation::Member(user, membership.organization_id()))).await?;
        } else {
            // Nothing to change: end the transaction before reading the answer.
            drop(write);
        }
        memberships::get(self.core.db(), membership.tenant(), user)
            .await?
            .ok_or(ServiceError::NotFound { entity: MEMBER })
    }

    /// Removes a member; anyone may remove themselves. The last owner cannot leave.
    /// Removing another member who is an owner is a sensitive action ([`StepUp`]).
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), target = %user))]
    pub async fn remove_member(
        &self,
        step_up: &StepUp,
        membership: &Membership,
        user: UserId,
        client: &ClientInfo,
    ) -> Result<()> {
        let leaving = user == membership.user_id() && !membership.is_superuser_access();
        // Judged before the write turn; needed only to remove another member who is an owner.
        let stepped_up = if leaving { Ok(()) } else { step_up.require_for(membership.user_id()).await };
        let write = if leaving {
            TenantWrite::begin_on_own_membership(&self.core, membership, client).await?
        } else {
            TenantWrite::begin(&self.core, membership, Permission::MembersManage, client).await?
        };
        write.lock_organization().await?;
        let current = memberships::find(write.conn(), write.tenant(), user)
            .await?
            .ok_or(ServiceError::NotFound { entity: MEMBER })?;
        if !leaving {
            membership.require_all(current.permissions, "removing this member")?;
            // Removing an owner takes `owner` away: only an owner may, from a recently
            // authenticated session.
            membership.require_grant(current.id, current.permissions)?;
            if is_owner_role(current.id) {
                stepped_up?;
            }
        }
        refuse_losing_last_owner(&write, &current, "removed").await?;
        memberships::delete(write.conn(), write.tenant(), user).await?;
        // What they invited people to, they can no longer grant.
        revoke_ungrantable_invitations(&write, Some(user), "inviter_removed").await?;
        let removed = Record::new(AuditAction::MemberRemoved, Target::User(user))
            .details(json!({ "before_role": current.name.as_str(), "after_role": null, "left": leaving }));
        write.commit(removed, Stale::Memberships(Invalidation::Member(user, membership.organization_id()))).await
    }
}

/// Whether `role` is the built-in owner role (granting or taking it away needs a step-up).
fn is_owner_role(role: RoleId) -> bool {
    role == BuiltInRole::Owner.id()
}

/// Refuses a change that would leave the organization without an owner. Runs under the
/// organization's row lock, so two demotions cannot both pass it.
async fn refuse_losing_last_owner(write: &TenantWrite<'_>, current: &MemberRole, what: &str) -> Result<()> {
    let owner = BuiltInRole::Owner.id();
    if current.id == owner && memberships::count_with_role(write.conn(), write.tenant(), owner).await? <= 1 {
        return Err(ServiceError::StateConflict(format!(
            "the last owner cannot be {what}; make another member an owner first"
        )));
    }
    Ok(())
}
