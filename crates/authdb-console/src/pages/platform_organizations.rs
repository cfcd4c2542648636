//! The Platform section's organizations (superusers only): every organization, searched
//! and paged like `GET /api/v1/admin/organizations`; suspending and unsuspending one (after
//! a confirmation page) and editing its licence fields, both through
//! `OrganizationService::update` as `PATCH /api/v1/organizations/{id}` (`is_active`, and
//! the licence fields with the same rule, `LicenseChanges::parse`: a bad value is 422
//! naming the field).
//!
//! A superuser who is not a member of an organization acts with the owner's permissions,
//! as in the API. For anyone but a superuser these pages and their forms do not exist
//! (404).

use actix_web::{HttpResponse, http::StatusCode, web};
use authdb_domain::{LicenseChanges, Organization, OrganizationChanges, Permission, Violation, parse_search};
use authdb_service::ServiceError;
use maud::{Markup, html};
use serde::Deserialize;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{
    error::ConsoleError,
    form::{NoFields, Posted},
    layout::{Chrome, alert, confirm, csrf_field, notice, page, respond, see_other, url, when},
    paging::{PageQuery, pager_with, query_string},
    session::SignedIn,
    tenant::Tenant,
};

/// The navigation entry every page here marks.
const NAV: &str = "/platform/organizations";

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/platform/organizations", web::get().to(list))
        .route("/platform/organizations/{org}/licence", web::get().to(licence_form))
        .route("/platform/organizations/{org}/licence", web::post().to(edit_licence))
        .route("/platform/organizations/{org}/{action}", web::get().to(confirm_action))
        .route("/platform/organizations/{org}/{action}", web::post().to(act));
}

/// The list's query: the API's `q` and the page.
#[derive(Deserialize)]
struct OrganizationsQuery {
    q: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

/// The licence form: each field as typed; an empty one clears the field, an absent one
/// is left alone.
#[derive(Deserialize)]
struct LicenceForm {
    license_key: Option<String>,
    license_expires_at: Option<String>,
    max_assets: Option<String>,
}

/// Suspending or lifting a suspension, each behind a confirmation page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Suspend,
    Unsuspend,
}

impl Action {
    fn parse(text: &str) -> Result<Self, ConsoleError> {
        match text {
            "suspend" => Ok(Self::Suspend),
            "unsuspend" => Ok(Self::Unsuspend),
            _ => Err(ConsoleError::NotFound),
        }
    }
}

fn org_path(id: impl std::fmt::Display, rest: &str) -> String {
    format!("{NAV}/{id}{rest}")
}

fn invalid(violation: Violation) -> ConsoleError {
    ServiceError::Invalid(vec![violation]).into()
}

async fn list(signed_in: SignedIn, query: web::Query<OrganizationsQuery>) -> Result<HttpResponse, ConsoleError> {
    signed_in.require_superuser()?;
    let page_asked = query.page.page()?;
    let search = parse_search(query.q.as_deref()).map_err(invalid)?;
    let listed =
        signed_in.console.admin.list_organizations(&signed_in.principal, search.as_deref(), page_asked).await?;
    let typed = query.q.as_deref().unwrap_or("").trim();
    let content = html! {
        form method="get" action=(url(NAV)) class="picker" role="search" aria-label="Search the organizations" {
            div class="field" {
                label for="q" { "Name or slug contains" }
                input id="q" name="q" type="search" value=(typed) maxlength="100" autocomplete="off";
            }
            button type="submit" { "Search" }
        }
        @if listed.total == 0 {
            p { @if search.is_some() { "No organization matches this search." } @else { "No organizations." } }
        } @else {
            div class="scroll" tabindex="0" role="region" aria-label="Organizations (scrolls sideways)" {
                table {
                    caption class="visually-hidden" { "Every organization of the platform, oldest first" }
                    thead {
                        tr {
                            th scope="col" { "Organization" } th scope="col" { "Slug" } th scope="col" { "Status" }
                            th scope="col" { "Licence key" } th scope="col" { "Licence expires" }
                            th scope="col" { "Asset limit" } th scope="col" { "Created" } th scope="col" { "Actions" }
                        }
                    }
                    tbody {
                        @for organization in &listed.items {
                            (row(organization))
                        }
                    }
                }
            }
            (pager_with(NAV, &query_string([("q", typed)]), &listed, "organizations"))
        }
    };
    Ok(respond(StatusCode::OK, page("All organizations", Some(&signed_in.chrome(NAV)), content)))
}

