//! The query string every list takes: `limit`, `offset`, and where the list supports
//! them, `q` (search) and `sort`.

use std::{
    collections::HashMap,
    future::{Ready, ready},
};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use authdb_domain::{DomainError, Page, Paged, Sort, SortKey, parse_search};
use serde::Serialize;

use crate::ApiError;

/// The list parameters of a request, validated: `limit` 1 to 200 (default 50), `offset`
/// at least 0. Out-of-range values are a 422 naming the parameter.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub page: Page,
    q: Option<String>,
    sort: Option<String>,
}

impl ListQuery {
    /// The search text, trimmed and lower-cased; a 422 naming `q` when too long.
    pub fn search(&self) -> Result<Option<String>, ApiError> {
        parse_search(self.q.as_deref()).map_err(|violation| ApiError::Service(DomainError::from(violation).into()))
    }

    /// The ordering, from the keys `K` allows; a 422 naming `sort` for another.
    pub fn sort<K: SortKey>(&self) -> Result<Sort<K>, ApiError> {
        Sort::parse(self.sort.as_deref()).map_err(|violation| ApiError::Service(DomainError::from(violation).into()))
    }
}

impl FromRequest for ListQuery {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse(req.query_string()))
    }
}

fn parse(query: &str) -> Result<ListQuery, ApiError> {
    let web::Query(mut params) = web::Query::<HashMap<String, String>>::from_query(query)
        .map_err(|_| ApiError::BadRequest("the query string is not valid".into()))?;
    let page = Page::parse(params.get("limit").map(String::as_str), params.get("offset").map(String::as_str))
        .map_err(|violations| ApiError::Service(DomainError::Invalid(violations).into()))?;
    Ok(ListQuery { page, q: params.remove("q"), sort: params.remove("sort") })
}

/// `limit` and `offset`, as documented in OpenAPI.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "documentation only: ListQuery parses the query string")]
pub(crate) struct PageParams {
    /// How many items to return: 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200, default = 50)]
    limit: Option<u32>,
    /// How many items to skip, default 0.
    #[param(minimum = 0, default = 0)]
    offset: Option<u64>,
}

/// `limit`, `offset`, `q` and `sort`, as documented in OpenAPI.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "documentation only: ListQuery parses the query string")]
pub(crate) struct SearchParams {
    /// How many items to return: 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200, default = 50)]
    limit: Option<u32>,
    /// How many items to skip, default 0.
    #[param(minimum = 0, default = 0)]
    offset: Option<u64>,
    /// Case-insensitive search in email and username.
    q: Option<String>,
    /// Ordering key, prefixed with `-` for descending (the keys depend on the list).
    sort: Option<String>,
}

/// The `{items, total, limit, offset}` envelope of every list.
#[derive(Debug, Serialize)]
pub(crate) struct ListBody<T> {
    pub(crate) items: Vec<T>,
    pub(crate) total: u64,
    pub(crate) limit: u64,
    pub(crate) offset: u64,
}

impl<T> ListBody<T> {
    pub(crate) fn from_paged<U>(paged: Paged<U>, convert: impl FnMut(U) -> T) -> Self {
        let page = paged.page;
        Self {
            items: paged.items.into_iter().map(convert).collect(),
            total: paged.total,
            limit: page.limit(),
            offset: page.offset(),
        }
    }
}

/// Declares the OpenAPI schema of a list of `$item`s under the name `$name`.
macro_rules! list_schema {
    ($name:ident, $item:ty) => {
        #[derive(utoipa::ToSchema)]
        #[allow(dead_code, reason = "documentation only: ListBody is what is serialized")]
        pub(crate) struct $name {
            items: Vec<$item>,
            total: u64,
            limit: u64,
            offset: u64,
        }
    };
}
pub(crate) use list_schema;

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(query: &str) -> Vec<String> {
        match parse(query) {
            Err(ApiError::Service(authdb_service::ServiceError::Invalid(violations))) => {
                violations.into_iter().map(|v| v.field.into_owned()).collect()
            }
            other => panic!("expected 422 for {query}, got {other:?}"),
        }
    }

    #[test]
    fn defaults_and_values() {
        let query = parse("").expect("defaults");
        assert_eq!((query.page.limit(), query.page.offset()), (50, 0));
        let query = parse("limit=200&offset=10&q=Ali&sort=-email").expect("valid");
        assert_eq!((query.page.limit(), query.page.offset()), (200, 10));
        assert_eq!(query.search().expect("q").as_deref(), Some("ali"));
    }

    #[test]
    fn bad_values_name_the_parameter() {
        assert_eq!(fields("limit=201"), ["limit"]);
        assert_eq!(fields("limit=0&offset=-1"), ["limit", "offset"]);
        assert_eq!(fields("offset=abc"), ["offset"]);
    }
}
