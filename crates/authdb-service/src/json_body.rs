//! Reading a JSON document the one way every adapter reads one (the API's request bodies,
//! a scan file uploaded to the console): broken JSON is [`JsonBodyError::Malformed`]; a
//! document that is not an object, a string or key holding NUL (no column can store it),
//! or a missing, unknown or mistyped field is [`JsonBodyError::Invalid`], a violation
//! naming the field by its path (`nested.list[1]`).

use authdb_domain::Violation;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why a JSON document could not be read.
#[derive(Debug)]
pub enum JsonBodyError {
    /// Not JSON at all (serde's message).
    Malformed(String),
    /// JSON, but not the document expected: the first bad field.
    Invalid(Violation),
}

/// Deserializes `bytes`, an object; `what` names the document in the message when it is
/// not one (`"the request body"`).
///
/// A document that reads cleanly is read in one pass, straight into `T`. Only when that
/// fails, or when the text may hold a NUL, is it read again the careful way (a
/// [`Value`] first), which finds the error this function answers: syntax before
/// content, the first bad field by its path. One pass matters for a scan file of
/// megabytes, which the careful way read three times (text, tree, walk).
pub fn read_json_object<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, JsonBodyError> {
    if let Some(document) = read_clean(bytes) {
        return Ok(document);
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|error| JsonBodyError::Malformed(error.to_string()))?;
    // Every document is an object; serde would otherwise also fill a struct from an array.
    if !value.is_object() {
        return Err(JsonBodyError::Invalid(Violation::new("body", format!("{what} must be a JSON object"))));
    }
    // PostgreSQL text and JSONB cannot hold NUL, and no field has a use for it.
    if let Some(field) = path_to_nul(&value, String::new()) {
        return Err(JsonBodyError::Invalid(Violation::new(field, "must not contain NUL characters")));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        JsonBodyError::Invalid(field_error(&path, &error.into_inner()))
    })
}

/// `bytes` read in one pass, if they are an object that deserializes into `T` with no
/// trailing text and no NUL. JSON carries a NUL in a string or key only as the escape
/// `\u0000` (a raw control character is a syntax error), so text without that sequence
/// holds none; with it (even as `\\u0000`, a backslash and `u0000`) the careful reading
/// decides.
fn read_clean<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let first = bytes.iter().find(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(&b'{') || bytes.windows(6).any(|window| window == br"\u0000") {
        return None;
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let document = T::deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    Some(document)
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
fn field_error(path: &str, error: &serde_json::Error) -> Violation {
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
    Violation::new(field, message)
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

    fn invalid(body: &str) -> Violation {
        match read_json_object::<Sample>(body.as_bytes(), "the request body") {
            Err(JsonBodyError::Invalid(violation)) => violation,
            other => panic!("expected a violation for {body}, got {other:?}"),
        }
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        for body in ["", "{", "{\"email\": }", "not json", "{\"email\":\"a\",\"count\":1} trailing"] {
            let read = read_json_object::<Sample>(body.as_bytes(), "the request body");
            assert!(matches!(read, Err(JsonBodyError::Malformed(_))), "{body}");
        }
    }

    #[test]
    fn missing_fields_are_named() {
        let violation = invalid(r#"{"count": 1}"#);
        assert_eq!(violation.field, "email");
        assert_eq!(violation.message, "missing field `email`");
    }

    #[test]
    fn wrong_types_name_the_path() {
        assert_eq!(invalid(r#"{"email": 5, "count": 1}"#).field, "email");
        assert_eq!(invalid(r#"{"email": "a", "count": -1}"#).field, "count");
        assert_eq!(invalid(r#"{"email": "a", "count": 1, "nested": {"flag": "yes"}}"#).field, "nested.flag");
        assert_eq!(invalid(r#"{"email": "a", "count": 1, "nested": {}}"#).field, "nested.flag");
    }

    #[test]
    fn unknown_fields_are_named() {
        assert_eq!(invalid(r#"{"email": "a", "count": 1, "is_superuser": true}"#).field, "is_superuser");
    }

    #[test]
    fn nul_characters_are_refused_naming_the_field() {
        assert_eq!(invalid(r#"{"email": "a\u0000b", "count": 1}"#).field, "email");
        let nested = invalid(r#"{"email": "a", "count": 1, "nested": {"list": ["ok", "x\u0000"]}}"#);
        assert_eq!(nested.field, "nested.list[1]");
        assert_eq!(invalid(r#"{"email": "a", "count": 1, "k\u0000": 1}"#).field, "k\u{0}");
    }

    #[test]
    fn a_clean_document_reads_as_the_careful_way_reads_it() {
        let body = br#" {"email": "a\\u0000b", "count": 7, "nested": {"flag": true, "flag": false}} "#;
        assert!(read_clean::<Sample>(body).is_none(), "a possible NUL escape is left to the careful way");
        let read = read_json_object::<Sample>(body, "the request body").expect("a backslash before u0000 is no NUL");
        assert_eq!((read.email.as_str(), read.nested.map(|nested| nested.flag)), ("a\\u0000b", Some(false)));
        let clean = read_clean::<Sample>(br#"{"email": "a\nb", "count": 7}"#).expect("one pass");
        assert_eq!((clean.email.as_str(), clean.count), ("a\nb", 7));
    }

    #[test]
    fn a_syntax_error_is_answered_before_an_earlier_bad_field() {
        // One pass would stop at `count`; the answer is still the document's syntax.
        let read = read_json_object::<Sample>(br#"{"email": "a", "count": -1, "nested": {"#, "the request body");
        assert!(matches!(read, Err(JsonBodyError::Malformed(_))), "{read:?}");
    }

    #[test]
    fn a_non_object_body_is_invalid_naming_the_document() {
        for body in ["[1, 2]", "null"] {
            let violation = invalid(body);
            assert_eq!(
                (violation.field.as_ref(), violation.message.as_str()),
                ("body", "the request body must be a JSON object")
            );
        }
    }
}
