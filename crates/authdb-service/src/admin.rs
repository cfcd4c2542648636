//! Platform administration: superusers list and change accounts and list organizations.

use authdb_domain::{
    AccountFlagChanges, AuditAction, AuditOutcome, Organization, Page, Paged, Sort, User, UserId, UserSortKey,
};
use authdb_persistence::{SuperuserContext, audit, now, organizations, users};
use serde_json::json;

use crate::{
    AuthService, ClientInfo, OrganizationService, Principal, Result, RevocationReason, ServiceError, auth::event,
    changes::Change, membership_cache::Invalidation,
};

/// Superuser-only use cases. Every call re-reads the caller's superuser flag from the
/// database: a revoked superuser loses access on the next request.
#[derive(Clone)]
pub struct AdminService {
    auth: AuthService,
    /// Whose membership cache a change of superuser flags invalidates.
    organizations: OrganizationService,
}

impl std::fmt::Debug for AdminService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminService").finish_non_exhaustive()
    }
}

impl AdminService {
    pub fn new(auth: AuthService, organizations: OrganizationService) -> Self {
        Self { auth, organizations }
    }

    async fn superuser(&self, principal: &Principal) -> Result<SuperuserContext> {
        let context = if principal.user.is_superuser {
            users::superuser_context(self.auth.db(), principal.user.id).await?
        } else {
            None
        };
        context.ok_or_else(|| ServiceError::Forbidden("platform administration needs a superuser".into()))
    }

    pub async fn list_users(
        &self,
        principal: &Principal,
        search: Option<&str>,
        sort: Sort<UserSortKey>,
        page: Page,
    ) -> Result<Paged<User>> {
        let superuser = self.superuser(principal).await?;
        Ok(users::search(self.auth.db(), &superuser, search, sort, page).await?)
    }

    pub async fn get_user(&self, principal: &Principal, id: UserId) -> Result<User> {
        self.superuser(principal).await?;
        users::find_by_id(self.auth.db(), id).await?.ok_or(ServiceError::NotFound { entity: "user" })
    }

    /// Changes account flags. Deactivating an account revokes all its sessions at once:
    /// its access tokens fail on the next request and its logins answer 403.
    #[tracing::instrument(skip_all, fields(admin = %principal.user.id, target = %id))]
    pub async fn update_user(
        &self,
        principal: &Principal,
        id: UserId,
        changes: AccountFlagChanges,
        client: &ClientInfo,
    ) -> Result<User> {
        let superuser = self.superuser(principal).await?;
        let before = users::find_by_id(self.auth.db(), id).await?.ok_or(ServiceError::NotFound { entity: "user" })?;
        if changes.is_empty() {
            return Ok(before);
        }
        let now = now();
        let txn = self.auth.writes().begin().await?;
        let user = users::update_flags(&*txn, &superuser, id, changes, now).await?;
        let mut updated =
            event(AuditAction::UserUpdatedByAdmin, Some(principal.user.id), client, AuditOutcome::Success);
        updated.target = Some(format!("user:{id}"));
        updated.details = json!({
            "before": flags(&before),
            "after": flags(&user),
        });
        audit::record(&*txn, updated, now).await?;
        // Other processes drop their cached copies (sessions and memberships) on commit.
        Change::UserChanged(id).publish(&*txn).await?;
        txn.commit().await?;
        self.auth.forget_cached_sessions(id);
        self.organizations.membership_cache().invalidate(Invalidation::User(id));
        if before.is_active && !user.is_active {
            // Revoked on every instance through the revocation set.
            let revoked = self.auth.revoke_all_sessions(id, RevocationReason::AccountDeactivated).await?;
            tracing::info!(user_id = %id, sessions = revoked, "account deactivated; sessions revoked");
        }
        Ok(user)
    }

    pub async fn list_organizations(
        &self,
        principal: &Principal,
        search: Option<&str>,
        page: Page,
    ) -> Result<Paged<Organization>> {
        let superuser = self.superuser(principal).await?;
        Ok(organizations::list_all(self.auth.db(), &superuser, search, page).await?)
    }
}

fn flags(user: &User) -> serde_json::Value {
    json!({ "is_active": user.is_active, "is_verified": user.is_verified, "is_superuser": user.is_superuser })
}