fn row(organization: &Organization) -> Markup {
    let name = organization.name.as_str();
    let id = organization.id;
    html! {
        tr {
            th scope="row" { (name) }
            td { (organization.slug.as_str()) }
            td { @if organization.is_active { "active" } @else { strong { "suspended" } } }
            td { (organization.license_key.as_deref().unwrap_or("—")) }
            td { @if let Some(at) = organization.license_expires_at { (when(at)) } @else { "never" } }
            td { @if let Some(max) = organization.max_assets { (max) } @else { "none" } }
            td { (when(organization.created_at)) }
            td class="detail" {
                @if organization.is_active {
                    a href=(url(&org_path(id, "/suspend"))) { "Suspend" span class="visually-hidden" { " " (name) } }
                } @else {
                    a href=(url(&org_path(id, "/unsuspend"))) { "Unsuspend" span class="visually-hidden" { " " (name) } }
                }
                " · "
                a href=(url(&org_path(id, "/licence"))) { "Licence" span class="visually-hidden" { " of " (name) } }
            }
        }
    }
}

/// The organization of the path, opened as the API's `PATCH /organizations/{id}` opens
/// it (`org:update`; a superuser who is not a member acts as an owner).
async fn open(signed_in: &SignedIn, org: &str) -> Result<Tenant, ConsoleError> {
    signed_in.require_superuser()?;
    Tenant::open(signed_in, org, Permission::OrgUpdate).await
}

async fn confirm_action(signed_in: SignedIn, path: web::Path<(String, String)>) -> Result<HttpResponse, ConsoleError> {
    let action = Action::parse(&path.1)?;
    let tenant = open(&signed_in, &path.0).await?;
    let name = &tenant.name;
    let id = tenant.membership.organization_id();
    let (heading, question, button) = match action {
        Action::Suspend => (
            "Suspend an organization",
            format!(
                "Suspend {name}? Its members are refused everything but reading the organization (403, \
                 organization suspended) until it is unsuspended."
            ),
            "Suspend the organization",
        ),
        Action::Unsuspend => (
            "Unsuspend an organization",
            format!("Unsuspend {name}? Its members can use it again at once."),
            "Unsuspend the organization",
        ),
    };
    let action_path = org_path(id, if action == Action::Suspend { "/suspend" } else { "/unsuspend" });
    let markup = confirm(&signed_in.chrome(NAV), heading, &question, &action_path, button, NAV);
    Ok(respond(StatusCode::OK, markup))
}

async fn act(path: web::Path<(String, String)>, posted: Posted<NoFields>) -> Result<HttpResponse, ConsoleError> {
    let signed_in = &posted.signed_in;
    let action = Action::parse(&path.1)?;
    let tenant = open(signed_in, &path.0).await?;
    let changes =
        OrganizationChanges { is_active: Some(action == Action::Unsuspend), ..OrganizationChanges::default() };
    signed_in
        .console
        .organizations
        .update(&signed_in.principal, &tenant.membership, changes, &signed_in.client)
        .await?;
    Ok(see_other(NAV))
}

