//! `application/msgpack` bodies (the message routes): the request's `Content-Type` picks
//! how its body is read, the `Accept` header how the answer is written. Byte fields are
//! MessagePack `bin`; everything else is as in JSON (ids and times as strings). Problems
//! stay `application/problem+json` whatever `Accept` says.

use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, http::header};
use authdb_protocol::{ProtocolError, payload};
use serde::{Serialize, de::DeserializeOwned};

use crate::{ApiError, FieldError};

/// The MessagePack media type (`application/x-msgpack` and `application/vnd.msgpack` are
/// read as the same).
pub(crate) const MSGPACK: &str = "application/msgpack";

/// How a body is (or is to be) encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Msgpack,
}

fn essence(value: &str) -> String {
    value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

fn is_msgpack(essence: &str) -> bool {
    matches!(essence, "application/msgpack" | "application/x-msgpack" | "application/vnd.msgpack")
}

fn is_json(essence: &str) -> bool {
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The request body's format, from `Content-Type`; `None` for anything else (a 415).
pub(crate) fn request_format(req: &HttpRequest) -> Option<Format> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = essence(value);
    if is_json(&essence) {
        Some(Format::Json)
    } else if is_msgpack(&essence) {
        Some(Format::Msgpack)
    } else {
        None
    }
}

/// The answer's format, from `Accept` (RFC 9110 section 12.5.1): the acceptable one of
/// highest quality, each format's quality being that of the most specific range naming
/// it; at equal quality an exact media type beats a wildcard, and JSON wins a tie. No `Accept` means JSON; an `Accept` that allows neither is a 406.
pub(crate) fn response_format(req: &HttpRequest) -> Result<Format, ApiError> {
    let values: Vec<&str> = req.headers().get_all(header::ACCEPT).filter_map(|value| value.to_str().ok()).collect();
    if values.is_empty() {
        return Ok(Format::Json);
    }
    // Per format: (specificity, quality in thousandths) of the most specific range that
    // matches it (a media type beats `application/*`, which beats `*/*`).
    let (mut json, mut msgpack) = (None::<(u8, u16)>, None::<(u8, u16)>);
    for range in values.iter().flat_map(|value| value.split(',')) {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        if media.is_empty() {
            continue;
        }
        let quality = parts
            .filter_map(|param| param.trim().strip_prefix("q=").or_else(|| param.trim().strip_prefix("Q=")))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .map_or(1000, |q| (q.clamp(0.0, 1.0) * 1000.0).round() as u16);
        let wildcard = match media.as_str() {
            "*/*" => Some(0),
            "application/*" => Some(1),
            _ => None,
        };
        let offer = |slot: &mut Option<(u8, u16)>, exact: bool| {
            let Some(specificity) = (if exact { Some(2) } else { wildcard }) else { return };
            if slot.is_none_or(|best| (specificity, quality) > best) {
                *slot = Some((specificity, quality));
            }
        };
        offer(&mut json, is_json(&media));
        offer(&mut msgpack, is_msgpack(&media));
    }
    let json = json.filter(|(_, q)| *q > 0);
    let msgpack = msgpack.filter(|(_, q)| *q > 0);
    match (json, msgpack) {
        (Some((json_specificity, json_q)), Some((msgpack_specificity, msgpack_q)))
            if (msgpack_q, msgpack_specificity) > (json_q, json_specificity) =>
        {
            Ok(Format::Msgpack)
        }
        (None, Some(_)) => Ok(Format::Msgpack),
        (Some(_), _) => Ok(Format::Json),
        (None, None) => Err(ApiError::NotAcceptable),
    }
}

/// `body` written in `format`, with `Vary: Accept`.
pub(crate) fn respond<T: Serialize>(
    mut builder: HttpResponseBuilder,
    format: Format,
    body: &T,
) -> Result<HttpResponse, ApiError> {
    builder.insert_header((header::VARY, "Accept"));
    match format {
        Format::Json => Ok(builder.json(body)),
        Format::Msgpack => {
            let bytes = payload::to_vec(body)
                .map_err(|error| ApiError::Service(authdb_service::ServiceError::Internal(Box::new(error))))?;
            Ok(builder.content_type(MSGPACK).body(bytes))
        }
    }
}

/// Deserializes a MessagePack request body: not MessagePack at all (truncated, a
/// reserved marker, bytes after the value) is a 400 `/problems/malformed-msgpack`; a body that
/// is no map, or a field that is missing, unknown or of the wrong type, is a 422 naming
/// the field, as for JSON. String values are never quoted back.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Well-formed first, so that a broken body is never reported as a wrong field.
    if let Err(error) = payload::from_slice::<Ignored>(bytes) {
        return Err(ApiError::MalformedMsgpack(match error {
            ProtocolError::Payload { reason, .. } => reason,
            other => other.to_string(),
        }));
    }
    if !matches!(bytes.first(), Some(0x80..=0x8f | 0xde | 0xdf)) {
        return Err(ApiError::Unprocessable(vec![FieldError {
            field: "body".into(),
            message: "the request body must be a MessagePack map".into(),
        }]));
    }
    payload::from_slice::<T>(bytes).map_err(|error| {
        let (field, reason) = match error {
            ProtocolError::Payload { field, reason } => (field, reason),
            other => (None, other.to_string()),
        };
        // serde names missing and unknown fields in the message, with the parent as path.
        let named = reason.split('`').nth(1).filter(|_| {
            reason.starts_with("missing field")
                || reason.starts_with("unknown field")
                || reason.starts_with("duplicate field")
        });
        let field = field.or_else(|| named.map(str::to_owned)).unwrap_or_else(|| "body".to_owned());
        ApiError::Unprocessable(vec![FieldError { field, message: reason }])
    })
}

