//! Any byte string as a request body: the parser must answer Ok or a 400/422 problem,
//! never panic, and a 422 must name a field.
#![no_main]

use authdb_api::{ApiError, JsonBody};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match JsonBody::<serde_json::Map<String, serde_json::Value>>::from_slice(data) {
        Ok(_) | Err(ApiError::MalformedJson(_)) => {}
        Err(ApiError::Unprocessable(errors)) => assert!(errors.iter().all(|error| !error.field.is_empty())),
        Err(other) => panic!("unexpected error class: {other:?}"),
    }
});
