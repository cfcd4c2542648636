//! Request and response bodies. Domain and persistence types never cross the wire
//! directly; these are converted explicitly.

use authdb_domain::{SessionId, SessionSummary, User};
use authdb_service::{IssuedTokens, SecurityEvent};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

/// A new account; the password must satisfy the configured policy.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterRequest {
    #[schema(example = "ada@example.com", format = Email, max_length = 254)]
    pub(crate) email: String,
    /// 3 to 50 characters: ASCII letters, digits, `_` and `-`.
    #[schema(example = "ada", min_length = 3, max_length = 50, pattern = "^[A-Za-z0-9_-]+$")]
    pub(crate) username: String,
    /// Must satisfy the configured policy (by default at least 8 bytes with an upper-case
    /// letter, a lower-case letter and a digit); at most 72 bytes.
    #[schema(example = "Secret123", format = Password, min_length = 8, max_length = 72)]
    pub(crate) password: String,
    #[serde(default)]
    #[schema(example = "Ada Lovelace", min_length = 1, max_length = 200)]
    pub(crate) full_name: Option<String>,
}

/// Credentials for `POST /api/v1/auth/login`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    /// The email address or the username.
    #[schema(example = "ada@example.com", min_length = 1, max_length = 320)]
    pub(crate) login: String,
    #[schema(example = "Secret123", format = Password, min_length = 1, max_length = 1024)]
    pub(crate) password: String,
    /// Asks for a token scoped to this organization.
    #[serde(default)]
    pub(crate) organization_id: Option<Uuid>,
}

/// A refresh token to exchange for a new pair; the presented one is spent.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshRequest {
    #[schema(min_length = 1, max_length = 512)]
    pub(crate) refresh_token: String,
    /// Scope the new access token to this organization (else the session's current one).
    #[serde(default)]
    pub(crate) organization_id: Option<Uuid>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangePasswordRequest {
    pub(crate) current_password: String,
    pub(crate) new_password: String,
}

/// One live session of the caller: a device login.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SessionResponse {
    pub(crate) id: Uuid,
    pub(crate) user_agent: Option<String>,
    pub(crate) ip: Option<String>,
    /// The organization the session's tokens are scoped to, if any.
    pub(crate) organization_id: Option<Uuid>,
    /// The OAuth2 `client_id` the session was opened with (token endpoint), if any.
    pub(crate) client_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) last_used_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) expires_at: OffsetDateTime,
    /// Whether the access token of this request belongs to this session.
    pub(crate) current: bool,
}

impl SessionResponse {
    pub(crate) fn new(session: SessionSummary, current: SessionId) -> Self {
        Self {
            id: session.id.as_uuid(),
            user_agent: session.user_agent,
            ip: session.ip,
            organization_id: session.organization_id.map(|org| org.as_uuid()),
            client_id: session.client_id,
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            expires_at: session.expires_at,
            current: session.id == current,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SessionList {
    pub(crate) items: Vec<SessionResponse>,
}

/// `PATCH /auth/me`: an absent field is left alone, `null` clears it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateProfileRequest {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub(crate) full_name: Option<Option<String>>,
    /// An absolute `http` or `https` URL of at most 2048 bytes.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = "^https?://[^\\s/]+[^\\s]*$", max_length = 2048)]
    pub(crate) avatar_url: Option<Option<String>>,
    /// Any JSON object of at most 16 KiB.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Object)]
    pub(crate) preferences: Option<Option<Value>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one not sent at all (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// An account as its owner sees it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct UserResponse {
    pub(crate) id: Uuid,
    pub(crate) email: String,
    pub(crate) username: String,
    pub(crate) full_name: Option<String>,
    pub(crate) avatar_url: Option<String>,
    #[schema(value_type = Object)]
    pub(crate) preferences: Value,
    pub(crate) is_active: bool,
    pub(crate) is_verified: bool,
    pub(crate) is_superuser: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) last_login_at: Option<OffsetDateTime>,
    pub(crate) login_count: i64,
}

impl From<User> for UserResponse {
    fn from(user: User) -> Self {
        Self {
            id: user.id.as_uuid(),
            email: user.email,
            username: user.username,
            full_name: user.full_name,
            avatar_url: user.avatar_url,
            preferences: user.preferences,
            is_active: user.is_active,
            is_verified: user.is_verified,
            is_superuser: user.is_superuser,
            created_at: user.created_at,
            last_login_at: user.last_login_at,
            login_count: user.login_count,
        }
    }
}

/// A signed-in session: a short-lived access token and the refresh token that renews it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TokenResponse {
    pub(crate) user: UserResponse,
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    #[schema(example = "bearer")]
    pub(crate) token_type: &'static str,
    /// Seconds until the access token expires.
    pub(crate) expires_in: u64,
}

impl From<IssuedTokens> for TokenResponse {
    fn from(tokens: IssuedTokens) -> Self {
        Self {
            user: tokens.user.into(),
            access_token: tokens.access.token,
            refresh_token: tokens.refresh.into_string(),
            token_type: "bearer",
            expires_in: tokens.access.expires_in,
        }
    }
}

/// One event of the caller's security log (`GET /auth/events`).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SecurityEventResponse {
    pub(crate) id: Uuid,
    /// What happened, such as `login.succeeded`, `login.failed`, `login.locked_out`,
    /// `user.registered`, `session.logged_out`, `refresh_token.reused`.
    pub(crate) action: String,
    /// `success` or `failure`.
    pub(crate) outcome: String,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) time: OffsetDateTime,
    /// The client address of the request.
    pub(crate) ip: Option<String>,
    pub(crate) user_agent: Option<String>,
    /// The session the event is about, if any.
    pub(crate) session_id: Option<Uuid>,
    /// Safe particulars, such as `reason` of a failure or `retry_after_secs` of a lockout.
    #[schema(value_type = Object)]
    pub(crate) details: Value,
}

impl From<SecurityEvent> for SecurityEventResponse {
    fn from(event: SecurityEvent) -> Self {
        Self {
            id: event.id.as_uuid(),
            action: event.action,
            outcome: event.outcome,
            time: event.occurred_at,
            ip: event.ip,
            user_agent: event.user_agent,
            session_id: event.session_id.map(|id| id.as_uuid()),
            details: event.details,
        }
    }
}

/// A page of the caller's security events, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SecurityEventPage {
    pub(crate) items: Vec<SecurityEventResponse>,
    /// How many events there are in all.
    pub(crate) total: u64,
    pub(crate) limit: u64,
    pub(crate) offset: u64,
}
