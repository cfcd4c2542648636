//! Passkeys (WebAuthn Level 2): the relying party's side of the two ceremonies, over the
//! `webauthn-rs` crate (pure Rust since 0.6: RustCrypto through `crypto-glue`, no
//! OpenSSL).
//!
//! Nothing of that crate leaves this module: the options sent to the browser are JSON
//! values, the state kept between a ceremony's start and finish and a stored passkey are
//! JSON text ([`CeremonyState`], [`StoredPasskey`]), and what the browser sends back is
//! read from JSON here. Whoever stores them (the service layer, in the database, so that
//! any instance can finish a ceremony another started) treats them as opaque.

use std::fmt;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use url::Url;
use uuid::Uuid;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Webauthn, WebauthnBuilder, WebauthnError,
};

/// Who the relying party is: its id (a registrable domain, `localhost` in development)
/// and the web origins allowed to run the ceremonies for it.
#[derive(Debug, Clone)]
pub struct RelyingPartyConfig {
    /// `auth.webauthn_rp_id`.
    pub rp_id: String,
    /// `auth.webauthn_origins`: at least one; each must be on `rp_id` or a subdomain of it.
    pub origins: Vec<Url>,
    /// The name authenticators show.
    pub rp_name: String,
    /// Accept the origins on any port (the `localhost` default, where the port is
    /// whatever the server was given).
    pub allow_any_port: bool,
}

/// Why a relying party could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum RelyingPartyConfigError {
    #[error("at least one origin is needed")]
    NoOrigin,
    /// The origin's host is not the relying party id nor a subdomain of it.
    #[error("origin {0} is not on the relying party id")]
    ForeignOrigin(String),
    #[error("invalid relying party configuration")]
    Invalid,
}

/// Why a ceremony failed. The messages are fit for a log line, never for the caller.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// What the browser sent is not a credential of the expected shape.
    #[error("malformed credential: {0}")]
    Malformed(String),
    /// The sign count did not go up: the authenticator may have been cloned.
    #[error("the sign count went backwards: possible cloned authenticator")]
    PossibleClone,
    /// The credential did not verify (signature, challenge, origin, user verification...).
    #[error("credential refused: {0}")]
    Refused(String),
    /// A stored state or passkey does not read back (corrupt row).
    #[error("stored webauthn data does not read back: {0}")]
    Corrupt(String),
}

/// The relying party: starts and finishes registrations and sign-ins.
#[derive(Clone)]
pub struct RelyingParty {
    webauthn: std::sync::Arc<Webauthn>,
    rp_id: String,
}

impl fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelyingParty").field("rp_id", &self.rp_id).finish_non_exhaustive()
    }
}

/// The server-side state of one ceremony, between its start and its finish: JSON text to
/// store, single use. It holds the challenge; it is not a secret from the user but must
/// never be accepted from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CeremonyState(String);

impl CeremonyState {
    /// The state as stored.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A registered passkey as stored: the credential (id, public key, sign count, ...) as
/// JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey(String);

impl StoredPasskey {
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn read(&self) -> Result<Passkey, PasskeyError> {
        serde_json::from_str(&self.0).map_err(|error| PasskeyError::Corrupt(error.to_string()))
    }

    /// The credential id in base64url (no padding), as the browser names it.
    pub fn credential_id(&self) -> Result<String, PasskeyError> {
        Ok(URL_SAFE_NO_PAD.encode(self.read()?.cred_id().as_slice()))
    }
}

/// A ceremony's start: the options for `navigator.credentials.create`/`get` (the
/// `publicKey` member and friends, with binary values in base64url) and the state to keep.
#[derive(Debug)]
pub struct Started {
    pub options: serde_json::Value,
    pub state: CeremonyState,
}

/// A verified registration.
#[derive(Debug)]
pub struct NewPasskey {
    /// base64url, no padding: unique over every account.
    pub credential_id: String,
    pub passkey: StoredPasskey,
    /// The transports the browser reported (`usb`, `internal`, `hybrid`, ...).
    pub transports: Vec<String>,
    pub sign_count: u32,
    /// Whether the credential is backup eligible (a synced passkey: `swk`) or bound to one
    /// device (`hwk`).
    pub backup_eligible: bool,
}

/// What a sign-in assertion names before it is verified: which credential, and (for a
/// discoverable credential) which user handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionSubject {
    pub credential_id: String,
    pub user_handle: Option<Uuid>,
}

