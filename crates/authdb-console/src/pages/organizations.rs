//! The Organizations pages: the caller's organizations, and for one of them its members
//! (searched and sorted as the API's list; change a role, remove a member after a
//! confirmation page), its roles with their permissions as a matrix, and its pending
//! invitations (send one, withdraw one after a confirmation page). The audit log is a
//! page of its own (`audit.rs`), linked from the same sub-navigation (`tenant::org_links`).
//!
//! Each page calls the same use cases as the API's routes, behind the same permission
//! (`members:read` for the members, `org:read` for the roles, `members:manage` for the
//! invitations and for changing a role): an organization the caller is not a member of
//! is 404 (existence does not leak), a missing permission 403 with the problem's title
//! and detail. Every list pages like the API (`limit`, `offset`).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use authdb_domain::{
    Email, InvitationId, MemberSortKey, Page, Permission, PermissionSet, Role, RoleName, Sort, SortKey, UserId,
    Violation, parse_search,
};
use authdb_service::{Membership, ServiceError};
use maud::{Markup, html};
use serde::Deserialize;

use crate::{
    error::{ConsoleError, or_step_up},
    form::{NoFields, Posted},
    layout::{confirm, csrf_field, field, page, respond, see_other, url, when},
    paging::{PageQuery, pager, pager_with},
    session::SignedIn,
    tenant::{Tenant, org_links, path_id},
};

/// The navigation entry every Organizations page marks.
const NAV: &str = "/organizations";

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizations", web::get().to(list))
        .route("/organizations/{org}/members", web::get().to(members))
        .route("/organizations/{org}/members/{user}/role", web::post().to(change_role))
        .route("/organizations/{org}/members/{user}/remove", web::get().to(confirm_remove))
        .route("/organizations/{org}/members/{user}/remove", web::post().to(remove))
        .route("/organizations/{org}/roles", web::get().to(roles))
        .route("/organizations/{org}/invitations", web::get().to(invitations))
        .route("/organizations/{org}/invitations", web::post().to(invite))
        .route("/organizations/{org}/invitations/{id}/withdraw", web::get().to(confirm_withdraw))
        .route("/organizations/{org}/invitations/{id}/withdraw", web::post().to(withdraw));
}

#[derive(Deserialize)]
struct RoleForm {
    role: String,
}

#[derive(Deserialize)]
struct InviteForm {
    email: String,
    role: String,
}

fn invalid(violation: Violation) -> ConsoleError {
    ServiceError::Invalid(vec![violation]).into()
}

/// A `select` of the organization's roles, `selected` chosen.
fn role_select(id: &str, label: &str, roles: &[Role], selected: Option<&str>) -> Markup {
    html! {
        label for=(id) class="visually-hidden" { (label) }
        select id=(id) name="role" {
            @for role in roles {
                option value=(role.name.as_str()) selected[Some(role.name.as_str()) == selected] { (role.name.as_str()) }
            }
        }
    }
}

/// Every role of the organization (built-in and custom), for the role pickers.
async fn all_roles(signed_in: &SignedIn, tenant: &Tenant) -> Result<Vec<Role>, ConsoleError> {
    Ok(signed_in.console.organizations.list_roles(&tenant.membership, Page::first(Page::MAX_LIMIT)).await?.items)
}

