//! Request bodies are read as sent, never decompressed (actix-web is built without its
//! `compress-*` features): a 65 KB gzip body can inflate to 44 MB, and a decoder that
//! inflates before the size check turns the body limit ([`crate::MAX_BODY_BYTES`]) into a
//! multiplier. A request that declares a content coding is refused with 415 before its
//! body is read, so the memory one request can take stays bounded by the limit.

use actix_web::{
    ResponseError as _,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderMap},
    middleware::Next,
};

use crate::ApiError;

/// Middleware for the `/api/v1` scope: a `Content-Encoding` other than `identity` is a
/// 415 problem (with `Accept-Encoding: identity`), whatever the route.
pub(crate) async fn refuse_encoded_bodies(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if is_identity(req.headers()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let response = ApiError::UnsupportedContentEncoding.error_response();
    Ok(req.into_response(response).map_into_right_body())
}

/// Whether every `Content-Encoding` field names only `identity` (or nothing). A value
/// that is not visible ASCII names no coding we know, so it is refused too.
fn is_identity(headers: &HeaderMap) -> bool {
    headers.get_all(header::CONTENT_ENCODING).all(|value| {
        value.to_str().is_ok_and(|codings| {
            codings.split(',').map(str::trim).all(|coding| coding.is_empty() || coding.eq_ignore_ascii_case("identity"))
        })
    })
}

#[cfg(test)]
mod tests {
    use actix_web::{http::header::HeaderValue, test::TestRequest};

    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut request = TestRequest::default();
        for value in values {
            request = request.append_header((header::CONTENT_ENCODING, HeaderValue::from_str(value).expect("value")));
        }
        request.to_http_request().headers().clone()
    }

    #[test]
    fn no_coding_or_identity_is_accepted() {
        assert!(is_identity(&headers(&[])));
        assert!(is_identity(&headers(&["identity"])));
        assert!(is_identity(&headers(&["Identity", " identity , "])));
    }

    #[test]
    fn any_other_coding_is_refused() {
        for value in ["gzip", "deflate", "br", "zstd", "x-gzip", "identity, gzip", "compress"] {
            assert!(!is_identity(&headers(&[value])), "{value}");
        }
        assert!(!is_identity(&headers(&["identity", "gzip"])));
    }
}
