//! The tenant id: proof that a query is scoped to one organization for a caller who may
//! act in it.
//!
//! Every repository function over a tenant-scoped table (memberships, custom roles,
//! invitations, and later assets and chats) takes a [`TenantId`] rather than an
//! [`OrganizationId`]. A `TenantId` has a private field and no public constructor: the
//! only ways to get one are
//!
//! - [`crate::memberships::resolve`], which finds the caller's membership,
//! - [`crate::organizations::create_with_owner`], whose caller has just become the owner,
//! - [`crate::invitations::claim`], which spends an invitation to the organization, and
//! - [`SuperuserContext::tenant`], whose context only [`crate::users::superuser_context`]
//!   hands out after reading `is_superuser` from the database.
//!
//! So a query that forgets its tenant does not compile, and one that names a tenant
//! cannot have made it up:
//!
//! ```compile_fail,E0308
//! use authdb_domain::{OrganizationId, UserId};
//! use authdb_persistence::{DatabaseConnection, memberships};
//!
//! async fn remove(db: &DatabaseConnection, organization: OrganizationId, user: UserId) {
//!     // error[E0308]: mismatched types: expected `TenantId`, found `OrganizationId`
//!     let _ = memberships::delete(db, organization, user).await;
//! }
//! ```
//!
//! ```compile_fail,E0423
//! use authdb_domain::OrganizationId;
//! use authdb_persistence::TenantId;
//!
//! // error[E0423]: cannot initialize a tuple struct which contains private fields
//! let tenant = TenantId(OrganizationId::new());
//! ```
//!
//! ```compile_fail,E0451
//! use authdb_persistence::SuperuserContext;
//!
//! // error[E0451]: field `user` of struct `SuperuserContext` is private
//! let context = SuperuserContext { user: authdb_domain::UserId::new() };
//! ```

use authdb_domain::{OrganizationId, UserId};

/// An organization the holder has been found entitled to act in. See the module
/// documentation for how one is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TenantId(OrganizationId);

impl TenantId {
    /// Only this crate's resolution code calls this.
    pub(crate) const fn resolved(organization: OrganizationId) -> Self {
        Self(organization)
    }

    pub const fn organization_id(self) -> OrganizationId {
        self.0
    }

    pub(crate) const fn uuid(self) -> uuid::Uuid {
        self.0.as_uuid()
    }
}

/// Proof that a user was a superuser when it was read from the database: the key to
/// platform administration and to any organization's tenant id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuperuserContext {
    user: UserId,
}

impl SuperuserContext {
    pub(crate) const fn verified(user: UserId) -> Self {
        Self { user }
    }

    pub const fn user_id(&self) -> UserId {
        self.user
    }

    /// A tenant id for any organization, for a superuser acting on it.
    pub const fn tenant(&self, organization: OrganizationId) -> TenantId {
        TenantId(organization)
    }
}
