//! The one place a console error becomes a status and a page. Every page shows an error
//! the way the API's problem documents do: a title and a detail.

use std::fmt;

use actix_web::{HttpResponse, ResponseError, http::StatusCode, http::header};
use authdb_service::{ServiceError, error_chain};

use crate::{cookies, layout, layout::ConsolePath};

/// What a console request can end with besides its page.
#[derive(Debug)]
pub enum ConsoleError {
    /// No session cookie, or its authdb session is over (signed out, revoked, expired,
    /// the account deactivated): a redirect to the sign-in page, clearing the cookies
    /// (with `Secure` when the console's cookies carry it).
    SignInRequired {
        secure: bool,
    },
    /// An unsafe request without the form token of its session (CSRF).
    Forbidden,
    /// A form body that is not a form, or lacks a field.
    BadForm(String),
    /// An uploaded file that cannot be read (not JSON, not readable XML), with the
    /// problem's title and detail.
    BadFile {
        title: &'static str,
        detail: String,
    },
    /// An uploaded file over the largest the console reads (`inventory.max_scan_bytes`).
    FileTooLarge {
        limit: usize,
    },
    NotFound,
    /// A sensitive action refused for want of a recent authentication: a redirect to the
    /// re-authentication page, which comes back to `next`.
    StepUp {
        next: ConsolePath,
    },
    /// What the use case answered.
    Service(ServiceError),
}

impl From<ServiceError> for ConsoleError {
    fn from(error: ServiceError) -> Self {
        Self::Service(error)
    }
}

/// `error`, except that a step-up refusal becomes [`ConsoleError::StepUp`] back to the
/// console path `next` (the profile when `next` is not one).
pub(crate) fn or_step_up(error: ServiceError, next: &str) -> ConsoleError {
    match error {
        ServiceError::StepUpRequired { .. } => ConsoleError::StepUp { next: ConsolePath::or_home(next) },
        other => ConsoleError::Service(other),
    }
}

impl fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let problem = self.problem();
        write!(f, "{}: {}", problem.title, problem.detail)
    }
}

/// A title and a detail, as a problem document has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) status: StatusCode,
    pub(crate) title: &'static str,
    pub(crate) detail: String,
}

impl ConsoleError {
    pub(crate) fn problem(&self) -> Problem {
        let problem = |status, title, detail: String| Problem { status, title, detail };
        match self {
            Self::SignInRequired { .. } => {
                problem(StatusCode::UNAUTHORIZED, "Sign-in required", "sign in to use the console".into())
            }
            Self::Forbidden => problem(
                StatusCode::FORBIDDEN,
                "Form expired or forged",
                "the form was not sent from this console session (missing or wrong CSRF token); reload the page and \
                 try again"
                    .into(),
            ),
            Self::BadForm(detail) => problem(StatusCode::BAD_REQUEST, "Bad form", detail.clone()),
            Self::BadFile { title, detail } => problem(StatusCode::BAD_REQUEST, title, detail.clone()),
            Self::FileTooLarge { limit } => problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "File too large",
                format!("the file is larger than {limit} bytes, the most an import reads (inventory.max_scan_bytes)"),
            ),
            Self::NotFound => problem(StatusCode::NOT_FOUND, "Not found", "no such page".into()),
            Self::StepUp { .. } => {
                problem(StatusCode::FORBIDDEN, "Recent authentication required", "confirm it is you to continue".into())
            }
            Self::Service(error) => service_problem(error),
        }
    }
}

