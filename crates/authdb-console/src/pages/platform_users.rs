//! The Platform section's users (superusers only): every account, searched, sorted and
//! paged like `GET /api/v1/admin/users`; one account's page; deactivating and reactivating
//! it (`AdminService::update_user`, as `PATCH /api/v1/admin/users/{id}`: deactivation ends
//! every session of the account at once) and resetting its second factors
//! (`AuthService::reset_mfa`, as `POST /api/v1/admin/users/{id}/mfa/reset`, audited
//! `mfa.reset`), each after a confirmation page.
//!
//! For anyone but a superuser these pages and their forms do not exist (404).

use actix_web::{HttpResponse, http::StatusCode, web};
use authdb_domain::{AccountFlagChanges, Sort, User, UserId, UserSortKey, parse_search};
use authdb_service::ServiceError;
use maud::{Markup, html};
use serde::Deserialize;

use crate::{
    error::ConsoleError,
    form::{NoFields, Posted},
    layout::{confirm, notice, page, respond, see_other, url, when},
    paging::{PageQuery, pager_with, query_string},
    session::SignedIn,
    tenant::path_id,
};

/// The navigation entry every page here marks.
const NAV: &str = "/platform/users";

/// The orders the search form offers: the API's `sort` values and their labels.
const SORTS: &[(&str, &str)] = &[
    ("created_at", "Oldest account first"),
    ("-created_at", "Newest account first"),
    ("username", "Username, A to Z"),
    ("-username", "Username, Z to A"),
    ("email", "Email, A to Z"),
    ("-email", "Email, Z to A"),
    ("-last_login_at", "Latest sign-in first"),
    ("last_login_at", "Earliest sign-in first"),
];

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/platform/users", web::get().to(list))
        .route("/platform/users/{id}", web::get().to(user_page))
        .route("/platform/users/{id}/{action}", web::get().to(confirm_action))
        .route("/platform/users/{id}/{action}", web::post().to(act));
}

/// The list's query: the API's `q` and `sort`, and the page.
#[derive(Deserialize)]
struct UsersQuery {
    q: Option<String>,
    sort: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

/// What the account page says after an action (`?done=`).
#[derive(Deserialize)]
struct UserQuery {
    done: Option<String>,
}

/// The actions on an account, each behind a confirmation page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Deactivate,
    Reactivate,
    ResetFactors,
}

impl Action {
    fn parse(text: &str) -> Result<Self, ConsoleError> {
        match text {
            "deactivate" => Ok(Self::Deactivate),
            "reactivate" => Ok(Self::Reactivate),
            "reset-factors" => Ok(Self::ResetFactors),
            _ => Err(ConsoleError::NotFound),
        }
    }

    fn path(self, id: UserId) -> String {
        let action = match self {
            Self::Deactivate => "deactivate",
            Self::Reactivate => "reactivate",
            Self::ResetFactors => "reset-factors",
        };
        format!("{NAV}/{id}/{action}")
    }
}

fn user_path(id: UserId) -> String {
    format!("{NAV}/{id}")
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn status(user: &User) -> &'static str {
    if user.is_active { "active" } else { "deactivated" }
}

async fn list(signed_in: SignedIn, query: web::Query<UsersQuery>) -> Result<HttpResponse, ConsoleError> {
    signed_in.require_superuser()?;
    let page_asked = query.page.page()?;
    let search = parse_search(query.q.as_deref()).map_err(|v| ServiceError::Invalid(vec![v]))?;
    let sort_text = query.sort.as_deref().map(str::trim).filter(|sort| !sort.is_empty());
    let sort = Sort::<UserSortKey>::parse(sort_text).map_err(|v| ServiceError::Invalid(vec![v]))?;
    let listed = signed_in.console.admin.list_users(&signed_in.principal, search.as_deref(), sort, page_asked).await?;
    let typed = query.q.as_deref().unwrap_or("").trim();
    let chosen = sort_text.unwrap_or("created_at");
    let filters = query_string([("q", typed), ("sort", sort_text.unwrap_or_default())]);
    let content = html! {
        form method="get" action=(url(NAV)) class="picker" role="search" aria-label="Search the users" {
            div class="field" {
                label for="q" { "Email or username contains" }
                input id="q" name="q" type="search" value=(typed) maxlength="100" autocomplete="off";
            }
            div class="field" {
                label for="sort" { "Order" }
                select id="sort" name="sort" {
                    @for (value, label) in SORTS {
                        option value=(value) selected[*value == chosen] { (label) }
                    }
                }
            }
            button type="submit" { "Search" }
        }
        @if listed.total == 0 {
            p { @if search.is_some() { "No account matches this search." } @else { "No accounts." } }
        } @else {
            div class="scroll" tabindex="0" role="region" aria-label="Users (scrolls sideways)" {
                table {
                    caption class="visually-hidden" { "Every account of the platform" }
                    thead {
                        tr {
                            th scope="col" { "Username" } th scope="col" { "Email" } th scope="col" { "Status" }
                            th scope="col" { "Verified" } th scope="col" { "Superuser" } th scope="col" { "Created" }
                            th scope="col" { "Last sign-in" }
                        }
                    }
                    tbody {
                        @for user in &listed.items {
                            tr {
                                th scope="row" { a href=(url(&user_path(user.id))) { (user.username.as_str()) } }
                                td { (user.email.as_str()) }
                                td { (status(user)) }
                                td { (yes_no(user.is_verified)) }
                                td { (yes_no(user.is_superuser)) }
                                td { (when(user.created_at)) }
                                td { @if let Some(at) = user.last_login_at { (when(at)) } @else { "never" } }
                            }
                        }
                    }
                }
            }
            (pager_with(NAV, &filters, &listed, "users"))
        }
    };
    Ok(respond(StatusCode::OK, page("Users", Some(&signed_in.chrome(NAV)), content)))
}

