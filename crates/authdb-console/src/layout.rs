//! The page skeleton and the markup every page shares: navigation, alerts, the CSRF
//! field, confirmation pages, redirects.
//!
//! Accessibility: one `h1` per page, landmarks (`header`, `nav`, `main`), a skip link,
//! every input with a `label`, errors in a `role="alert"` region, colours of AA contrast
//! (console.css).

use actix_web::{HttpResponse, http::StatusCode, http::header};
use maud::{DOCTYPE, Markup, html};
use time::{OffsetDateTime, PrimitiveDateTime, format_description::well_known::Rfc3339, macros::format_description};

use crate::{
    assets::{SCRIPT_PATH, STYLESHEET_PATH},
    config::MOUNT,
    nav::SECTIONS,
};

/// What a signed-in page shows around its content.
#[derive(Debug)]
pub(crate) struct Chrome {
    pub(crate) username: String,
    pub(crate) form_token: String,
    /// The navigation path of the page (`/me/sessions`), marked as current.
    pub(crate) current: &'static str,
    /// Whether the user is a superuser (the navigation shows the Platform section).
    pub(crate) superuser: bool,
}

/// A console URL: `path` under the mount.
pub(crate) fn url(path: &str) -> String {
    format!("{MOUNT}{path}")
}

/// A path under the console's mount (`/organizations/…/members`), safe to put in a
/// `next` query parameter and to redirect to: it starts with one `/`, has no `..` segment,
/// and holds only letters, digits and `/-_.`, so it can neither leave the console nor need
/// escaping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsolePath(String);

impl ConsolePath {
    const HOME: &'static str = "/me";
    const MAX_BYTES: usize = 256;

