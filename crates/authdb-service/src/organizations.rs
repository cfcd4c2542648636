//! Organizations, their members, roles and invitations.
//!
//! Every use case on an existing organization takes a [`Membership`]: the caller's
//! resolved standing in it, obtained from [`OrganizationService::resolve`] (through the
//! membership cache). A `Membership` carries the organization's tenant id, so the
//! tenant-scoped repositories can only be reached through a resolution; each use case
//! also checks the permission it needs, so an embedding service that skips the HTTP
//! guards is still safe.

use std::sync::Arc;

use authdb_auth::{OpaqueToken, TokenHash};
use authdb_domain::{
    AuditAction, AuditOutcome, BuiltInRole, Email, InvitationId, Member, MemberRole, MemberSortKey, NewOrganization,
    Organization, OrganizationChanges, OrganizationId, OrganizationWithRole, Page, Paged, Permission, PermissionSet,
    Role, RoleId, RoleName, Sort, UserId,
};
use authdb_persistence::{
    ConnectionTrait, PersistenceError, TenantId, WriteTransaction, audit, invitations,
    invitations::{Invitation, NewInvitation},
    memberships, now, organizations, roles,
    roles::RoleChanges,
    users,
};
use serde_json::json;
use time::Duration;

use crate::{
    AuthService, ClientInfo, Principal, Result, ServiceError,
    auth::event,
    changes::Change,
    membership_cache::{Invalidation, MembershipCache},
};

/// Rules for organizations.
#[derive(Debug, Clone)]
pub struct OrganizationPolicy {
    /// How long an invitation can be accepted.
    pub invitation_ttl: Duration,
}

impl Default for OrganizationPolicy {
    fn default() -> Self {
        Self { invitation_ttl: Duration::days(7) }
    }
}

/// The caller's standing in one organization: the role they hold and what it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    user_id: UserId,
    tenant: TenantId,
    role: MemberRole,
    /// A superuser acting on an organization they are not a member of.
    via_superuser: bool,
}

impl Membership {
    pub fn organization_id(&self) -> OrganizationId {
        self.tenant.organization_id()
    }

    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    pub fn role(&self) -> &MemberRole {
        &self.role
    }

    pub fn permissions(&self) -> PermissionSet {
        self.role.permissions
    }

    pub fn is_superuser_access(&self) -> bool {
        self.via_superuser
    }

    /// The built-in owner role, or a superuser.
    pub fn is_owner(&self) -> bool {
        self.via_superuser || self.role.id == BuiltInRole::Owner.id()
    }

    /// Fails with [`ServiceError::Forbidden`] unless the role grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.role.permissions.contains(permission) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!("your role `{}` lacks the permission {permission}", self.role.name)))
        }
    }

    /// Fails unless the caller holds every permission of `granted`: nobody grants what
    /// they do not hold.
    fn require_all(&self, granted: PermissionSet, what: &str) -> Result<()> {
        let missing = granted.missing_from(self.role.permissions);
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!(
                "{what} would grant permissions your role lacks: {}",
                missing.names().join(", ")
            )))
        }
    }
}

/// A user named in a request to add a member.
#[derive(Debug, Clone)]
pub enum MemberRef {
    Email(Email),
    Id(UserId),
}

/// A new custom role, validated.
#[derive(Debug, Clone)]
pub struct NewRole {
    pub name: RoleName,
    pub description: Option<String>,
    pub permissions: PermissionSet,
}

/// Changes to a custom role.
#[derive(Debug, Clone, Default)]
pub struct RoleUpdate {
    pub name: Option<RoleName>,
    pub description: Option<Option<String>>,
    pub permissions: Option<PermissionSet>,
}

/// A created invitation and its token, which is shown once and stored only as a hash.
#[derive(Debug)]
pub struct IssuedInvitation {
    pub invitation: Invitation,
    pub role: String,
    pub token: OpaqueToken,
}

