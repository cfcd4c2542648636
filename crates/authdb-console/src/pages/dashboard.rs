//! The dashboard: the caller's own sign-ins and failures (24 hours, 30 days) as charts,
//! an organization picker (a GET form, no script), and for the chosen organization the
//! sections the caller's role allows (`InsightsService::dashboard`): members' sign-ins,
//! assets by criticality and by type, open services by port, unread messages. A section
//! the role refuses is absent, not an error. A superuser also sees the platform's
//! sign-ins.
//!
//! Every chart is an inline SVG from `authdb-charts` (`role="img"`, a title and a
//! description, no script or inline style) with a unique id, and beside it the same
//! numbers in text: a sentence of totals and a table (the time series' tables folded in a
//! `details` element, which needs no script either).

use actix_web::{HttpResponse, http::StatusCode, web};
use authdb_charts::{Chart, Kind, Series, day_labels, hour_labels};
use authdb_domain::{OrganizationId, OrganizationWithRole, Page};
use authdb_service::{InventoryInsights, OrganizationDashboard, SignInActivity, SignInBucket, UnreadMessages};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use crate::{
    error::ConsoleError,
    layout::{page, respond, url},
    session::SignedIn,
};

/// The most organizations the picker lists (the API's largest page).
const PICKER_LIMIT: u64 = Page::MAX_LIMIT;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(dashboard));
}

#[derive(Deserialize)]
struct Query {
    /// The organization picked (its id); absent or empty: none.
    organization: Option<String>,
}

async fn dashboard(signed_in: SignedIn, query: web::Query<Query>) -> Result<HttpResponse, ConsoleError> {
    let chosen = match query.organization.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<OrganizationId>()
                .map_err(|_| ConsoleError::BadForm("organization: not an organization id".into()))?,
        ),
    };
    let console = &signed_in.console;
    let principal = &signed_in.principal;
    let organizations = console.organizations.list_mine(principal, Page::first(PICKER_LIMIT)).await?;
    // A non-member (or an unknown id) is 404, as the API answers it; a superuser who is
    // not a member sees the organization with the owner's permissions, as in the API.
    let membership = match chosen {
        Some(id) => Some(console.organizations.resolve(principal, id).await?),
        None => None,
    };
    let dashboard = console.insights.dashboard(principal, membership.as_ref()).await?;
    let name = |id: OrganizationId| {
        organizations
            .items
            .iter()
            .find(|item| item.organization.id == id)
            .map_or_else(|| id.to_string(), |item| item.organization.name.clone())
    };
    let content = html! {
        section aria-labelledby="mine" {
            h2 id="mine" { "Your sign-ins" }
            (activity("mine", "Your", &dashboard.my_sign_ins))
        }
        (picker(&organizations.items, organizations.total, chosen))
        @if let Some(section) = &dashboard.organization {
            (organization(&name(section.organization_id), section))
        }
        @if let Some(platform) = &dashboard.platform_sign_ins {
            section aria-labelledby="platform" {
                h2 id="platform" { "Platform sign-ins" }
                p { "Every account's, unknown accounts' failures included (you are a superuser)." }
                (activity("platform", "Platform", platform))
            }
        }
    };
    Ok(respond(StatusCode::OK, page("Dashboard", Some(&signed_in.chrome("/dashboard")), content)))
}

/// The organization picker: a GET form back to this page.
fn picker(organizations: &[OrganizationWithRole], total: u64, chosen: Option<OrganizationId>) -> Markup {
    html! {
        section aria-labelledby="pick" {
            h2 id="pick" { "Organization" }
            @if organizations.is_empty() {
                p { "You are not a member of any organization." }
            } @else {
                form method="get" action=(url("/dashboard")) class="picker" {
                    div class="field" {
                        label for="organization" { "Show the dashboard of" }
                        select id="organization" name="organization" {
                            option value="" selected[chosen.is_none()] { "No organization" }
                            @for item in organizations {
                                option value=(item.organization.id) selected[chosen == Some(item.organization.id)] {
                                    (item.organization.name) " (" (item.role) ")"
                                }
                            }
                        }
                    }
                    button type="submit" { "Show" }
                }
                @if total > organizations.len() as u64 {
                    p { "The first " (organizations.len()) " of your " (total) " organizations are listed." }
                }
            }
        }
    }
}

/// The chosen organization's sections, each present only when the role allows it.
fn organization(name: &str, section: &OrganizationDashboard) -> Markup {
    let nothing = section.member_sign_ins.is_none() && section.inventory.is_none() && section.unread.is_none();
    html! {
        section aria-labelledby="organization-heading" {
            h2 id="organization-heading" { (name) }
            @if nothing {
                p { "Your role in this organization shows nothing on the dashboard." }
            }
            @if let Some(unread) = &section.unread {
                (unread_messages(unread))
            }
            @if let Some(activity_of_members) = &section.member_sign_ins {
                h3 { "Members' sign-ins" }
                p { "The current members' own sign-ins and failures, wherever they signed in." }
                (activity("members", "Members'", activity_of_members))
            }
            @if let Some(inventory) = &section.inventory {
                (inventory_section(inventory))
            }
        }
    }
}

fn unread_messages(unread: &UnreadMessages) -> Markup {
    html! {
        h3 { "Unread messages" }
        p class="figure" {
            strong { (unread.messages) } " unread " (plural(unread.messages, "message", "messages"))
            " in " (unread.chats) " " (plural(unread.chats, "chat", "chats")) "."
        }
    }
}

