use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, jwk::JwkSet};
use secrecy::SecretString;
use serde_json::json;

use super::*;
use crate::{PrivateKeyPem, generate_ed25519_pem};

const ED25519_A: &str = include_str!("testdata/ed25519-a.pem");
const ED25519_A_PUBLIC: &str = include_str!("testdata/ed25519-a.pub.pem");
const ED25519_B: &str = include_str!("testdata/ed25519-b.pem");
const RSA_A: &str = include_str!("testdata/rsa-a.pem");
const RSA_A_PUBLIC: &str = include_str!("testdata/rsa-a.pub.pem");
/// PKCS#1 (`BEGIN RSA PRIVATE KEY`), the other form operators have.
const RSA_B: &str = include_str!("testdata/rsa-b.pem");
const RSA_1024: &str = include_str!("testdata/rsa-1024.pem");

const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn keys_with(secret: &str, issuer: &str, audience: &str) -> JwtKeys {
    JwtKeys::new(JwtConfig {
        keys: SigningKeys::Hs256(SecretString::from(secret.to_owned())),
        issuer: issuer.into(),
        audience: audience.into(),
        access_ttl: Duration::minutes(15),
        leeway_secs: 0,
    })
    .expect("valid config")
}

fn keys() -> JwtKeys {
    keys_with(SECRET, "authdb", "authdb-api")
}

fn issue(keys: &JwtKeys) -> AccessToken {
    keys.issue(UserId::new(), SessionId::new(), OffsetDateTime::now_utc()).expect("signs")
}

#[test]
fn an_issued_token_verifies_with_all_claims() {
    let keys = keys();
    let user = UserId::new();
    let session = SessionId::new();
    let token = keys.issue(user, session, OffsetDateTime::now_utc()).expect("signs");
    let claims = keys.verify(&token.token).expect("verifies");
    assert_eq!(claims.user_id(), user);
    assert_eq!(claims.session_id(), session);
    assert_eq!(claims.iss, "authdb");
    assert_eq!(claims.aud, "authdb-api");
    assert_eq!(claims.exp - claims.iat, 900);
    assert_eq!(token.expires_in, 900);
}

#[test]
fn short_secrets_are_refused() {
    let result = JwtKeys::new(JwtConfig {
        keys: SigningKeys::Hs256(SecretString::from("x".repeat(31))),
        issuer: "i".into(),
        audience: "a".into(),
        access_ttl: Duration::minutes(15),
        leeway_secs: 0,
    });
    assert!(matches!(result, Err(AuthError::SecretTooShort { min: 32, actual: 31 })));
}

#[test]
fn expired_tokens_are_refused() {
    let keys = keys();
    let long_ago = OffsetDateTime::now_utc() - Duration::hours(1);
    let token = keys.issue(UserId::new(), SessionId::new(), long_ago).expect("signs");
    assert!(matches!(keys.verify(&token.token), Err(AuthError::InvalidToken)));
}

#[test]
fn claims_verified_earlier_stay_valid_until_exp_plus_leeway() {
    let keys = JwtKeys::new(JwtConfig {
        keys: SigningKeys::Hs256(SecretString::from(SECRET.to_owned())),
        issuer: "authdb".into(),
        audience: "authdb-api".into(),
        access_ttl: Duration::minutes(15),
        leeway_secs: 5,
    })
    .expect("valid config");
    let claims = issue(&keys).claims;
    assert!(keys.still_valid(&claims, claims.exp));
    assert!(keys.still_valid(&claims, claims.exp + 5), "the leeway, as verify allows it");
    assert!(!keys.still_valid(&claims, claims.exp + 6));
}

#[test]
fn another_key_issuer_or_audience_is_refused() {
    let token = issue(&keys());
    for other in [
        keys_with("another-secret-another-secret-xx", "authdb", "authdb-api"),
        keys_with(SECRET, "someone-else", "authdb-api"),
        keys_with(SECRET, "authdb", "another-api"),
    ] {
        assert!(other.verify(&token.token).is_err());
    }
}

#[test]
fn a_tampered_payload_is_refused() {
    let keys = keys();
    let token = issue(&keys).token;
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("base64")).expect("json");
    claims["sub"] = json!(Uuid::now_v7());
    let forged_payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert!(keys.verify(&forged).is_err());
}

#[test]
fn alg_none_is_refused() {
    let keys = keys();
    let token = issue(&keys).token;
    let payload = token.split('.').nth(1).expect("payload");
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    for forged in [format!("{header}.{payload}."), format!("{header}.{payload}")] {
        assert!(keys.verify(&forged).is_err());
    }
}

