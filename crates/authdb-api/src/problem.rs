use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use authdb_service::{ServiceError, error_chain};
use serde::Serialize;

/// One bad input field, as reported in a 422 problem's `errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every way a request can fail, rendered as RFC 9457 `application/problem+json`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// A scan body that is not readable nmap XML (or that declares a DTD, uses an entity
    /// of its own or nests too deep), with the position.
    #[error("malformed XML: {0}")]
    MalformedXml(String),
    /// A MessagePack body that is not one well-formed MessagePack value.
    #[error("malformed MessagePack: {0}")]
    MalformedMsgpack(String),
    /// An `Accept` header that allows none of the formats the route answers in.
    #[error("not acceptable")]
    NotAcceptable,
    /// A message body in neither JSON nor MessagePack.
    #[error("unsupported media type for a message")]
    UnsupportedMessageMediaType,
    #[error("invalid input")]
    Unprocessable(Vec<FieldError>),
    #[error("request body too large")]
    /// The body is over `limit` bytes ([`crate::MAX_BODY_BYTES`], or a route's own limit).
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A scan import in neither of its formats.
    #[error("unsupported media type for a scan")]
    UnsupportedScanMediaType,
    /// A request body sent with a `Content-Encoding` other than `identity`.
    #[error("unsupported content encoding")]
    UnsupportedContentEncoding,
    #[error("missing bearer token")]
    MissingBearer,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
}

/// An RFC 9457 problem document, served as `application/problem+json`.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Problem {
    /// A relative URI naming the kind of problem, such as `/problems/validation-error`.
    #[serde(rename = "type")]
    #[schema(example = "/problems/validation-error")]
    kind: String,
    #[schema(example = "Your request is not valid")]
    title: &'static str,
    #[schema(example = 422)]
    status: u16,
    detail: String,
    /// The invalid fields; present on 422 and 409 answers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    errors: Option<Vec<FieldError>>,
    /// The licence's `max_assets`; present on `/problems/asset-limit-reached` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    limit: Option<u64>,
    /// How many assets the organization holds; present on `/problems/asset-limit-reached`
    /// only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    current: Option<u64>,
    /// The token for `POST /api/v1/auth/mfa/verify` (single use, five minutes); present
    /// on `/problems/mfa-required` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    mfa_token: Option<String>,
    /// The second-factor methods that finish this login (`totp`, `recovery_code`, ...) on
    /// `/problems/mfa-required`; on `/problems/step-up-required`, what satisfies the
    /// step-up: `password` (the user has no second factor), `totp` or `recovery_code`
    /// (with the password, at `POST /api/v1/auth/step-up`), `webauthn` (sign in with a
    /// passkey).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    methods: Option<Vec<&'static str>>,
    /// How recent, in seconds, the session's authentication must be
    /// (`auth.step_up_max_age_secs`); present on `/problems/step-up-required` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    max_age_secs: Option<u64>,
    /// Where to step up (`/api/v1/auth/step-up`); present on `/problems/step-up-required`
    /// only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    step_up_url: Option<&'static str>,
    /// Where to enrol a second factor (`/api/v1/auth/mfa/totp`); present on
    /// `/problems/mfa-enrolment-required` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    enrol_url: Option<&'static str>,
}

/// Where a session steps up.
const STEP_UP_URL: &str = "/api/v1/auth/step-up";
/// Where a user enrols a second factor.
const ENROL_URL: &str = "/api/v1/auth/mfa/totp";

struct Shape {
    status: StatusCode,
    slug: &'static str,
    title: &'static str,
    detail: String,
    errors: Option<Vec<FieldError>>,
}

