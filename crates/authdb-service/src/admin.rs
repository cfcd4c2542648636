//! Platform administration: superusers list and change accounts and list organizations.

use authdb_domain::{AccountFlagChanges, AuditAction, Organization, Page, Paged, Sort, User, UserId, UserSortKey};
use authdb_persistence::{SuperuserContext, organizations, users};
use serde_json::json;

use crate::{
    ClientInfo, Core, Principal, Result, ServiceError,
    audit::{Audit, Target},
    auth::{RevocationReason, revoke_user_sessions},
    replica::Change,
    write::Write,
};

/// Superuser-only use cases. Every call re-reads the caller's superuser flag from the
/// database: a revoked superuser loses access on the next request.
#[derive(Debug, Clone)]
pub struct AdminService {
    core: Core,
}

const USER: &str = "user";

impl AdminService {
    pub fn new(core: Core) -> Self {
        Self { core }
    }

    async fn superuser(&self, principal: &Principal) -> Result<SuperuserContext> {
        let context = if principal.user.is_superuser {
            users::superuser_context(self.core.db(), principal.user.id).await?
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
        Ok(users::search(self.core.db(), &superuser, search, sort, page).await?)
    }

    pub async fn get_user(&self, principal: &Principal, id: UserId) -> Result<User> {
        self.superuser(principal).await?;
        users::find_by_id(self.core.db(), id).await?.ok_or(ServiceError::NotFound { entity: USER })
    }

    /// Changes account flags. Deactivating an account revokes all its sessions in the
    /// same transaction, on every instance: its access tokens fail on the next request and
    /// its logins answer 403.
    #[tracing::instrument(skip_all, fields(admin = %principal.user.id, target = %id))]
    pub async fn update_user(
        &self,
        principal: &Principal,
        id: UserId,
        changes: AccountFlagChanges,
        client: &ClientInfo,
    ) -> Result<User> {
        let superuser = self.superuser(principal).await?;
        if changes.is_empty() {
            return self.get_user(principal, id).await;
        }
        let mut write = Write::begin(&self.core).await?;
        // Read inside the write, so that the audit record's "before" and the decision to
        // revoke cannot be based on a state another administrator has since changed.
        let before = users::find_by_id(write.conn(), id).await?.ok_or(ServiceError::NotFound { entity: USER })?;
        let user = users::update_flags(write.conn(), &superuser, id, changes, write.now()).await?;
        let updated = Audit::success(AuditAction::UserUpdatedByAdmin, principal.user.id, client)
            .target(Target::User(id))
            .details(json!({ "before": flags(&before), "after": flags(&user) }));
        write.audit(updated).await?;
        let deactivated = before.is_active && !user.is_active;
        let revoked = if deactivated {
            revoke_user_sessions(&mut write, id, None, RevocationReason::AccountDeactivated).await?
        } else {
            0
        };
        // Every process drops its cached copies (sessions and memberships) on commit.
        write.publish(Change::UserChanged(id)).await?;
        write.commit().await?;
        if deactivated {
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
        Ok(organizations::list_all(self.core.db(), &superuser, search, page).await?)
    }
}

fn flags(user: &User) -> serde_json::Value {
    json!({ "is_active": user.is_active, "is_verified": user.is_verified, "is_superuser": user.is_superuser })
}
