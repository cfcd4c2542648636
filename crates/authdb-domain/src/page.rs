//! Pagination and ordering of lists.

use crate::Violation;

/// A window into a list: `limit` items from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    limit: u64,
    offset: u64,
}

impl Page {
    pub const DEFAULT_LIMIT: u64 = 50;
    pub const MAX_LIMIT: u64 = 200;

    /// Parses the query parameters as sent (absent means the default).
    pub fn parse(limit: Option<&str>, offset: Option<&str>) -> Result<Self, Vec<Violation>> {
        let mut violations = Vec::new();
        let limit = match limit.map(str::parse::<i64>) {
            None => Self::DEFAULT_LIMIT,
            Some(Ok(limit)) if (1..=200).contains(&limit) => limit.unsigned_abs(),
            Some(_) => {
                violations.push(Violation::new("limit", "must be an integer from 1 to 200"));
                0
            }
        };
        let offset = match offset.map(str::parse::<i64>) {
            None => 0,
            Some(Ok(offset)) if offset >= 0 => offset.unsigned_abs(),
            Some(_) => {
                violations.push(Violation::new("offset", "must be an integer of at least 0"));
                0
            }
        };
        if violations.is_empty() { Ok(Self { limit, offset }) } else { Err(violations) }
    }

    pub const fn first(limit: u64) -> Self {
        Self { limit, offset: 0 }
    }

    pub const fn limit(self) -> u64 {
        self.limit
    }

    pub const fn offset(self) -> u64 {
        self.offset
    }
}

impl Default for Page {
    fn default() -> Self {
        Self { limit: Self::DEFAULT_LIMIT, offset: 0 }
    }
}

/// One page of a list and the size of the whole list.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: Page,
}

impl<T> Paged<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged { items: self.items.into_iter().map(f).collect(), total: self.total, page: self.page }
    }
}

/// An ordering: a key and a direction, written `key` (ascending) or `-key` (descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<K> {
    pub key: K,
    pub descending: bool,
}

/// Keys a list may be ordered by.
pub trait SortKey: Sized + Copy + 'static {
    /// Every key with its name in the query string.
    const KEYS: &'static [(&'static str, Self)];
    /// The order of a list when `sort` is absent.
    const DEFAULT: Self;
}

impl<K: SortKey> Sort<K> {
    pub fn parse(raw: Option<&str>) -> Result<Self, Violation> {
        let Some(raw) = raw else { return Ok(Self { key: K::DEFAULT, descending: false }) };
        let (descending, name) = match raw.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, raw),
        };
        match K::KEYS.iter().find(|(key, _)| *key == name) {
            Some((_, key)) => Ok(Self { key: *key, descending }),
            None => {
                let known = K::KEYS.iter().map(|(key, _)| *key).collect::<Vec<_>>().join(", ");
                Err(Violation::new("sort", format!("must be one of {known}, optionally prefixed with `-`")))
            }
        }
    }
}

/// Orders of member lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberSortKey {
    JoinedAt,
    Email,
    Username,
}

impl SortKey for MemberSortKey {
    const KEYS: &'static [(&'static str, Self)] =
        &[("joined_at", Self::JoinedAt), ("email", Self::Email), ("username", Self::Username)];
    const DEFAULT: Self = Self::JoinedAt;
}

/// Orders of user lists (administration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSortKey {
    CreatedAt,
    Email,
    Username,
    LastLoginAt,
}

impl SortKey for UserSortKey {
    const KEYS: &'static [(&'static str, Self)] = &[
        ("created_at", Self::CreatedAt),
        ("email", Self::Email),
        ("username", Self::Username),
        ("last_login_at", Self::LastLoginAt),
    ];
    const DEFAULT: Self = Self::CreatedAt;
}

/// A search text (`q`): trimmed, at most 100 characters; empty means no search.
pub fn parse_search(raw: Option<&str>) -> Result<Option<String>, Violation> {
    let Some(text) = raw.map(str::trim).filter(|text| !text.is_empty()) else { return Ok(None) };
    if text.chars().count() > 100 {
        return Err(Violation::new("q", "must be at most 100 characters"));
    }
    if text.chars().any(char::is_control) {
        return Err(Violation::new("q", "must not contain control characters"));
    }
    Ok(Some(text.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(Page::parse(None, None).expect("defaults"), Page::default());
        let page = Page::parse(Some("200"), Some("0")).expect("max");
        assert_eq!((page.limit(), page.offset()), (200, 0));
        assert_eq!(Page::parse(Some("1"), Some("5000")).expect("min").offset(), 5000);
    }

    #[test]
    fn out_of_range_values_name_their_parameter() {
        for (limit, offset, fields) in [
            (Some("201"), None, vec!["limit"]),
            (Some("0"), None, vec!["limit"]),
            (Some("ten"), Some("-1"), vec!["limit", "offset"]),
            (None, Some("x"), vec!["offset"]),
        ] {
            let violations = Page::parse(limit, offset).expect_err("invalid");
            assert_eq!(violations.iter().map(|v| v.field.as_ref()).collect::<Vec<_>>(), fields);
        }
    }

    #[test]
    fn sorts_parse_keys_and_direction() {
        assert_eq!(Sort::<MemberSortKey>::parse(None).expect("default").key, MemberSortKey::JoinedAt);
        let sort = Sort::<UserSortKey>::parse(Some("-email")).expect("valid");
        assert_eq!((sort.key, sort.descending), (UserSortKey::Email, true));
        assert_eq!(Sort::<MemberSortKey>::parse(Some("password")).expect_err("unknown").field, "sort");
    }

    #[test]
    fn search_is_trimmed_lowercased_and_bounded() {
        assert_eq!(parse_search(Some("  Ali ")).expect("ok").as_deref(), Some("ali"));
        assert_eq!(parse_search(Some("   ")).expect("ok"), None);
        assert_eq!(parse_search(Some(&"x".repeat(101))).expect_err("long").field, "q");
    }
}
