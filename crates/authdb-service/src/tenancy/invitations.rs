//! Invitations to an organization: issue, list, withdraw, accept.

use std::collections::HashMap;

use authdb_auth::{OpaqueToken, TokenHash};
use authdb_domain::{
    AuditAction, BuiltInRole, Email, InvitationId, OrganizationWithRole, Page, Paged, Permission, Role, RoleId,
    RoleName, UserId,
};
use authdb_persistence::{
    PersistenceError, invitations,
    invitations::{Invitation, NewInvitation},
    memberships, now, organizations, roles, users,
};
use serde_json::json;

use super::{OrganizationService, already_a_member};
use crate::{
    ClientInfo, Principal, Result, ServiceError, StepUp,
    audit::Target,
    mail_templates::Message,
    membership::{Membership, grant_refusal},
    replica::{Change, Invalidation},
    write::{Record, Stale, TenantWrite, Write},
};

/// A created invitation. Its token is mailed to the invitee and stored only as a hash; it
/// is handed back too only when the policy says so (no mail is delivered).
#[derive(Debug)]
pub struct IssuedInvitation {
    pub invitation: Invitation,
    pub role: RoleName,
    /// `Some` only with [`super::OrganizationPolicy::hand_back_invitation_tokens`].
    pub token: Option<OpaqueToken>,
}

/// A pending invitation with the name of the role it offers.
#[derive(Debug, Clone)]
pub struct PendingInvitation {
    pub invitation: Invitation,
    pub role: RoleName,
}

const INVITATION: &str = "invitation";

impl OrganizationService {
    /// Invites `email` in the role named `role`: the invitation is stored and its link
    /// mailed to `email` in one transaction. The token is returned only when the policy
    /// hands tokens back. Inviting to `owner` is a sensitive action ([`StepUp`]).
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn invite(
        &self,
        step_up: &StepUp,
        membership: &Membership,
        email: Email,
        role: &RoleName,
        client: &ClientInfo,
    ) -> Result<IssuedInvitation> {
        membership.require(Permission::MembersManage)?;
        let db = self.core.db();
        let role = self.grantable_role(membership, role).await?;
        // An invitation to `owner` grants it once accepted: a sensitive action.
        if role.id == BuiltInRole::Owner.id() {
            step_up.require_for(membership.user_id()).await?;
        }
        // One query whether or not an account has this address: neither the answer nor
        // its timing tells the inviter whether one exists.
        if memberships::has_member_with_email(db, membership.tenant(), &email).await? {
            return Err(already_a_member());
        }
        let token = OpaqueToken::generate()?;
        let mut write = TenantWrite::begin(&self.core, membership, Permission::MembersManage, client).await?;
        let organization = organizations::find(write.conn(), write.tenant()).await?;
        // The inviter is named by username; a superuser acting from outside too.
        let inviter = users::find_by_id(write.conn(), membership.user_id())
            .await?
            .map(|user| user.username.as_ref().to_owned())
            .ok_or_else(|| ServiceError::Internal("the inviter's account is missing".into()))?;
        let new = NewInvitation {
            email,
            role_id: role.id,
            token_hash: token.hash().as_str().to_owned(),
            invited_by: membership.user_id(),
            expires_at: write.now() + self.policy.invitation_ttl,
        };
        let invitation = invitations::insert(write.conn(), write.tenant(), new, write.now()).await?;
        write
            .mail(Message::Invitation {
                to: &invitation.email,
                organization: &organization.name,
                inviter: &inviter,
                role: role.name.as_str(),
                token: &token,
                valid_for: self.policy.invitation_ttl,
            })
            .await?;
        let invited = Record::new(AuditAction::InvitationCreated, Target::Invitation(invitation.id))
            .details(json!({ "email": invitation.email.as_str(), "after_role": role.name.as_str() }));
        // Nobody is a member until the invitation is accepted.
        write.commit(invited, Stale::Nothing).await?;
        let token = self.policy.hand_back_invitation_tokens.then_some(token);
        Ok(IssuedInvitation { invitation, role: role.name, token })
    }

