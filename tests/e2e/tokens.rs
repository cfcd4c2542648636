//! Access tokens that must be refused: forged, tampered, expired, or meant for others.

use authdb_tests::{Backend, TestApp, claims_of, spawn_app};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

fn sign(claims: &Value, secret: &str, algorithm: Algorithm) -> String {
    jsonwebtoken::encode(&Header::new(algorithm), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

async fn assert_refused(app: &TestApp, token: &str, why: &str) {
    let response = app.me(token).await;
    assert_eq!(response.status(), 401, "{why}");
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer"), "{why}: {challenge}");
}

async fn the_server_signs_what_it_accepts(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;
    let claims = claims_of(&tokens.access_token);
    for claim in ["sub", "sid", "iat", "exp", "iss", "aud", "jti"] {
        assert!(claims.get(claim).is_some(), "token carries {claim}");
    }

    // Re-signing the same claims with the server's own secret is accepted: the checks
    // below fail for the reason they name, not for a signing detail.
    let resigned = sign(&claims, &app.jwt_secret(), Algorithm::HS256);
    assert_eq!(app.me(&resigned).await.status(), 200);
}

async fn forged_and_tampered_tokens_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;
    let other = app.register_ok("mallory").await;
    let claims = claims_of(&tokens.access_token);
    let secret = app.jwt_secret();
    let parts: Vec<&str> = tokens.access_token.split('.').collect();

    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    assert_refused(&app, &format!("{none_header}.{}.", parts[1]), "alg none").await;

    let mut tampered = claims.clone();
    tampered["sub"] = claims_of(&other.access_token)["sub"].clone();
    let tampered_payload = URL_SAFE_NO_PAD.encode(tampered.to_string());
    assert_refused(&app, &format!("{}.{tampered_payload}.{}", parts[0], parts[2]), "tampered payload").await;

    assert_refused(&app, &sign(&claims, "another-secret-of-at-least-32-bytes!", Algorithm::HS256), "other key").await;
    assert_refused(&app, &sign(&claims, &secret, Algorithm::HS512), "other algorithm").await;
    assert_refused(&app, "not.a.jwt", "garbage").await;
}

async fn expired_or_misaddressed_tokens_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;
    let claims = claims_of(&tokens.access_token);
    let secret = app.jwt_secret();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    let mut expired = claims.clone();
    expired["iat"] = json!(now - 3600);
    expired["exp"] = json!(now - 1800);
    assert_refused(&app, &sign(&expired, &secret, Algorithm::HS256), "expired").await;

    let mut other_issuer = claims.clone();
    other_issuer["iss"] = json!("someone-else");
    assert_refused(&app, &sign(&other_issuer, &secret, Algorithm::HS256), "issuer").await;

    let mut other_audience = claims.clone();
    other_audience["aud"] = json!("another-api");
    assert_refused(&app, &sign(&other_audience, &secret, Algorithm::HS256), "audience").await;

    let mut unknown_session = claims.clone();
    unknown_session["sid"] = json!(uuid::Uuid::now_v7());
    assert_refused(&app, &sign(&unknown_session, &secret, Algorithm::HS256), "unknown session").await;

    let mut no_exp = claims.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert_refused(&app, &sign(&no_exp, &secret, Algorithm::HS256), "no exp").await;
}

async fn malformed_authorization_headers_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;

    for header in [format!("Basic {}", tokens.access_token), "Bearer".to_owned(), "Bearer    ".to_owned()] {
        let response = app.client.get(app.url("/api/v1/auth/me")).header("authorization", header).send().await.unwrap();
        assert_eq!(response.status(), 401);
    }
    let lower_case = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .header("authorization", format!("bearer {}", tokens.access_token))
        .send()
        .await
        .unwrap();
    assert_eq!(lower_case.status(), 200, "the scheme is case-insensitive");
}

on_both_backends!(
    the_server_signs_what_it_accepts,
    forged_and_tampered_tokens_are_refused,
    expired_or_misaddressed_tokens_are_refused,
    malformed_authorization_headers_are_refused,
);
