//! `/api/v1/admin/...`: platform administration (accounts, organizations, the mail
//! outbox), for superusers only (403 for others).

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::{AccountFlagChanges, UserId, UserSortKey};
use authdb_service::AdminService;

use crate::endpoint::resource;
use crate::{
    ApiError, Authenticated, Client, JsonBody, ListQuery,
    dto::{
        AdminOrganizationList, AdminUpdateUserRequest, MailStatusResponse, OrganizationResponse, OutboxMessageResponse,
        UserList, UserResponse,
    },
    guard::path_uuid,
    pagination::{ListBody, SearchParams},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/admin/users").route(web::get().to(list_users)))
        .service(resource("/admin/users/{id}").route(web::get().to(get_user)).route(web::patch().to(update_user)))
        .service(resource("/admin/organizations").route(web::get().to(list_organizations)))
        .service(resource("/admin/outbox").route(web::get().to(outbox)));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_users, get_user, update_user, list_organizations, outbox),
    components(schemas(
        UserResponse,
        UserList,
        AdminUpdateUserRequest,
        AdminOrganizationList,
        MailStatusResponse,
        OutboxMessageResponse
    ))
)]
pub(crate) struct AdminApi;

/// Every account. `q` searches email and username; `sort` is `created_at` (default),
/// `email`, `username` or `last_login_at`, `-` for descending.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    tag = "admin",
    params(SearchParams),
    responses(
        (status = 200, description = "One page of users", body = UserList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not a superuser", body = Problem),
        (status = 422, description = "Invalid limit, offset, q or sort", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_users(
    admin: web::Data<AdminService>,
    caller: Authenticated,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let search = query.search()?;
    let sort = query.sort::<UserSortKey>()?;
    let listed = admin.list_users(&caller.0, search.as_deref(), sort, query.page).await?;
    Ok(HttpResponse::Ok().json(ListBody::from_paged(listed, UserResponse::from)))
}

/// One account.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users/{id}",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = UserResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not a superuser", body = Problem),
        (status = 404, description = "No such user", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn get_user(
    admin: web::Data<AdminService>,
    caller: Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path_uuid(&req, "id");
    let user = admin.get_user(&caller.0, UserId::from_uuid(id?)).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

/// Change an account's flags; deactivation revokes its sessions at once.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/users/{id}",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    request_body = AdminUpdateUserRequest,
    responses(
        (status = 200, description = "The updated user", body = UserResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not a superuser", body = Problem),
        (status = 404, description = "No such user", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn update_user(
    admin: web::Data<AdminService>,
    caller: Authenticated,
    req: HttpRequest,
    client: Client,
    body: JsonBody<AdminUpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId::from_uuid(path_uuid(&req, "id")?);
    let request = body.into_inner();
    let changes = AccountFlagChanges {
        is_active: request.is_active,
        is_verified: request.is_verified,
        is_superuser: request.is_superuser,
    };
    let user = admin.update_user(&caller.0, id, changes, &client.0).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

/// Every organization. `q` searches name and slug.
#[utoipa::path(
    get,
    path = "/api/v1/admin/organizations",
    operation_id = "admin_list_organizations",
    tag = "admin",
    params(SearchParams),
    responses(
        (status = 200, description = "One page of organizations, oldest first", body = AdminOrganizationList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not a superuser", body = Problem),
        (status = 422, description = "Invalid limit, offset or q", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_organizations(
    admin: web::Data<AdminService>,
    caller: Authenticated,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let search = query.search()?;
    let listed = admin.list_organizations(&caller.0, search.as_deref(), query.page).await?;
    Ok(HttpResponse::Ok()
        .json(ListBody::from_paged(listed, |organization| OrganizationResponse::new(organization, None))))
}

/// The mail outbox: how many messages are pending, sent and failed, the newest messages and
/// the newest failures (with their error, attempts and next attempt), and the transport
/// this instance sends through. Never a message's body.
#[utoipa::path(
    get,
    path = "/api/v1/admin/outbox",
    tag = "admin",
    responses(
        (status = 200, description = "The outbox and the mail transport", body = MailStatusResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not a superuser", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn outbox(admin: web::Data<AdminService>, caller: Authenticated) -> Result<HttpResponse, ApiError> {
    let status = admin.mail_status(&caller.0).await?;
    Ok(HttpResponse::Ok().json(MailStatusResponse::from(status)))
}
