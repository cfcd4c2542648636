//! Checks on request fields that are not domain values, and how violations become one
//! 422 answer.

use authdb_domain::{DomainError, Violation};
use authdb_service::SecondFactorProof;
use secrecy::SecretString;

use crate::ApiError;

/// Longest login (email or username) accepted before any work is done.
pub(crate) const MAX_LOGIN_BYTES: usize = 320;
/// Longest password accepted before any work is done (bcrypt reads 72 bytes; a longer
/// value is refused here rather than hashed).
pub(crate) const MAX_PASSWORD_BYTES: usize = 1024;
pub(crate) const MAX_REFRESH_TOKEN_BYTES: usize = 512;
/// Longest TOTP or recovery code accepted (with separators and spaces).
pub(crate) const MAX_CODE_BYTES: usize = 64;
/// The token of a mailed link (43 characters as authdb makes them).
pub(crate) const MAX_EMAIL_TOKEN_BYTES: usize = 512;

/// A required string field must be non-empty and at most `max` bytes.
pub(crate) fn bounded(field: &'static str, value: &str, max: usize) -> Option<Violation> {
    if value.is_empty() {
        Some(Violation::new(field, "must not be empty"))
    } else if value.len() > max {
        Some(Violation::new(field, format!("must be at most {max} bytes")))
    } else {
        None
    }
}

/// A TOTP or recovery code: not blank, at most [`MAX_CODE_BYTES`].
pub(crate) fn one_time_code(field: &'static str, code: &str) -> Option<Violation> {
    match code.trim() {
        "" => Some(Violation::new(field, "is required")),
        _ => bounded(field, code, MAX_CODE_BYTES),
    }
}

/// The second factor of a request that carries `code` (TOTP) or `recovery_code`: at most
/// one of them, and `None` when neither is given (the caller decides whether that is
/// allowed). A blank or overlong code is refused before any work is done.
pub(crate) fn second_factor_proof(
    code: Option<String>,
    recovery_code: Option<String>,
) -> Result<Option<SecondFactorProof>, Violation> {
    let present = |field: &'static str, code: &str| one_time_code(field, code).map_or(Ok(()), Err);
    match (code, recovery_code) {
        (None, None) => Ok(None),
        (Some(code), None) => present("code", &code).map(|()| Some(SecondFactorProof::Totp(code))),
        (None, Some(code)) => {
            present("recovery_code", &code).map(|()| Some(SecondFactorProof::RecoveryCode(SecretString::from(code))))
        }
        (Some(_), Some(_)) => Err(Violation::new("code", "give at most one of code and recovery_code")),
    }
}

/// One 422 naming every violated field (a 400 if, unexpectedly, there is none).
pub(crate) fn invalid(violations: impl IntoIterator<Item = Option<Violation>>) -> ApiError {
    match DomainError::collect(violations) {
        Err(error) => ApiError::Service(error.into()),
        Ok(()) => ApiError::BadRequest("invalid request".into()),
    }
}

/// The value, or `None` with its violation recorded: for handlers that parse many fields
/// and answer every violation at once.
pub(crate) fn collect<T>(parsed: Result<T, Violation>, violations: &mut Vec<Violation>) -> Option<T> {
    parsed.map_err(|violation| violations.push(violation)).ok()
}

/// [`collect`] for a parse that reports several violations (a list's elements).
pub(crate) fn collect_all<T>(parsed: Result<T, Vec<Violation>>, violations: &mut Vec<Violation>) -> Option<T> {
    parsed.map_err(|mut found| violations.append(&mut found)).ok()
}

/// A WebAuthn credential (a browser's answer) must at least be a JSON object; the rest is
/// checked where it is verified.
pub(crate) fn webauthn_credential(credential: &serde_json::Value) -> Option<Violation> {
    (!credential.is_object()).then(|| Violation::new("credential", "must be a WebAuthn credential object"))
}
