//! `/api/v1/admin/clients/...`: service clients (OAuth2 client credentials), registered
//! and removed by superusers (403 for others). A client's secret is shown once, when it is
//! made (registration or rotation), with `Cache-Control: no-store`.

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::{ClientId, ClientName, ClientScopes, NewServiceClient};
use authdb_service::{AdminService, ClientWithSecret};

use crate::endpoint::{no_store, resource};
use crate::{
    ApiError, Authenticated, Client, JsonBody, ListQuery,
    dto::{ClientList, ClientResponse, ClientSecretResponse, CreateClientRequest},
    fields::collect,
    guard::path_uuid,
    pagination::{ListBody, PageParams},
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/admin/clients").route(web::get().to(list_clients)).route(web::post().to(create_client)))
        .service(
            resource("/admin/clients/{id}").route(web::get().to(get_client)).route(web::delete().to(delete_client)),
        )
        .service(resource("/admin/clients/{id}/secret").route(web::post().to(rotate_secret)));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create_client, list_clients, get_client, delete_client, rotate_secret),
    components(schemas(CreateClientRequest, ClientResponse, ClientSecretResponse, ClientList))
)]
pub(crate) struct ClientsApi;

/// Register a service client. The answer carries its `client_secret`, shown this once.
#[utoipa::path(
    post,
    path = "/api/v1/admin/clients",
    tag = "admin",
    request_body = CreateClientRequest,
    responses(
        (status = 201, description = "Registered; `Cache-Control: no-store`", body = ClientSecretResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not a superuser", body = Problem),
        (status = 422, description = "Invalid fields, named (`name`, `scopes`, `scopes[1]`)", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn create_client(
    admin: web::Data<AdminService>,
    caller: Authenticated,
    client: Client,
    body: JsonBody<CreateClientRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let mut violations = Vec::new();
    let name = collect(ClientName::parse(&request.name), &mut violations);
    let scopes = match ClientScopes::parse_list(&request.scopes, "scopes") {
        Ok(scopes) => Some(scopes),
        Err(authdb_domain::DomainError::Invalid(mut found)) => {
            violations.append(&mut found);
            None
        }
    };
    let (Some(name), Some(scopes)) = (name, scopes) else {
        return Err(ApiError::Service(authdb_domain::DomainError::Invalid(violations).into()));
    };
    let created = admin.create_client(&caller.0, NewServiceClient { name, scopes }, &client.0).await?;
    Ok(no_store(HttpResponse::Created()).json(with_secret(created)))
}

/// Every service client, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/clients",
    tag = "admin",
    params(PageParams),
    responses(
        (status = 200, description = "One page of clients", body = ClientList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not a superuser", body = Problem),
        (status = 422, description = "Invalid limit or offset", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_clients(
    admin: web::Data<AdminService>,
    caller: Authenticated,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let listed = admin.list_clients(&caller.0, query.page).await?;
    Ok(HttpResponse::Ok().json(ListBody::from_paged(listed, ClientResponse::from)))
}

/// One service client.
#[utoipa::path(
    get,
    path = "/api/v1/admin/clients/{id}",
    tag = "admin",
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, description = "The client", body = ClientResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not a superuser", body = Problem),
        (status = 404, description = "No such client", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn get_client(
    admin: web::Data<AdminService>,
    caller: Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path_uuid(&req, "id");
    let found = admin.get_client(&caller.0, ClientId::from_uuid(id?)).await?;
    Ok(HttpResponse::Ok().json(ClientResponse::from(found)))
}

/// Delete a service client: its secret and every token it holds stop working at once.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/clients/{id}",
    tag = "admin",
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not a superuser", body = Problem),
        (status = 404, description = "No such client", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn delete_client(
    admin: web::Data<AdminService>,
    caller: Authenticated,
    client: Client,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path_uuid(&req, "id");
    admin.delete_client(&caller.0, ClientId::from_uuid(id?), &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Give a service client a new secret, shown this once. The old secret stops working at
/// once on every instance; tokens already issued live until they expire.
#[utoipa::path(
    post,
    path = "/api/v1/admin/clients/{id}/secret",
    tag = "admin",
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, description = "The client and its new secret; `Cache-Control: no-store`", body = ClientSecretResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Not a superuser", body = Problem),
        (status = 404, description = "No such client", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn rotate_secret(
    admin: web::Data<AdminService>,
    caller: Authenticated,
    client: Client,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path_uuid(&req, "id");
    let rotated = admin.rotate_client_secret(&caller.0, ClientId::from_uuid(id?), &client.0).await?;
    Ok(no_store(HttpResponse::Ok()).json(with_secret(rotated)))
}

fn with_secret(made: ClientWithSecret) -> ClientSecretResponse {
    ClientSecretResponse { client: ClientResponse::from(made.client), client_secret: made.secret.into_string() }
}