    pub async fn list_invitations(&self, membership: &Membership, page: Page) -> Result<Paged<PendingInvitation>> {
        membership.require(Permission::MembersManage)?;
        let db = self.core.db();
        let listed = invitations::list_pending(db, membership.tenant(), now(), page).await?;
        let names = roles::list(db, membership.tenant(), Page::first(Page::MAX_LIMIT)).await?;
        let mut pending = Vec::with_capacity(listed.items.len());
        for invitation in listed.items {
            let role = match names.items.iter().find(|role| role.id == invitation.role_id) {
                Some(role) => role.name.clone(),
                // Beyond the first page of roles. A role that pending invitations offer
                // cannot be deleted, so it is there.
                None => roles::find(db, membership.tenant(), invitation.role_id)
                    .await?
                    .map(|role| role.name)
                    .ok_or_else(|| ServiceError::Internal("a pending invitation offers a missing role".into()))?,
            };
            pending.push(PendingInvitation { invitation, role });
        }
        Ok(Paged { items: pending, total: listed.total, page: listed.page })
    }

    /// Withdraws a pending invitation: its token stops working.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), invitation_id = %id))]
    pub async fn revoke_invitation(
        &self,
        membership: &Membership,
        id: InvitationId,
        client: &ClientInfo,
    ) -> Result<()> {
        let write = TenantWrite::begin(&self.core, membership, Permission::MembersManage, client).await?;
        if !invitations::delete(write.conn(), write.tenant(), id).await? {
            return Err(ServiceError::NotFound { entity: INVITATION });
        }
        write.commit(Record::new(AuditAction::InvitationRevoked, Target::Invitation(id)), Stale::Nothing).await
    }

    /// Spends an invitation and makes the caller a member. The invitation must have been
    /// sent to the caller's email address, its organization must not be suspended, and its
    /// inviter must still be able to grant its role (a member who may, or a superuser);
    /// otherwise the invitation is revoked, the refusal recorded, and the answer is
    /// [`ServiceError::InvitationRevoked`]. The token came by mail to that address, so
    /// accepting it proves the address: an unverified one is marked verified.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn accept_invitation(
        &self,
        principal: &Principal,
        token: &str,
        client: &ClientInfo,
    ) -> Result<OrganizationWithRole> {
        let hash = TokenHash::of(token);
        let user = principal.user.id;
        let write = Write::begin(&self.core).await?;
        let Some(claimed) = invitations::claim(write.conn(), hash.as_str(), user, write.now()).await? else {
            return Err(ServiceError::NotFound { entity: INVITATION });
        };
        if claimed.invitation.email != principal.user.email {
            // Dropping the write rolls the claim back: the invitee may still use it.
            return Err(ServiceError::Forbidden("this invitation was sent to another email address".into()));
        }
        let mut write = write.into_tenant(claimed.tenant, user, client);
        let organization = organizations::find(write.conn(), write.tenant()).await?;
        if !organization.is_active {
            // Dropping the write rolls the claim back: the invitation waits for the
            // suspension to be lifted.
            return Err(ServiceError::OrganizationSuspended);
        }
        let role = roles::find(write.conn(), write.tenant(), claimed.invitation.role_id)
            .await?
            .ok_or(ServiceError::NotFound { entity: "role" })?;
        if let Some(reason) = inviter_refusal(&write, claimed.invitation.invited_by, &role).await? {
            invitations::delete_ids(write.conn(), write.tenant(), &[claimed.invitation.id]).await?;
            write.record(revoked(&claimed.invitation, &role, "inviter_lacks_right")).await?;
            let refused = Record::new(AuditAction::InvitationAcceptRefused, Target::Invitation(claimed.invitation.id))
                .details(json!({ "reason": reason, "invited_by": claimed.invitation.invited_by, "role": role.name.as_str() }))
                .refused();
            write.commit(refused, Stale::Nothing).await?;
            return Err(ServiceError::InvitationRevoked);
        }
        match memberships::insert(write.conn(), write.tenant(), user, claimed.invitation.role_id, write.now()).await {
            Ok(()) => {}
            Err(PersistenceError::Conflict { .. }) => return Err(already_a_member()),
            Err(error) => return Err(error.into()),
        }
        if !principal.user.is_verified
            && users::mark_verified(write.conn(), user, claimed.invitation.email.as_str(), write.now()).await?
        {
            let verified = Record::new(AuditAction::EmailVerified, Target::User(user))
                .details(json!({ "via": "invitation", "invitation_id": claimed.invitation.id }));
            write.record(verified).await?;
            // Cached copies of the user would still say unverified.
            write.publish(Change::UserChanged(user)).await?;
        }
        let accepted = Record::new(AuditAction::InvitationAccepted, Target::Invitation(claimed.invitation.id)).details(
            json!({ "before_role": null, "after_role": role.name.as_str(), "invited_by": claimed.invitation.invited_by }),
        );
        write.commit(accepted, Stale::Memberships(Invalidation::Member(user, organization.id))).await?;
        Ok(OrganizationWithRole { organization, role: role.name })
    }
}

