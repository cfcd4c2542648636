//! An organization's audit log: a GET form of filters (action or action prefix, actor,
//! outcome, target, a time range) over the events, newest first, a page at a time with
//! the filters kept in the pager's links. The same read as the API's
//! `GET /organizations/{id}/audit-events` (`OrganizationService::audit_events`), behind
//! the same permission, `audit:read`; the filters are parsed by the domain's
//! `AuditFilter`, so a bad one is the same 422 naming the field.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use authdb_domain::{AuditFilter, AuditOutcome, Page, Permission};
use authdb_service::{AuditLogEntry, ServiceError};
use maud::{Markup, html};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{
    error::ConsoleError,
    layout::{datetime_local, datetime_local_value, page, respond, url, when},
    paging::{pager_with, query_string},
    session::SignedIn,
    tenant::{Tenant, org_links},
};

/// The navigation entry the page marks.
const NAV: &str = "/organizations";

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizations/{org}/audit", web::get().to(audit));
}

/// The query string's parameters, decoded; a repeated one counts once, its last value.
fn parameters(req: &HttpRequest) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = Vec::new();
    for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()).into_owned() {
        params.retain(|(seen, _)| *seen != key);
        params.push((key, value));
    }
    params
}

/// A time from the form: RFC 3339 as the API takes it, or what a `datetime-local` input
/// sends (`2026-12-01T09:30`, seconds optional), read as UTC.
fn form_time(raw: &str) -> String {
    datetime_local(raw).and_then(|at| at.format(&Rfc3339).ok()).unwrap_or_else(|| raw.trim().to_owned())
}

/// The filter as query parameters for the pager's links (`key=value&...`, encoded).
fn filter_query(filter: &AuditFilter) -> String {
    let actor = filter.actor.as_ref().map(|actor| actor.to_text());
    let time = |at: Option<OffsetDateTime>| at.and_then(|at| at.format(&Rfc3339).ok());
    let (from, to) = (time(filter.from), time(filter.to));
    query_string([
        ("action", filter.action.as_ref().map_or("", |action| action.as_str())),
        ("actor", actor.as_deref().unwrap_or_default()),
        ("outcome", filter.outcome.map_or("", |outcome| outcome.as_str())),
        ("target", filter.target.as_ref().map_or("", |target| target.as_str())),
        ("from", from.as_deref().unwrap_or_default()),
        ("to", to.as_deref().unwrap_or_default()),
    ])
}

async fn audit(signed_in: SignedIn, org: web::Path<String>, req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    let tenant = Tenant::open(&signed_in, &org, Permission::AuditRead).await?;
    let params = parameters(&req);
    let value = |name: &str| params.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    let page_asked = Page::parse(value("limit"), value("offset"));
    let times: Vec<(&str, String)> =
        ["from", "to"].into_iter().filter_map(|key| value(key).map(|raw| (key, form_time(raw)))).collect();
    let filter = AuditFilter::parse(
        params
            .iter()
            .filter(|(key, _)| key != "from" && key != "to")
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .chain(times.iter().map(|(key, value)| (*key, value.as_str()))),
    );
    let (page_asked, filter) = match (page_asked, filter) {
        (Ok(page_asked), Ok(filter)) => (page_asked, filter),
        (page_asked, filter) => {
            let violations = [page_asked.err(), filter.err()].into_iter().flatten().flatten().collect();
            return Err(ServiceError::Invalid(violations).into());
        }
    };
    let listed = signed_in.console.organizations.audit_events(&tenant.membership, &filter, page_asked).await?;
    let name = &tenant.name;
    let path = tenant.path("/audit");
    let content = html! {
        (org_links(&tenant, "/audit"))
        (filter_form(&path, &filter))
        @if listed.items.is_empty() {
            p { @if filter.is_empty() { "No events yet." } @else { "No events match these filters." } }
        } @else {
            div class="scroll" tabindex="0" role="region" aria-label="Audit events (scrolls sideways)" {
                table {
                    caption class="visually-hidden" { "Audit events of " (name) ", newest first" }
                    thead {
                        tr {
                            th scope="col" { "When" } th scope="col" { "Actor" } th scope="col" { "Action" }
                            th scope="col" { "Target" } th scope="col" { "Outcome" } th scope="col" { "Address" }
                            th scope="col" { "Details" }
                        }
                    }
                    tbody { @for entry in &listed.items { (event_row(entry)) } }
                }
            }
        }
        (pager_with(&path, &filter_query(&filter), &listed, "events"))
    };
    Ok(respond(StatusCode::OK, page(&format!("Audit log of {name}"), Some(&signed_in.chrome(NAV)), content)))
}

