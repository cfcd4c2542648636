//! Key material for access tokens: an HS256 secret, or EdDSA (Ed25519) / RS256 private
//! keys whose public halves are published as a JWK Set (RFC 7517) so that other services
//! verify our tokens with a stock JWT library.
//!
//! The algorithm is chosen by configuration and pinned: [`KeyRing::decoding_key`] only
//! ever hands out keys of that algorithm, so a token that names another one (HS256
//! "signed" with our public key, `none`, RS256 when EdDSA is configured) is refused.

use std::{fmt, str::FromStr};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header,
    jwk::{AlgorithmParameters, Jwk, PublicKeyUse, ThumbprintHash},
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use crate::{AuthError, Result};

/// HS256 keys shorter than this are refused: RFC 7518 asks for at least the hash size.
pub const MIN_HS256_SECRET_BYTES: usize = 32;

/// RSA keys shorter than this are refused (RFC 7518 section 3.3 asks for 2048 bits).
pub const MIN_RSA_BITS: usize = 2048;

/// The signature algorithm of access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JwtAlgorithm {
    /// HMAC with SHA-256 and a shared secret: only this server can verify.
    #[default]
    Hs256,
    /// Ed25519 signatures (RFC 8037).
    EdDsa,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
}

impl JwtAlgorithm {
    /// The JOSE name (`alg`): `HS256`, `EdDSA` or `RS256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::EdDsa => "EdDSA",
            Self::Rs256 => "RS256",
        }
    }

    pub(crate) fn jose(self) -> Algorithm {
        match self {
            Self::Hs256 => Algorithm::HS256,
            Self::EdDsa => Algorithm::EdDSA,
            Self::Rs256 => Algorithm::RS256,
        }
    }
}

impl fmt::Display for JwtAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JwtAlgorithm {
    type Err = String;

    /// Accepts the JOSE names in any case (`EdDSA`, `eddsa`).
    fn from_str(value: &str) -> Result<Self, String> {
        [Self::Hs256, Self::EdDsa, Self::Rs256]
            .into_iter()
            .find(|algorithm| algorithm.as_str().eq_ignore_ascii_case(value.trim()))
            .ok_or_else(|| format!("must be HS256, EdDSA or RS256, got {value:?}"))
    }
}

impl<'de> Deserialize<'de> for JwtAlgorithm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// A PEM private key and where it came from (its path), for error messages.
pub struct PrivateKeyPem {
    pub name: String,
    pub pem: SecretString,
}

impl fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKeyPem").field("name", &self.name).finish_non_exhaustive()
    }
}

/// How access tokens are signed and verified.
#[derive(Debug)]
pub enum SigningKeys {
    /// HS256 with a shared secret of at least [`MIN_HS256_SECRET_BYTES`]; nothing is published.
    Hs256(SecretString),
    /// Ed25519 private keys (PKCS#8 PEM): the first signs, all verify.
    EdDsa(Vec<PrivateKeyPem>),
    /// RSA private keys (PKCS#1 or PKCS#8 PEM, at least 2048 bits): the first signs, all verify.
    Rs256(Vec<PrivateKeyPem>),
}

impl SigningKeys {
    pub fn algorithm(&self) -> JwtAlgorithm {
        match self {
            Self::Hs256(_) => JwtAlgorithm::Hs256,
            Self::EdDsa(_) => JwtAlgorithm::EdDsa,
            Self::Rs256(_) => JwtAlgorithm::Rs256,
        }
    }
}

/// A public key as published in the JWK Set, with only the members our algorithms use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwk {
    /// `OKP` (Ed25519) or `RSA`.
    pub kty: &'static str,
    /// Always `sig`.
    pub use_: &'static str,
    pub alg: &'static str,
    /// The RFC 7638 thumbprint (SHA-256) of the public key.
    pub kid: String,
    /// `Ed25519` for OKP keys.
    pub crv: Option<&'static str>,
    /// The Ed25519 public key, base64url.
    pub x: Option<String>,
    /// The RSA modulus and exponent, base64url.
    pub n: Option<String>,
    pub e: Option<String>,
}