/// A pending invitation with the name of the role it offers.
#[derive(Debug, Clone)]
pub struct PendingInvitation {
    pub invitation: Invitation,
    pub role: String,
}

/// Organizations, members, roles and invitations.
#[derive(Clone)]
pub struct OrganizationService {
    auth: AuthService,
    policy: OrganizationPolicy,
    cache: Arc<MembershipCache>,
}

impl std::fmt::Debug for OrganizationService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrganizationService").field("policy", &self.policy).finish_non_exhaustive()
    }
}

const ORGANIZATION: &str = "organization";

impl OrganizationService {
    /// Shares the database, write gate and caches of `auth`. The membership cache lives
    /// beside the session cache, where the change feed keeps both current.
    pub fn new(auth: AuthService, policy: OrganizationPolicy) -> Self {
        let cache = Arc::clone(auth.membership_cache());
        Self { auth, policy, cache }
    }

    /// The membership cache of this process.
    pub fn membership_cache(&self) -> &MembershipCache {
        &self.cache
    }

    /// Commits a membership or role change and invalidates the cached memberships it
    /// affects: in this process at once, in the others (through the change feed) when
    /// the commit is delivered to them.
    async fn commit_change(&self, txn: WriteTransaction, what: Invalidation) -> Result<()> {
        Change::MembershipChanged(what).publish(&*txn).await?;
        txn.commit().await?;
        self.cache.invalidate(what);
        Ok(())
    }

    /// The caller's membership in `organization`. A non-member (and an unknown
    /// organization) is [`ServiceError::NotFound`], never forbidden: existence does not
    /// leak. A superuser who is not a member acts with the owner's permissions.
    pub async fn resolve(&self, principal: &Principal, organization: OrganizationId) -> Result<Membership> {
        let user = principal.user.id;
        let found = match self.cache.get(user, organization) {
            Some(cached) => cached,
            None => {
                let read_in = self.cache.generation();
                let found = self.resolve_from_database(principal, organization).await?;
                self.cache.insert(read_in, user, organization, found.clone());
                found
            }
        };
        found.ok_or(ServiceError::NotFound { entity: ORGANIZATION })
    }

