//! Route guards for `/organizations/{id}/...`: extractors that resolve the caller's
//! membership in the organization named by the `{id}` path segment.
//!
//! Order of answers: no or a bad token -> 401; not a member, or no such organization,
//! or an `{id}` that is not a UUID -> 404 (never 403, so existence does not leak); a
//! member whose role lacks the permission -> 403; a member of a suspended organization
//! -> 403 `/problems/organization-suspended` (except for reading the organization itself).

use std::marker::PhantomData;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use authdb_domain::{OrganizationId, Permission};
use authdb_service::{Membership, OrganizationService, Principal, ServiceError};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use crate::{ApiError, Authenticated};

/// An authenticated member (or superuser) of the organization in the path.
#[derive(Debug, Clone)]
pub struct OrgMember {
    pub principal: Principal,
    pub membership: Membership,
}

impl OrgMember {
    /// Resolves the caller's membership, suspended or not.
    fn resolve(req: &HttpRequest, payload: &mut Payload) -> LocalBoxFuture<'static, Result<Self, ApiError>> {
        let authenticated = Authenticated::from_request(req, payload);
        let organization = path_uuid(req, "id");
        let service = req.app_data::<web::Data<OrganizationService>>().cloned();
        Box::pin(async move {
            let Authenticated(principal) = authenticated.await?;
            let organization = OrganizationId::from_uuid(organization?);
            let service =
                service.ok_or_else(|| ServiceError::Internal("OrganizationService is not registered".into()))?;
            let membership = service.resolve(&principal, organization).await?;
            Ok(Self { principal, membership })
        })
    }
}

/// A member of a suspended organization gets 403 `/problems/organization-suspended`
/// (after the 404 for non-members).
impl FromRequest for OrgMember {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let member = Self::resolve(req, payload);
        Box::pin(async move {
            let member = member.await?;
            member.membership.require_active()?;
            Ok(member)
        })
    }
}

/// A permission a route requires; implemented by the marker types in [`perm`].
pub trait RequiredPermission {
    const PERMISSION: Permission;
    /// Whether a member of a suspended organization passes: only for reading the
    /// organization itself ([`perm::OrgReadWhileSuspended`]); every other route is
    /// refused with 403 `/problems/organization-suspended` without having to say so.
    const WHILE_SUSPENDED: bool = false;
}

/// An [`OrgMember`] whose role grants `P` (403 otherwise).
#[derive(Debug, Clone)]
pub struct RequirePermission<P> {
    pub member: OrgMember,
    permission: PhantomData<P>,
}

impl<P: RequiredPermission + 'static> FromRequest for RequirePermission<P> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let member = OrgMember::resolve(req, payload);
        Box::pin(async move {
            let member = member.await?;
            if P::WHILE_SUSPENDED {
                member.membership.require_even_if_suspended(P::PERMISSION)?;
            } else {
                member.membership.require(P::PERMISSION)?;
            }
            Ok(Self { member, permission: PhantomData })
        })
    }
}

/// Marker types naming permissions for [`RequirePermission`].
pub mod perm {
    use authdb_domain::Permission;

    use super::RequiredPermission;

    macro_rules! markers {
        ($($name:ident),* $(,)?) => {
            $(
                #[derive(Debug, Clone, Copy)]
                pub struct $name;

                impl RequiredPermission for $name {
                    const PERMISSION: Permission = Permission::$name;
                }
            )*
        };
    }

    markers!(
        OrgRead,
        OrgUpdate,
        OrgDelete,
        MembersRead,
        MembersManage,
        RolesManage,
        AssetsRead,
        AssetsWrite,
        ChatsUse,
        NetworksControl,
        ChatsManage,
        AuditRead
    );

    /// `org:read` for reading the organization itself, which a suspended organization
    /// still allows (its members see that it is suspended).
    #[derive(Debug, Clone, Copy)]
    pub struct OrgReadWhileSuspended;

    impl RequiredPermission for OrgReadWhileSuspended {
        const PERMISSION: Permission = Permission::OrgRead;
        const WHILE_SUSPENDED: bool = true;
    }
}

/// A UUID path segment; anything else is a 404 like an unknown id.
pub(crate) fn path_uuid(req: &HttpRequest, name: &str) -> Result<Uuid, ApiError> {
    req.match_info().get(name).and_then(|segment| Uuid::parse_str(segment).ok()).ok_or(ApiError::NotFound)
}
