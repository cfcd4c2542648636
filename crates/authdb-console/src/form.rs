//! Form bodies and the CSRF check.
//!
//! Every unsafe console request is a form post read by one of these three extractors, or
//! a JSON post of the console's script read by `json.rs`'s two; each checks a token before
//! the handler runs:
//! - [`Posted`] (signed in): the `csrf` field must be the form token of the session
//!   (`AuthService::form_token`: an HMAC of the session id under a key derived from the
//!   server secret with its own label), so a form made elsewhere cannot act for the user;
//! - [`PreSession`] (the sign-in forms): the `csrf` field must equal the pre-session
//!   cookie (a double submit; the cookie is `SameSite=Strict`, so a cross-site post never
//!   carries it), so no other site can sign a browser in to an account of its choosing;
//! - [`Upload`] (a file, `multipart/form-data`): the form's first field must be `csrf`,
//!   holding the session's form token as in [`Posted`]; it is read and checked before any
//!   other byte of the body, so a post without it is refused with the file unread.
//!
//! A form is read as text fields only; a field given twice is refused.

use std::future::Future;
use std::pin::Pin;

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::{FromRequest, HttpRequest, dev::Payload, error::UrlencodedError, web};
use futures_util::{StreamExt as _, TryStreamExt as _};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::{
    cookies::{PRESESSION_COOKIE, read_cookie, same_token},
    error::ConsoleError,
    session::{SignedIn, signed_in},
};

/// The largest form the console reads.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// The name of the CSRF field of every form.
pub(crate) const CSRF_FIELD: &str = "csrf";

/// The most bytes the CSRF field of a multipart form may hold (a token is 43).
const MAX_TOKEN_BYTES: usize = 256;

/// A query string a page cannot read (a parameter given twice, a value of the wrong kind)
/// is a 400 error page naming the problem, like a bad form.
pub(crate) fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|error, _| ConsoleError::BadForm(format!("the query string cannot be read: {error}")).into())
}

pub(crate) fn form_config() -> web::FormConfig {
    web::FormConfig::default().limit(MAX_FORM_BYTES).error_handler(|error, _| {
        let detail = match error {
            UrlencodedError::Overflow { .. } => format!("the form is larger than {MAX_FORM_BYTES} bytes"),
            UrlencodedError::ContentType => "the body is not a form (application/x-www-form-urlencoded)".into(),
            other => format!("the form cannot be read: {other}"),
        };
        ConsoleError::BadForm(detail).into()
    })
}

/// The body of a form whose only field is its CSRF token (a confirmation's button):
/// `Posted<NoFields>`.
#[derive(Debug, Deserialize)]
pub(crate) struct NoFields {}

/// A form posted by a signed-in user, its CSRF token checked.
pub(crate) struct Posted<T> {
    pub(crate) signed_in: SignedIn,
    pub(crate) form: T,
}

/// A sign-in form, its double-submit token checked.
pub(crate) struct PreSession<T>(pub(crate) T);

type Fields = Vec<(String, String)>;