/// Revokes the tenant's pending invitations (those `issued_by` one user, or all) whose
/// inviter can no longer grant the role they offer: the inviter was removed, lost
/// `members:manage` or a permission of the role, or is no longer an owner for an
/// invitation to `owner`. Runs inside the write that changed the inviter's rights, under
/// the organization's row lock, and records `invitation.revoked` for each, with `reason`.
pub(super) async fn revoke_ungrantable_invitations(
    write: &TenantWrite<'_>,
    issued_by: Option<UserId>,
    reason: &str,
) -> Result<()> {
    let pending = invitations::pending_issued(write.conn(), write.tenant(), issued_by, write.now()).await?;
    let mut roles_seen: HashMap<RoleId, Role> = HashMap::new();
    let mut refused = Vec::new();
    for invitation in pending {
        let role = match roles_seen.get(&invitation.role_id) {
            Some(role) => role.clone(),
            None => {
                let role = roles::find(write.conn(), write.tenant(), invitation.role_id)
                    .await?
                    .ok_or_else(|| ServiceError::Internal("a pending invitation offers a missing role".into()))?;
                roles_seen.insert(role.id, role.clone());
                role
            }
        };
        if inviter_refusal(write, invitation.invited_by, &role).await?.is_some() {
            refused.push((invitation, role));
        }
    }
    let ids: Vec<InvitationId> = refused.iter().map(|(invitation, _)| invitation.id).collect();
    invitations::delete_ids(write.conn(), write.tenant(), &ids).await?;
    for (invitation, role) in &refused {
        write.record(revoked(invitation, role, reason)).await?;
    }
    if !refused.is_empty() {
        tracing::info!(revoked = refused.len(), reason, "pending invitations revoked");
    }
    Ok(())
}

/// Why the inviter can no longer grant `role` (as of this write), or `None` if they still
/// can: an active account that is a member whose role may grant it, or a superuser.
async fn inviter_refusal(write: &TenantWrite<'_>, inviter: Option<UserId>, role: &Role) -> Result<Option<String>> {
    let Some(inviter) = inviter else { return Ok(Some("the inviter's account no longer exists".into())) };
    match users::find_by_id(write.conn(), inviter).await? {
        Some(account) if account.is_active => {}
        Some(_) => return Ok(Some("the inviter's account is deactivated".into())),
        None => return Ok(Some("the inviter's account no longer exists".into())),
    }
    let refusal = match memberships::find(write.conn(), write.tenant(), inviter).await? {
        Some(held) => {
            let is_owner = held.id == BuiltInRole::Owner.id();
            match grant_refusal(&held, is_owner, role.id, role.permissions) {
                None => return Ok(None),
                Some(reason) => reason,
            }
        }
        None => "the inviter is no longer a member".to_owned(),
    };
    if users::superuser_context(write.conn(), inviter).await?.is_some() {
        return Ok(None);
    }
    Ok(Some(refusal))
}

/// The audit record of an invitation revoked because its inviter lost the right to grant
/// its role.
fn revoked(invitation: &Invitation, role: &Role, reason: &str) -> Record {
    Record::new(AuditAction::InvitationRevoked, Target::Invitation(invitation.id)).details(json!({
        "automatic": true,
        "reason": reason,
        "email": invitation.email.as_str(),
        "role": role.name.as_str(),
        "invited_by": invitation.invited_by,
    }))
}
