//! Payloads: the MessagePack encoding of an event's fields, a map keyed by field name.
//!
//! Byte fields (`ciphertext`, `nonce`, the `ready` frame's `key`) are MessagePack `bin`,
//! through [`bin`] and [`option_bin`]; everything else is encoded as its JSON frame has it
//! (ids and times as strings).

use serde::{Serialize, de::DeserializeOwned};

use crate::{ProtocolError, Result};

/// The MessagePack map of `value`'s fields (structs become maps keyed by field name).
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    rmp_serde::to_vec_named(value)
        .map_err(|error| ProtocolError::Payload { field: None, reason: format!("cannot encode: {error}") })
}

/// Decodes a whole MessagePack value into `T`. The error names the field at fault (as a
/// path such as `nonce`) and never repeats a string or byte value from the input; bytes
/// after the value are refused.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let mut rd = bytes;
    let mut deserializer = rmp_serde::Deserializer::new(&mut rd);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let field = (path != ".").then_some(path);
        ProtocolError::Payload { field, reason: describe(error.inner()) }
    })?;
    drop(deserializer);
    if !rd.is_empty() {
        return Err(ProtocolError::Payload { field: None, reason: "bytes after the MessagePack value".to_owned() });
    }
    Ok(value)
}

/// A description of a decoding error that does not quote the input's strings.
fn describe(error: &rmp_serde::decode::Error) -> String {
    use rmp_serde::decode::Error;
    match error {
        Error::InvalidMarkerRead(_) | Error::InvalidDataRead(_) => "the MessagePack value is truncated".to_owned(),
        Error::TypeMismatch(_) => "unexpected MessagePack type".to_owned(),
        Error::OutOfRange => "a number is out of range".to_owned(),
        Error::LengthMismatch(_) => "wrong number of elements".to_owned(),
        Error::Utf8Error(_) => "a string is not UTF-8".to_owned(),
        Error::DepthLimitExceeded => "nested too deeply".to_owned(),
        // serde's own messages: `invalid type: ...`, `missing field ...`, `unknown field ...`;
        // string and byte values are never quoted by this crate's visitors.
        other => other.to_string(),
    }
}

/// Serde for `Vec<u8>` as MessagePack `bin` (and only `bin`): `#[serde(with = "bin")]`.
pub mod bin {
    use serde::{Deserializer, Serializer, de};

    /// Writes the bytes as `bin`.
    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    /// Reads `bin` into a `Vec<u8>`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        deserializer.deserialize_byte_buf(BytesVisitor)
    }

    pub(super) struct BytesVisitor;

    impl<'de> de::Visitor<'de> for BytesVisitor {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("MessagePack bin")
        }

        fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
            Ok(bytes.to_vec())
        }

        fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(bytes)
        }

        fn visit_str<E: de::Error>(self, _: &str) -> Result<Vec<u8>, E> {
            Err(E::invalid_type(de::Unexpected::Other("a string"), &self))
        }
    }
}

/// Serde for `Option<Vec<u8>>` as MessagePack `bin` or `nil`: `#[serde(default, with =
/// "option_bin")]`.
pub mod option_bin {
    use serde::{Deserializer, Serializer, de};

    /// Writes `bin`, or `nil` for `None`.
    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, serializer: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => serializer.serialize_bytes(bytes),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `bin` or `nil`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<u8>>, D::Error> {
        deserializer.deserialize_option(OptionVisitor)
    }

    struct OptionVisitor;

    impl<'de> de::Visitor<'de> for OptionVisitor {
        type Value = Option<Vec<u8>>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("MessagePack bin or nil")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_byte_buf(super::bin::BytesVisitor).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Message {
        #[serde(with = "bin")]
        ciphertext: Vec<u8>,
        #[serde(default, with = "option_bin")]
        nonce: Option<Vec<u8>>,
        client_id: Option<String>,
    }

    #[test]
    fn byte_fields_are_bin_and_round_trip() {
        let message = Message { ciphertext: vec![0, 1, 255], nonce: Some(vec![9; 12]), client_id: None };
        let bytes = to_vec(&message).expect("encodes");
        // A map of three: "ciphertext" => bin8 of 3 bytes.
        assert_eq!(bytes[0], 0x83);
        assert!(bytes.windows(5).any(|w| w == [0xc4, 3, 0, 1, 255]));
        assert_eq!(from_slice::<Message>(&bytes).expect("decodes"), message);
        let without_nonce = to_vec(&serde_json::json!({"ciphertext": null})).expect("encodes");
        assert!(from_slice::<Message>(&without_nonce).is_err());
    }

    #[test]
    fn errors_name_the_field_and_never_quote_strings() {
        let bytes = to_vec(&serde_json::json!({"ciphertext": "secret text", "client_id": "x"})).expect("encodes");
        let Err(ProtocolError::Payload { field, reason }) = from_slice::<Message>(&bytes) else {
            panic!("a string is no bin")
        };
        assert_eq!(field.as_deref(), Some("ciphertext"));
        assert!(!reason.contains("secret"), "{reason}");
        let mut trailing = to_vec(&Message { ciphertext: vec![1], nonce: None, client_id: None }).expect("encodes");
        trailing.push(0xc0);
        assert!(matches!(from_slice::<Message>(&trailing), Err(ProtocolError::Payload { field: None, .. })));
        assert!(matches!(from_slice::<Message>(&[0x83, 0xa1]), Err(ProtocolError::Payload { .. })));
    }
}
