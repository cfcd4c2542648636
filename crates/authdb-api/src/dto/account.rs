//! Accounts and tokens: registration, sign-in, refresh and the caller's profile.

use authdb_domain::User;
use authdb_service::IssuedTokens;
use serde::{Deserialize, Serialize};
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

/// `PATCH /auth/me`: an absent field is left alone, `null` clears it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateProfileRequest {
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub(crate) full_name: Option<Option<String>>,
    /// An absolute `http` or `https` URL of at most 2048 bytes.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>, pattern = "^https?://[^\\s/]+[^\\s]*$", max_length = 2048)]
    pub(crate) avatar_url: Option<Option<String>>,
    /// Any JSON object of at most 16 KiB.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Object)]
    pub(crate) preferences: Option<Option<Value>>,
    /// A new address: not changed at once, but mailed a confirmation link (see
    /// `POST /auth/confirm-email-change`); the current address is told.
    #[schema(format = "email", max_length = 254)]
    pub(crate) email: Option<String>,
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
            email: user.email.into_inner(),
            username: user.username.into_inner(),
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