#[test]
fn another_algorithm_with_the_same_secret_is_refused() {
    let keys = keys();
    let claims = issue(&keys).claims;
    let hs512 =
        jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims, &EncodingKey::from_secret(SECRET.as_bytes()))
            .expect("signs");
    assert!(keys.verify(&hs512).is_err());
}

#[test]
fn garbage_is_refused_without_panicking() {
    let keys = keys();
    for garbage in ["", ".", "..", "a.b.c", "not a token", "eyJ.eyJ.sig", &"A".repeat(10_000)] {
        assert!(keys.verify(garbage).is_err());
    }
}

#[test]
fn debug_output_hides_the_token() {
    let token = issue(&keys());
    assert!(!format!("{token:?}").contains(&token.token));
}

fn pem(name: &str, pem: &str) -> PrivateKeyPem {
    PrivateKeyPem { name: name.into(), pem: SecretString::from(pem.to_owned()) }
}

fn asymmetric(keys: SigningKeys) -> Result<JwtKeys> {
    JwtKeys::new(JwtConfig {
        keys,
        issuer: "authdb".into(),
        audience: "authdb-api".into(),
        access_ttl: Duration::minutes(15),
        leeway_secs: 0,
    })
}

fn eddsa(pems: &[&str]) -> JwtKeys {
    asymmetric(SigningKeys::EdDsa(pems.iter().enumerate().map(|(i, p)| pem(&format!("key{i}"), p)).collect()))
        .expect("valid keys")
}

fn rs256(pems: &[&str]) -> JwtKeys {
    asymmetric(SigningKeys::Rs256(pems.iter().enumerate().map(|(i, p)| pem(&format!("key{i}"), p)).collect()))
        .expect("valid keys")
}

fn header_of(token: &str) -> serde_json::Value {
    let header = token.split('.').next().expect("header");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64")).expect("json")
}

/// The JWK Set as a stock verifier reads it: through jsonwebtoken's own `JwkSet` type.
fn stock_jwks(keys: &JwtKeys) -> JwkSet {
    let keys: Vec<serde_json::Value> = keys
        .public_keys()
        .iter()
        .map(|key| {
            let mut jwk = json!({ "kty": key.kty, "use": key.use_, "alg": key.alg, "kid": key.kid });
            for (name, value) in
                [("crv", key.crv.map(str::to_owned)), ("x", key.x.clone()), ("n", key.n.clone()), ("e", key.e.clone())]
            {
                if let Some(value) = value {
                    jwk[name] = json!(value);
                }
            }
            jwk
        })
        .collect();
    serde_json::from_value(json!({ "keys": keys })).expect("a valid JWK Set")
}

/// A token with our claims, signed however the attacker likes.
fn forge(keys: &JwtKeys, header: Header, key: &EncodingKey) -> String {
    jsonwebtoken::encode(&header, &issue(keys).claims, key).expect("signs")
}

#[test]
fn hs256_tokens_carry_no_kid_and_publish_no_key() {
    let keys = keys();
    assert_eq!(header_of(&issue(&keys).token), json!({ "alg": "HS256", "typ": "JWT" }));
    assert!(keys.public_keys().is_empty(), "the HS256 secret must never be published");
    assert_eq!(keys.algorithm(), JwtAlgorithm::Hs256);
}

#[test]
fn eddsa_and_rs256_tokens_verify_and_carry_the_thumbprint_as_kid() {
    for (keys, alg, kty) in
        [(eddsa(&[ED25519_A]), "EdDSA", "OKP"), (rs256(&[RSA_A]), "RS256", "RSA"), (rs256(&[RSA_B]), "RS256", "RSA")]
    {
        let token = issue(&keys);
        let header = header_of(&token.token);
        assert_eq!(header["alg"], alg);
        let public = &keys.public_keys()[0];
        assert_eq!(header["kid"], public.kid.as_str());
        assert_eq!((public.kty, public.alg, public.use_), (kty, alg, "sig"));
        assert_eq!(keys.verify(&token.token).expect("verifies"), token.claims);
        // The kid is the RFC 7638 thumbprint: stable across restarts, 43 base64url characters.
        assert_eq!(public.kid.len(), 43);
    }
    assert_eq!(eddsa(&[ED25519_A]).public_keys()[0].kid, eddsa(&[ED25519_A]).public_keys()[0].kid);
}

