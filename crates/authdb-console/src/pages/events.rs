//! The signed-in user's security events, newest first, a page at a time (the same read as
//! `GET /api/v1/auth/events`).

use actix_web::{HttpResponse, http::StatusCode, web};
use maud::html;
use serde::Deserialize;

use crate::{
    error::ConsoleError,
    layout::{page, respond, url, when},
    session::SignedIn,
};

/// Events per page.
const PAGE_SIZE: u64 = 20;
/// The highest page number read (an offset past every real log).
const MAX_PAGE: u64 = 100_000;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/events", web::get().to(events));
}

#[derive(Deserialize)]
struct Query {
    page: Option<String>,
}

async fn events(signed_in: SignedIn, query: web::Query<Query>) -> Result<HttpResponse, ConsoleError> {
    let number = match query.page.as_deref() {
        None => 1,
        Some(text) => match text.parse::<u64>() {
            Ok(number) if (1..=MAX_PAGE).contains(&number) => number,
            _ => return Err(ConsoleError::BadForm(format!("page: a whole number from 1 to {MAX_PAGE}"))),
        },
    };
    let offset = (number - 1) * PAGE_SIZE;
    let events = signed_in.console.auth.security_events(&signed_in.principal, PAGE_SIZE, offset).await?;
    let pages = events.total.div_ceil(PAGE_SIZE).max(1);
    let content = html! {
        p { (events.total) " events in all; page " (number) " of " (pages) "." }
        @if events.items.is_empty() {
            p { "Nothing to show on this page." }
        } @else {
            table {
                caption class="visually-hidden" { "Security events, newest first" }
                thead { tr { th scope="col" { "When" } th scope="col" { "Event" } th scope="col" { "Outcome" } th scope="col" { "Address" } th scope="col" { "Details" } } }
                tbody {
                    @for event in &events.items {
                        tr {
                            td { (when(event.occurred_at)) }
                            td { code { (event.action) } }
                            td { (event.outcome) }
                            td { (event.ip.as_deref().unwrap_or("")) }
                            td {
                                @if let Some(details) = event.details.as_object().filter(|d| !d.is_empty()) {
                                    @for (key, value) in details { span class="detail" { (key) ": " (value) } " " }
                                }
                            }
                        }
                    }
                }
            }
        }
        nav class="pager" aria-label="Pages" {
            @if number > 1 { a href=(format!("{}?page={}", url("/me/events"), number - 1)) rel="prev" { "Newer" } }
            @if number < pages { a href=(format!("{}?page={}", url("/me/events"), number + 1)) rel="next" { "Older" } }
        }
    };
    Ok(respond(StatusCode::OK, page("Security events", Some(&signed_in.chrome("/me/events")), content)))
}
