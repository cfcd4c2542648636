//! Bodies of the routes that mail links: email verification and password reset.

use serde::{Deserialize, Serialize};

/// A token from a mailed link.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmailTokenRequest {
    /// The `token` parameter of the link.
    pub(crate) token: String,
}

/// Asks for a password-reset link.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordResetRequest {
    pub(crate) email: String,
}

/// Sets a new password with the token of a password-reset link.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordResetConfirmRequest {
    /// The `token` parameter of the link.
    pub(crate) token: String,
    pub(crate) new_password: String,
}

/// The answer of a request whose outcome is mailed, the same whatever happened (so that it
/// does not tell whether an address has an account).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AcceptedResponse {
    /// `verification_pending` (registration) or `reset_requested` (password reset).
    pub(crate) status: &'static str,
    /// What to do next, in words.
    pub(crate) message: &'static str,
}

impl AcceptedResponse {
    /// A registration when verification is required: the account is created (or its
    /// owner told), and a link is on its way.
    pub(crate) fn verification_pending() -> Self {
        Self {
            status: "verification_pending",
            message: "check your inbox: the link in the message we sent proves the address; then sign in",
        }
    }

    /// A password-reset request, whether the address has an account or not.
    pub(crate) fn reset_requested() -> Self {
        Self {
            status: "reset_requested",
            message: "if the address has an account, a link to set a new password is on its way",
        }
    }
}
