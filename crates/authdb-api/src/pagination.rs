//! `?limit=&offset=` on list endpoints.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use crate::{ApiError, FieldError};

/// Which window of a list to return: `limit` items (1 to 200, default 50) after skipping
/// `offset` (default 0). Out-of-range or non-numeric values are a 422 naming the
/// parameter. As an extractor it takes the whole query string and refuses any other
/// parameter (422 naming it), as bodies refuse unknown fields; an endpoint with more
/// parameters parses its own and hands the pairs to [`Pagination::from_pairs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Pagination {
    /// How many items to return.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub(crate) limit: u64,
    /// How many items to skip.
    #[param(minimum = 0, default = 0)]
    pub(crate) offset: u64,
}

impl Pagination {
    pub(crate) const DEFAULT_LIMIT: u64 = 50;
    pub(crate) const MAX_LIMIT: u64 = 200;

    /// Parses a raw query string that holds nothing but `limit` and `offset`.
    pub(crate) fn from_query(query: &str) -> Result<Self, ApiError> {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(query)
            .map_err(|_| ApiError::BadRequest("the query string is not valid URL encoding".into()))?
            .into_inner();
        let unknown: Vec<FieldError> = pairs
            .iter()
            .filter(|(key, _)| key != "limit" && key != "offset")
            .map(|(key, _)| FieldError { field: key.clone(), message: "unknown query parameter".into() })
            .collect();
        let page = Self::from_pairs(&pairs);
        match (page, unknown.is_empty()) {
            (Ok(page), true) => Ok(page),
            (Ok(_), false) => Err(ApiError::Unprocessable(unknown)),
            (Err(ApiError::Unprocessable(mut errors)), _) => {
                errors.extend(unknown);
                Err(ApiError::Unprocessable(errors))
            }
            (Err(other), _) => Err(other),
        }
    }

    /// Reads `limit` and `offset` from decoded query pairs, ignoring any other.
    pub(crate) fn from_pairs(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let limit = parameter(pairs, "limit", 1, Self::MAX_LIMIT, Self::DEFAULT_LIMIT, &mut errors);
        // The largest offset PostgreSQL's `OFFSET` takes.
        let max_offset = u64::try_from(i64::MAX).unwrap_or(u64::MAX);
        let offset = parameter(pairs, "offset", 0, max_offset, 0, &mut errors);
        if errors.is_empty() { Ok(Self { limit, offset }) } else { Err(ApiError::Unprocessable(errors)) }
    }
}

fn parameter(
    pairs: &[(String, String)],
    name: &str,
    min: u64,
    max: u64,
    default: u64,
    errors: &mut Vec<FieldError>,
) -> u64 {
    let mut values = pairs.iter().filter(|(key, _)| key == name).map(|(_, value)| value.trim());
    let (Some(value), None) = (values.next(), values.next()) else {
        if pairs.iter().any(|(key, _)| key == name) {
            errors.push(FieldError { field: name.into(), message: "must be given at most once".into() });
        }
        return default;
    };
    match value.parse::<u64>() {
        Ok(number) if (min..=max).contains(&number) => number,
        _ => {
            errors.push(FieldError { field: name.into(), message: format!("must be an integer from {min} to {max}") });
            default
        }
    }
}

impl FromRequest for Pagination {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::from_query(req.query_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(query: &str) -> Vec<String> {
        match Pagination::from_query(query) {
            Err(ApiError::Unprocessable(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected 422 for {query:?}, got {other:?}"),
        }
    }

    #[test]
    fn absent_parameters_take_their_defaults() {
        assert_eq!(Pagination::from_query("").expect("valid"), Pagination { limit: 50, offset: 0 });
        let pairs = [("sort".to_owned(), "x".to_owned())];
        assert_eq!(Pagination::from_pairs(&pairs).expect("valid"), Pagination { limit: 50, offset: 0 });
        assert_eq!(Pagination::from_query("limit=200&offset=7").expect("valid"), Pagination { limit: 200, offset: 7 });
    }

    #[test]
    fn bad_values_name_their_parameter() {
        assert_eq!(fields("limit=201"), ["limit"]);
        assert_eq!(fields("limit=0"), ["limit"]);
        assert_eq!(fields("limit=ten&offset=-1"), ["limit", "offset"]);
        assert_eq!(fields("offset=1.5"), ["offset"]);
        assert_eq!(fields("limit="), ["limit"]);
        assert_eq!(fields("offset=99999999999999999999"), ["offset"]);
        assert_eq!(fields("limit=1&limit=2"), ["limit"]);
        assert_eq!(fields("sort=x&limit=1"), ["sort"]);
        assert_eq!(fields("limit=0&x="), ["limit", "x"]);
    }
}