    async fn resolve_from_database(
        &self,
        principal: &Principal,
        organization: OrganizationId,
    ) -> Result<Option<Membership>> {
        let db = self.auth.db();
        if let Some(resolved) = memberships::resolve(db, principal.user.id, organization).await? {
            return Ok(Some(Membership {
                user_id: resolved.user_id,
                tenant: resolved.tenant,
                role: resolved.role,
                via_superuser: false,
            }));
        }
        if !principal.user.is_superuser {
            return Ok(None);
        }
        let Some(superuser) = users::superuser_context(db, principal.user.id).await? else { return Ok(None) };
        let tenant = superuser.tenant(organization);
        // The organization must exist for a superuser too.
        match organizations::find(db, tenant).await {
            Ok(_) => {}
            Err(PersistenceError::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(error.into()),
        }
        let owner = BuiltInRole::Owner;
        let role = MemberRole {
            id: owner.id(),
            name: owner.name().to_owned(),
            permissions: owner.permissions(),
            built_in: true,
        };
        Ok(Some(Membership { user_id: principal.user.id, tenant, role, via_superuser: true }))
    }

    /// The role `user` holds in `organization` (name and permissions), for org-scoped
    /// tokens; `None` when not a member.
    pub async fn member_role(&self, user: UserId, organization: OrganizationId) -> Result<Option<MemberRole>> {
        Ok(memberships::member_role(self.auth.db(), user, organization).await?)
    }

    // ----- organizations -------------------------------------------------------------

    /// Creates an organization whose owner is the caller. License fields need a
    /// superuser.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id, slug = new.slug.as_str()))]
    pub async fn create(
        &self,
        principal: &Principal,
        new: NewOrganization,
        client: &ClientInfo,
    ) -> Result<OrganizationWithRole> {
        if !new.license.is_empty() {
            self.require_superuser(principal, "only a superuser may set license fields").await?;
        }
        let now = now();
        let txn = self.auth.writes().begin().await?;
        let (organization, owner) = organizations::create_with_owner(&*txn, new, principal.user.id, now).await?;
        let mut created =
            event(AuditAction::OrganizationCreated, Some(principal.user.id), client, AuditOutcome::Success);
        created.organization = Some(organization.id);
        created.target = Some(format!("organization:{}", organization.id));
        created.details = json!({ "slug": organization.slug, "after_role": owner.role.name });
        audit::record(&*txn, created, now).await?;
        self.commit_change(txn, Invalidation::Member(principal.user.id, organization.id)).await?;
        tracing::info!(organization_id = %organization.id, "organization created");
        Ok(OrganizationWithRole { organization, role: owner.role.name })
    }

    /// The caller's organizations with the role held in each.
    pub async fn list_mine(&self, principal: &Principal, page: Page) -> Result<Paged<OrganizationWithRole>> {
        Ok(memberships::list_for_user(self.auth.db(), principal.user.id, page).await?)
    }

    pub async fn get(&self, membership: &Membership) -> Result<Organization> {
        membership.require(Permission::OrgRead)?;
        Ok(organizations::find(self.auth.db(), membership.tenant).await?)
    }

    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn update(
        &self,
        principal: &Principal,
        membership: &Membership,
        changes: OrganizationChanges,
        client: &ClientInfo,
    ) -> Result<Organization> {
        membership.require(Permission::OrgUpdate)?;
        if !changes.license.is_empty() {
            self.require_superuser(principal, "only a superuser may set license fields").await?;
        }
        if changes.is_empty() {
            return self.get(membership).await;
        }
        let changed = changed_fields(&changes);
        let now = now();
        let txn = self.auth.writes().begin().await?;
        let organization = organizations::update(&*txn, membership.tenant, changes, now).await?;
        let mut updated = self.org_event(AuditAction::OrganizationUpdated, membership, client);
        updated.details = json!({ "fields": changed });
        audit::record(&*txn, updated, now).await?;
        txn.commit().await?;
        Ok(organization)
    }

    /// Deletes the organization with its memberships, custom roles and invitations, in
    /// one transaction. Only an owner may.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn delete(&self, membership: &Membership, client: &ClientInfo) -> Result<()> {
        membership.require(Permission::OrgDelete)?;
        if !membership.is_owner() {
            return Err(ServiceError::Forbidden("only an owner may delete the organization".into()));
        }
        let now = now();
        let txn = self.auth.writes().begin().await?;
        let organization = organizations::find(&*txn, membership.tenant).await?;
        // Recorded first: deleting the organization clears `organization_id` on its
        // events, so the id is also kept in the target.
        let mut deleted = self.org_event(AuditAction::OrganizationDeleted, membership, client);
        deleted.details = json!({ "slug": organization.slug, "name": organization.name });
        audit::record(&*txn, deleted, now).await?;
        organizations::delete(&*txn, membership.tenant).await?;
        self.commit_change(txn, Invalidation::Organization(membership.organization_id())).await?;
        tracing::info!("organization deleted");
        Ok(())
    }

    // ----- members -------------------------------------------------------------------

    pub async fn list_members(
        &self,
        membership: &Membership,
        search: Option<&str>,
        sort: Sort<MemberSortKey>,
        page: Page,
    ) -> Result<Paged<Member>> {
        membership.require(Permission::MembersRead)?;
        Ok(memberships::list(self.auth.db(), membership.tenant, search, sort, page).await?)
    }

