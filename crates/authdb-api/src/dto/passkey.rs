//! Passkeys (WebAuthn): the ceremonies' bodies and the caller's passkeys.

use authdb_domain::Passkey;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A started ceremony: send `ceremony_id` back with the finish, and hand `public_key` (its
/// binary members in base64url, to decode into `ArrayBuffer`s) to
/// `navigator.credentials.create({publicKey})` or `.get({publicKey})`.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PasskeyCeremonyResponse {
    pub(crate) ceremony_id: Uuid,
    /// `PublicKeyCredentialCreationOptions` (registration) or
    /// `PublicKeyCredentialRequestOptions` (sign-in), WebAuthn Level 2, binary members in
    /// base64url.
    #[schema(value_type = Object)]
    pub(crate) public_key: serde_json::Value,
}

impl PasskeyCeremonyResponse {
    /// The service's ceremony, its options unwrapped from their `publicKey` member.
    pub(crate) fn from_ceremony(ceremony: authdb_service::PasskeyCeremony) -> Self {
        Self { ceremony_id: ceremony.ceremony_id, public_key: public_key_options(ceremony.options) }
    }
}

/// The options of `navigator.credentials.create()`/`.get()` without their `publicKey`
/// wrapper (the browser code passes them as `{publicKey}`).
pub(crate) fn public_key_options(options: serde_json::Value) -> serde_json::Value {
    match options {
        serde_json::Value::Object(mut options) => options.remove("publicKey").unwrap_or_default(),
        other => other,
    }
}

/// The second step of a password login with a passkey, start: the `mfa_token` of
/// `/problems/mfa-required`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MfaPasskeyStartRequest {
    #[schema(min_length = 1, max_length = 512)]
    pub(crate) mfa_token: String,
}

/// The options for `navigator.credentials.get({publicKey})`, offering only the
/// challenged user's passkeys; valid for 5 minutes and one finish.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct MfaPasskeyOptionsResponse {
    /// `PublicKeyCredentialRequestOptions`, WebAuthn Level 2, binary members in base64url.
    #[schema(value_type = Object)]
    pub(crate) public_key: serde_json::Value,
}

/// The second step of a password login with a passkey, finish: the same `mfa_token` and
/// the browser's assertion.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MfaPasskeyFinishRequest {
    #[schema(min_length = 1, max_length = 512)]
    pub(crate) mfa_token: String,
    /// The `PublicKeyCredential` from `navigator.credentials.get()` in its JSON form, as
    /// for `POST /api/v1/auth/passkeys/login/finish`.
    #[schema(value_type = Object)]
    pub(crate) credential: serde_json::Value,
}

/// The browser's answer to a registration.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterPasskeyRequest {
    /// From `POST /api/v1/auth/passkeys/register/start`.
    pub(crate) ceremony_id: Uuid,
    /// What the user calls this passkey: 1 to 64 characters.
    #[schema(example = "laptop", min_length = 1, max_length = 64)]
    pub(crate) name: String,
    /// The `PublicKeyCredential` from `navigator.credentials.create()` in its JSON form
    /// (`id`, `rawId`, `type`, `response.clientDataJSON`, `response.attestationObject`,
    /// `response.transports`; binary members in base64url).
    #[schema(value_type = Object)]
    pub(crate) credential: serde_json::Value,
}

/// Starts a passkey sign-in, for a named account or (without `login`) for any
/// discoverable credential.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasskeyLoginStartRequest {
    /// The email address or the username; without it, the authenticator offers the
    /// discoverable credentials it holds for this site.
    #[serde(default)]
    #[schema(example = "ada@example.com", min_length = 1, max_length = 320)]
    pub(crate) login: Option<String>,
}

/// The browser's answer to a sign-in.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasskeyLoginRequest {
    /// From `POST /api/v1/auth/passkeys/login/start`.
    pub(crate) ceremony_id: Uuid,
    /// The `PublicKeyCredential` from `navigator.credentials.get()` in its JSON form
    /// (`id`, `rawId`, `type`, `response.clientDataJSON`, `response.authenticatorData`,
    /// `response.signature`, `response.userHandle`; binary members in base64url).
    #[schema(value_type = Object)]
    pub(crate) credential: serde_json::Value,
    /// Asks for a token scoped to this organization, as `POST /api/v1/auth/login` does:
    /// a user who is not a member gets 403 `/problems/not-a-member`.
    #[serde(default)]
    pub(crate) organization_id: Option<Uuid>,
}

/// The browser's answer to a step-up with a passkey.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasskeyStepUpRequest {
    /// From `POST /api/v1/auth/step-up/webauthn/start`.
    pub(crate) ceremony_id: Uuid,
    /// The `PublicKeyCredential` from `navigator.credentials.get()` in its JSON form, as at
    /// sign-in.
    #[schema(value_type = Object)]
    pub(crate) credential: serde_json::Value,
}

/// One of the caller's passkeys.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PasskeyResponse {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    /// The credential id (base64url), as the browser names it.
    pub(crate) credential_id: String,
    /// How the browser reaches the authenticator (`usb`, `nfc`, `ble`, `internal`, `hybrid`).
    pub(crate) transports: Vec<String>,
    /// The last signature counter the authenticator reported (0: it keeps none).
    pub(crate) sign_count: u32,
    /// A synced passkey (`swk`) rather than one bound to a single device (`hwk`).
    pub(crate) backup_eligible: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) last_used_at: Option<OffsetDateTime>,
}

impl From<Passkey> for PasskeyResponse {
    fn from(passkey: Passkey) -> Self {
        Self {
            id: passkey.id.as_uuid(),
            name: passkey.name.as_str().to_owned(),
            credential_id: passkey.credential_id,
            transports: passkey.transports,
            sign_count: passkey.sign_count,
            backup_eligible: passkey.backup_eligible,
            created_at: passkey.created_at,
            last_used_at: passkey.last_used_at,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PasskeyList {
    pub(crate) items: Vec<PasskeyResponse>,
}