#[test]
fn a_stock_verifier_validates_our_tokens_from_the_jwks_alone() {
    for keys in [eddsa(&[ED25519_A, ED25519_B]), rs256(&[RSA_A, RSA_B])] {
        let token = issue(&keys).token;
        let jwks = stock_jwks(&keys);
        let kid = jsonwebtoken::decode_header(&token).expect("header").kid.expect("kid");
        let jwk = jwks.find(&kid).expect("the signing key is published");
        let mut validation = Validation::new(keys.algorithm().jose());
        validation.set_audience(&["authdb-api"]);
        let claims =
            jsonwebtoken::decode::<AccessClaims>(&token, &DecodingKey::from_jwk(jwk).expect("key"), &validation)
                .expect("verifies")
                .claims;
        assert_eq!(claims.iss, "authdb");
    }
}

#[test]
fn rotation_the_first_key_signs_and_every_listed_key_verifies() {
    let old = eddsa(&[ED25519_A]);
    let old_token = issue(&old).token;
    let rotated = eddsa(&[ED25519_B, ED25519_A]);
    let new_token = issue(&rotated).token;

    assert_eq!(header_of(&new_token)["kid"], rotated.public_keys()[0].kid.as_str());
    assert_ne!(header_of(&new_token)["kid"], header_of(&old_token)["kid"]);
    assert!(rotated.verify(&old_token).is_ok(), "tokens of the retiring key still verify");
    assert!(rotated.verify(&new_token).is_ok());
    assert_eq!(rotated.public_keys().len(), 2);

    let retired = eddsa(&[ED25519_B]);
    assert!(retired.verify(&old_token).is_err(), "a key removed from the list verifies nothing");
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    // The classic confusion attack: the attacker knows our public key and uses it as an
    // HMAC secret, hoping the verifier takes the algorithm from the token.
    for (keys, public_pem) in [(eddsa(&[ED25519_A]), ED25519_A_PUBLIC), (rs256(&[RSA_A]), RSA_A_PUBLIC)] {
        let public = &keys.public_keys()[0];
        let raw = public.x.clone().or(public.n.clone()).expect("public material");
        for secret in [public_pem.as_bytes(), raw.as_bytes()] {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some(public.kid.clone());
            let forged = forge(&keys, header, &EncodingKey::from_secret(secret));
            assert!(matches!(keys.verify(&forged), Err(AuthError::InvalidToken)));
        }
    }
}

#[test]
fn another_asymmetric_algorithm_or_none_is_refused() {
    let keys = eddsa(&[ED25519_A]);
    let kid = keys.public_keys()[0].kid.clone();
    let mut rs_header = Header::new(Algorithm::RS256);
    rs_header.kid = Some(kid.clone());
    let rs_forged = forge(&keys, rs_header, &EncodingKey::from_rsa_pem(RSA_A.as_bytes()).expect("rsa"));
    assert!(keys.verify(&rs_forged).is_err(), "RS256 when EdDSA is configured");

    let rsa_keys = rs256(&[RSA_A]);
    let mut ed_header = Header::new(Algorithm::EdDSA);
    ed_header.kid = Some(rsa_keys.public_keys()[0].kid.clone());
    let ed_forged = forge(&rsa_keys, ed_header, &EncodingKey::from_ed_pem(ED25519_A.as_bytes()).expect("ed"));
    assert!(rsa_keys.verify(&ed_forged).is_err(), "EdDSA when RS256 is configured");

    let payload = issue(&keys).token.split('.').nth(1).expect("payload").to_owned();
    let none = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","kid":"{kid}"}}"#));
    assert!(keys.verify(&format!("{none}.{payload}.")).is_err(), "alg none");
}

#[test]
fn an_unknown_missing_or_mismatched_kid_is_refused() {
    let keys = eddsa(&[ED25519_A]);
    let attacker = EncodingKey::from_ed_pem(ED25519_B.as_bytes()).expect("ed");
    let own = EncodingKey::from_ed_pem(ED25519_A.as_bytes()).expect("ed");

    let mut no_kid = Header::new(Algorithm::EdDSA);
    assert!(keys.verify(&forge(&keys, no_kid.clone(), &own)).is_err(), "no kid");
    no_kid.kid = Some("someone-elses-key".into());
    assert!(keys.verify(&forge(&keys, no_kid.clone(), &own)).is_err(), "unknown kid");
    no_kid.kid = Some(keys.public_keys()[0].kid.clone());
    assert!(keys.verify(&forge(&keys, no_kid.clone(), &attacker)).is_err(), "our kid, another key");
    assert!(keys.verify(&forge(&keys, no_kid, &own)).is_ok(), "the control: our kid and key");
}