/// The licence form, with the organization's current values (or those just sent), and
/// above it a notice (`Some(Ok(()))`: saved) or the problem.
fn licence_page(
    chrome: &Chrome,
    organization: &Organization,
    sent: Option<&LicenceForm>,
    said: Option<Result<(), &ConsoleError>>,
) -> Markup {
    let key = sent
        .and_then(|form| form.license_key.clone())
        .unwrap_or_else(|| organization.license_key.clone().unwrap_or_default());
    let expires = sent
        .and_then(|form| form.license_expires_at.clone())
        .unwrap_or_else(|| organization.license_expires_at.and_then(|at| at.format(&Rfc3339).ok()).unwrap_or_default());
    let max = sent
        .and_then(|form| form.max_assets.clone())
        .unwrap_or_else(|| organization.max_assets.map(|max| max.to_string()).unwrap_or_default());
    let action = org_path(organization.id, "/licence");
    page(
        &format!("Licence of {}", organization.name),
        Some(chrome),
        html! {
            @match said {
                Some(Ok(())) => (notice("The licence was saved.")),
                Some(Err(error)) => {
                    @let problem = error.problem();
                    (alert(problem.title, &problem.detail))
                }
                None => {}
            }
            p { a href=(url(NAV)) { "All organizations" } }
            p {
                "An expired licence stops the organization's inventory writes; the asset limit caps its assets. "
                "Leave a field empty to clear it."
            }
            form method="post" action=(url(&action)) {
                (csrf_field(&chrome.form_token))
                div class="field" {
                    label for="license_key" { "Licence key" }
                    input id="license_key" name="license_key" type="text" value=(key) maxlength="255" autocomplete="off"
                        aria-describedby="license_key-hint";
                    span id="license_key-hint" class="hint" { "1 to 255 characters; empty for none." }
                }
                div class="field" {
                    label for="license_expires_at" { "Licence expires at" }
                    input id="license_expires_at" name="license_expires_at" type="text" value=(expires) autocomplete="off"
                        aria-describedby="license_expires_at-hint";
                    span id="license_expires_at-hint" class="hint" { "RFC 3339, such as 2027-01-31T00:00:00Z; empty for never." }
                }
                div class="field" {
                    label for="max_assets" { "Asset limit" }
                    input id="max_assets" name="max_assets" type="number" min="0" step="1" value=(max) autocomplete="off"
                        aria-describedby="max_assets-hint";
                    span id="max_assets-hint" class="hint" { "At least 0; empty for no limit." }
                }
                div class="actions" {
                    button type="submit" { "Save the licence" }
                    a href=(url(NAV)) { "Cancel" }
                }
            }
        },
    )
}

#[derive(Deserialize)]
struct LicenceQuery {
    saved: Option<String>,
}

async fn licence_form(
    signed_in: SignedIn,
    org: web::Path<String>,
    query: web::Query<LicenceQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let tenant = open(&signed_in, &org).await?;
    let organization = signed_in.console.organizations.get(&tenant.membership).await?;
    let said = query.saved.is_some().then_some(Ok(()));
    Ok(respond(StatusCode::OK, licence_page(&signed_in.chrome(NAV), &organization, None, said)))
}

/// The licence fields of the form that differ from the organization's, checked like the
/// API's (`LicenseChanges::parse`): an empty field clears its value, an absent one is left
/// alone.
fn licence_changes(form: &LicenceForm, organization: &Organization) -> Result<LicenseChanges, Violation> {
    let key = form.license_key.as_deref().map(|key| Some(key).filter(|key| !key.is_empty()).map(str::to_owned));
    let expires = form.license_expires_at.as_deref().map(str::trim).map(parse_expiry).transpose()?;
    let max = form.max_assets.as_deref().map(str::trim).map(parse_max_assets).transpose()?;
    LicenseChanges::parse(
        key.filter(|key| *key != organization.license_key),
        expires.filter(|expires| *expires != organization.license_expires_at),
        max.filter(|max| *max != organization.max_assets),
    )
}

/// An expiry as typed: empty for none, else RFC 3339 (as the API reads it).
fn parse_expiry(text: &str) -> Result<Option<OffsetDateTime>, Violation> {
    if text.is_empty() {
        return Ok(None);
    }
    OffsetDateTime::parse(text, &Rfc3339).map(Some).map_err(|_| {
        Violation::new("license_expires_at", "must be an RFC 3339 date and time, such as 2027-01-31T00:00:00Z")
    })
}

/// An asset limit as typed: empty for none, else a whole number.
fn parse_max_assets(text: &str) -> Result<Option<i32>, Violation> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| Violation::new("max_assets", "must be a whole number"))
}

async fn edit_licence(org: web::Path<String>, posted: Posted<LicenceForm>) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed_in, form } = posted;
    let tenant = open(&signed_in, &org).await?;
    let organizations = &signed_in.console.organizations;
    let organization = organizations.get(&tenant.membership).await?;
    let chrome = signed_in.chrome(NAV);
    let refuse =
        |error: ConsoleError| error.with_page(licence_page(&chrome, &organization, Some(&form), Some(Err(&error))));
    let license = match licence_changes(&form, &organization) {
        Ok(license) => license,
        Err(violation) => return Ok(refuse(invalid(violation))),
    };
    let changes = OrganizationChanges { license, ..OrganizationChanges::default() };
    match organizations.update(&signed_in.principal, &tenant.membership, changes, &signed_in.client).await {
        Ok(_) => Ok(see_other(&format!("{}?saved=1", org_path(organization.id, "/licence")))),
        Err(error @ ServiceError::Invalid(_)) => Ok(refuse(ConsoleError::Service(error))),
        Err(error) => Err(error.into()),
    }
}
