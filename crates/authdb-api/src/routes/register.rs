//! `POST /api/v1/auth/register`: new accounts.

use actix_web::{HttpResponse, web};
use authdb_domain::{Email, FullName, Username};
use authdb_service::{AuthService, Registered, Registration};

use crate::endpoint::{no_store, resource};
use crate::{
    ApiError, Client, JsonBody,
    dto::{AcceptedResponse, RegisterRequest, TokenResponse, UserResponse},
    fields::invalid,
    problem::Problem,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/register").route(web::post().to(register)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(register), components(schemas(RegisterRequest, TokenResponse, UserResponse, AcceptedResponse)))]
pub(crate) struct RegisterApi;

/// Creates an account and mails it a verification link. Without
/// `auth.require_verified_email` the account is signed in on this device at once (201).
/// With it, nobody is signed in (202) until the address is verified, and an address that
/// already has an account gets the same 202 (its owner is mailed a notice), so that
/// registration does not tell which addresses have accounts.
#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created and signed in", body = TokenResponse),
        (status = 202, description = "Verification required: a link is on its way (also when the address already has an account)", body = AcceptedResponse),
        (status = 409, description = "The email or username is already taken", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn register(
    auth: web::Data<AuthService>,
    client: Client,
    body: JsonBody<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let email = Email::parse(&request.email);
    let username = Username::parse(&request.username);
    let password = auth.password_policy().parse(request.password);
    let full_name = request.full_name.as_deref().map(FullName::parse).transpose();
    let registration = match (email, username, password, full_name) {
        (Ok(email), Ok(username), Ok(password), Ok(full_name)) => Registration { email, username, password, full_name },
        (email, username, password, full_name) => {
            return Err(invalid([email.err(), username.err(), password.err(), full_name.err()]));
        }
    };
    match auth.register(registration, &client.0).await? {
        Registered::SignedIn(tokens) => Ok(no_store(HttpResponse::Created()).json(TokenResponse::from(*tokens))),
        Registered::VerificationPending => {
            Ok(no_store(HttpResponse::Accepted()).json(AcceptedResponse::verification_pending()))
        }
    }
}