impl ApiError {
    fn shape(&self) -> Shape {
        use ServiceError as S;
        let shape = |status, slug, title, detail: String| Shape { status, slug, title, detail, errors: None };
        match self {
            Self::Service(S::Invalid(violations)) => invalid_fields(
                violations
                    .iter()
                    .map(|v| FieldError { field: v.field.to_string(), message: v.message.clone() })
                    .collect(),
            ),
            Self::Unprocessable(errors) => invalid_fields(errors.clone()),
            Self::Service(S::Conflict { fields }) => Shape {
                status: StatusCode::CONFLICT,
                slug: "conflict",
                title: "Already exists",
                detail: self.to_string(),
                errors: Some(
                    fields
                        .iter()
                        .map(|field| FieldError { field: (*field).to_owned(), message: "is already taken".into() })
                        .collect(),
                ),
            },
            Self::Service(S::InvalidCredentials) => shape(
                StatusCode::UNAUTHORIZED,
                "invalid-credentials",
                "Invalid credentials",
                "the login or password is incorrect".into(),
            ),
            Self::Service(S::CeremonyInvalid { field }) => Shape {
                status: StatusCode::BAD_REQUEST,
                slug: "invalid-ceremony",
                title: "Invalid passkey ceremony",
                detail:
                    "the ceremony is unknown, expired or already finished, or was started by someone else: start again"
                        .into(),
                errors: Some(vec![FieldError {
                    field: (*field).into(),
                    message: "names no passkey ceremony in progress (unknown, expired or already finished)".into(),
                }]),
            },
            Self::Service(S::MfaKeyMismatch) => shape(
                StatusCode::SERVICE_UNAVAILABLE,
                "mfa-unavailable",
                "Second factor unavailable",
                "this account's TOTP secret cannot be opened with the server's configured auth.mfa_encryption_key: \
                 an operator must restore the key it was sealed with"
                    .into(),
            ),
            Self::Service(S::TooManyAttempts { retry_after_secs }) => shape(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-attempts",
                "Too many failed login attempts",
                format!("too many failed login attempts; retry in {retry_after_secs} seconds"),
            ),
            Self::Service(S::MfaRequired { .. }) => shape(
                StatusCode::UNAUTHORIZED,
                "mfa-required",
                "Second factor required",
                "the password is right; finish the login with mfa_token and one of methods: a code at \
                 POST /api/v1/auth/mfa/verify, a passkey (webauthn) at POST /api/v1/auth/mfa/webauthn/start then /finish"
                    .into(),
            ),
            Self::Service(S::StepUpRequired { max_age_secs, .. }) => shape(
                StatusCode::UNAUTHORIZED,
                "step-up-required",
                "Recent authentication required",
                format!(
                    "this action needs the session to have authenticated within {max_age_secs} seconds, with a second factor when the account has one: step up at POST {STEP_UP_URL} with one of methods"
                ),
            ),
            Self::Service(S::MfaEnrolmentRequired) => shape(
                StatusCode::FORBIDDEN,
                "mfa-enrolment-required",
                "Second factor required by the organization",
                format!("this organization requires its members to have a second factor: enrol one at POST {ENROL_URL}"),
            ),
            Self::Service(S::InvalidMfaToken) => Shape {
                status: StatusCode::UNAUTHORIZED,
                slug: "invalid-mfa-token",
                title: "Invalid mfa_token",
                detail: "the mfa_token is invalid, already used, expired or from another address: sign in again".into(),
                errors: Some(vec![FieldError { field: "mfa_token".into(), message: "is invalid or expired".into() }]),
            },
            Self::Service(S::InvalidMfaCode { field }) => Shape {
                status: StatusCode::UNAUTHORIZED,
                slug: "invalid-mfa-code",
                title: "Invalid code",
                detail: format!("the {field} is wrong or was already used"),
                errors: Some(vec![FieldError { field: (*field).into(), message: "is wrong or already used".into() }]),
            },
            Self::Service(S::MfaAlreadyEnabled) => shape(
                StatusCode::CONFLICT,
                "mfa-already-enabled",
                "Second factor already enabled",
                "a TOTP factor is already enabled: remove it first".into(),
            ),
            Self::Service(S::MfaNotEnabled) => shape(
                StatusCode::CONFLICT,
                "mfa-not-enabled",
                "No second factor",
                "no TOTP factor is enabled (or pending, to confirm): start with POST /api/v1/auth/mfa/totp".into(),
            ),
            Self::Service(S::WrongPassword) => Shape {
                status: StatusCode::BAD_REQUEST,
                slug: "wrong-password",
                title: "Wrong password",
                detail: "the current password is incorrect".into(),
                errors: Some(vec![FieldError { field: "current_password".into(), message: "is incorrect".into() }]),
            },
            Self::Service(S::EmailNotVerified) => shape(
                StatusCode::FORBIDDEN,
                "email-not-verified",
                "Email not verified",
                "the email address of this account is not verified: open the link mailed to it, or ask for another"
                    .into(),
            ),
            Self::Service(S::AccountDisabled) => {
                shape(StatusCode::FORBIDDEN, "account-disabled", "Account disabled", "this account is disabled".into())
            }
            Self::Service(S::InvalidAccessToken) => shape(
                StatusCode::UNAUTHORIZED,
                "invalid-token",
                "Invalid access token",
                "the access token is invalid, expired or revoked".into(),
            ),
            Self::Service(S::InvalidClient) => shape(
                StatusCode::UNAUTHORIZED,
                "invalid-client",
                "Invalid client",
                "the client id or secret is wrong, or the client does not exist".into(),
            ),
            Self::Service(S::InvalidScope) => shape(
                StatusCode::BAD_REQUEST,
                "invalid-scope",
                "Invalid scope",
                "the requested scope is not granted to this client".into(),
            ),
            Self::Service(S::InvalidRefreshToken) => shape(
                StatusCode::UNAUTHORIZED,
                "invalid-refresh-token",
                "Invalid refresh token",
                "the refresh token is invalid, expired, revoked or already used".into(),
            ),
            Self::Service(S::NotAMember) => shape(
                StatusCode::FORBIDDEN,
                "not-a-member",
                "Not a member",
                "you are not a member of this organization".into(),
            ),
            Self::Service(S::LicenseExpired) => shape(
                StatusCode::FORBIDDEN,
                "license-expired",
                "Licence expired",
                "the organization's licence has expired: its inventory can be read but not changed".into(),
            ),
            Self::Service(S::AssetLimitReached { limit, current }) => shape(
                StatusCode::CONFLICT,
                "asset-limit-reached",
                "Asset limit reached",
                format!("the organization's licence allows {limit} assets and it holds {current}; this would add more"),
            ),
            Self::Service(S::Forbidden(reason)) => {
                shape(StatusCode::FORBIDDEN, "forbidden", "Forbidden", reason.clone())
            }
            Self::Service(S::StateConflict(reason)) => {
                shape(StatusCode::CONFLICT, "conflict", "Conflict", reason.clone())
            }
            Self::Service(S::InvitationRevoked) => shape(
                StatusCode::GONE,
                "invitation-revoked",
                "Invitation revoked",
                "this invitation was revoked: whoever sent it can no longer grant its role".into(),
            ),
            Self::Service(S::OrganizationSuspended) => shape(
                StatusCode::FORBIDDEN,
                "organization-suspended",
                "Organization suspended",
                "this organization is suspended; its members can only read the organization itself".into(),
            ),
            Self::Service(S::NotFound { entity }) => {
                shape(StatusCode::NOT_FOUND, "not-found", "Not found", format!("{entity} not found"))
            }
            Self::Service(S::Unavailable(_)) => shape(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "the database is not answering; retry shortly".into(),
            ),
            Self::Service(S::AgentRefused { code, message }) => shape(
                StatusCode::BAD_GATEWAY,
                "agent-refused",
                "The network's agent refused",
                match code {
                    Some(code) => format!("the network's agent refused ({code}): {message}"),
                    None => format!("the network's agent refused: {message}"),
                },
            ),
            Self::Service(S::AgentBadAnswer(reason)) => shape(
                StatusCode::BAD_GATEWAY,
                "agent-bad-answer",
                "The network's agent answered something not understood",
                format!("the network's agent answered something not understood: {reason}; nothing was changed"),
            ),
            Self::Service(S::AgentUnavailable(reason)) => shape(
                StatusCode::SERVICE_UNAVAILABLE,
                "agent-unavailable",
                "The network's agent is unavailable",
                format!("the network's agent is unavailable ({reason}); nothing was changed, retry shortly"),
            ),
            Self::Service(S::NoAgent) => shape(
                StatusCode::CONFLICT,
                "no-agent",
                "The network has no agent",
                "the network has no agent_url; set one (PATCH the network) to run scans through its agent".into(),
            ),
            Self::Service(S::Internal(_)) => shape(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
                "something went wrong on our side".into(),
            ),
            Self::MalformedJson(message) => {
                shape(StatusCode::BAD_REQUEST, "malformed-json", "Malformed JSON", message.clone())
            }
            Self::MalformedXml(message) => {
                shape(StatusCode::BAD_REQUEST, "malformed-xml", "Malformed or refused XML", message.clone())
            }
            Self::MalformedMsgpack(message) => {
                shape(StatusCode::BAD_REQUEST, "malformed-msgpack", "Malformed MessagePack", message.clone())
            }
            Self::NotAcceptable => shape(
                StatusCode::NOT_ACCEPTABLE,
                "not-acceptable",
                "Not acceptable",
                "this resource answers in application/json or application/msgpack; allow one in Accept".into(),
            ),
            Self::UnsupportedMessageMediaType => shape(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send the message as JSON (Content-Type: application/json) or MessagePack (application/msgpack)".into(),
            ),
            Self::BadRequest(message) => shape(StatusCode::BAD_REQUEST, "bad-request", "Bad request", message.clone()),
            Self::PayloadTooLarge { limit } => shape(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Request body too large",
                format!("the request body must be at most {limit} bytes"),
            ),
            Self::UnsupportedMediaType => shape(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as JSON with Content-Type: application/json".into(),
            ),
            Self::UnsupportedScanMediaType => shape(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send the scan as JSON (Content-Type: application/json) or as nmap XML (application/xml)".into(),
            ),
            Self::UnsupportedContentEncoding => shape(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-content-encoding",
                "Unsupported content encoding",
                "send the body uncompressed: Content-Encoding must be absent or identity".into(),
            ),
            Self::MissingBearer => shape(
                StatusCode::UNAUTHORIZED,
                "missing-token",
                "Authentication required",
                "send an access token as Authorization: Bearer <token>".into(),
            ),
            Self::RateLimited { retry_after_secs } => shape(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
                format!("the rate limit is exhausted; retry in {retry_after_secs} s"),
            ),
            Self::NotFound => shape(StatusCode::NOT_FOUND, "not-found", "Not found", "no such resource".into()),
            Self::MethodNotAllowed => shape(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "this resource does not support that method".into(),
            ),
        }
    }
}

