//! [`Authenticated`], the extractor of the `actix` and `axum` features, and [`Rejection`],
//! its answer to a request it refuses.

use std::time::Duration;

use crate::{Claims, Verifier, VerifyError};

/// The verified claims of the request's bearer token: an actix-web extractor with the
/// `actix` feature, an axum one with the `axum` feature (see the crate documentation).
#[derive(Clone, Debug)]
pub struct Authenticated(pub Claims);

/// Why [`Authenticated`] refused a request: answered 401 with `WWW-Authenticate: Bearer`
/// (no token, an invalid, expired or revoked one) or 503 with `Retry-After` (authdb's key
/// set cannot be fetched and no key is cached), each with a problem+json body.
#[derive(Debug)]
pub struct Rejection {
    /// 401 or 503.
    pub status: u16,
    /// What went wrong, for the caller (the token's contents are never echoed).
    pub detail: &'static str,
    /// The verifier's own error, for logs (`None` when the request had no token).
    pub error: Option<VerifyError>,
}

/// How long a caller is told to wait when the key set is unavailable.
const RETRY_AFTER: Duration = Duration::from_secs(5);

impl Rejection {
    fn missing() -> Self {
        Self { status: 401, detail: "a bearer token is required", error: None }
    }

    /// The answer to a token [`Verifier::verify`] refused.
    pub fn from_error(error: VerifyError) -> Self {
        let (status, detail) = match &error {
            VerifyError::Revoked => (401, "the session was revoked"),
            VerifyError::KeySet(_) => (503, "the signing keys cannot be fetched; try again later"),
            VerifyError::Config(_) => (503, "token verification is misconfigured"),
            VerifyError::InvalidToken(_) | VerifyError::UnknownKey => (401, "the token is invalid or expired"),
        };
        Self { status, detail, error: Some(error) }
    }

    /// The headers to send: `WWW-Authenticate` on 401, `Retry-After` on 503.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![("content-type", "application/problem+json".to_owned())];
        if self.status == 401 {
            let value = if self.error.is_some() { r#"Bearer error="invalid_token""# } else { "Bearer" };
            headers.push(("www-authenticate", value.to_owned()));
        } else {
            headers.push(("retry-after", RETRY_AFTER.as_secs().to_string()));
        }
        headers
    }

    /// The problem+json body (RFC 9457).
    pub fn body(&self) -> String {
        let title = if self.status == 401 { "Unauthorized" } else { "Service Unavailable" };
        serde_json::json!({ "type": "about:blank", "title": title, "status": self.status, "detail": self.detail })
            .to_string()
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.error {
            Some(error) => write!(f, "{}: {error}", self.detail),
            None => f.write_str(self.detail),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header value.
#[cfg_attr(not(any(feature = "actix", feature = "axum")), allow(dead_code))]
fn bearer(value: Option<&[u8]>) -> Option<String> {
    let value = std::str::from_utf8(value?).ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

#[cfg_attr(not(any(feature = "actix", feature = "axum")), allow(dead_code))]
async fn authenticate(verifier: Verifier, token: Option<String>) -> Result<Authenticated, Rejection> {
    let token = token.ok_or_else(Rejection::missing)?;
    verifier.verify(&token).await.map(Authenticated).map_err(Rejection::from_error)
}

#[cfg(feature = "actix")]
mod actix {
    use std::{future::Future, pin::Pin};

    use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, dev::Payload, http::StatusCode, web};

    use super::{Authenticated, Rejection, authenticate, bearer};
    use crate::{Verifier, VerifyError};

    /// Takes the verifier from `App::app_data`, as `web::Data<Verifier>` or `Verifier`.
    impl FromRequest for Authenticated {
        type Error = Rejection;
        type Future = Pin<Box<dyn Future<Output = Result<Self, Rejection>>>>;

        fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
            let verifier = req
                .app_data::<web::Data<Verifier>>()
                .map(|data| Verifier::clone(data))
                .or_else(|| req.app_data::<Verifier>().cloned());
            let token = bearer(req.headers().get("authorization").map(|value| value.as_bytes()));
            Box::pin(async move {
                let verifier = verifier.ok_or_else(|| {
                    Rejection::from_error(VerifyError::Config("no Verifier in the application's data".into()))
                })?;
                authenticate(verifier, token).await
            })
        }
    }

    impl ResponseError for Rejection {
        fn status_code(&self) -> StatusCode {
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::UNAUTHORIZED)
        }

        fn error_response(&self) -> HttpResponse {
            let mut response = HttpResponse::build(self.status_code());
            for header in self.headers() {
                response.insert_header(header);
            }
            response.body(self.body())
        }
    }
}

#[cfg(feature = "axum")]
mod axum {
    use axum_core::{
        body::Body,
        extract::{FromRef, FromRequestParts},
        response::{IntoResponse, Response},
    };
    use http::{HeaderName, HeaderValue, StatusCode, request::Parts};

    use super::{Authenticated, Rejection, authenticate, bearer};
    use crate::Verifier;

    /// Takes the verifier from the router's state (or the part `FromRef` names).
    impl<S> FromRequestParts<S> for Authenticated
    where
        Verifier: FromRef<S>,
        S: Send + Sync,
    {
        type Rejection = Rejection;

        async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Rejection> {
            let token = bearer(parts.headers.get(http::header::AUTHORIZATION).map(HeaderValue::as_bytes));
            authenticate(Verifier::from_ref(state), token).await
        }
    }

    impl IntoResponse for Rejection {
        fn into_response(self) -> Response {
            let mut response = Response::new(Body::from(self.body()));
            *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::UNAUTHORIZED);
            for (name, value) in self.headers() {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.headers_mut().insert(HeaderName::from_static(name), value);
                }
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_found_in_any_case_of_the_scheme() {
        assert_eq!(bearer(Some(b"Bearer abc")).as_deref(), Some("abc"));
        assert_eq!(bearer(Some(b"bearer  abc ")).as_deref(), Some("abc"));
        assert_eq!(bearer(Some(b"Basic abc")), None);
        assert_eq!(bearer(Some(b"Bearer ")), None);
        assert_eq!(bearer(Some(b"\xff")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn rejections_say_401_or_503_with_their_headers() {
        let revoked = Rejection::from_error(VerifyError::Revoked);
        assert_eq!(revoked.status, 401);
        assert!(revoked.headers().contains(&("www-authenticate", r#"Bearer error="invalid_token""#.to_owned())));
        assert!(revoked.body().contains("revoked"));
        let missing = Rejection::missing();
        assert!(missing.headers().contains(&("www-authenticate", "Bearer".to_owned())));
        let away = Rejection::from_error(VerifyError::KeySet("down".into()));
        assert_eq!(away.status, 503);
        assert!(away.headers().iter().any(|(name, _)| *name == "retry-after"));
    }
}
