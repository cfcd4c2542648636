use serde_json::Value;
use time::OffsetDateTime;

use crate::{Email, UserId, Username};

/// A user account as the rest of the system sees it. The password hash is deliberately
/// not part of it: it never leaves the persistence and auth layers.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub username: Username,
    pub full_name: Option<String>,
    pub avatar_url: Option<String>,
    pub preferences: Value,
    pub is_active: bool,
    pub is_verified: bool,
    pub is_superuser: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub last_login_at: Option<OffsetDateTime>,
    pub login_count: i64,
    pub password_changed_at: OffsetDateTime,
}

/// What a superuser may change about an account; `None` leaves a flag alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountFlagChanges {
    pub is_active: Option<bool>,
    pub is_verified: Option<bool>,
    pub is_superuser: Option<bool>,
}

impl AccountFlagChanges {
    pub fn is_empty(&self) -> bool {
        self.is_active.is_none() && self.is_verified.is_none() && self.is_superuser.is_none()
    }
}
