//! Platform administration: superusers list and change accounts, list organizations,
//! read the state of the mail outbox and register service clients.

use authdb_auth::OpaqueToken;
use authdb_domain::{
    AccountFlagChanges, AuditAction, ClientId, NewServiceClient, Organization, Page, Paged, ServiceClient, Sort, User,
    UserId, UserSortKey,
};
use authdb_persistence::{SuperuserContext, organizations, service_clients, users};
use serde_json::json;

use crate::{
    ClientInfo, Core, Principal, Result, ServiceError,
    audit::{Audit, Target},
    auth::{RevocationReason, revoke_user_sessions},
    outbox::{self, MailStatus},
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
const CLIENT: &str = "service_client";

/// A service client with its secret, which is shown this once (only its hash is kept).
#[derive(Debug)]
pub struct ClientWithSecret {
    pub client: ServiceClient,
    pub secret: OpaqueToken,
}

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

    /// What the mail outbox holds (counts by state, the newest messages and the newest
    /// failures, never a body) and the transport this process sends through.
    pub async fn mail_status(&self, principal: &Principal) -> Result<MailStatus> {
        let superuser = self.superuser(principal).await?;
        outbox::status(self.core.db(), &superuser, self.core.outbox()).await
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

/// Service clients (OAuth2 client credentials).
impl AdminService {
    /// Registers a service client with a new secret.
    #[tracing::instrument(skip_all, fields(admin = %principal.user.id))]
    pub async fn create_client(
        &self,
        principal: &Principal,
        new: NewServiceClient,
        client: &ClientInfo,
    ) -> Result<ClientWithSecret> {
        let superuser = self.superuser(principal).await?;
        let secret = OpaqueToken::generate()?;
        let write = Write::begin(&self.core).await?;
        let created =
            service_clients::insert(write.conn(), &superuser, new, secret.hash().as_str(), write.now()).await?;
        let event = Audit::success(AuditAction::ClientCreated, principal.user.id, client)
            .target(Target::Client(created.id))
            .details(json!({ "name": created.name.as_str(), "scopes": created.scopes.names() }));
        write.audit(event).await?;
        write.commit().await?;
        tracing::info!(client_id = %created.id, "service client registered");
        Ok(ClientWithSecret { client: created, secret })
    }

    pub async fn list_clients(&self, principal: &Principal, page: Page) -> Result<Paged<ServiceClient>> {
        let superuser = self.superuser(principal).await?;
        Ok(service_clients::list(self.core.db(), &superuser, page).await?)
    }

    pub async fn get_client(&self, principal: &Principal, id: ClientId) -> Result<ServiceClient> {
        let superuser = self.superuser(principal).await?;
        service_clients::find(self.core.db(), &superuser, id).await?.ok_or(ServiceError::NotFound { entity: CLIENT })
    }

    /// Gives a client a new secret. The old one stops working with this commit on every
    /// instance (secrets are checked against the database, never cached); tokens the
    /// client already holds live until they expire.
    #[tracing::instrument(skip_all, fields(admin = %principal.user.id, client_id = %id))]
    pub async fn rotate_client_secret(
        &self,
        principal: &Principal,
        id: ClientId,
        client: &ClientInfo,
    ) -> Result<ClientWithSecret> {
        let superuser = self.superuser(principal).await?;
        let secret = OpaqueToken::generate()?;
        let write = Write::begin(&self.core).await?;
        let rotated =
            service_clients::set_secret(write.conn(), &superuser, id, secret.hash().as_str(), write.now()).await?;
        let event =
            Audit::success(AuditAction::ClientSecretRotated, principal.user.id, client).target(Target::Client(id));
        write.audit(event).await?;
        write.commit().await?;
        tracing::info!(client_id = %id, "service client secret rotated");
        Ok(ClientWithSecret { client: rotated, secret })
    }

    /// Deletes a client: its secret stops working and the tokens it holds are refused
    /// from this commit on (every client token is checked against the client's row).
    #[tracing::instrument(skip_all, fields(admin = %principal.user.id, client_id = %id))]
    pub async fn delete_client(&self, principal: &Principal, id: ClientId, client: &ClientInfo) -> Result<()> {
        let superuser = self.superuser(principal).await?;
        let write = Write::begin(&self.core).await?;
        let before = service_clients::find(write.conn(), &superuser, id).await?;
        let Some(before) = before else {
            return Err(ServiceError::NotFound { entity: CLIENT });
        };
        service_clients::delete(write.conn(), &superuser, id).await?;
        let event = Audit::success(AuditAction::ClientDeleted, principal.user.id, client)
            .target(Target::Client(id))
            .details(json!({ "name": before.name.as_str(), "scopes": before.scopes.names() }));
        write.audit(event).await?;
        write.commit().await?;
        tracing::info!(client_id = %id, "service client deleted");
        Ok(())
    }
}

fn flags(user: &User) -> serde_json::Value {
    json!({ "is_active": user.is_active, "is_verified": user.is_verified, "is_superuser": user.is_superuser })
}
