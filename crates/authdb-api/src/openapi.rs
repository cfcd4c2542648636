//! The OpenAPI 3.1 document, assembled from each route module's own `#[derive(OpenApi)]`
//! struct, in the order of the route table (`routes::ROUTES`), and the docs page that
//! shows it (`docs.rs`).

use utoipa::openapi::{
    Components, ContactBuilder, Content, ContentBuilder, InfoBuilder, LicenseBuilder, ObjectBuilder, OpenApi,
    OpenApiBuilder, Ref, RefOr, Response, ResponseBuilder, Tag, Type,
    header::HeaderBuilder,
    path::Operation,
    security::{Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme},
};

pub(crate) use self::docs::ServedDocument;
use crate::{
    problem::{FieldError, Problem},
    routes,
};

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/api-docs/openapi.json";

/// The token endpoint of the OAuth2 password flow the document advertises.
pub const TOKEN_URL: &str = "/api/v1/auth/token";

/// Tags in the order the docs page shows them.
const TAGS: &[(&str, &str)] = &[
    ("auth", "Accounts, sign-in, tokens and the caller's profile"),
    ("sessions", "The caller's sessions (devices): list and revoke"),
    ("passkeys", "Passkeys (WebAuthn): register, list and remove them, and sign in with one"),
    ("organizations", "Organizations (tenants) the caller belongs to"),
    ("members", "Members of an organization and their roles"),
    ("roles", "Built-in and custom roles of an organization"),
    ("invitations", "Invitations to join an organization"),
    ("audit", "An organization's audit log: who changed what, from where, when"),
    ("networks", "An organization's networks (routers or sites) and their agents"),
    ("assets", "An organization's inventory of addresses in its networks"),
    ("services", "The services (ports and protocols) of an organization's assets"),
    ("scans", "Scans imported into a network's inventory"),
    ("access-rules", "A network's allow and deny lists, applied through its agent"),
    ("chats", "End-to-end encrypted messaging between members: chats, opaque messages, read pointers"),
    ("admin", "Platform administration (superusers only)"),
    ("revocations", "Revoked sessions, for services that verify our tokens (service clients)"),
    ("discovery", "Public keys (JWKS) and metadata for services that verify our tokens"),
    ("health", "Liveness and readiness probes"),
    ("operations", "Metrics for operators"),
];

/// The whole API document.
pub fn document() -> OpenApi {
    let info = InfoBuilder::new()
        .title("authdb")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Authentication, tenancy and data server. Errors are RFC 9457 `application/problem+json`. \
             Sign in with `POST /api/v1/auth/login` and send the access token as `Authorization: Bearer`; \
             the docs page's Authorize button accepts a token or signs in through the OAuth2 password flow.",
        ))
        .license(Some(LicenseBuilder::new().name("Apache-2.0").identifier(Some("Apache-2.0")).build()))
        .contact(Some(ContactBuilder::new().name(Some("authdb")).build()))
        .build();
    let mut document = OpenApiBuilder::new().info(info).build();
    for openapi in routes::ROUTES.iter().map(|module| module.openapi) {
        document.merge(openapi());
    }
    let components = document.components.get_or_insert_with(Components::new);
    components.schemas.insert("Problem".into(), <Problem as utoipa::PartialSchema>::schema());
    components.schemas.insert("FieldError".into(), <FieldError as utoipa::PartialSchema>::schema());
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some("An access token from login, register, refresh or the token endpoint"))
                .build(),
        ),
    );
    components.add_security_scheme(
        "oauth2",
        SecurityScheme::OAuth2(OAuth2::with_description(
            [Flow::Password(Password::new(TOKEN_URL, Scopes::new()))],
            "OAuth2 password grant (RFC 6749 section 4.3) at the token endpoint",
        )),
    );
    add_common_responses(&mut document);
    document.tags = Some(
        TAGS.iter()
            .map(|(name, description)| {
                let mut tag = Tag::new(*name);
                tag.description = Some((*description).to_owned());
                tag
            })
            .collect(),
    );
    document
}

/// Answers every `/api/v1` operation can give whatever the handler, added where the
/// handler's own annotation does not already describe them: rate limiting (429), an
/// unavailable database (503), and for operations with a JSON body, a malformed (400), too
/// large (413), non-JSON or compressed (415) or invalid (422) body. Every error answer is a problem
/// document, so an error response an annotation documented as `application/json` is
/// documented as `application/problem+json`, which is what the server sends.
fn add_common_responses(document: &mut OpenApi) {
    for (path, item) in &mut document.paths.paths {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        // Every route of one organization answers its members 403 while it is suspended,
        // except reading the organization itself (the guards see to it; see guard.rs).
        let tenant_route = path.starts_with("/api/v1/organizations/{id}");
        let reads_organization = path == "/api/v1/organizations/{id}";
        let operations = [
            (true, &mut item.get),
            (false, &mut item.put),
            (false, &mut item.post),
            (false, &mut item.delete),
            (false, &mut item.patch),
        ];
        for (is_get, operation) in operations {
            let Some(operation) = operation else { continue };
            if tenant_route && !(is_get && reads_organization) {
                document_suspension(operation);
            }
            let mut common = vec![
                ("429", "Rate limit exhausted; see `Retry-After`", true),
                ("503", "The database is not answering; retry shortly", true),
            ];
            if operation.request_body.is_some() {
                common.extend([
                    ("400", "Malformed JSON or an unreadable body", false),
                    ("413", "The body is larger than 64 KiB", false),
                    (
                        "415",
                        "The body is not in the documented media type, or is compressed (a `Content-Encoding` \
                         other than `identity`: bodies are read as sent, never decompressed)",
                        false,
                    ),
                    ("422", "A field is missing or invalid; `errors` names each one", false),
                ]);
            }
            for (status, description, retry_after) in common {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem_response(description, retry_after));
            }
            for response in operation.responses.responses.values_mut() {
                if let RefOr::T(response) = response
                    && response.content.get("application/json").is_some_and(is_problem)
                    && let Some(content) = response.content.shift_remove("application/json")
                {
                    response.content.entry("application/problem+json".to_owned()).or_insert(content);
                }
            }
        }
    }
}

/// Adds the suspended organization's 403 to a tenant operation's documented answers.
fn document_suspension(operation: &mut Operation) {
    const SUSPENDED: &str = "the organization is suspended (`/problems/organization-suspended`)";
    match operation.responses.responses.get_mut("403") {
        Some(RefOr::T(response)) => {
            if !response.description.contains("organization-suspended") {
                response.description = format!("{}; or {SUSPENDED}", response.description);
            }
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            let description = format!("The caller is a member, but {SUSPENDED}");
            operation.responses.responses.insert("403".to_owned(), problem_response(&description, false));
        }
    }
}

fn is_problem(content: &RefOr<Content>) -> bool {
    matches!(content, RefOr::T(Content { schema: Some(RefOr::Ref(schema)), .. })
        if schema.ref_location.ends_with("/Problem"))
}

fn problem_response(description: &str, retry_after: bool) -> RefOr<Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
    let mut response = ResponseBuilder::new().description(description).content("application/problem+json", content);
    if retry_after {
        let seconds = HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0))))
            .description(Some("Seconds until a retry may succeed"))
            .build();
        response = response.header("Retry-After", seconds);
    }
    RefOr::T(response.build())
}

mod docs;
#[cfg(test)]
mod tests;