impl<T: DeserializeOwned + 'static> FromRequest for Posted<T> {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let fields = web::Form::<Fields>::from_request(&req, payload);
        Box::pin(async move {
            // Authentication first: without a session the answer is the sign-in page.
            let signed_in = signed_in(&req).await?;
            let fields = fields.await.map_err(bad_form)?.into_inner();
            let (csrf, form) = split(fields)?;
            let token_ok =
                csrf.as_deref().is_some_and(|csrf| signed_in.console.auth.check_form_token(&signed_in.principal, csrf));
            if !token_ok {
                tracing::warn!(user_id = %signed_in.principal.user.id, "console form refused: missing or wrong CSRF token");
                return Err(ConsoleError::Forbidden);
            }
            Ok(Self { signed_in, form })
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for PreSession<T> {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let cookie = read_cookie(req, PRESESSION_COOKIE);
        let fields = web::Form::<Fields>::from_request(req, payload);
        Box::pin(async move {
            let fields = fields.await.map_err(bad_form)?.into_inner();
            let (csrf, form) = split(fields)?;
            match (cookie, csrf) {
                (Some(cookie), Some(csrf)) if same_token(&cookie, &csrf) => Ok(Self(form)),
                _ => Err(ConsoleError::Forbidden),
            }
        })
    }
}

/// A `multipart/form-data` post by a signed-in user, its CSRF field (the first) checked;
/// the rest of the body is read by [`Upload::file`], after the handler's own checks.
pub(crate) struct Upload {
    pub(crate) signed_in: SignedIn,
    rest: Multipart,
}

impl FromRequest for Upload {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut rest = Multipart::new(req.headers(), payload.take());
        Box::pin(async move {
            let signed_in = signed_in(&req).await?;
            let csrf = match rest.try_next().await {
                Ok(Some(field)) if field.name() == Some(CSRF_FIELD) => token_of(field).await,
                Ok(_) => None,
                Err(error) => return Err(multipart_error(&error)),
            };
            let token_ok =
                csrf.as_deref().is_some_and(|csrf| signed_in.console.auth.check_form_token(&signed_in.principal, csrf));
            if !token_ok {
                tracing::warn!(user_id = %signed_in.principal.user.id, "console upload refused: missing or wrong CSRF token");
                return Err(ConsoleError::Forbidden);
            }
            Ok(Self { signed_in, rest })
        })
    }
}

/// The text of the CSRF field, when it is short UTF-8.
async fn token_of(mut field: Field) -> Option<String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        bytes.extend_from_slice(&chunk.ok()?);
        if bytes.len() > MAX_TOKEN_BYTES {
            return None;
        }
    }
    String::from_utf8(bytes).ok()
}

impl Upload {
    /// The file of the next field, which must be named `name`, of at most `limit` bytes
    /// (counted as they arrive: a larger file is refused without being read whole).
    pub(crate) async fn file(mut self, name: &str, limit: usize) -> Result<Vec<u8>, ConsoleError> {
        let missing = || ConsoleError::BadForm(format!("the form has no file `{name}` after its CSRF field"));
        let mut field = match self.rest.try_next().await {
            Ok(Some(field)) if field.name() == Some(name) => field,
            Ok(_) => return Err(missing()),
            Err(error) => return Err(multipart_error(&error)),
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|error| multipart_error(&error))?;
            if bytes.len() + chunk.len() > limit {
                return Err(ConsoleError::FileTooLarge { limit });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}

fn multipart_error(error: &MultipartError) -> ConsoleError {
    match error {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible
        | MultipartError::BoundaryMissing => {
            ConsoleError::BadForm("the body is not a file upload form (multipart/form-data)".into())
        }
        other => ConsoleError::BadForm(format!("the upload cannot be read: {other}")),
    }
}

fn bad_form(error: actix_web::Error) -> ConsoleError {
    match error.as_error::<ConsoleError>() {
        Some(ConsoleError::BadForm(detail)) => ConsoleError::BadForm(detail.clone()),
        _ => ConsoleError::BadForm(error.to_string()),
    }
}

/// The CSRF field, and the other fields as `T`.
fn split<T: DeserializeOwned>(fields: Fields) -> Result<(Option<String>, T), ConsoleError> {
    let mut csrf = None;
    let mut map = Map::new();
    for (name, value) in fields {
        if name == CSRF_FIELD {
            if csrf.replace(value).is_some() {
                return Err(ConsoleError::BadForm(format!("the field `{CSRF_FIELD}` is given twice")));
            }
        } else if map.insert(name.clone(), Value::String(value)).is_some() {
            return Err(ConsoleError::BadForm(format!("the field `{name}` is given twice")));
        }
    }
    let form = serde_json::from_value(Value::Object(map)).map_err(|error| ConsoleError::BadForm(error.to_string()))?;
    Ok((csrf, form))
}