/// The filters, filled in with the ones in force.
fn filter_form(path: &str, filter: &AuditFilter) -> Markup {
    let action = filter.action.as_ref().map(|action| action.as_str().to_owned()).unwrap_or_default();
    let actor = filter.actor.as_ref().map(|actor| actor.to_text()).unwrap_or_default();
    let target = filter.target.as_ref().map(|target| target.as_str().to_owned()).unwrap_or_default();
    let from = filter.from.map(datetime_local_value).unwrap_or_default();
    let to = filter.to.map(datetime_local_value).unwrap_or_default();
    html! {
        form method="get" class="picker" action=(url(path)) aria-label="Filter the audit log" {
            div class="field" {
                label for="action" { "Action" }
                input id="action" name="action" type="text" value=(action) autocomplete="off" aria-describedby="action-hint";
                p id="action-hint" { "One action, such as member.role_changed, or every action under a prefix ending with a dot, such as member." }
            }
            div class="field" {
                label for="actor" { "Actor (username or user id)" }
                input id="actor" name="actor" type="text" value=(actor) autocomplete="off";
            }
            div class="field" {
                label for="outcome" { "Outcome" }
                select id="outcome" name="outcome" {
                    option value="" selected[filter.outcome.is_none()] { "Any" }
                    @for outcome in AuditOutcome::ALL {
                        option value=(outcome.as_str()) selected[filter.outcome == Some(outcome)] { (outcome.as_str()) }
                    }
                }
            }
            div class="field" {
                label for="target" { "Target (kind:id)" }
                input id="target" name="target" type="text" value=(target) autocomplete="off" aria-describedby="target-hint";
                p id="target-hint" { "What an event is about, such as user:<id> or invitation:<id>." }
            }
            div class="field" {
                label for="from" { "From (UTC, included)" }
                input id="from" name="from" type="datetime-local" step="1" value=(from);
            }
            div class="field" {
                label for="to" { "To (UTC, excluded)" }
                input id="to" name="to" type="datetime-local" step="1" value=(to);
            }
            div class="actions" {
                button type="submit" { "Filter" }
                a href=(url(path)) { "Clear the filters" }
            }
        }
    }
}

fn event_row(entry: &AuditLogEntry) -> Markup {
    html! {
        tr {
            td { (when(entry.occurred_at)) }
            td {
                @if let Some(actor) = &entry.actor { (actor.username.as_str()) }
                @else { "none" span class="visually-hidden" { " (the system, or a deleted account)" } }
            }
            td { code { (entry.action) } }
            td { @if let Some(target) = &entry.target { code { (target) } } }
            td { (entry.outcome) }
            td { (entry.ip.as_deref().unwrap_or("")) }
            td {
                @if let Some(details) = entry.details.as_object().filter(|details| !details.is_empty()) {
                    @for (key, value) in details { span class="detail" { (key) ": " (value) } " " }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_times_are_read_as_utc_and_rfc_3339_passes_as_it_is() {
        assert_eq!(form_time("2026-12-01T09:30"), "2026-12-01T09:30:00Z");
        assert_eq!(form_time(" 2026-12-01T09:30:15 "), "2026-12-01T09:30:15Z");
        assert_eq!(form_time("2026-12-01T09:30:00+02:00"), "2026-12-01T09:30:00+02:00");
        assert_eq!(form_time("yesterday"), "yesterday", "left for the filter to refuse");
    }

    #[test]
    fn the_pager_keeps_the_filters_encoded() {
        let filter = AuditFilter::parse([
            ("action", "member."),
            ("actor", "alice"),
            ("from", "2026-12-01T09:30:00+01:00"),
            ("outcome", "failure"),
        ])
        .expect("valid");
        assert_eq!(filter_query(&filter), "action=member.&actor=alice&outcome=failure&from=2026-12-01T08%3A30%3A00Z");
        assert_eq!(datetime_local_value(filter.from.expect("from")), "2026-12-01T08:30:00");
        assert_eq!(filter_query(&AuditFilter::default()), "");
    }
}