    /// `text` when it is such a path.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let safe = text.len() <= Self::MAX_BYTES
            && text.starts_with('/')
            && !text.starts_with("//")
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
            && !text.split('/').any(|segment| segment == "..");
        safe.then(|| Self(text.to_owned()))
    }

    /// `text` when it is such a path, else the profile.
    pub(crate) fn or_home(text: &str) -> Self {
        Self::parse(text).unwrap_or_else(|| Self(Self::HOME.to_owned()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The navigation entry this path falls under (the longest entry it starts with),
    /// to mark as current on a page that is not itself in the navigation.
    pub(crate) fn nav_entry(&self) -> &'static str {
        SECTIONS
            .iter()
            .flat_map(|section| section.entries)
            .map(|entry| entry.path)
            .filter(|entry| self.0 == *entry || self.0.starts_with(&format!("{entry}/")))
            .max_by_key(|entry| entry.len())
            .unwrap_or(Self::HOME)
    }
}

/// A whole page.
pub(crate) fn page(title: &str, chrome: Option<&Chrome>, content: Markup) -> Markup {
    skeleton(title, chrome, content, false)
}

/// A whole page that loads the console's script (`assets/console.js`, from its own path:
/// the CSP allows no inline script): the pages that offer a passkey ceremony.
pub(crate) fn scripted_page(title: &str, chrome: Option<&Chrome>, content: Markup) -> Markup {
    skeleton(title, chrome, content, true)
}

fn skeleton(title: &str, chrome: Option<&Chrome>, content: Markup, script: bool) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · authdb console" }
                link rel="stylesheet" href=(STYLESHEET_PATH.as_str());
                @if script {
                    script src=(SCRIPT_PATH.as_str()) defer {}
                }
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
                            @for section in SECTIONS.iter().filter(|section| section.shown_to(chrome.superuser)) {
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
            p { a href=(url(ConsolePath::HOME)) { "Back to the console" } }
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

/// A sub-navigation between related pages: `links` are (console path, label), the one at
/// `current` (a console path) marked, `extra` appended (a link that leaves the group).
pub(crate) fn subnav(label: &str, links: &[(String, &str)], current: &str, extra: Option<Markup>) -> Markup {
    html! {
        nav class="subnav" aria-label=(label) {
            ul {
                @for (path, text) in links {
                    li {
                        @if path == current {
                            a href=(url(path)) aria-current="page" { (text) }
                        } @else {
                            a href=(url(path)) { (text) }
                        }
                    }
                }
                @if let Some(extra) = extra { li { (extra) } }
            }
        }
    }
}

/// A labelled input.
pub(crate) fn field(label: &str, name: &str, kind: &str, autocomplete: &str) -> Markup {
    labelled_input(label, name, kind, autocomplete, true)
}

/// A labelled input that may be left empty.
pub(crate) fn optional_field(label: &str, name: &str, kind: &str, autocomplete: &str) -> Markup {
    labelled_input(label, name, kind, autocomplete, false)
}

fn labelled_input(label: &str, name: &str, kind: &str, autocomplete: &str, required: bool) -> Markup {
    html! {
        div class="field" {
            label for=(name) { (label) }
            input id=(name) name=(name) type=(kind) autocomplete=(autocomplete) required[required];
        }
    }
}

/// A passkey ceremony the console's script runs (`assets/console.js`): a form, hidden
/// until the script finds WebAuthn in the browser, whose submission posts JSON to `start`,
/// calls `navigator.credentials` and posts the answer to `finish` (both console paths),
/// the form's CSRF token in the `X-CSRF-Token` header; a problem is shown in the form's
/// alert region. Without JavaScript a `noscript` paragraph says so.
pub(crate) fn passkey_ceremony(
    ceremony: &str,
    start: &str,
    finish: &str,
    token: &str,
    button: &str,
    fields: Markup,
) -> Markup {
    html! {
        form class="passkey" data-passkey=(ceremony) data-start=(url(start)) data-finish=(url(finish)) hidden {
            (csrf_field(token))
            (fields)
            // The script gives it `role="alert"` when it shows a problem.
            div class="alert" data-passkey-problem hidden {}
            div class="actions" { button type="submit" { (button) } }
        }
        p class="passkey-unsupported" data-passkey-unsupported=(ceremony) hidden {
            "This browser cannot use passkeys (no WebAuthn)."
        }
        noscript { p { "Passkeys need JavaScript: enable it for this page to use one." } }
    }
}

/// A date and time as RFC 3339 in a `time` element (UTC).
pub(crate) fn when(at: OffsetDateTime) -> Markup {
    let text = at.format(&Rfc3339).unwrap_or_default();
    html! { time datetime=(text) { (text.replace('T', " ").replace('Z', " UTC")) } }
}

/// What a `datetime-local` input sends (`YYYY-MM-DDTHH:MM`, or with `:SS`), read as UTC.
pub(crate) fn datetime_local(text: &str) -> Option<OffsetDateTime> {
    let minutes = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let text = text.trim();
    PrimitiveDateTime::parse(text, minutes)
        .or_else(|_| PrimitiveDateTime::parse(text, seconds))
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// `at` (UTC) as a `datetime-local` input's value.
pub(crate) fn datetime_local_value(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"))
        .unwrap_or_default()
}

/// The HTML answer of a page.
pub(crate) fn respond(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(markup.into_string())
}

/// A `303 See Other` to the console path `path`.
pub(crate) fn see_other(path: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, url(path))).finish()
}

#[cfg(test)]
mod tests {
    use super::ConsolePath;

    #[test]
    fn a_console_path_stays_in_the_console_and_needs_no_escaping() {
        for good in ["/me", "/organizations/0190b6a4-7c1e-7000-8000-000000000001/members", "/me/sessions"] {
            assert_eq!(ConsolePath::parse(good).map(|p| p.as_str().to_owned()).as_deref(), Some(good));
        }
        for bad in [
            "",
            "me",
            "//evil.example/x",
            "/a/../../api",
            "/me?x=1",
            "/me#x",
            "/me%2F..",
            "/me\\x",
            "https://evil.example",
            "/me x",
            &format!("/{}", "a".repeat(300)),
        ] {
            assert_eq!(ConsolePath::parse(bad), None, "{bad:?}");
            assert_eq!(ConsolePath::or_home(bad).as_str(), "/me", "{bad:?}");
        }
    }

    #[test]
    fn a_console_path_marks_the_navigation_entry_it_falls_under() {
        let entry = |path: &str| ConsolePath::or_home(path).nav_entry();
        assert_eq!(entry("/me"), "/me");
        assert_eq!(entry("/me/sessions"), "/me/sessions");
        assert_eq!(entry("/me/sessions/abc/end"), "/me/sessions");
        assert_eq!(entry("/organizations/x/members"), "/organizations");
        assert_eq!(entry("/organizationsx"), "/me");
        assert_eq!(entry("/platform/users/abc/deactivate"), "/platform/users");
        assert_eq!(entry("/platform/organizations/abc/licence"), "/platform/organizations");
        assert_eq!(entry("/nowhere"), "/me");
    }
}
