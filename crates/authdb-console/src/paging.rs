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

/// Previous and next links of a paged list at the console path `path` (which carries no
/// query string of its own), with how many `what` the page shows of how many.
pub(crate) fn pager<T>(path: &str, paged: &Paged<T>, what: &str) -> Markup {
    pager_with(path, "", paged, what)
}

/// The query string (`key=value&...`, URL-encoded) of the filters of a list that are set
/// (an absent or blank one is left out), for [`pager_with`].
pub(crate) fn filter_query(filters: &[(&str, Option<&str>)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in filters {
        if let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) {
            query.append_pair(key, value);
        }
    }
    query.finish()
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
    use super::filter_query;

    #[test]
    fn a_filter_query_keeps_the_set_filters_encoded() {
        assert_eq!(filter_query(&[("q", Some(" a&b=c ")), ("sort", Some("-email"))]), "q=a%26b%3Dc&sort=-email");
        assert_eq!(filter_query(&[("q", Some("  ")), ("sort", None)]), "");
    }
}