async fn list(signed_in: SignedIn, query: web::Query<PageQuery>) -> Result<HttpResponse, ConsoleError> {
    let page_asked = query.page()?;
    let listed = signed_in.console.organizations.list_mine(&signed_in.principal, page_asked).await?;
    let content = html! {
        @if listed.total == 0 {
            p { "You are not a member of any organization." }
        } @else {
            table {
                caption class="visually-hidden" { "Your organizations and your role in each" }
                thead { tr { th scope="col" { "Organization" } th scope="col" { "Your role" } th scope="col" { "Pages" } } }
                tbody {
                    @for item in &listed.items {
                        @let id = item.organization.id;
                        @let name = item.organization.name.as_str().to_owned();
                        tr {
                            th scope="row" { (name) }
                            td { (item.role) }
                            td {
                                a href=(url(&format!("/organizations/{id}/members"))) { "Members" span class="visually-hidden" { " of " (name) } }
                                " · "
                                a href=(url(&format!("/organizations/{id}/roles"))) { "Roles" span class="visually-hidden" { " of " (name) } }
                                " · "
                                a href=(url(&format!("/organizations/{id}/invitations"))) { "Invitations" span class="visually-hidden" { " of " (name) } }
                            }
                        }
                    }
                }
            }
            (pager(NAV, &listed, "organizations"))
        }
    };
    Ok(respond(StatusCode::OK, page("Organizations", Some(&signed_in.chrome(NAV)), content)))
}

/// The member list's search (`q`) and order (`sort`), as the API's `GET .../members`
/// takes them, from the query string (a repeated parameter counts once, its last value).
#[derive(Debug)]
struct MemberListing {
    search: Option<String>,
    sort: Sort<MemberSortKey>,
}

impl MemberListing {
    fn read(req: &HttpRequest) -> Result<Self, ConsoleError> {
        let (mut q, mut sort) = (None, None);
        for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
            match key.as_ref() {
                "q" => q = Some(value.into_owned()),
                "sort" => sort = Some(value.into_owned()).filter(|sort| !sort.is_empty()),
                _ => {}
            }
        }
        match (parse_search(q.as_deref()), Sort::<MemberSortKey>::parse(sort.as_deref())) {
            (Ok(search), Ok(sort)) => Ok(Self { search, sort }),
            (search, sort) => {
                Err(ServiceError::Invalid([search.err(), sort.err()].into_iter().flatten().collect()).into())
            }
        }
    }

    /// The query that asks for this listing again (`q=...&sort=...`, encoded), with `sort`
    /// replaced when given.
    fn query(&self, sort: Option<Sort<MemberSortKey>>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(search) = &self.search {
            query.append_pair("q", search);
        }
        let sort = sort.unwrap_or(self.sort);
        if sort != DEFAULT_MEMBER_SORT {
            query.append_pair("sort", &sort_text(sort));
        }
        query.finish()
    }

    /// A column header that orders the list by `key`: ascending, or descending when it is
    /// already ascending by it.
    fn header(&self, path: &str, label: &str, key: MemberSortKey) -> Markup {
        let current = (self.sort.key == key).then_some(self.sort.descending);
        let next = Sort { key, descending: current == Some(false) };
        let query = self.query(Some(next));
        let href = if query.is_empty() { url(path) } else { url(&format!("{path}?{query}")) };
        let state = match current {
            Some(false) => Some("ascending"),
            Some(true) => Some("descending"),
            None => None,
        };
        html! {
            th scope="col" aria-sort=[state] {
                a href=(href) {
                    (label)
                    span class="visually-hidden" { @if next.descending { " (sort descending)" } @else { " (sort ascending)" } }
                }
                @if let Some(state) = state { " " span aria-hidden="true" { @if state == "ascending" { "▲" } @else { "▼" } } }
            }
        }
    }
}

/// The member list's order when the query names none (the API's).
const DEFAULT_MEMBER_SORT: Sort<MemberSortKey> = Sort { key: MemberSortKey::DEFAULT, descending: false };

/// How a member list's order is written in a query string: `email`, `-joined_at`.
fn sort_text(sort: Sort<MemberSortKey>) -> String {
    let name = MemberSortKey::KEYS.iter().find(|(_, key)| *key == sort.key).map_or("joined_at", |(name, _)| name);
    if sort.descending { format!("-{name}") } else { name.to_owned() }
}

