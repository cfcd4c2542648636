//! The page skeleton and the markup every page shares: navigation, alerts, the CSRF
//! field, confirmation pages, redirects.
//!
//! Accessibility: one `h1` per page, landmarks (`header`, `nav`, `main`), a skip link,
//! every input with a `label`, errors in a `role="alert"` region, colours of AA contrast
//! (console.css).

use actix_web::{HttpResponse, http::StatusCode, http::header};
use maud::{DOCTYPE, Markup, html};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{assets::STYLESHEET_PATH, config::MOUNT, nav::SECTIONS};

/// What a signed-in page shows around its content.
#[derive(Debug)]
pub(crate) struct Chrome {
    pub(crate) username: String,
    pub(crate) form_token: String,
    /// The navigation path of the page (`/me/sessions`), marked as current.
    pub(crate) current: &'static str,
}

/// A console URL: `path` under the mount.
pub(crate) fn url(path: &str) -> String {
    format!("{MOUNT}{path}")
}

/// A whole page.
pub(crate) fn page(title: &str, chrome: Option<&Chrome>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · authdb console" }
                link rel="stylesheet" href=(STYLESHEET_PATH.as_str());
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    a class="brand" href=(url("/me")) { "authdb console" }
                    @if let Some(chrome) = chrome {
                        form class="signout" method="post" action=(url("/sign-out")) {
                            span { "Signed in as " strong { (chrome.username) } }
                            (csrf_field(&chrome.form_token))
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                div class="frame" {
                    @if let Some(chrome) = chrome {
                        nav aria-label="Console" {
                            @for section in SECTIONS {
                                h2 { (section.heading) }
                                ul {
                                    @for entry in section.entries {
                                        li {
                                            @if entry.path == chrome.current {
                                                a href=(url(entry.path)) aria-current="page" { (entry.label) }
                                            } @else {
                                                a href=(url(entry.path)) { (entry.label) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    main id="main" {
                        h1 { (title) }
                        (content)
                    }
                }
            }
        }
    }
}

/// An error page (no navigation: the caller may not be signed in).
pub(crate) fn error_page(title: &str, detail: &str) -> Markup {
    page(
        title,
        None,
        html! {
            (alert(title, detail))
            p { a href=(url("/me")) { "Back to the console" } }
        },
    )
}

/// A problem's title and detail, announced to screen readers.
pub(crate) fn alert(title: &str, detail: &str) -> Markup {
    html! {
        div class="alert" role="alert" {
            p class="alert-title" { strong { (title) } }
            p { (detail) }
        }
    }
}

/// A notice that something worked.
pub(crate) fn notice(text: &str) -> Markup {
    html! { div class="notice" role="status" { p { (text) } } }
}

/// The hidden CSRF field of a form.
pub(crate) fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A confirmation page for a destructive action: the question, a button that posts to
/// `action`, and a way back.
pub(crate) fn confirm(
    chrome: &Chrome,
    heading: &str,
    question: &str,
    action: &str,
    button: &str,
    back: &str,
) -> Markup {
    page(
        heading,
        Some(chrome),
        html! {
            p { (question) }
            form method="post" action=(url(action)) {
                (csrf_field(&chrome.form_token))
                div class="actions" {
                    button type="submit" class="danger" { (button) }
                    a href=(url(back)) { "Cancel" }
                }
            }
        },
    )
}

/// A labelled input.
pub(crate) fn field(label: &str, name: &str, kind: &str, autocomplete: &str) -> Markup {
    html! {
        div class="field" {
            label for=(name) { (label) }
            input id=(name) name=(name) type=(kind) autocomplete=(autocomplete) required;
        }
    }
}

/// A date and time as RFC 3339 in a `time` element (UTC).
pub(crate) fn when(at: OffsetDateTime) -> Markup {
    let text = at.format(&Rfc3339).unwrap_or_default();
    html! { time datetime=(text) { (text.replace('T', " ").replace('Z', " UTC")) } }
}

/// The HTML answer of a page.
pub(crate) fn respond(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(markup.into_string())
}

/// A `303 See Other` to the console path `path`.
pub(crate) fn see_other(path: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, url(path))).finish()
}
