//! A software passkey authenticator, for driving WebAuthn ceremonies from Rust tests the
//! way a browser and a platform authenticator would: ES256 (P-256) keys, `none`
//! attestation, user presence and verification set, and a sign count it can be told to
//! replay (a cloned authenticator). It speaks the JSON forms the server hands out and
//! takes back (binary members in base64url); CBOR is written by hand, since only two
//! small fixed maps are needed. The browser test (tests/browser/passkeys.mjs) runs the
//! same ceremonies with Chromium's virtual authenticator.

use authdb_tests::TestApp;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use p256::ecdsa::{DerSignature, SigningKey, signature::Signer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// User present, user verified.
const FLAGS_UP_UV: u8 = 0x01 | 0x04;
/// ... and attested credential data included.
const FLAG_AT: u8 = 0x40;

pub(crate) struct SoftPasskey {
    key: SigningKey,
    credential_id: Vec<u8>,
    user_handle: Option<String>,
    /// The sign count of the last assertion.
    pub(crate) counter: u32,
    origin: String,
    rp_id: String,
}

impl SoftPasskey {
    /// A new authenticator holding one key, for `http://localhost` (the test server's
    /// relying party accepts any port there).
    /// Registers this passkey, named `soft`, for the user of `access_token` through the
    /// API's ceremony; its id.
    pub(crate) async fn register_with(&mut self, app: &TestApp, access_token: &str) -> String {
        let started = app.post_with("/api/v1/auth/passkeys/register/start", access_token, &json!({})).await;
        assert_eq!(started.status(), 200, "register start");
        let started: Value = started.json().await.unwrap();
        let credential = self.register(&started["public_key"]);
        let body = json!({ "ceremony_id": started["ceremony_id"], "name": "soft", "credential": credential });
        let finished = app.post_with("/api/v1/auth/passkeys/register/finish", access_token, &body).await;
        assert_eq!(finished.status(), 201, "register a passkey");
        finished.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }

    pub(crate) fn new() -> Self {
        let seed: Vec<u8> = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()].iter().flat_map(|u| *u.as_bytes()).collect();
        let key = SigningKey::from_slice(&seed).expect("a random scalar is almost surely valid");
        Self {
            key,
            credential_id: uuid::Uuid::new_v4().as_bytes().to_vec(),
            user_handle: None,
            counter: 0,
            origin: "http://localhost:8080".into(),
            rp_id: "localhost".into(),
        }
    }

    /// The credential id, base64url (as the server names it).
    pub(crate) fn credential_id(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.credential_id)
    }

    /// The answer of `navigator.credentials.create({publicKey: options})`.
    pub(crate) fn register(&mut self, options: &Value) -> Value {
        self.user_handle = options["user"]["id"].as_str().map(str::to_owned);
        let client_data = self.client_data("webauthn.create", options);
        let point = self.key.verifying_key().to_encoded_point(false);
        let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
        cose.extend_from_slice(point.x().expect("uncompressed"));
        cose.extend_from_slice(&[0x22, 0x58, 0x20]);
        cose.extend_from_slice(point.y().expect("uncompressed"));
        let mut auth_data = self.auth_data_head(FLAGS_UP_UV | FLAG_AT);
        auth_data.extend_from_slice(&[0; 16]); // AAGUID
        auth_data.extend_from_slice(&u16::try_from(self.credential_id.len()).unwrap().to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&cose);
        // {"fmt": "none", "attStmt": {}, "authData": <bytes>}
        let mut attestation = vec![0xa3, 0x63];
        attestation.extend_from_slice(b"fmt");
        attestation.push(0x64);
        attestation.extend_from_slice(b"none");
        attestation.push(0x67);
        attestation.extend_from_slice(b"attStmt");
        attestation.push(0xa0);
        attestation.push(0x68);
        attestation.extend_from_slice(b"authData");
        attestation.extend_from_slice(&[0x58, u8::try_from(auth_data.len()).unwrap()]);
        attestation.extend_from_slice(&auth_data);
        json!({
            "id": self.credential_id(),
            "rawId": self.credential_id(),
            "type": "public-key",
            "response": {
                "attestationObject": URL_SAFE_NO_PAD.encode(attestation),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(client_data),
                "transports": ["internal"],
            },
            "extensions": {}
        })
    }

    /// The answer of `navigator.credentials.get({publicKey: options})`, with the sign
    /// count one higher than the last.
    pub(crate) fn assert(&mut self, options: &Value) -> Value {
        self.counter += 1;
        self.assert_with_counter(options, self.counter)
    }

    /// An assertion with this sign count (a lower one than before: a clone's).
    pub(crate) fn assert_with_counter(&self, options: &Value, counter: u32) -> Value {
        let client_data = self.client_data("webauthn.get", options);
        let mut auth_data = self.auth_data_head(FLAGS_UP_UV);
        auth_data.splice(33..37, counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: DerSignature = self.key.sign(&signed);
        json!({
            "id": self.credential_id(),
            "rawId": self.credential_id(),
            "type": "public-key",
            "response": {
                "authenticatorData": URL_SAFE_NO_PAD.encode(&auth_data),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(client_data),
                "signature": URL_SAFE_NO_PAD.encode(signature.as_bytes()),
                "userHandle": self.user_handle,
            },
            "extensions": {}
        })
    }

    fn client_data(&self, kind: &str, options: &Value) -> Vec<u8> {
        let challenge = options["challenge"].as_str().expect("options carry a challenge");
        serde_json::to_vec(&json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false
        }))
        .unwrap()
    }

    /// rpIdHash, flags, the sign count (zero here; an assertion sets its own).
    fn auth_data_head(&self, flags: u8) -> Vec<u8> {
        let mut data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend_from_slice(&0_u32.to_be_bytes());
        data
    }
}
