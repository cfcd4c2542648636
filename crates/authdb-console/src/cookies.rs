//! The console's cookies: names, flags, reading them, and queueing them on the answer.
//!
//! Every cookie is `HttpOnly`, `SameSite=Strict`, scoped to the console's path, and
//! `Secure` unless the deployment is a loopback-only one (`ConsoleConfig::secure_cookies`).

use actix_web::{HttpMessage as _, HttpRequest, http::header};
use authdb_service::{IssuedTokens, ServiceError};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::config::MOUNT;

pub(crate) const ACCESS_COOKIE: &str = "authdb_console_access";
pub(crate) const REFRESH_COOKIE: &str = "authdb_console_refresh";
/// The `mfa_token` of a sign-in waiting for its second step (five minutes).
pub(crate) const MFA_COOKIE: &str = "authdb_console_mfa";
/// The second-factor methods that sign-in may finish with (`totp.recovery_code.webauthn`),
/// beside [`MFA_COOKIE`], so that the second step's page offers only those.
pub(crate) const MFA_METHODS_COOKIE: &str = "authdb_console_mfa_methods";
/// The double-submit token of the sign-in forms (before any session exists).
pub(crate) const PRESESSION_COOKIE: &str = "authdb_console_presession";

/// Cookies to set on the answer (the `headers` middleware appends them).
#[derive(Debug, Default)]
pub(crate) struct PendingCookies(pub(crate) Vec<String>);

/// Queues `cookies` on the answer to `req`.
pub(crate) fn set_cookies(req: &HttpRequest, cookies: impl IntoIterator<Item = String>) {
    let mut extensions = req.extensions_mut();
    let pending = extensions.get_or_insert_with(PendingCookies::default);
    pending.0.extend(cookies);
}

/// One `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, path `/console`; a session
/// cookie (gone when the browser closes) unless `max_age` is given.
pub(crate) fn cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> String {
    let mut cookie = format!("{name}={value}; Path={}; HttpOnly; SameSite=Strict", MOUNT);
    if secure {
        cookie.push_str("; Secure");
    }
    if let Some(max_age) = max_age {
        cookie.push_str(&format!("; Max-Age={max_age}"));
    }
    cookie
}

/// Clears every console cookie.
pub(crate) fn cleared_cookies(secure: bool) -> Vec<String> {
    [ACCESS_COOKIE, REFRESH_COOKIE, MFA_COOKIE, MFA_METHODS_COOKIE]
        .iter()
        .map(|name| cookie(name, "", secure, Some(0)))
        .collect()
}

/// The cookies of a new token pair.
pub(crate) fn token_cookies(tokens: &IssuedTokens, secure: bool) -> Vec<String> {
    vec![
        cookie(ACCESS_COOKIE, &tokens.access.token, secure, None),
        cookie(REFRESH_COOKIE, tokens.refresh.expose(), secure, None),
    ]
}

/// The value of the cookie `name` in the request, if present and not empty.
pub(crate) fn read_cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// A random token (256 bits, base64url) for the sign-in forms' double submit.
pub(crate) fn random_token() -> Result<String, ServiceError> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| ServiceError::Internal(error.to_string().into()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Compares two tokens in time independent of where they differ.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
