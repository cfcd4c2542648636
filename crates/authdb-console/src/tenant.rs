//! The organization a page's path names (`/organizations/{org}/...`): the caller's
//! membership of it, checked the way the API checks it, for every organization-scoped
//! page (Organizations, Inventory), and the links between one organization's pages.

use authdb_domain::{OrganizationId, Permission};
use authdb_service::Membership;
use maud::Markup;

use crate::{error::ConsoleError, layout::subnav, session::SignedIn};

/// The pages of one organization, as its sub-navigation lists them: the path under
/// `/organizations/{id}` and the label.
const ORG_PAGES: [(&str, &str); 4] =
    [("/members", "Members"), ("/roles", "Roles"), ("/invitations", "Invitations"), ("/audit", "Audit log")];

/// An id in the path: a malformed one is no such page.
pub(crate) fn path_id<T: std::str::FromStr>(text: &str) -> Result<T, ConsoleError> {
    text.parse().map_err(|_| ConsoleError::NotFound)
}

/// The organization of a page, opened for one permission.
#[derive(Debug)]
pub(crate) struct Tenant {
    pub(crate) membership: Membership,
    /// Its name (its id when the caller may not read it).
    pub(crate) name: String,
}

impl Tenant {
    /// The caller's membership of the organization `org` (the path's text), holding
    /// `permission`: 404 for a malformed id or a non-member (existence does not leak), 403
    /// with the problem for a member without the permission. A superuser who is not a
    /// member acts with the owner's permissions, as in the API.
    pub(crate) async fn open(signed_in: &SignedIn, org: &str, permission: Permission) -> Result<Self, ConsoleError> {
        let membership = membership(signed_in, org).await?;
        membership.require(permission)?;
        Ok(Self::named(signed_in, membership).await)
    }

    /// The caller's membership, whatever their role (for a use case that checks its own
    /// permission, such as leaving the organization).
    pub(crate) async fn member(signed_in: &SignedIn, org: &str) -> Result<Self, ConsoleError> {
        Ok(Self::named(signed_in, membership(signed_in, org).await?).await)
    }

    async fn named(signed_in: &SignedIn, membership: Membership) -> Self {
        let name = match signed_in.console.organizations.get(&membership).await {
            Ok(organization) => organization.name.as_str().to_owned(),
            Err(_) => membership.organization_id().to_string(),
        };
        Self { membership, name }
    }

    /// A console path under this organization: `rest` is `/members`, `/networks/...`.
    pub(crate) fn path(&self, rest: &str) -> String {
        org_path(self.membership.organization_id(), rest)
    }

    /// Whether the caller also holds `permission` (to show or hide an action).
    pub(crate) fn may(&self, permission: Permission) -> bool {
        self.membership.require(permission).is_ok()
    }
}

/// The caller's membership of the organization in the path.
async fn membership(signed_in: &SignedIn, org: &str) -> Result<Membership, ConsoleError> {
    let id: OrganizationId = path_id(org)?;
    Ok(signed_in.console.organizations.resolve(&signed_in.principal, id).await?)
}

/// The links between one organization's pages, `current` (`/members`) marked.
pub(crate) fn org_links(tenant: &Tenant, current: &str) -> Markup {
    let links: Vec<(String, &str)> = ORG_PAGES.iter().map(|(rest, label)| (tenant.path(rest), *label)).collect();
    subnav("This organization", &links, &tenant.path(current), None)
}

/// `/organizations/{id}{rest}`.
pub(crate) fn org_path(id: OrganizationId, rest: &str) -> String {
    format!("/organizations/{id}{rest}")
}
