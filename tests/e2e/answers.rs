//! Reading the server's answers in tests: a problem document, a JSON body with its
//! status, the fields a problem names, and the small generators several tests share.

use reqwest::Response;
use serde_json::Value;

/// `response` as a problem document (`application/problem+json`) of `status`.
pub(crate) async fn problem(response: Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    body
}

/// `response`'s JSON body (null when it has none), after checking its status (`why` names
/// the step in the failure message).
pub(crate) async fn json_of(response: Response, status: u16, why: &str) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "{why}: {body}");
    body
}

/// The fields a problem's `errors` name, in the problem's order (the order of the
/// request's fields).
pub(crate) fn fields(problem: &Value) -> Vec<&str> {
    problem["errors"].as_array().unwrap().iter().map(|error| error["field"].as_str().unwrap()).collect()
}

/// [`fields`], sorted: for a test that names which fields are wrong, not in what order.
pub(crate) fn sorted_fields(problem: &Value) -> Vec<&str> {
    let mut fields = fields(problem);
    fields.sort_unstable();
    fields
}

/// Whether a problem names `field` among its `errors`.
pub(crate) fn names_field(problem: &Value, field: &str) -> bool {
    fields(problem).contains(&field)
}

/// A small xorshift generator: the tests need varied bytes, not secrecy.
pub(crate) fn pseudo_random_bytes(seed: &mut u64, length: usize) -> Vec<u8> {
    (0..length)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed >> 24) as u8
        })
        .collect()
}

/// The realtime socket's URL on the server at `address` (`http://host:port`).
pub(crate) fn ws_url(address: &str) -> String {
    format!("{}/api/v1/ws", address.replace("http://", "ws://"))
}