async fn members(
    signed_in: SignedIn,
    org: web::Path<String>,
    query: web::Query<PageQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let tenant = Tenant::open(&signed_in, &org, Permission::MembersRead).await?;
    let page_asked = query.page()?;
    let listing = MemberListing::read(&req)?;
    let listed = signed_in
        .console
        .organizations
        .list_members(&tenant.membership, listing.search.as_deref(), listing.sort, page_asked)
        .await?;
    let manage = tenant.may(Permission::MembersManage);
    let roles = if manage { all_roles(&signed_in, &tenant).await? } else { Vec::new() };
    let name = &tenant.name;
    let chrome = signed_in.chrome(NAV);
    let path = tenant.path("/members");
    let content = html! {
        (org_links(&tenant, "/members"))
        form method="get" class="picker" role="search" action=(url(&path)) {
            div class="field" {
                label for="q" { "Search by email or username" }
                input id="q" name="q" type="search" value=(listing.search.as_deref().unwrap_or("")) autocomplete="off";
            }
            @if listing.sort != DEFAULT_MEMBER_SORT { input type="hidden" name="sort" value=(sort_text(listing.sort)); }
            div class="actions" {
                button type="submit" { "Search" }
                @if listing.search.is_some() { a href=(url(&path)) { "Show every member" } }
            }
        }
        @if listing.search.is_some() && listed.total == 0 { p { "No member matches this search." } }
        table {
            caption class="visually-hidden" { "Members of " (name) " and their roles; the column headers sort the list" }
            thead {
                tr {
                    (listing.header(&path, "Member", MemberSortKey::Username))
                    (listing.header(&path, "Email", MemberSortKey::Email))
                    th scope="col" { "Role" }
                    (listing.header(&path, "Joined", MemberSortKey::JoinedAt))
                    @if manage { th scope="col" { "Change the role" } th scope="col" { "Remove" } }
                }
            }
            tbody {
                @for member in &listed.items {
                    @let username = member.username.to_string();
                    tr {
                        th scope="row" { (username) @if let Some(full) = &member.full_name { " (" (full) ")" } }
                        td { (member.email.as_str()) }
                        td { (member.role.as_str()) }
                        td { (when(member.joined_at)) }
                        @if manage {
                            td {
                                form method="post" class="inline" action=(url(&format!("{path}/{}/role", member.user_id))) {
                                    (csrf_field(&chrome.form_token))
                                    (role_select(&format!("role-{}", member.user_id), &format!("The role of {username}"), &roles, Some(member.role.as_str())))
                                    button type="submit" { "Change" span class="visually-hidden" { " the role of " (username) } }
                                }
                            }
                            td {
                                a href=(url(&format!("{path}/{}/remove", member.user_id))) { "Remove" span class="visually-hidden" { " " (username) } }
                            }
                        }
                    }
                }
            }
        }
        (pager_with(&path, &listing.query(None), &listed, "members"))
    };
    Ok(respond(StatusCode::OK, page(&format!("Members of {name}"), Some(&chrome), content)))
}

async fn change_role(
    path: web::Path<(String, String)>,
    posted: Posted<RoleForm>,
) -> Result<HttpResponse, ConsoleError> {
    let signed_in = &posted.signed_in;
    let tenant = Tenant::open(signed_in, &path.0, Permission::MembersManage).await?;
    let user: UserId = path_id(&path.1)?;
    let role = RoleName::parse(&posted.form.role, "role").map_err(invalid)?;
    let step_up = signed_in.console.auth.step_up(&signed_in.principal);
    signed_in
        .console
        .organizations
        .change_member_role(&step_up, &tenant.membership, user, &role, &signed_in.client)
        .await
        .map_err(|error| or_step_up(error, &tenant.path("/members")))?;
    Ok(see_other(&tenant.path("/members")))
}

async fn confirm_remove(signed_in: SignedIn, path: web::Path<(String, String)>) -> Result<HttpResponse, ConsoleError> {
    let tenant = Tenant::member(&signed_in, &path.0).await?;
    let user: UserId = path_id(&path.1)?;
    let name = &tenant.name;
    let who = member_name(&signed_in, &tenant.membership, user).await;
    let question = if user == tenant.membership.user_id() {
        format!("Leave {name}? You lose every permission your role gives you there.")
    } else {
        format!("Remove {who} from {name}? They lose every permission their role gives them there.")
    };
    let action = tenant.path(&format!("/members/{user}/remove"));
    let back = tenant.path("/members");
    let markup = confirm(&signed_in.chrome(NAV), "Remove a member", &question, &action, "Remove the member", &back);
    Ok(respond(StatusCode::OK, markup))
}

