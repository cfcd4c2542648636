use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::json;

use super::*;

const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn keys_with(secret: &str, issuer: &str, audience: &str) -> JwtKeys {
    JwtKeys::new(JwtConfig {
        secret: SecretString::from(secret.to_owned()),
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
        secret: SecretString::from("x".repeat(31)),
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