/// Two charts (24 hours hourly, 30 days daily) of sign-ins and failures, with their
/// totals in a sentence and every bucket in a folded table.
fn activity(id: &str, whose: &str, activity: &SignInActivity) -> Markup {
    let (day_in, day_out) = activity.last_24_hours();
    let (month_in, month_out) = activity.last_30_days();
    let hours = labels(&activity.hourly, hour_labels);
    let days = labels(&activity.daily, day_labels);
    let hourly_title = format!("{whose} sign-ins and failures, last 24 hours (UTC, hourly)");
    let daily_title = format!("{whose} sign-ins and failures, last 30 days (UTC, daily)");
    let hourly = time_chart(&format!("{id}-24h"), &hourly_title, &hours, &activity.hourly);
    let daily = time_chart(&format!("{id}-30d"), &daily_title, &days, &activity.daily);
    html! {
        figure class="chart" {
            figcaption { (hourly_title) }
            (PreEscaped(hourly))
            p class="summary" {
                "Last 24 hours: " strong { (day_in) } " " (plural(day_in, "sign-in", "sign-ins")) ", "
                strong { (day_out) } " " (plural(day_out, "failure", "failures")) "."
            }
            (bucket_table(&format!("{whose} sign-ins per hour"), "Hour (UTC)", &hours, &activity.hourly))
        }
        figure class="chart" {
            figcaption { (daily_title) }
            (PreEscaped(daily))
            p class="summary" {
                "Last 30 days: " strong { (month_in) } " " (plural(month_in, "sign-in", "sign-ins")) ", "
                strong { (month_out) } " " (plural(month_out, "failure", "failures")) "."
            }
            (bucket_table(&format!("{whose} sign-ins per day"), "Day (UTC)", &days, &activity.daily))
        }
    }
}

fn labels(buckets: &[SignInBucket], name: fn(i64, usize) -> Vec<String>) -> Vec<String> {
    let start = buckets.first().map_or(0, |bucket| bucket.start.unix_timestamp());
    name(start, buckets.len())
}

fn time_chart(id: &str, title: &str, labels: &[String], buckets: &[SignInBucket]) -> String {
    Chart::new(id, title)
        .kind(Kind::Stacked)
        .categories(labels.iter().cloned())
        .series(Series::new("Sign-ins", buckets.iter().map(|b| b.succeeded).collect()))
        .series(Series::new("Failures", buckets.iter().map(|b| b.failed).collect()))
        .render()
}

fn bucket_table(caption: &str, period: &str, labels: &[String], buckets: &[SignInBucket]) -> Markup {
    html! {
        details {
            summary { "The numbers: " (caption) }
            table {
                caption class="visually-hidden" { (caption) }
                thead { tr { th scope="col" { (period) } th scope="col" { "Sign-ins" } th scope="col" { "Failures" } } }
                tbody {
                    @for (label, bucket) in labels.iter().zip(buckets) {
                        tr { th scope="row" { (label) } td { (bucket.succeeded) } td { (bucket.failed) } }
                    }
                }
            }
        }
    }
}

/// Assets by criticality and by type, open services by port: a bar chart and a table each.
fn inventory_section(inventory: &InventoryInsights) -> Markup {
    let by_criticality: Vec<(String, u64)> =
        inventory.by_criticality.iter().map(|(value, count)| (value.as_str().to_owned(), *count)).collect();
    let by_type: Vec<(String, u64)> =
        inventory.by_type.iter().map(|(value, count)| (value.as_str().to_owned(), *count)).collect();
    let mut by_port: Vec<(String, u64)> =
        inventory.open_ports.top.iter().map(|(port, count)| (port.value().to_string(), *count)).collect();
    if inventory.open_ports.other > 0 {
        by_port.push(("other".to_owned(), inventory.open_ports.other));
    }
    html! {
        h3 { "Inventory" }
        p class="figure" {
            strong { (inventory.assets) } " " (plural(inventory.assets, "asset", "assets")) "; "
            strong { (inventory.open_ports.total) } " open " (plural(inventory.open_ports.total, "service", "services")) "."
        }
        (count_chart("assets-criticality", "Assets by criticality", "Criticality", "Assets", &by_criticality))
        (count_chart("assets-type", "Assets by type", "Type", "Assets", &by_type))
        @if by_port.is_empty() {
            p { "No open services." }
        } @else {
            (count_chart("open-ports", "Open services by port (the ten ports with most, then the others)", "Port", "Open services", &by_port))
        }
    }
}

fn count_chart(id: &str, title: &str, category: &str, what: &str, counts: &[(String, u64)]) -> Markup {
    let svg = Chart::new(id, title)
        .kind(Kind::Bars)
        .categories(counts.iter().map(|(name, _)| name.clone()))
        .series(Series::new(what, counts.iter().map(|(_, count)| *count).collect()))
        .render();
    html! {
        div class="chart" {
            (PreEscaped(svg))
            table {
                caption { (title) }
                thead { tr { th scope="col" { (category) } th scope="col" { (what) } } }
                tbody {
                    @for (name, count) in counts {
                        tr { th scope="row" { (name) } td { (count) } }
                    }
                }
            }
        }
    }
}

fn plural(count: u64, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 { one } else { many }
}