/// How the removal's confirmation page names a member: username and email when the
/// caller may read the members (and the member is among the first page of the largest
/// size), else the user id.
async fn member_name(signed_in: &SignedIn, membership: &Membership, user: UserId) -> String {
    let Ok(sort) = Sort::<MemberSortKey>::parse(None) else { return user.to_string() };
    let listed =
        signed_in.console.organizations.list_members(membership, None, sort, Page::first(Page::MAX_LIMIT)).await;
    listed
        .ok()
        .and_then(|listed| listed.items.into_iter().find(|member| member.user_id == user))
        .map_or_else(|| user.to_string(), |member| format!("{} ({})", member.username, member.email.as_str()))
}

async fn remove(path: web::Path<(String, String)>, posted: Posted<NoFields>) -> Result<HttpResponse, ConsoleError> {
    let signed_in = &posted.signed_in;
    let tenant = Tenant::member(signed_in, &path.0).await?;
    let user: UserId = path_id(&path.1)?;
    let step_up = signed_in.console.auth.step_up(&signed_in.principal);
    signed_in
        .console
        .organizations
        .remove_member(&step_up, &tenant.membership, user, &signed_in.client)
        .await
        .map_err(|error| or_step_up(error, &tenant.path("/members")))?;
    if user == tenant.membership.user_id() && !tenant.membership.is_superuser_access() {
        return Ok(see_other(NAV));
    }
    Ok(see_other(&tenant.path("/members")))
}

async fn roles(
    signed_in: SignedIn,
    org: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let tenant = Tenant::open(&signed_in, &org, Permission::OrgRead).await?;
    let page_asked = query.page()?;
    let listed = signed_in.console.organizations.list_roles(&tenant.membership, page_asked).await?;
    let name = &tenant.name;
    let path = tenant.path("/roles");
    let content = html! {
        (org_links(&tenant, "/roles"))
        p { "Which permissions each role gives. Built-in roles are the same in every organization." }
        div class="scroll" tabindex="0" role="region" aria-label="Roles and permissions (scrolls sideways)" {
            table class="matrix" {
                caption { "Roles of " (name) " (rows) and their permissions (columns)" }
                thead {
                    tr {
                        th scope="col" { "Role" }
                        @for permission in Permission::ALL { th scope="col" { code { (permission.as_str()) } } }
                    }
                }
                tbody {
                    @for role in &listed.items {
                        tr {
                            th scope="row" {
                                (role.name.as_str())
                                @if role.organization_id.is_none() { " " span class="tag" { "built-in" } }
                            }
                            @for permission in Permission::ALL { (matrix_cell(role.permissions, permission)) }
                        }
                    }
                }
            }
        }
        (pager(&path, &listed, "roles"))
    };
    Ok(respond(StatusCode::OK, page(&format!("Roles of {name}"), Some(&signed_in.chrome(NAV)), content)))
}

fn matrix_cell(permissions: PermissionSet, permission: Permission) -> Markup {
    html! {
        @if permissions.contains(permission) {
            td class="yes" { "✓" span class="visually-hidden" { " yes" } }
        } @else {
            td class="no" { span class="visually-hidden" { "no" } }
        }
    }
}

