//! The console's JSON endpoints: the passkey ceremonies its script runs (WebAuthn happens
//! in the browser, through `navigator.credentials`). The script posts JSON and reads JSON;
//! the CSRF token travels in the `X-CSRF-Token` header (the page's form token), checked
//! before any handler runs, like [`crate::form`]'s:
//! - [`JsonPosted`] (signed in): the session's form token;
//! - [`PreSessionJson`] (the sign-in pages): the pre-session cookie's value (a double
//!   submit).
//!
//! Errors are [`JsonError`]: the problem's status, and `{"title", "detail"}` for the script
//! to show; a request without a session is 401 (not a redirect: the script cannot follow
//! one into a page).

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use actix_web::{
    FromRequest, HttpRequest, HttpResponse, ResponseError, dev::Payload, error::JsonPayloadError, http::StatusCode, web,
};
use authdb_service::ServiceError;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::{
    cookies::{PRESESSION_COOKIE, read_cookie, same_token},
    error::ConsoleError,
    session::{SignedIn, signed_in},
};

/// The header the console's script sends the form token in.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// The largest JSON body read (a WebAuthn attestation with its certificates fits).
const MAX_JSON_BYTES: usize = 64 * 1024;

pub(crate) fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(MAX_JSON_BYTES).error_handler(|error, _| {
        let detail = match error {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
                format!("the body is larger than {MAX_JSON_BYTES} bytes")
            }
            JsonPayloadError::ContentType => "the body is not JSON (application/json)".into(),
            JsonPayloadError::Deserialize(error) => format!("the body cannot be read: {error}"),
            other => format!("the body cannot be read: {other}"),
        };
        JsonError(ConsoleError::BadForm(detail)).into()
    })
}

/// A console error answered as JSON.
#[derive(Debug)]
pub(crate) struct JsonError(pub(crate) ConsoleError);

impl From<ConsoleError> for JsonError {
    fn from(error: ConsoleError) -> Self {
        Self(error)
    }
}

impl From<ServiceError> for JsonError {
    fn from(error: ServiceError) -> Self {
        Self(ConsoleError::Service(error))
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for JsonError {
    fn status_code(&self) -> StatusCode {
        self.0.problem().status
    }

    fn error_response(&self) -> HttpResponse {
        let problem = self.0.problem();
        if problem.status.is_server_error() {
            tracing::error!(error = %self.0, "console request failed");
        }
        let mut response = HttpResponse::build(problem.status);
        if let ConsoleError::SignInRequired { secure } = &self.0 {
            for cookie in crate::cookies::cleared_cookies(*secure) {
                response.append_header((actix_web::http::header::SET_COOKIE, cookie));
            }
        }
        if let ConsoleError::Service(ServiceError::TooManyAttempts { retry_after_secs }) = &self.0 {
            response.insert_header((actix_web::http::header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        response.json(json!({ "status": problem.status.as_u16(), "title": problem.title, "detail": problem.detail }))
    }
}

/// A JSON body posted by a signed-in user's page, its CSRF header checked.
pub(crate) struct JsonPosted<T> {
    pub(crate) signed_in: SignedIn,
    pub(crate) body: T,
}

/// A JSON body posted by a sign-in page, its double-submit header checked.
pub(crate) struct PreSessionJson<T>(pub(crate) T);

fn csrf_header(req: &HttpRequest) -> Option<String> {
    req.headers().get(CSRF_HEADER).and_then(|value| value.to_str().ok()).map(str::to_owned)
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonPosted<T> {
    type Error = JsonError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, JsonError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Json::<T>::from_request(&req, payload);
        Box::pin(async move {
            // Authentication first: without a session the answer is 401.
            let signed_in = signed_in(&req).await?;
            let token_ok = csrf_header(&req)
                .is_some_and(|csrf| signed_in.console.auth.check_form_token(&signed_in.principal, &csrf));
            if !token_ok {
                tracing::warn!(user_id = %signed_in.principal.user.id, "console request refused: missing or wrong CSRF header");
                return Err(ConsoleError::Forbidden.into());
            }
            let body = body.await.map_err(bad_body)?.into_inner();
            Ok(Self { signed_in, body })
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for PreSessionJson<T> {
    type Error = JsonError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, JsonError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let cookie = read_cookie(req, PRESESSION_COOKIE);
        let csrf = csrf_header(req);
        let body = web::Json::<T>::from_request(req, payload);
        Box::pin(async move {
            match (cookie, csrf) {
                (Some(cookie), Some(csrf)) if same_token(&cookie, &csrf) => {}
                _ => return Err(ConsoleError::Forbidden.into()),
            }
            Ok(Self(body.await.map_err(bad_body)?.into_inner()))
        })
    }
}

fn bad_body(error: actix_web::Error) -> JsonError {
    match error.as_error::<JsonError>() {
        Some(JsonError(ConsoleError::BadForm(detail))) => JsonError(ConsoleError::BadForm(detail.clone())),
        _ => JsonError(ConsoleError::BadForm(error.to_string())),
    }
}

/// The options of `navigator.credentials.create()`/`.get()` without their `publicKey`
/// wrapper (the script passes them as `{publicKey}`), binary members in base64url.
pub(crate) fn public_key_options(options: serde_json::Value) -> serde_json::Value {
    match options {
        serde_json::Value::Object(mut options) => options.remove("publicKey").unwrap_or_default(),
        other => other,
    }
}

/// A WebAuthn credential (the browser's answer) must at least be a JSON object; the rest is
/// checked where it is verified.
pub(crate) fn credential(credential: &serde_json::Value) -> Result<(), JsonError> {
    if credential.is_object() {
        return Ok(());
    }
    let violation = authdb_domain::Violation::new("credential", "must be a WebAuthn credential object");
    Err(ServiceError::Invalid(vec![violation]).into())
}

/// The answer of a finished ceremony: where the script goes next (a console URL).
pub(crate) fn go_to(status: StatusCode, path: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "next": crate::layout::url(path) }))
}