/// A verified sign-in.
#[derive(Debug)]
pub struct VerifiedAssertion {
    /// The passkey with its new sign count and backup flags, when they changed.
    pub updated: Option<StoredPasskey>,
    pub sign_count: u32,
    pub backup_eligible: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum LoginState {
    /// Started for a named account: its credentials were offered.
    Named { state: PasskeyAuthentication },
    /// Started without a name: any discoverable credential may answer.
    Discoverable { state: DiscoverableAuthentication },
}

impl RelyingParty {
    pub fn new(config: &RelyingPartyConfig) -> Result<Self, RelyingPartyConfigError> {
        let (first, rest) = config.origins.split_first().ok_or(RelyingPartyConfigError::NoOrigin)?;
        for origin in &config.origins {
            let on_rp = origin
                .host_str()
                .is_some_and(|host| host == config.rp_id || host.ends_with(&format!(".{}", config.rp_id)));
            if !on_rp {
                return Err(RelyingPartyConfigError::ForeignOrigin(origin.to_string()));
            }
        }
        let mut builder = WebauthnBuilder::new(&config.rp_id, first)
            .map_err(|_| RelyingPartyConfigError::Invalid)?
            .rp_name(&config.rp_name)
            .allow_any_port(config.allow_any_port);
        for origin in rest {
            builder = builder.append_allowed_origin(origin);
        }
        let webauthn = builder.build().map_err(|_| RelyingPartyConfigError::Invalid)?;
        Ok(Self { webauthn: std::sync::Arc::new(webauthn), rp_id: config.rp_id.clone() })
    }

    /// The relying party of the embedded setup: `localhost`, `http://localhost` on any
    /// port.
    pub fn localhost() -> Self {
        let config = RelyingPartyConfig {
            rp_id: "localhost".into(),
            origins: vec![localhost_origin()],
            rp_name: "authdb".into(),
            allow_any_port: true,
        };
        // A fixed configuration the tests below build: it cannot fail.
        #[allow(clippy::expect_used)]
        Self::new(&config).expect("the localhost relying party is valid")
    }

