//! Lists a page at a time, as the API pages them: the `limit` and `offset` of the query
//! string, and the previous/next links under a list.

use authdb_domain::{Page, Paged};
use authdb_service::ServiceError;
use maud::{Markup, html};
use serde::Deserialize;

use crate::{error::ConsoleError, layout::url};

/// `limit` and `offset`, as the API reads them.
#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    limit: Option<String>,
    offset: Option<String>,
}

impl PageQuery {
    /// The page asked for (the API's defaults and bounds; out of bounds is 422 naming the
    /// field).
    pub(crate) fn page(&self) -> Result<Page, ConsoleError> {
        Page::parse(self.limit.as_deref(), self.offset.as_deref()).map_err(|v| ServiceError::Invalid(v).into())
    }
}

/// The query string (`key=value&...`) of a list's filters, for [`pager_with`] and sort
/// links: each value trimmed, a blank one left out, keys and values percent-encoded (every
/// byte but the unreserved ones of RFC 3986).
pub(crate) fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|byte| {
                if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                    char::from(byte).to_string()
                } else {
                    format!("%{byte:02X}")
                }
            })
            .collect::<String>()
    };
    pairs
        .into_iter()
        .map(|(key, value)| (key, value.trim()))
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Previous and next links of a paged list at the console path `path` (which carries no
/// query string of its own), with how many `what` the page shows of how many.
pub(crate) fn pager<T>(path: &str, paged: &Paged<T>, what: &str) -> Markup {
    pager_with(path, "", paged, what)
}

/// [`pager`] for a list whose links keep the query `filters` (`key=value&...`, already
/// URL-encoded; empty for none).
pub(crate) fn pager_with<T>(path: &str, filters: &str, paged: &Paged<T>, what: &str) -> Markup {
    let (limit, offset) = (paged.page.limit(), paged.page.offset());
    let shown = paged.items.len() as u64;
    let keep = if filters.is_empty() { String::new() } else { format!("{filters}&") };
    let link = |offset: u64| url(&format!("{path}?{keep}limit={limit}&offset={offset}"));
    html! {
        nav class="pager" aria-label=(format!("Pages of {what}")) {
            p {
                @if shown == 0 {
                    "None of " (paged.total) " " (what) " on this page."
                } @else {
                    (offset + 1) "–" (offset + shown) " of " (paged.total) " " (what) "."
                }
            }
            @if offset > 0 {
                a href=(link(offset.saturating_sub(limit))) rel="prev" { "Previous page" }
                " "
            }
            @if offset + shown < paged.total {
                a href=(link(offset + limit)) rel="next" { "Next page" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::query_string;

    #[test]
    fn a_query_string_encodes_every_reserved_byte() {
        assert_eq!(
            query_string([("q", "a b&c=d"), ("tag", "é"), ("cidr", "10.0.0.0/8")]),
            "q=a%20b%26c%3Dd&tag=%C3%A9&cidr=10.0.0.0%2F8"
        );
        assert_eq!(query_string([]), "");
        assert_eq!(query_string([("q", " a&b=c "), ("sort", "-email")]), "q=a%26b%3Dc&sort=-email");
        assert_eq!(query_string([("q", "  "), ("sort", "")]), "", "blank filters are left out");
    }
}