/// Any well-formed MessagePack value, ignored.
struct Ignored;

impl<'de> serde::Deserialize<'de> for Ignored {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer).map(|_| Ignored)
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn accept(value: &str) -> Result<Format, ApiError> {
        response_format(&TestRequest::default().insert_header((header::ACCEPT, value)).to_http_request())
    }

    #[test]
    fn accept_picks_the_best_acceptable_format() {
        assert_eq!(response_format(&TestRequest::default().to_http_request()).ok(), Some(Format::Json));
        assert_eq!(accept("application/msgpack").ok(), Some(Format::Msgpack));
        assert_eq!(accept("application/x-msgpack, application/json;q=0.5").ok(), Some(Format::Msgpack));
        assert_eq!(accept("application/json, application/msgpack").ok(), Some(Format::Json));
        assert_eq!(accept("*/*").ok(), Some(Format::Json));
        assert_eq!(accept("application/*, application/msgpack").ok(), Some(Format::Msgpack));
        assert_eq!(accept("application/json;q=0, */*").ok(), Some(Format::Msgpack));
        assert_eq!(accept("application/msgpack;q=0.9, application/json;q=0.8").ok(), Some(Format::Msgpack));
        assert_eq!(accept("application/msgpack;q=0, */*").ok(), Some(Format::Json));
        assert!(matches!(accept("text/html"), Err(ApiError::NotAcceptable)));
        assert!(matches!(accept("application/msgpack;q=0, application/json;q=0"), Err(ApiError::NotAcceptable)));
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        #[serde(with = "payload::bin")]
        data: Vec<u8>,
        #[allow(dead_code, reason = "only deserialized")]
        name: Option<String>,
    }

    fn field_of(error: ApiError) -> Option<String> {
        match error {
            ApiError::Unprocessable(errors) => errors.first().map(|e| e.field.clone()),
            _ => None,
        }
    }

    #[test]
    fn errors_are_classified_and_name_the_field() {
        let ok = payload::to_vec(&serde_json::json!({"data": null})).expect("encodes");
        assert_eq!(field_of(parse::<Sample>(&ok).expect_err("null is no bin")).as_deref(), Some("data"));
        let unknown = [0x82, 0xa4, b'd', b'a', b't', b'a', 0xc4, 0x01, 0x07, 0xa1, b'x', 0xc0];
        assert_eq!(field_of(parse::<Sample>(&unknown).expect_err("unknown field")).as_deref(), Some("x"));
        let missing = [0x80];
        assert_eq!(field_of(parse::<Sample>(&missing).expect_err("missing")).as_deref(), Some("data"));
        let array = [0x91, 0xc4, 0x01, 0x07];
        assert_eq!(field_of(parse::<Sample>(&array).expect_err("an array")).as_deref(), Some("body"));
        for malformed in [&[][..], &[0x81, 0xa4, b'd'][..], &[0xc1][..], &[0x81, 0xa4, b'd', b'a', b't', b'a', 0xc4]] {
            assert!(matches!(parse::<Sample>(malformed), Err(ApiError::MalformedMsgpack(_))), "{malformed:02x?}");
        }
        let mut trailing = vec![0x81, 0xa4, b'd', b'a', b't', b'a', 0xc4, 0x01, 0x07];
        assert_eq!(parse::<Sample>(&trailing).expect("valid").data, vec![7]);
        trailing.push(0x00);
        assert!(matches!(parse::<Sample>(&trailing), Err(ApiError::MalformedMsgpack(_))));
    }
}