struct VerifyingKey {
    kid: Option<String>,
    key: DecodingKey,
}

/// The keys of one algorithm: the signing key and every key that still verifies.
pub(crate) struct KeyRing {
    algorithm: JwtAlgorithm,
    encoding: EncodingKey,
    verifying: Vec<VerifyingKey>,
    public: Vec<PublicJwk>,
}

impl KeyRing {
    pub(crate) fn new(keys: SigningKeys) -> Result<Self> {
        let algorithm = keys.algorithm();
        match keys {
            SigningKeys::Hs256(secret) => {
                let secret = secret.expose_secret().as_bytes();
                if secret.len() < MIN_HS256_SECRET_BYTES {
                    return Err(AuthError::SecretTooShort { min: MIN_HS256_SECRET_BYTES, actual: secret.len() });
                }
                Ok(Self {
                    algorithm,
                    encoding: EncodingKey::from_secret(secret),
                    verifying: vec![VerifyingKey { kid: None, key: DecodingKey::from_secret(secret) }],
                    public: Vec::new(),
                })
            }
            SigningKeys::EdDsa(pems) | SigningKeys::Rs256(pems) => Self::asymmetric(algorithm, pems),
        }
    }

    fn asymmetric(algorithm: JwtAlgorithm, pems: Vec<PrivateKeyPem>) -> Result<Self> {
        let mut encoding = None;
        let mut verifying: Vec<VerifyingKey> = Vec::with_capacity(pems.len());
        let mut public = Vec::with_capacity(pems.len());
        for pem in &pems {
            let invalid = |reason: String| AuthError::InvalidSigningKey { name: pem.name.clone(), reason };
            let (private, jwk) = load_private_key(algorithm, pem.pem.expose_secret().as_bytes()).map_err(invalid)?;
            let kid = jwk.common.key_id.clone().unwrap_or_default();
            if verifying.iter().any(|known| known.kid.as_deref() == Some(kid.as_str())) {
                return Err(invalid("the same key is listed twice".into()));
            }
            let key = DecodingKey::from_jwk(&jwk).map_err(|error| invalid(error.to_string()))?;
            probe(algorithm, &private, &key, &kid).map_err(invalid)?;
            public.push(public_jwk(algorithm, &jwk, kid.clone()).map_err(invalid)?);
            verifying.push(VerifyingKey { kid: Some(kid), key });
            encoding.get_or_insert(private);
        }
        let encoding = encoding.ok_or(AuthError::NoSigningKey(algorithm.as_str()))?;
        Ok(Self { algorithm, encoding, verifying, public })
    }

    pub(crate) fn algorithm(&self) -> JwtAlgorithm {
        self.algorithm
    }

    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }

    /// The header every token is signed with: the pinned algorithm and, for public-key
    /// algorithms, the signing key's `kid`.
    pub(crate) fn header(&self) -> Header {
        let mut header = Header::new(self.algorithm.jose());
        header.kid = self.verifying.first().and_then(|key| key.kid.clone());
        header
    }

    /// The key that verifies every token, when choosing it needs nothing from the token's
    /// header: HS256 has one key and ignores `kid`. `jsonwebtoken::decode` still refuses a
    /// header naming another algorithm (the validation allows only ours), so the header
    /// need not be parsed a further time just to pick the key.
    pub(crate) fn sole_key(&self) -> Option<&DecodingKey> {
        match self.algorithm {
            JwtAlgorithm::Hs256 => self.verifying.first().map(|key| &key.key),
            JwtAlgorithm::EdDsa | JwtAlgorithm::Rs256 => None,
        }
    }

    /// The key that verifies a token with this header, if any. A header naming another
    /// algorithm gets none, whatever its `kid`; with public keys the `kid` must name one
    /// of ours (HS256 has one key and ignores `kid`).
    pub(crate) fn decoding_key(&self, header: &Header) -> Option<&DecodingKey> {
        if header.alg != self.algorithm.jose() {
            return None;
        }
        match self.algorithm {
            JwtAlgorithm::Hs256 => self.verifying.first().map(|key| &key.key),
            JwtAlgorithm::EdDsa | JwtAlgorithm::Rs256 => {
                let kid = header.kid.as_deref()?;
                self.verifying.iter().find(|key| key.kid.as_deref() == Some(kid)).map(|key| &key.key)
            }
        }
    }

    /// The public keys, signing key first; empty for HS256.
    pub(crate) fn public_keys(&self) -> &[PublicJwk] {
        &self.public
    }
}

