use std::ops::Deref;

use actix_web::{FromRequest, HttpRequest, dev::Payload, error::PayloadError, http::header, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use authdb_service::{JsonBodyError, read_json_object};

use crate::{ApiError, FieldError};

/// A JSON request body, read under the body limit and deserialized with precise errors:
/// broken JSON is a 400, a missing or mistyped field a 422 naming the field, a body over
/// the limit a 413, another content type a 415.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned> JsonBody<T> {
    /// Parses a request body the way the extractor does (after the content-type and size
    /// checks); for embedding and for the fuzz targets in `fuzz/`.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ApiError> {
        parse(bytes).map(JsonBody)
    }
}

impl<T> Deref for JsonBody<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json_content_type(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType);
            }
            let bytes = body.await.map_err(|error| match error.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => ApiError::PayloadTooLarge { limit: crate::MAX_BODY_BYTES },
                _ => ApiError::BadRequest("could not read the request body".into()),
            })?;
            parse(&bytes).map(JsonBody)
        })
    }
}

pub(crate) fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Deserializes `bytes`, classifying failures for the client (authdb-service's
/// [`read_json_object`], the one reading of a JSON document): broken JSON is a 400, a body
/// that is not an object or a missing, unknown, mistyped or NUL-holding field a 422 naming
/// the field.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    read_json_object(bytes, "the request body").map_err(|error| match error {
        JsonBodyError::Malformed(detail) => ApiError::MalformedJson(detail),
        JsonBodyError::Invalid(violation) => ApiError::Unprocessable(vec![FieldError {
            field: violation.field.into_owned(),
            message: violation.message,
        }]),
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "fields are only deserialized")]
    struct Sample {
        email: String,
    }

    #[test]
    fn broken_json_is_400_and_a_bad_field_a_422_naming_it() {
        assert!(matches!(parse::<Sample>(b"{"), Err(ApiError::MalformedJson(_))));
        match parse::<Sample>(b"[1]") {
            Err(ApiError::Unprocessable(errors)) => {
                assert_eq!(
                    (errors[0].field.as_str(), errors[0].message.as_str()),
                    ("body", "the request body must be a JSON object")
                );
            }
            other => panic!("expected 422, got {other:?}"),
        }
        match parse::<Sample>(br#"{"count": 1}"#) {
            Err(ApiError::Unprocessable(errors)) => assert_eq!(errors[0].field, "email"),
            other => panic!("expected 422, got {other:?}"),
        }
    }
}

/// A JSON body whose errors are reported only when the handler asks for it, after the
/// route's guards: a non-member must get 404 whatever body they send, and extractors
/// run concurrently, so a plain [`JsonBody`] could answer 422 first.
#[derive(Debug)]
pub struct DeferredJson<T>(Result<T, ApiError>);

impl<T> DeferredJson<T> {
    pub fn into_result(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for DeferredJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = JsonBody::<T>::from_request(req, payload);
        Box::pin(async move { Ok(Self(body.await.map(JsonBody::into_inner))) })
    }
}