    /// The relying party id.
    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// Starts registering a passkey for the account `user` (its id is the user handle),
    /// excluding the credentials it already has. A resident (discoverable) key is
    /// preferred, so that the passkey can sign in without a login name.
    pub fn start_registration(
        &self,
        user: Uuid,
        user_name: &str,
        display_name: &str,
        existing: &[StoredPasskey],
    ) -> Result<Started, PasskeyError> {
        let exclude = existing
            .iter()
            .map(|stored| stored.read().map(|passkey| passkey.cred_id().clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let exclude = (!exclude.is_empty()).then_some(exclude);
        let (options, state) = self
            .webauthn
            .start_passkey_registration(user, user_name, display_name, exclude)
            .map_err(|error| PasskeyError::Refused(error.to_string()))?;
        let mut options = to_json(&options)?;
        if let Some(selection) =
            options.pointer_mut("/publicKey/authenticatorSelection").and_then(|s| s.as_object_mut())
        {
            selection.insert("residentKey".into(), "preferred".into());
        }
        Ok(Started { options, state: CeremonyState(to_text(&state)?) })
    }

    /// Verifies the browser's answer to a registration started with `state`.
    pub fn finish_registration(
        &self,
        credential: &serde_json::Value,
        state: &CeremonyState,
    ) -> Result<NewPasskey, PasskeyError> {
        let credential: RegisterPublicKeyCredential =
            serde_json::from_value(credential.clone()).map_err(|error| PasskeyError::Malformed(error.to_string()))?;
        let state: PasskeyRegistration =
            serde_json::from_str(state.as_str()).map_err(|error| PasskeyError::Corrupt(error.to_string()))?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&credential, &state)
            .map_err(|error| PasskeyError::Refused(error.to_string()))?;
        let transports = credential
            .response
            .transports
            .iter()
            .flatten()
            .filter_map(|transport| serde_json::to_value(transport).ok())
            .filter_map(|value| value.as_str().map(str::to_owned))
            .collect();
        // The crate keeps the counter and flags private; its stored form names them.
        let stored = to_json(&passkey)?;
        let sign_count = stored.pointer("/cred/counter").and_then(serde_json::Value::as_u64).unwrap_or(0);
        let backup_eligible =
            stored.pointer("/cred/backup_eligible").and_then(serde_json::Value::as_bool).unwrap_or(false);
        Ok(NewPasskey {
            credential_id: URL_SAFE_NO_PAD.encode(passkey.cred_id().as_slice()),
            passkey: StoredPasskey(stored.to_string()),
            transports,
            sign_count: u32::try_from(sign_count).unwrap_or(u32::MAX),
            backup_eligible,
        })
    }

    /// Starts a sign-in: for a named account with its `passkeys` (none: the options of a
    /// discoverable sign-in, so that the answer does not tell whether the name has any),
    /// or for any discoverable credential when `passkeys` is `None`.
    pub fn start_login(&self, passkeys: Option<&[StoredPasskey]>) -> Result<Started, PasskeyError> {
        let named = match passkeys {
            Some(stored) if !stored.is_empty() => {
                Some(stored.iter().map(StoredPasskey::read).collect::<Result<Vec<_>, _>>()?)
            }
            _ => None,
        };
        let (options, state) = match named {
            Some(passkeys) => {
                let (options, state) = self
                    .webauthn
                    .start_passkey_authentication(&passkeys)
                    .map_err(|error| PasskeyError::Refused(error.to_string()))?;
                (options, LoginState::Named { state })
            }
            None => {
                let (mut options, state) = self
                    .webauthn
                    .start_discoverable_authentication()
                    .map_err(|error| PasskeyError::Refused(error.to_string()))?;
                // The crate asks for conditional mediation (autofill UI); a sign-in button
                // wants the modal prompt, which is the default.
                options.mediation = None;
                (options, LoginState::Discoverable { state })
            }
        };
        Ok(Started { options: to_json(&options)?, state: CeremonyState(to_text(&state)?) })
    }

    /// Reads which credential (and user handle) an assertion names, without verifying it.
    pub fn assertion_subject(&self, assertion: &serde_json::Value) -> Result<AssertionSubject, PasskeyError> {
        let assertion = read_assertion(assertion)?;
        let user_handle = assertion.get_user_unique_id().and_then(|bytes| Uuid::from_slice(bytes).ok());
        Ok(AssertionSubject { credential_id: URL_SAFE_NO_PAD.encode(assertion.get_credential_id()), user_handle })
    }

    /// Verifies an assertion against the sign-in started with `state` and the stored
    /// passkey it names. A sign count that did not go up is [`PasskeyError::PossibleClone`].
    pub fn finish_login(
        &self,
        assertion: &serde_json::Value,
        state: &CeremonyState,
        stored: &StoredPasskey,
    ) -> Result<VerifiedAssertion, PasskeyError> {
        let assertion = read_assertion(assertion)?;
        let state: LoginState =
            serde_json::from_str(state.as_str()).map_err(|error| PasskeyError::Corrupt(error.to_string()))?;
        let mut passkey = stored.read()?;
        let result = match state {
            LoginState::Named { state } => self.webauthn.finish_passkey_authentication(&assertion, &state),
            LoginState::Discoverable { state } => {
                self.webauthn.finish_discoverable_authentication_v2(&assertion, state, &passkey)
            }
        };
        let result = result.map_err(|error| match error {
            WebauthnError::CredentialPossibleCompromise => PasskeyError::PossibleClone,
            other => PasskeyError::Refused(other.to_string()),
        })?;
        // A credential the named ceremony did not offer would have been refused above; a
        // discoverable one is checked against the stored passkey it names.
        if result.cred_id() != passkey.cred_id() {
            return Err(PasskeyError::Refused("the assertion is for another credential".into()));
        }
        let updated = match passkey.update_credential(&result) {
            Some(true) => Some(StoredPasskey(to_text(&passkey)?)),
            _ => None,
        };
        Ok(VerifiedAssertion { updated, sign_count: result.counter(), backup_eligible: result.backup_eligible() })
    }
}

fn localhost_origin() -> Url {
    // A literal that parses.
    #[allow(clippy::expect_used)]
    Url::parse("http://localhost").expect("a valid URL")
}

fn read_assertion(assertion: &serde_json::Value) -> Result<PublicKeyCredential, PasskeyError> {
    serde_json::from_value(assertion.clone()).map_err(|error| PasskeyError::Malformed(error.to_string()))
}

fn to_json(value: &impl Serialize) -> Result<serde_json::Value, PasskeyError> {
    serde_json::to_value(value).map_err(|error| PasskeyError::Corrupt(error.to_string()))
}

fn to_text(value: &impl Serialize) -> Result<String, PasskeyError> {
    serde_json::to_string(value).map_err(|error| PasskeyError::Corrupt(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rp_id: &str, origins: &[&str]) -> RelyingPartyConfig {
        RelyingPartyConfig {
            rp_id: rp_id.into(),
            origins: origins.iter().map(|origin| Url::parse(origin).expect("url")).collect(),
            rp_name: "authdb".into(),
            allow_any_port: false,
        }
    }

    #[test]
    fn the_localhost_relying_party_builds() {
        assert_eq!(RelyingParty::localhost().rp_id(), "localhost");
    }

    #[test]
    fn origins_must_be_on_the_rp_id() {
        assert!(RelyingParty::new(&config("example.com", &["https://example.com"])).is_ok());
        assert!(RelyingParty::new(&config("example.com", &["https://id.example.com", "https://example.com"])).is_ok());
        assert!(matches!(
            RelyingParty::new(&config("example.com", &["https://example.com", "https://evil.com"])),
            Err(RelyingPartyConfigError::ForeignOrigin(_))
        ));
        assert!(matches!(
            RelyingParty::new(&config("example.com", &["https://notexample.com"])),
            Err(RelyingPartyConfigError::ForeignOrigin(_))
        ));
        assert!(matches!(RelyingParty::new(&config("example.com", &[])), Err(RelyingPartyConfigError::NoOrigin)));
    }

    #[test]
    fn registration_options_prefer_a_discoverable_credential() {
        let rp = RelyingParty::new(&config("localhost", &["http://localhost:8080"])).expect("rp");
        let started = rp.start_registration(Uuid::now_v7(), "alice", "alice", &[]).expect("start");
        let selection = &started.options["publicKey"]["authenticatorSelection"];
        assert_eq!(selection["residentKey"], "preferred");
        assert_eq!(started.options["publicKey"]["rp"]["id"], "localhost");
        assert!(started.options["publicKey"]["challenge"].is_string());
    }

    #[test]
    fn login_without_passkeys_is_discoverable_and_modal() {
        let rp = RelyingParty::new(&config("localhost", &["http://localhost:8080"])).expect("rp");
        let started = rp.start_login(Some(&[])).expect("start");
        assert!(started.options.get("mediation").is_none());
        assert!(started.state.as_str().contains("discoverable"));
    }

    #[test]
    fn malformed_credentials_are_refused_as_malformed() {
        let rp = RelyingParty::new(&config("localhost", &["http://localhost:8080"])).expect("rp");
        let started = rp.start_registration(Uuid::now_v7(), "alice", "alice", &[]).expect("start");
        let error = rp.finish_registration(&serde_json::json!({"id": 1}), &started.state).expect_err("malformed");
        assert!(matches!(error, PasskeyError::Malformed(_)));
        assert!(matches!(rp.assertion_subject(&serde_json::json!("x")), Err(PasskeyError::Malformed(_))));
    }
}