/// Parses a PEM private key and derives its public JWK (with `kid`, `use` and `alg`).
fn load_private_key(algorithm: JwtAlgorithm, pem: &[u8]) -> Result<(EncodingKey, Jwk), String> {
    let private = match algorithm {
        JwtAlgorithm::EdDsa => EncodingKey::from_ed_pem(pem)
            .map_err(|_| "not an Ed25519 private key in PKCS#8 PEM (BEGIN PRIVATE KEY)".to_owned())?,
        JwtAlgorithm::Rs256 => EncodingKey::from_rsa_pem(pem)
            .map_err(|_| "not an RSA private key in PEM (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)".to_owned())?,
        JwtAlgorithm::Hs256 => return Err("HS256 uses a secret, not a private key".into()),
    };
    let mut jwk = Jwk::from_encoding_key(&private, algorithm.jose())
        .map_err(|error| format!("cannot derive the public key: {error}"))?;
    let kid = jwk.thumbprint(ThumbprintHash::SHA256).map_err(|error| format!("cannot compute the kid: {error}"))?;
    jwk.common.key_id = Some(kid);
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    Ok((private, jwk))
}

/// Signs and verifies a probe, so that a key that parses but cannot work (an RSA key that
/// is too short, a mismatched public half) stops the start instead of every request.
fn probe(algorithm: JwtAlgorithm, private: &EncodingKey, public: &DecodingKey, kid: &str) -> Result<(), String> {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Probe {
        probe: bool,
    }
    let mut header = Header::new(algorithm.jose());
    header.kid = Some(kid.to_owned());
    let token = jsonwebtoken::encode(&header, &Probe { probe: true }, private)
        .map_err(|error| format!("cannot sign with it: {error}"))?;
    let mut validation = jsonwebtoken::Validation::new(algorithm.jose());
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    jsonwebtoken::decode::<Probe>(&token, public, &validation)
        .map(|_| ())
        .map_err(|error| format!("its signatures do not verify: {error}"))
}

fn public_jwk(algorithm: JwtAlgorithm, jwk: &Jwk, kid: String) -> Result<PublicJwk, String> {
    let base = PublicJwk { kty: "", use_: "sig", alg: algorithm.as_str(), kid, crv: None, x: None, n: None, e: None };
    match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(okp) => {
            Ok(PublicJwk { kty: "OKP", crv: Some("Ed25519"), x: Some(okp.x.clone()), ..base })
        }
        AlgorithmParameters::RSA(rsa) => {
            let bits = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&rsa.n)
                .map(|modulus| modulus.iter().skip_while(|byte| **byte == 0).count() * 8)
                .unwrap_or(0);
            if bits < MIN_RSA_BITS {
                return Err(format!("RSA keys must have at least {MIN_RSA_BITS} bits, this one has {bits}"));
            }
            Ok(PublicJwk { kty: "RSA", n: Some(rsa.n.clone()), e: Some(rsa.e.clone()), ..base })
        }
        _ => Err("unsupported key type".into()),
    }
}

/// The fixed PKCS#8 prefix of an Ed25519 private key (RFC 8410): the 32-byte seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/// A new random Ed25519 private key as PKCS#8 PEM, the form `openssl genpkey -algorithm
/// ed25519` writes.
pub fn generate_ed25519_pem() -> Result<SecretString> {
    let mut der = ED25519_PKCS8_PREFIX.to_vec();
    let mut seed = [0_u8; 32];
    getrandom::fill(&mut seed).map_err(AuthError::Random)?;
    der.extend_from_slice(&seed);
    let body = STANDARD.encode(&der);
    Ok(SecretString::from(format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")))
}
