//! Form bodies and the CSRF check.
//!
//! Every unsafe console request is a form post read by one of two extractors, and both
//! check a token before the handler runs:
//! - [`Posted`] (signed in): the `csrf` field must be the form token of the session
//!   (`AuthService::form_token`: an HMAC of the session id under a key derived from the
//!   server secret with its own label), so a form made elsewhere cannot act for the user;
//! - [`PreSession`] (the sign-in forms): the `csrf` field must equal the pre-session
//!   cookie (a double submit; the cookie is `SameSite=Strict`, so a cross-site post never
//!   carries it), so no other site can sign a browser in to an account of its choosing.
//!
//! A form is read as text fields only; a field given twice is refused.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, error::UrlencodedError, web};
use serde::de::DeserializeOwned;
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