    /// Adds an existing user in the role named `role`.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn add_member(
        &self,
        membership: &Membership,
        who: MemberRef,
        role: &RoleName,
        client: &ClientInfo,
    ) -> Result<Member> {
        membership.require(Permission::MembersManage)?;
        let db = self.auth.db();
        let role = self.grantable_role(db, membership, role).await?;
        let user = match &who {
            MemberRef::Email(email) => users::find_by_email(db, email).await?,
            MemberRef::Id(id) => users::find_by_id(db, *id).await?,
        };
        let user = user.ok_or(ServiceError::NotFound { entity: "user" })?;
        let now = now();
        let txn = self.auth.writes().begin().await?;
        organizations::lock(&*txn, membership.tenant).await?;
        match memberships::insert(&*txn, membership.tenant, user.id, role.id, now).await {
            Ok(()) => {}
            Err(PersistenceError::Conflict { .. }) => return Err(already_a_member()),
            Err(error) => return Err(error.into()),
        }
        let mut added = self.member_event(AuditAction::MemberAdded, membership, user.id, client);
        added.details = json!({ "before_role": null, "after_role": role.name });
        audit::record(&*txn, added, now).await?;
        self.commit_change(txn, Invalidation::Member(user.id, membership.organization_id())).await?;
        Ok(Member {
            user_id: user.id,
            email: user.email,
            username: user.username,
            full_name: user.full_name,
            role: role.name,
            joined_at: now,
        })
    }

    /// Gives a member another role. Nobody changes the role of a member who holds
    /// permissions they lack, and the last owner cannot be demoted.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), target = %user))]
    pub async fn change_member_role(
        &self,
        membership: &Membership,
        user: UserId,
        role: &RoleName,
        client: &ClientInfo,
    ) -> Result<Member> {
        membership.require(Permission::MembersManage)?;
        let db = self.auth.db();
        let role = self.grantable_role(db, membership, role).await?;
        let now = now();
        let txn = self.auth.writes().begin().await?;
        organizations::lock(&*txn, membership.tenant).await?;
        let current = memberships::find(&*txn, membership.tenant, user)
            .await?
            .ok_or(ServiceError::NotFound { entity: "member" })?;
        membership.require_all(current.permissions, "changing this member's role")?;
        if current.id != role.id {
            self.refuse_losing_last_owner(&*txn, membership.tenant, &current, "demoted").await?;
            memberships::set_role(&*txn, membership.tenant, user, role.id, now).await?;
            let mut changed = self.member_event(AuditAction::MemberRoleChanged, membership, user, client);
            changed.details = json!({ "before_role": current.name, "after_role": role.name });
            audit::record(&*txn, changed, now).await?;
            self.commit_change(txn, Invalidation::Member(user, membership.organization_id())).await?;
        } else {
            drop(txn);
        }
        memberships::get(self.auth.db(), membership.tenant, user)
            .await?
            .ok_or(ServiceError::NotFound { entity: "member" })
    }

    /// Removes a member; anyone may remove themselves. The last owner cannot leave.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), target = %user))]
    pub async fn remove_member(&self, membership: &Membership, user: UserId, client: &ClientInfo) -> Result<()> {
        let leaving = user == membership.user_id && !membership.via_superuser;
        if !leaving {
            membership.require(Permission::MembersManage)?;
        }
        let now = now();
        let txn = self.auth.writes().begin().await?;
        organizations::lock(&*txn, membership.tenant).await?;
        let current = memberships::find(&*txn, membership.tenant, user)
            .await?
            .ok_or(ServiceError::NotFound { entity: "member" })?;
        if !leaving {
            membership.require_all(current.permissions, "removing this member")?;
        }
        self.refuse_losing_last_owner(&*txn, membership.tenant, &current, "removed").await?;
        memberships::delete(&*txn, membership.tenant, user).await?;
        let mut removed = self.member_event(AuditAction::MemberRemoved, membership, user, client);
        removed.details = json!({ "before_role": current.name, "after_role": null, "left": leaving });
        audit::record(&*txn, removed, now).await?;
        self.commit_change(txn, Invalidation::Member(user, membership.organization_id())).await?;
        Ok(())
    }

    async fn refuse_losing_last_owner(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        current: &MemberRole,
        what: &str,
    ) -> Result<()> {
        let owner = BuiltInRole::Owner.id();
        if current.id == owner && memberships::count_with_role(conn, tenant, owner).await? <= 1 {
            return Err(ServiceError::StateConflict(format!(
                "the last owner cannot be {what}; make another member an owner first"
            )));
        }
        Ok(())
    }

    // ----- roles ---------------------------------------------------------------------

    pub async fn list_roles(&self, membership: &Membership, page: Page) -> Result<Paged<Role>> {
        membership.require(Permission::OrgRead)?;
        Ok(roles::list(self.auth.db(), membership.tenant, page).await?)
    }

    pub async fn get_role(&self, membership: &Membership, id: RoleId) -> Result<Role> {
        membership.require(Permission::OrgRead)?;
        roles::find(self.auth.db(), membership.tenant, id).await?.ok_or(ServiceError::NotFound { entity: "role" })
    }

    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn create_role(&self, membership: &Membership, new: NewRole, client: &ClientInfo) -> Result<Role> {
        membership.require(Permission::RolesManage)?;
        membership.require_all(new.permissions, "this role")?;
        let now = now();
        let txn = self.auth.writes().begin().await?;
        let role = roles::insert(&*txn, membership.tenant, &new.name, new.description, new.permissions, now).await?;
        let mut created = self.role_event(AuditAction::RoleCreated, membership, role.id, client);
        created.details = json!({ "name": role.name, "permissions": role.permissions.names() });
        audit::record(&*txn, created, now).await?;
        txn.commit().await?;
        Ok(role)
    }

    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), role_id = %id))]
    pub async fn update_role(
        &self,
        membership: &Membership,
        id: RoleId,
        update: RoleUpdate,
        client: &ClientInfo,
    ) -> Result<Role> {
        membership.require(Permission::RolesManage)?;
        let current = self.custom_role(membership, id).await?;
        membership.require_all(current.permissions, "changing this role")?;
        if let Some(permissions) = update.permissions {
            membership.require_all(permissions, "this change")?;
        }
        let now = now();
        let txn = self.auth.writes().begin().await?;
        let changes =
            RoleChanges { name: update.name, description: update.description, permissions: update.permissions };
        let role = roles::update(&*txn, membership.tenant, id, changes, now).await?;
        let mut updated = self.role_event(AuditAction::RoleUpdated, membership, id, client);
        updated.details = json!({
            "before": { "name": current.name, "permissions": current.permissions.names() },
            "after": { "name": role.name, "permissions": role.permissions.names() },
        });
        audit::record(&*txn, updated, now).await?;
        // Every member holding the role has new permissions.
        self.commit_change(txn, Invalidation::Organization(membership.organization_id())).await?;
        Ok(role)
    }

    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), role_id = %id))]
    pub async fn delete_role(&self, membership: &Membership, id: RoleId, client: &ClientInfo) -> Result<()> {
        membership.require(Permission::RolesManage)?;
        let current = self.custom_role(membership, id).await?;
        membership.require_all(current.permissions, "deleting this role")?;
        let now = now();
        let txn = self.auth.writes().begin().await?;
        if roles::in_use(&*txn, membership.tenant, id).await? {
            return Err(ServiceError::StateConflict(
                "the role is in use by members or pending invitations; give them another role first".into(),
            ));
        }
        roles::delete(&*txn, membership.tenant, id).await?;
        let mut deleted = self.role_event(AuditAction::RoleDeleted, membership, id, client);
        deleted.details = json!({ "name": current.name, "permissions": current.permissions.names() });
        audit::record(&*txn, deleted, now).await?;
        self.commit_change(txn, Invalidation::Organization(membership.organization_id())).await?;
        Ok(())
    }

    /// One of the organization's own roles; built-in roles cannot be changed.
    async fn custom_role(&self, membership: &Membership, id: RoleId) -> Result<Role> {
        let role = roles::find(self.auth.db(), membership.tenant, id)
            .await?
            .ok_or(ServiceError::NotFound { entity: "role" })?;
        if role.organization_id.is_none() {
            return Err(ServiceError::Forbidden("built-in roles cannot be changed or deleted".into()));
        }
        Ok(role)
    }

    /// The role named `name` in the caller's organization, provided the caller holds every
    /// permission it grants (nobody hands out more than they have).
    async fn grantable_role(
        &self,
        conn: &impl ConnectionTrait,
        membership: &Membership,
        name: &RoleName,
    ) -> Result<Role> {
        let role = roles::find_by_name(conn, membership.tenant, name).await?.ok_or_else(|| {
            ServiceError::Invalid(vec![authdb_domain::Violation::new(
                "role",
                format!("no role named `{}`", name.as_str()),
            )])
        })?;
        membership.require_all(role.permissions, "this role")?;
        Ok(role)
    }

    // ----- invitations ---------------------------------------------------------------

    /// Invites `email` in the role named `role`. The token is returned once.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn invite(
        &self,
        membership: &Membership,
        email: Email,
        role: &RoleName,
        client: &ClientInfo,
    ) -> Result<IssuedInvitation> {
        membership.require(Permission::MembersManage)?;
        let db = self.auth.db();
        let role = self.grantable_role(db, membership, role).await?;
        if let Some(user) = users::find_by_email(db, &email).await?
            && memberships::find(db, membership.tenant, user.id).await?.is_some()
        {
            return Err(already_a_member());
        }
        let token = OpaqueToken::generate()?;
        let now = now();
        let txn = self.auth.writes().begin().await?;
        let new = NewInvitation {
            email,
            role_id: role.id,
            token_hash: token.hash().as_str().to_owned(),
            invited_by: membership.user_id,
            expires_at: now + self.policy.invitation_ttl,
        };
        let invitation = invitations::insert(&*txn, membership.tenant, new, now).await?;
        let mut invited = self.org_event(AuditAction::InvitationCreated, membership, client);
        invited.target = Some(format!("invitation:{}", invitation.id));
        invited.details = json!({ "email": invitation.email, "after_role": role.name });
        audit::record(&*txn, invited, now).await?;
        txn.commit().await?;
        Ok(IssuedInvitation { invitation, role: role.name, token })
    }

    pub async fn list_invitations(&self, membership: &Membership, page: Page) -> Result<Paged<PendingInvitation>> {
        membership.require(Permission::MembersManage)?;
        let db = self.auth.db();
        let listed = invitations::list_pending(db, membership.tenant, now(), page).await?;
        let names = roles::list(db, membership.tenant, Page::first(Page::MAX_LIMIT)).await?;
        let mut pending = Vec::with_capacity(listed.items.len());
        for invitation in listed.items {
            let role = match names.items.iter().find(|role| role.id == invitation.role_id) {
                Some(role) => role.name.clone(),
                None => roles::find(db, membership.tenant, invitation.role_id)
                    .await?
                    .map(|role| role.name)
                    .unwrap_or_default(),
            };
            pending.push(PendingInvitation { invitation, role });
        }
        Ok(Paged { items: pending, total: listed.total, page: listed.page })
    }

    pub async fn revoke_invitation(&self, membership: &Membership, id: InvitationId) -> Result<()> {
        membership.require(Permission::MembersManage)?;
        let txn = self.auth.writes().begin().await?;
        if !invitations::delete(&*txn, membership.tenant, id).await? {
            return Err(ServiceError::NotFound { entity: "invitation" });
        }
        txn.commit().await?;
        Ok(())
    }

    /// Spends an invitation and makes the caller a member. The invitation must have been
    /// sent to the caller's email address.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn accept_invitation(
        &self,
        principal: &Principal,
        token: &str,
        client: &ClientInfo,
    ) -> Result<OrganizationWithRole> {
        let hash = TokenHash::of(token);
        let now = now();
        let txn = self.auth.writes().begin().await?;
        let Some(claimed) = invitations::claim(&*txn, hash.as_str(), principal.user.id, now).await? else {
            return Err(ServiceError::NotFound { entity: "invitation" });
        };
        if !claimed.invitation.email.eq_ignore_ascii_case(&principal.user.email) {
            // Dropping the transaction rolls the claim back: the invitee may still use it.
            return Err(ServiceError::Forbidden("this invitation was sent to another email address".into()));
        }
        let tenant = claimed.tenant;
        match memberships::insert(&*txn, tenant, principal.user.id, claimed.invitation.role_id, now).await {
            Ok(()) => {}
            Err(PersistenceError::Conflict { .. }) => return Err(already_a_member()),
            Err(error) => return Err(error.into()),
        }
        let organization = organizations::find(&*txn, tenant).await?;
        let role = roles::find(&*txn, tenant, claimed.invitation.role_id)
            .await?
            .ok_or(ServiceError::NotFound { entity: "role" })?;
        let mut accepted =
            event(AuditAction::InvitationAccepted, Some(principal.user.id), client, AuditOutcome::Success);
        accepted.organization = Some(organization.id);
        accepted.target = Some(format!("invitation:{}", claimed.invitation.id));
        accepted.details =
            json!({ "before_role": null, "after_role": role.name, "invited_by": claimed.invitation.invited_by });
        audit::record(&*txn, accepted, now).await?;
        self.commit_change(txn, Invalidation::Member(principal.user.id, organization.id)).await?;
        Ok(OrganizationWithRole { organization, role: role.name })
    }

    // ----- helpers -------------------------------------------------------------------

    async fn require_superuser(&self, principal: &Principal, why: &str) -> Result<()> {
        match users::superuser_context(self.auth.db(), principal.user.id).await? {
            Some(_) => Ok(()),
            None => Err(ServiceError::Forbidden(why.to_owned())),
        }
    }

    fn org_event(
        &self,
        action: AuditAction,
        membership: &Membership,
        client: &ClientInfo,
    ) -> authdb_persistence::audit::NewAuditEvent {
        let mut recorded = event(action, Some(membership.user_id), client, AuditOutcome::Success);
        recorded.organization = Some(membership.organization_id());
        recorded.target = Some(format!("organization:{}", membership.organization_id()));
        recorded
    }

    fn member_event(
        &self,
        action: AuditAction,
        membership: &Membership,
        target: UserId,
        client: &ClientInfo,
    ) -> authdb_persistence::audit::NewAuditEvent {
        let mut recorded = self.org_event(action, membership, client);
        recorded.target = Some(format!("user:{target}"));
        recorded
    }

    fn role_event(
        &self,
        action: AuditAction,
        membership: &Membership,
        role: RoleId,
        client: &ClientInfo,
    ) -> authdb_persistence::audit::NewAuditEvent {
        let mut recorded = self.org_event(action, membership, client);
        recorded.target = Some(format!("role:{role}"));
        recorded
    }
}

fn already_a_member() -> ServiceError {
    ServiceError::StateConflict("the user is already a member of this organization".into())
}

fn changed_fields(changes: &OrganizationChanges) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut note = |present: bool, name: &'static str| {
        if present {
            fields.push(name);
        }
    };
    note(changes.name.is_some(), "name");
    note(changes.slug.is_some(), "slug");
    note(changes.description.is_some(), "description");
    note(changes.settings.is_some(), "settings");
    note(changes.is_active.is_some(), "is_active");
    note(changes.license.license_key.is_some(), "license_key");
    note(changes.license.license_expires_at.is_some(), "license_expires_at");
    note(changes.license.max_assets.is_some(), "max_assets");
    fields
}