async fn invitations(
    signed_in: SignedIn,
    org: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let tenant = Tenant::open(&signed_in, &org, Permission::MembersManage).await?;
    let page_asked = query.page()?;
    let listed = signed_in.console.organizations.list_invitations(&tenant.membership, page_asked).await?;
    let roles = all_roles(&signed_in, &tenant).await?;
    let name = &tenant.name;
    let chrome = signed_in.chrome(NAV);
    let path = tenant.path("/invitations");
    let content = html! {
        (org_links(&tenant, "/invitations"))
        section aria-labelledby="send" {
            h2 id="send" { "Send an invitation" }
            p { "The invitation is mailed with a link; the person becomes a member by accepting it." }
            form method="post" action=(url(&path)) {
                (csrf_field(&chrome.form_token))
                (field("Email address", "email", "email", "off"))
                div class="field" {
                    label for="invite-role" { "Role" }
                    select id="invite-role" name="role" {
                        @for role in &roles {
                            option value=(role.name.as_str()) selected[role.name.as_str() == "viewer"] { (role.name.as_str()) }
                        }
                    }
                }
                button type="submit" { "Send the invitation" }
            }
        }
        section aria-labelledby="pending" {
            h2 id="pending" { "Pending invitations" }
            @if listed.total == 0 {
                p { "No pending invitations." }
            } @else {
                table {
                    caption class="visually-hidden" { "Pending invitations to " (name) }
                    thead { tr { th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "Sent" } th scope="col" { "Expires" } th scope="col" { "Action" } } }
                    tbody {
                        @for pending in &listed.items {
                            @let email = pending.invitation.email.as_str();
                            tr {
                                th scope="row" { (email) }
                                td { (pending.role.as_str()) }
                                td { (when(pending.invitation.created_at)) }
                                td { (when(pending.invitation.expires_at)) }
                                td { a href=(url(&format!("{path}/{}/withdraw", pending.invitation.id))) { "Withdraw" span class="visually-hidden" { " the invitation of " (email) } } }
                            }
                        }
                    }
                }
                (pager(&path, &listed, "invitations"))
            }
        }
    };
    Ok(respond(StatusCode::OK, page(&format!("Invitations to {name}"), Some(&chrome), content)))
}

async fn invite(org: web::Path<String>, posted: Posted<InviteForm>) -> Result<HttpResponse, ConsoleError> {
    let signed_in = &posted.signed_in;
    let tenant = Tenant::open(signed_in, &org, Permission::MembersManage).await?;
    let email = Email::parse(posted.form.email.trim());
    let role = RoleName::parse(&posted.form.role, "role");
    let (email, role) = match (email, role) {
        (Ok(email), Ok(role)) => (email, role),
        (email, role) => {
            let violations = [email.err(), role.err()].into_iter().flatten().collect();
            return Err(ServiceError::Invalid(violations).into());
        }
    };
    let step_up = signed_in.console.auth.step_up(&signed_in.principal);
    signed_in
        .console
        .organizations
        .invite(&step_up, &tenant.membership, email, &role, &signed_in.client)
        .await
        .map_err(|error| or_step_up(error, &tenant.path("/invitations")))?;
    Ok(see_other(&tenant.path("/invitations")))
}

async fn confirm_withdraw(
    signed_in: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let tenant = Tenant::open(&signed_in, &path.0, Permission::MembersManage).await?;
    let id: InvitationId = path_id(&path.1)?;
    let question = format!("Withdraw this invitation to {}? Its link stops working at once.", tenant.name);
    let action = tenant.path(&format!("/invitations/{id}/withdraw"));
    let back = tenant.path("/invitations");
    let chrome = signed_in.chrome(NAV);
    let markup = confirm(&chrome, "Withdraw an invitation", &question, &action, "Withdraw the invitation", &back);
    Ok(respond(StatusCode::OK, markup))
}

async fn withdraw(path: web::Path<(String, String)>, posted: Posted<NoFields>) -> Result<HttpResponse, ConsoleError> {
    let signed_in = &posted.signed_in;
    let tenant = Tenant::open(signed_in, &path.0, Permission::MembersManage).await?;
    let id: InvitationId = path_id(&path.1)?;
    signed_in.console.organizations.revoke_invitation(&tenant.membership, id, &signed_in.client).await?;
    Ok(see_other(&tenant.path("/invitations")))
}