/// The account, or 404 for a malformed or unknown id.
async fn find(signed_in: &SignedIn, id: &str) -> Result<User, ConsoleError> {
    let id: UserId = path_id(id)?;
    Ok(signed_in.console.admin.get_user(&signed_in.principal, id).await?)
}

async fn user_page(
    signed_in: SignedIn,
    id: web::Path<String>,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse, ConsoleError> {
    signed_in.require_superuser()?;
    let user = find(&signed_in, &id).await?;
    let username = user.username.as_str();
    let done = match query.done.as_deref() {
        Some("deactivated") => Some("The account was deactivated; its sessions were ended."),
        Some("reactivated") => Some("The account was reactivated."),
        Some("factors-removed") => {
            Some("The second factors were removed: the authenticator app, its recovery codes and the passkeys.")
        }
        Some("no-factors") => Some("The account had no second factor (app or passkey): nothing was removed."),
        _ => None,
    };
    let content = html! {
        @if let Some(done) = done { (notice(done)) }
        p { a href=(url(NAV)) { "All users" } }
        dl class="facts" {
            dt { "Username" } dd { (username) }
            dt { "Email" } dd { (user.email.as_str()) }
            dt { "Full name" } dd { (user.full_name.as_deref().unwrap_or("—")) }
            dt { "Status" } dd { (status(&user)) }
            dt { "Email verified" } dd { (yes_no(user.is_verified)) }
            dt { "Superuser" } dd { (yes_no(user.is_superuser)) }
            dt { "Created" } dd { (when(user.created_at)) }
            dt { "Last sign-in" } dd { @if let Some(at) = user.last_login_at { (when(at)) } @else { "never" } }
            dt { "Sign-ins" } dd { (user.login_count) }
            dt { "Password changed" } dd { (when(user.password_changed_at)) }
            dt { "Id" } dd { code { (user.id) } }
        }
        h2 { "Actions" }
        div class="actions" {
            @if user.is_active {
                a class="button danger" href=(url(&Action::Deactivate.path(user.id))) {
                    "Deactivate" span class="visually-hidden" { " " (username) }
                }
            } @else {
                a class="button" href=(url(&Action::Reactivate.path(user.id))) {
                    "Reactivate" span class="visually-hidden" { " " (username) }
                }
            }
            a class="button danger" href=(url(&Action::ResetFactors.path(user.id))) {
                "Reset second factors" span class="visually-hidden" { " of " (username) }
            }
        }
    };
    Ok(respond(StatusCode::OK, page(&format!("User {username}"), Some(&signed_in.chrome(NAV)), content)))
}

/// The question a confirmation page asks.
fn question(action: Action, user: &User, own: bool) -> String {
    let who = format!("{} ({})", user.username, user.email.as_str());
    match action {
        Action::Deactivate if own => format!(
            "Deactivate your own account {who}? Every session of it ends at once, this one included, and it \
             cannot sign in again until another superuser reactivates it."
        ),
        Action::Deactivate => format!(
            "Deactivate {who}? Every session of the account ends at once and it cannot sign in until it is \
             reactivated."
        ),
        Action::Reactivate => format!("Reactivate {who}? The account can sign in again."),
        Action::ResetFactors => format!(
            "Reset the second factors of {who}? Their authenticator app (TOTP), its recovery codes and their \
             passkeys are removed: they sign in with their password alone until they enrol again."
        ),
    }
}

fn confirmation(signed_in: &SignedIn, action: Action, user: &User) -> Markup {
    let (heading, button) = match action {
        Action::Deactivate => ("Deactivate an account", "Deactivate the account"),
        Action::Reactivate => ("Reactivate an account", "Reactivate the account"),
        Action::ResetFactors => ("Reset second factors", "Reset the second factors"),
    };
    let own = user.id == signed_in.principal.user.id;
    let chrome = signed_in.chrome(NAV);
    confirm(&chrome, heading, &question(action, user, own), &action.path(user.id), button, &user_path(user.id))
}

async fn confirm_action(signed_in: SignedIn, path: web::Path<(String, String)>) -> Result<HttpResponse, ConsoleError> {
    signed_in.require_superuser()?;
    let action = Action::parse(&path.1)?;
    let user = find(&signed_in, &path.0).await?;
    Ok(respond(StatusCode::OK, confirmation(&signed_in, action, &user)))
}

async fn act(path: web::Path<(String, String)>, posted: Posted<NoFields>) -> Result<HttpResponse, ConsoleError> {
    let signed_in = &posted.signed_in;
    signed_in.require_superuser()?;
    let action = Action::parse(&path.1)?;
    let id: UserId = path_id(&path.0)?;
    let console = &signed_in.console;
    let done = match action {
        Action::Deactivate | Action::Reactivate => {
            let is_active = action == Action::Reactivate;
            let changes = AccountFlagChanges { is_active: Some(is_active), ..AccountFlagChanges::default() };
            console.admin.update_user(&signed_in.principal, id, changes, &signed_in.client).await?;
            if is_active { "reactivated" } else { "deactivated" }
        }
        Action::ResetFactors => {
            let removed = console.auth.reset_mfa(&signed_in.principal, id, &signed_in.client).await?;
            if removed { "factors-removed" } else { "no-factors" }
        }
    };
    Ok(see_other(&format!("{}?done={done}", user_path(id))))
}