fn service_problem(error: &ServiceError) -> Problem {
    use ServiceError as S;
    let problem = |status, title, detail: String| Problem { status, title, detail };
    let said = error.to_string();
    match error {
        S::Invalid(violations) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Your request is not valid",
            violations.iter().map(|v| format!("{}: {}", v.field, v.message)).collect::<Vec<_>>().join("; "),
        ),
        S::Conflict { .. } => problem(StatusCode::CONFLICT, "Already exists", said),
        S::InvalidCredentials => problem(StatusCode::UNAUTHORIZED, "Invalid credentials", said),
        S::TooManyAttempts { .. } => problem(StatusCode::TOO_MANY_REQUESTS, "Too many attempts", said),
        S::WrongPassword => problem(StatusCode::FORBIDDEN, "Wrong password", said),
        S::AccountDisabled => problem(StatusCode::FORBIDDEN, "Account disabled", said),
        S::EmailNotVerified => problem(StatusCode::FORBIDDEN, "Email not verified", said),
        S::InvalidAccessToken | S::InvalidRefreshToken => problem(StatusCode::UNAUTHORIZED, "Signed out", said),
        S::MfaRequired { .. } => problem(StatusCode::UNAUTHORIZED, "Second factor required", said),
        S::InvalidMfaToken => problem(
            StatusCode::UNAUTHORIZED,
            "Sign-in expired",
            "the second step expired or was already used; sign in again".into(),
        ),
        S::InvalidMfaCode { field: "credential" } => problem(
            StatusCode::UNAUTHORIZED,
            "Passkey refused",
            "the passkey is not one of this account's, or it did not verify".into(),
        ),
        S::InvalidMfaCode { .. } => problem(StatusCode::UNAUTHORIZED, "Invalid code", said),
        S::CeremonyInvalid { .. } => problem(
            StatusCode::BAD_REQUEST,
            "Invalid passkey ceremony",
            "the passkey ceremony is unknown, expired or already finished: start again".into(),
        ),
        S::MfaAlreadyEnabled | S::MfaNotEnabled => problem(StatusCode::CONFLICT, "Second factor state", said),
        S::StepUpRequired { .. } => problem(StatusCode::FORBIDDEN, "Recent authentication required", said),
        S::MfaEnrolmentRequired => problem(StatusCode::FORBIDDEN, "Second factor required", said),
        S::NotFound { .. } | S::NotAMember => problem(StatusCode::NOT_FOUND, "Not found", said),
        S::Forbidden(_) | S::OrganizationSuspended | S::LicenseExpired | S::InvitationRevoked => {
            problem(StatusCode::FORBIDDEN, "Forbidden", said)
        }
        S::StateConflict(_) | S::AssetLimitReached { .. } | S::NoAgent => {
            problem(StatusCode::CONFLICT, "Conflict", said)
        }
        S::AgentRefused { .. } => problem(StatusCode::BAD_GATEWAY, "The agent refused", said),
        S::AgentBadAnswer(_) => problem(StatusCode::BAD_GATEWAY, "The agent answered something not understood", said),
        S::Unavailable(_) | S::AgentUnavailable(_) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
            "a dependency is unavailable; try again shortly".into(),
        ),
        _ => problem(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "something went wrong on our side".into()),
    }
}

impl ConsoleError {
    /// A page that shows this error (a form again, with the problem above it), with the
    /// problem's status and, for 429 and 503, `Retry-After`.
    pub(crate) fn with_page(&self, markup: maud::Markup) -> HttpResponse {
        let mut response = layout::respond(self.problem().status, markup);
        if let Some(retry_after) = self.retry_after()
            && let Ok(value) = header::HeaderValue::from_str(&retry_after.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Service(ServiceError::TooManyAttempts { retry_after_secs }) => Some(*retry_after_secs),
            _ if self.problem().status == StatusCode::SERVICE_UNAVAILABLE => Some(5),
            _ => None,
        }
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignInRequired { .. } | Self::StepUp { .. } => StatusCode::SEE_OTHER,
            _ => self.problem().status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::SignInRequired { secure } = self {
            let mut response = HttpResponse::SeeOther();
            response.insert_header((header::LOCATION, format!("{}/sign-in", crate::config::MOUNT)));
            for cookie in cookies::cleared_cookies(*secure) {
                response.append_header((header::SET_COOKIE, cookie));
            }
            return response.finish();
        }
        if let Self::StepUp { next } = self {
            let location = format!("{}/me/reauthenticate?next={}", crate::config::MOUNT, next.as_str());
            return HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish();
        }
        let problem = self.problem();
        if problem.status.is_server_error() {
            match self {
                Self::Service(error) => tracing::error!(error = %error_chain(error), "console request failed"),
                other => tracing::error!(error = %other, "console request failed"),
            }
        }
        let mut response = HttpResponse::build(problem.status);
        if let Some(retry_after) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        response
            .content_type("text/html; charset=utf-8")
            .body(layout::error_page(problem.title, &problem.detail).into_string())
    }
}