#[test]
fn unusable_keys_are_refused_naming_the_key() {
    let cases = [
        (SigningKeys::EdDsa(vec![pem("/keys/rsa.pem", RSA_A)]), "/keys/rsa.pem", "Ed25519"),
        (SigningKeys::Rs256(vec![pem("/keys/ed.pem", ED25519_A)]), "/keys/ed.pem", "RSA"),
        (SigningKeys::Rs256(vec![pem("/keys/short.pem", RSA_1024)]), "/keys/short.pem", "2048"),
        (SigningKeys::EdDsa(vec![pem("/keys/public.pem", ED25519_A_PUBLIC)]), "/keys/public.pem", "Ed25519"),
        (SigningKeys::EdDsa(vec![pem("/keys/junk.pem", "not a pem")]), "/keys/junk.pem", "PEM"),
        (SigningKeys::EdDsa(vec![pem("a", ED25519_A), pem("b", ED25519_A)]), "b", "twice"),
    ];
    for (keys, name, reason) in cases {
        let message = asymmetric(keys).expect_err("refused").to_string();
        assert!(message.contains(name) && message.contains(reason), "{message}");
        // The base64 openings of PKCS#8 Ed25519 and of RSA DER: no key material in errors.
        assert!(!message.contains("MC4CAQAw") && !message.contains("MII"), "{message}");
    }
    assert!(matches!(asymmetric(SigningKeys::EdDsa(vec![])), Err(AuthError::NoSigningKey("EdDSA"))));
}

#[test]
fn a_generated_ed25519_key_is_a_usable_pkcs8_pem() {
    let first = generate_ed25519_pem().expect("rng");
    let second = generate_ed25519_pem().expect("rng");
    let keys =
        asymmetric(SigningKeys::EdDsa(vec![PrivateKeyPem { name: "generated".into(), pem: first }])).expect("usable");
    assert!(keys.verify(&issue(&keys).token).is_ok());
    let other =
        asymmetric(SigningKeys::EdDsa(vec![PrivateKeyPem { name: "generated".into(), pem: second }])).expect("usable");
    assert_ne!(keys.public_keys()[0].kid, other.public_keys()[0].kid);
}

#[test]
fn algorithm_names_parse_in_any_case() {
    assert_eq!("EdDSA".parse::<JwtAlgorithm>(), Ok(JwtAlgorithm::EdDsa));
    assert_eq!("eddsa".parse::<JwtAlgorithm>(), Ok(JwtAlgorithm::EdDsa));
    assert_eq!("rs256".parse::<JwtAlgorithm>(), Ok(JwtAlgorithm::Rs256));
    assert_eq!("HS256".parse::<JwtAlgorithm>(), Ok(JwtAlgorithm::Hs256));
    assert!("none".parse::<JwtAlgorithm>().is_err());
    assert!("HS512".parse::<JwtAlgorithm>().is_err());
}

fn client_scopes() -> ClientScopes {
    ClientScopes::parse_list(&["revocations:read"], "scopes").expect("a known scope")
}

#[test]
fn a_client_token_verifies_as_a_client_and_never_as_a_user() {
    let keys = keys();
    let client = ClientId::new();
    let issued = keys.issue_client(client, &client_scopes(), OffsetDateTime::now_utc()).expect("signs");
    let claims = keys.verify_client(&issued.token).expect("a client token verifies as one");
    assert_eq!(claims.client_id(), client);
    assert_eq!(claims.sub, client.as_uuid());
    assert_eq!(claims.scope, "revocations:read");
    assert_eq!(claims.scopes(), Some(client_scopes()));
    assert!(keys.verify(&issued.token).is_err(), "a client token has no session: it is not a user's token");
}

#[test]
fn a_user_token_is_not_a_client_token() {
    let keys = keys();
    let token = issue(&keys);
    assert!(keys.verify_client(&token.token).is_err());
}

#[test]
fn a_client_token_with_a_session_or_another_subject_is_refused() {
    let keys = keys();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let client = Uuid::now_v7();
    let base = json!({
        "sub": client, "client_id": client, "scope": "revocations:read", "iat": now, "exp": now + 60,
        "iss": "authdb", "aud": "authdb-api", "jti": Uuid::now_v7(),
    });
    let sign = |claims: &serde_json::Value| {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(SECRET.as_bytes()))
            .expect("signs")
    };
    assert!(keys.verify_client(&sign(&base)).is_ok(), "the forged baseline is well formed");
    let mut with_session = base.clone();
    with_session["sid"] = json!(Uuid::now_v7());
    assert!(keys.verify_client(&sign(&with_session)).is_err());
    let mut other_subject = base;
    other_subject["sub"] = json!(Uuid::now_v7());
    assert!(keys.verify_client(&sign(&other_subject)).is_err());
}
