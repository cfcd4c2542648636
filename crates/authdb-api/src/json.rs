use std::ops::Deref;

use actix_web::{FromRequest, HttpRequest, dev::Payload, error::PayloadError, http::header, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::Value;

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

/// Deserializes `bytes`, classifying failures for the client.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|error| ApiError::MalformedJson(error.to_string()))?;
    // Every body is an object; serde would otherwise also fill a struct from an array.
    if !value.is_object() {
        return Err(ApiError::Unprocessable(vec![FieldError {
            field: "body".into(),
            message: "the request body must be a JSON object".into(),
        }]));
    }
    // PostgreSQL text and JSONB cannot hold NUL, and no field has a use for it.
    if let Some(field) = path_to_nul(&value, String::new()) {
        return Err(ApiError::Unprocessable(vec![FieldError {
            field,
            message: "must not contain NUL characters".into(),
        }]));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        ApiError::Unprocessable(vec![field_error(&path, &error.into_inner())])
    })
}

/// The path of the first string or key holding a NUL character.
fn path_to_nul(value: &Value, path: String) -> Option<String> {
    let join = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        Value::String(text) => text.contains('\0').then_some(path),
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(index, item)| path_to_nul(item, format!("{path}[{index}]")))
        }
        Value::Object(map) => map
            .iter()
            .find_map(|(key, item)| if key.contains('\0') { Some(join(key)) } else { path_to_nul(item, join(key)) }),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

/// Names the field a data error is about. serde reports missing and unknown fields in
/// the message (``missing field `email` ``) with the parent as the path.
fn field_error(path: &str, error: &serde_json::Error) -> FieldError {
    let full = error.to_string();
    let message = full.rfind(" at line ").map_or(full.as_str(), |at| &full[..at]).to_owned();
    let named = message.split('`').nth(1).filter(|_| {
        message.starts_with("missing field")
            || message.starts_with("unknown field")
            || message.starts_with("duplicate field")
    });
    let field = match (path, named) {
        (".", Some(name)) => name.to_owned(),
        // Unknown fields are already the last segment of the path.
        (path, Some(name)) if path.rsplit('.').next() == Some(name) => path.to_owned(),
        (parent, Some(name)) => format!("{parent}.{name}"),
        (".", None) => "body".to_owned(),
        (path, None) => path.to_owned(),
    };
    FieldError { field, message }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "fields are only deserialized")]
    struct Sample {
        email: String,
        count: u32,
        nested: Option<Nested>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "fields are only deserialized")]
    struct Nested {
        flag: bool,
    }

    fn unprocessable(body: &str) -> Vec<FieldError> {
        match parse::<Sample>(body.as_bytes()) {
            Err(ApiError::Unprocessable(errors)) => errors,
            other => panic!("expected 422 for {body}, got {other:?}"),
        }
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        for body in ["", "{", "{\"email\": }", "not json", "{\"email\":\"a\",\"count\":1} trailing"] {
            assert!(matches!(parse::<Sample>(body.as_bytes()), Err(ApiError::MalformedJson(_))), "{body}");
        }
    }

    #[test]
    fn missing_fields_are_named() {
        let errors = unprocessable(r#"{"count": 1}"#);
        assert_eq!(errors[0].field, "email");
        assert_eq!(errors[0].message, "missing field `email`");
    }

    #[test]
    fn wrong_types_name_the_path() {
        assert_eq!(unprocessable(r#"{"email": 5, "count": 1}"#)[0].field, "email");
        assert_eq!(unprocessable(r#"{"email": "a", "count": -1}"#)[0].field, "count");
        assert_eq!(unprocessable(r#"{"email": "a", "count": 1, "nested": {"flag": "yes"}}"#)[0].field, "nested.flag");
        assert_eq!(unprocessable(r#"{"email": "a", "count": 1, "nested": {}}"#)[0].field, "nested.flag");
    }

    #[test]
    fn unknown_fields_are_named() {
        assert_eq!(unprocessable(r#"{"email": "a", "count": 1, "is_superuser": true}"#)[0].field, "is_superuser");
    }

    #[test]
    fn nul_characters_are_refused_naming_the_field() {
        assert_eq!(unprocessable(r#"{"email": "a\u0000b", "count": 1}"#)[0].field, "email");
        let nested = unprocessable(r#"{"email": "a", "count": 1, "nested": {"list": ["ok", "x\u0000"]}}"#);
        assert_eq!(nested[0].field, "nested.list[1]");
        assert_eq!(unprocessable(r#"{"email": "a", "count": 1, "k\u0000": 1}"#)[0].field, "k\u{0}");
    }

    #[test]
    fn a_non_object_body_is_unprocessable() {
        assert_eq!(unprocessable("[1, 2]")[0].field, "body");
        assert_eq!(unprocessable("null")[0].field, "body");
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
