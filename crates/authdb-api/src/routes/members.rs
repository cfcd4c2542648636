//! `/api/v1/organizations/{id}/members`: members of an organization and their roles.

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::{Email, MemberSortKey, RoleName, UserId, Violation};
use authdb_service::{AuthService, OrganizationService, PendingInvitation};

use crate::endpoint::{no_store, resource};
use crate::{
    ApiError, Client, DeferredJson, ListQuery,
    dto::{AddMemberRequest, InvitationResponse, MemberList, MemberResponse, UpdateMemberRequest},
    fields::invalid,
    guard::{OrgMember, RequirePermission, path_uuid, perm},
    pagination::{ListBody, SearchParams},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/organizations/{id}/members").route(web::get().to(list_members)).route(web::post().to(add_member)),
    )
    .service(
        resource("/organizations/{id}/members/{user_id}")
            .route(web::patch().to(update_member))
            .route(web::delete().to(remove_member)),
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_members, add_member, update_member, remove_member),
    components(schemas(MemberResponse, MemberList, AddMemberRequest, UpdateMemberRequest))
)]
pub(crate) struct MembersApi;

/// The organization's members (needs `members:read`). `q` searches email and username;
/// `sort` is `joined_at` (default), `email` or `username`, `-` for descending.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/members",
    tag = "members",
    params(("id" = Uuid, Path, description = "Organization id"), SearchParams),
    responses(
        (status = 200, description = "One page of members", body = MemberList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks members:read", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 422, description = "Invalid limit, offset, q or sort", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_members(
    organizations: web::Data<OrganizationService>,
    guard: RequirePermission<perm::MembersRead>,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let search = query.search()?;
    let sort = query.sort::<MemberSortKey>()?;
    let listed = organizations.list_members(&guard.member.membership, search.as_deref(), sort, query.page).await?;
    Ok(HttpResponse::Ok().json(ListBody::from_paged(listed, MemberResponse::from)))
}

/// Add a member. By `email` (needs `members:manage` and the right to grant the role):
/// always an invitation, answered 202 with the same body whether or not the address has an
/// account. The invitation is mailed to the address with its single-use accept link (the
/// token is in the answer only when the server delivers no mail, `mail.transport = none`);
/// the person becomes a member by accepting it. By `user_id`: superusers only, who add an existing user directly (201).
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/members",
    tag = "members",
    params(("id" = Uuid, Path, description = "Organization id")),
    request_body = AddMemberRequest,
    responses(
        (status = 201, description = "Added directly by a superuser (`user_id`)", body = MemberResponse),
        (status = 202, description = "Invited (`email`) and mailed: the invitation (with its token only when `mail.transport = none`)", body = InvitationResponse),
        (status = 401, description = "Not signed in; or `/problems/step-up-required`: the role is or was `owner` and the session's authentication is too old, or single-factor for a user with a second factor (step up at POST /api/v1/auth/step-up)", body = Problem),
        (status = 403, description = "Lacking members:manage or the right to grant the role; `user_id` without superuser", body = Problem),
        (status = 404, description = "No such organization, or not a member; for a superuser, no such user", body = Problem),
        (status = 409, description = "Already a member", body = Problem),
        (status = 422, description = "Invalid fields or unknown role", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn add_member(
    organizations: web::Data<OrganizationService>,
    auth: web::Data<AuthService>,
    guard: RequirePermission<perm::MembersManage>,
    client: Client,
    body: DeferredJson<AddMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_result()?;
    let who = match (request.email.as_deref(), request.user_id) {
        (Some(email), None) => Email::parse(email).map(Who::Email),
        (None, Some(id)) => Ok(Who::Id(UserId::from_uuid(id))),
        _ => Err(Violation::new("email", "send exactly one of email and user_id")),
    };
    let role = RoleName::parse(&request.role, "role");
    let (who, role) = match (who, role) {
        (Ok(who), Ok(role)) => (who, role),
        (who, role) => return Err(invalid([who.err(), role.err()])),
    };
    let member = &guard.member;
    match who {
        Who::Email(email) => {
            let step_up = auth.step_up(&member.principal);
            let issued = organizations.invite(&step_up, &member.membership, email, &role, &client.0).await?;
            let token = issued.token.map(|token| token.into_string());
            let pending = PendingInvitation { invitation: issued.invitation, role: issued.role };
            Ok(no_store(HttpResponse::Accepted()).json(InvitationResponse::new(pending, token)))
        }
        Who::Id(user) => {
            let added = organizations
                .add_member_directly(&member.principal, &member.membership, user, &role, &client.0)
                .await?;
            Ok(HttpResponse::Created().json(MemberResponse::from(added)))
        }
    }
}

/// Whom a request to add a member names.
enum Who {
    Email(Email),
    Id(UserId),
}

/// Give a member another role (needs `members:manage`; the last owner cannot be demoted).
#[utoipa::path(
    patch,
    path = "/api/v1/organizations/{id}/members/{user_id}",
    tag = "members",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("user_id" = Uuid, Path, description = "The member's user id")
    ),
    request_body = UpdateMemberRequest,
    responses(
        (status = 200, description = "The member with the new role", body = MemberResponse),
        (status = 401, description = "Not signed in; or `/problems/step-up-required`: the role is or was `owner` and the session's authentication is too old, or single-factor for a user with a second factor (step up at POST /api/v1/auth/step-up)", body = Problem),
        (status = 403, description = "Lacking members:manage or a permission involved", body = Problem),
        (status = 404, description = "No such organization or member, or not a member", body = Problem),
        (status = 409, description = "The last owner cannot be demoted", body = Problem),
        (status = 422, description = "Invalid or unknown role", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn update_member(
    organizations: web::Data<OrganizationService>,
    auth: web::Data<AuthService>,
    guard: RequirePermission<perm::MembersManage>,
    req: HttpRequest,
    client: Client,
    body: DeferredJson<UpdateMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = UserId::from_uuid(path_uuid(&req, "user_id")?);
    let request = body.into_result()?;
    let role = RoleName::parse(&request.role, "role").map_err(|violation| invalid([Some(violation)]))?;
    let member = &guard.member;
    let step_up = auth.step_up(&member.principal);
    let member = organizations.change_member_role(&step_up, &member.membership, user, &role, &client.0).await?;
    Ok(HttpResponse::Ok().json(MemberResponse::from(member)))
}

/// Remove a member (needs `members:manage`, except to remove oneself; the last owner cannot leave).
#[utoipa::path(
    delete,
    path = "/api/v1/organizations/{id}/members/{user_id}",
    tag = "members",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("user_id" = Uuid, Path, description = "The member's user id")
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in; or `/problems/step-up-required`: the role is or was `owner` and the session's authentication is too old, or single-factor for a user with a second factor (step up at POST /api/v1/auth/step-up)", body = Problem),
        (status = 403, description = "Lacking members:manage or a permission the member holds", body = Problem),
        (status = 404, description = "No such organization or member, or not a member", body = Problem),
        (status = 409, description = "The last owner cannot be removed", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn remove_member(
    organizations: web::Data<OrganizationService>,
    auth: web::Data<AuthService>,
    guard: OrgMember,
    req: HttpRequest,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    let user = UserId::from_uuid(path_uuid(&req, "user_id")?);
    let step_up = auth.step_up(&guard.principal);
    organizations.remove_member(&step_up, &guard.membership, user, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