/// The 422 shape shared by domain violations and body deserialization errors.
fn invalid_fields(errors: Vec<FieldError>) -> Shape {
    Shape {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        slug: "validation-error",
        title: "Your request is not valid",
        detail: "one or more fields are invalid".into(),
        errors: Some(errors),
    }
}

impl ApiError {
    /// The problem document this error answers with, for a channel that is not an HTTP
    /// response (the realtime socket's `error` frame).
    pub(crate) fn problem_json(&self) -> serde_json::Value {
        let shape = self.shape();
        if shape.status.is_server_error() {
            tracing::error!(error = %error_chain(self), status = shape.status.as_u16(), "realtime command failed");
        }
        serde_json::to_value(self.problem(shape)).unwrap_or_default()
    }

    fn problem(&self, shape: Shape) -> Problem {
        let (limit, current) = match self {
            Self::Service(ServiceError::AssetLimitReached { limit, current }) => (Some(*limit), Some(*current)),
            _ => (None, None),
        };
        let (mfa_token, methods) = match self {
            Self::Service(ServiceError::MfaRequired { mfa_token, methods }) => {
                (Some(mfa_token.clone()), Some(methods.clone()))
            }
            _ => (None, None),
        };
        let (methods, max_age_secs, step_up_url) = match self {
            Self::Service(ServiceError::StepUpRequired { max_age_secs, methods }) => {
                (Some(methods.clone()), Some(*max_age_secs), Some(STEP_UP_URL))
            }
            _ => (methods, None, None),
        };
        let enrol_url = matches!(self, Self::Service(ServiceError::MfaEnrolmentRequired)).then_some(ENROL_URL);
        Problem {
            mfa_token,
            methods,
            max_age_secs,
            step_up_url,
            enrol_url,
            kind: format!("/problems/{}", shape.slug),
            title: shape.title,
            status: shape.status.as_u16(),
            detail: shape.detail,
            errors: shape.errors,
            limit,
            current,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.shape().status
    }

    fn error_response(&self) -> HttpResponse {
        let shape = self.shape();
        if shape.status.is_server_error() {
            // Logged once here with its cause chain; the body stays opaque.
            tracing::error!(error = %error_chain(self), status = shape.status.as_u16(), "request failed");
        }
        let mut response = HttpResponse::build(shape.status);
        response.content_type("application/problem+json");
        match shape.status {
            StatusCode::UNAUTHORIZED => {
                let challenge = if matches!(self, Self::Service(ServiceError::InvalidAccessToken)) {
                    r#"Bearer error="invalid_token""#
                } else {
                    "Bearer"
                };
                response.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            // RFC 9110 section 15.5.16: name the codings that would have been accepted.
            StatusCode::UNSUPPORTED_MEDIA_TYPE if matches!(self, Self::UnsupportedContentEncoding) => {
                response.insert_header((header::ACCEPT_ENCODING, "identity"));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            StatusCode::TOO_MANY_REQUESTS => {
                if let Self::RateLimited { retry_after_secs }
                | Self::Service(ServiceError::TooManyAttempts { retry_after_secs }) = self
                {
                    response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
                }
            }
            _ => {}
        }
        response.json(self.problem(shape))
    }
}
