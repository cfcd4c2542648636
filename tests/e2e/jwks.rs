//! Asymmetric signing: the JWK Set, discovery, key rotation, and tokens that name another
//! algorithm or key than the configured ones.

use std::path::PathBuf;

use authdb_server::Settings;
use authdb_tests::{Backend, TestApp, spawn_app, spawn_app_with};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation,
    jwk::{Jwk, JwkSet},
};
use serde_json::Value;

fn test_key(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/authdb-auth/src/jwt/testdata").join(name)
}

fn read_test_key(name: &str) -> Vec<u8> {
    std::fs::read(test_key(name)).unwrap()
}

fn with_keys(algorithm: &str, keys: &[&str]) -> impl FnOnce(&mut Settings) {
    let algorithm = algorithm.parse().unwrap();
    let keys: Vec<PathBuf> = keys.iter().map(|name| test_key(name)).collect();
    move |settings: &mut Settings| {
        settings.auth.jwt_algorithm = algorithm;
        settings.auth.signing_keys = keys;
    }
}

/// Fetches the JWK Set over HTTP into jsonwebtoken's own type, as a third party would.
async fn fetch_jwks(app: &TestApp) -> JwkSet {
    let response = app.client.get(app.url("/.well-known/jwks.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

fn header_of(token: &str) -> Header {
    jsonwebtoken::decode_header(token).unwrap()
}

fn claims_of(token: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

/// Verifies `token` the way another service would: with the JWK Set alone.
fn verify_with_jwks(jwks: &JwkSet, token: &str, algorithm: Algorithm) -> Value {
    let kid = header_of(token).kid.expect("our tokens carry a kid");
    let jwk: &Jwk = jwks.find(&kid).expect("the token's kid is published");
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&["authdb"]);
    validation.set_audience(&["authdb"]);
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation).unwrap().claims
}

async fn hs256_publishes_no_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;

    let body = app.client.get(app.url("/.well-known/jwks.json")).send().await.unwrap().text().await.unwrap();

    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), serde_json::json!({ "keys": [] }));
    assert!(!body.contains(&app.jwt_secret()));
    let header = header_of(&tokens.access_token);
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(header.kid, None);
}

async fn a_stock_verifier_validates_eddsa_and_rs256_tokens_from_the_jwks(backend: Backend) {
    for (algorithm, keys, alg) in [
        ("EdDSA", ["ed25519-a.pem", "ed25519-b.pem"], Algorithm::EdDSA),
        ("RS256", ["rsa-a.pem", "rsa-b.pem"], Algorithm::RS256),
    ] {
        let app = spawn_app_with(backend, with_keys(algorithm, &keys)).await;
        let tokens = app.register_ok("alice").await;

        let jwks = fetch_jwks(&app).await;

        assert_eq!(jwks.keys.len(), 2, "every configured key is published");
        for jwk in &jwks.keys {
            assert!(jwk.common.key_id.is_some());
            assert_eq!(jwk.common.key_algorithm.map(|a| a.to_string()), Some(algorithm.to_owned()));
            assert_eq!(jwk.common.public_key_use, Some(jsonwebtoken::jwk::PublicKeyUse::Signature));
        }
        assert_eq!(header_of(&tokens.access_token).kid, jwks.keys[0].common.key_id, "the first key signs");
        let claims = verify_with_jwks(&jwks, &tokens.access_token, alg);
        assert_eq!(claims["sub"], tokens.user["id"]);
        assert_eq!(app.me(&tokens.access_token).await.status(), 200);
        let text = app.client.get(app.url("/.well-known/jwks.json")).send().await.unwrap().text().await.unwrap();
        for private_member in ["\"d\"", "\"p\"", "\"q\"", "PRIVATE"] {
            assert!(!text.contains(private_member), "{algorithm}: no private material in the JWKS: {text}");
        }
    }
}

async fn eddsa_without_keys_generates_one_that_survives_a_restart(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.jwt_algorithm = "EdDSA".parse().unwrap()).await;
    let tokens = app.register_ok("alice").await;
    let kid = fetch_jwks(&app).await.keys[0].common.key_id.clone();
    assert!(app.settings.data_dir.join("jwt_ed25519.pem").exists());
    assert_eq!(header_of(&tokens.access_token).alg, Algorithm::EdDSA);

    let app = app.restart().await;

    assert_eq!(fetch_jwks(&app).await.keys[0].common.key_id, kid, "the same key after a restart");
    assert_eq!(app.me(&tokens.access_token).await.status(), 200);
}

async fn rotation_keeps_old_tokens_valid_until_their_key_is_removed(backend: Backend) {
    let app = spawn_app_with(backend, with_keys("EdDSA", &["ed25519-a.pem"])).await;
    let old = app.register_ok("alice").await;

    let mut app = app;
    app.settings.auth.signing_keys = vec![test_key("ed25519-b.pem"), test_key("ed25519-a.pem")];
    let app = app.restart().await;
    let new = app.login_ok("alice").await;

    assert_ne!(header_of(&new.access_token).kid, header_of(&old.access_token).kid, "the new first key signs");
    assert_eq!(app.me(&old.access_token).await.status(), 200, "the retiring key still verifies");
    assert_eq!(app.me(&new.access_token).await.status(), 200);

    let mut app = app;
    app.settings.auth.signing_keys = vec![test_key("ed25519-b.pem")];
    let app = app.restart().await;

    assert_eq!(app.me(&old.access_token).await.status(), 401, "a removed key verifies nothing");
    assert_eq!(app.me(&new.access_token).await.status(), 200);
    assert_eq!(fetch_jwks(&app).await.keys.len(), 1);
}

async fn tokens_naming_another_algorithm_or_key_are_refused(backend: Backend) {
    let app = spawn_app_with(backend, with_keys("EdDSA", &["ed25519-a.pem"])).await;
    let tokens = app.register_ok("alice").await;
    let claims = claims_of(&tokens.access_token);
    let jwks = fetch_jwks(&app).await;
    let kid = jwks.keys[0].common.key_id.clone();
    let public_x = serde_json::to_value(&jwks.keys[0]).unwrap()["x"].as_str().unwrap().to_owned();
    let header = |alg| Header { kid: kid.clone(), ..Header::new(alg) };
    let sign = |header: Header, key: EncodingKey| jsonwebtoken::encode(&header, &claims, &key).unwrap();

    // The control: our own key and kid are accepted, so each refusal below is for its reason.
    let control = sign(header(Algorithm::EdDSA), EncodingKey::from_ed_pem(&read_test_key("ed25519-a.pem")).unwrap());
    assert_eq!(app.me(&control).await.status(), 200);

    let attacks = [
        (
            "HS256 keyed with the public PEM",
            sign(header(Algorithm::HS256), EncodingKey::from_secret(&read_test_key("ed25519-a.pub.pem"))),
        ),
        ("HS256 keyed with the JWK x", sign(header(Algorithm::HS256), EncodingKey::from_secret(public_x.as_bytes()))),
        (
            "RS256 with our kid",
            sign(header(Algorithm::RS256), EncodingKey::from_rsa_pem(&read_test_key("rsa-a.pem")).unwrap()),
        ),
        (
            "EdDSA with another key",
            sign(header(Algorithm::EdDSA), EncodingKey::from_ed_pem(&read_test_key("ed25519-b.pem")).unwrap()),
        ),
        (
            "EdDSA without kid",
            sign(Header::new(Algorithm::EdDSA), EncodingKey::from_ed_pem(&read_test_key("ed25519-a.pem")).unwrap()),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","kid":"{}"}}"#, kid.clone().unwrap())),
                tokens.access_token.split('.').nth(1).unwrap()
            ),
        ),
    ];
    for (attack, token) in attacks {
        let response = app.me(&token).await;
        assert_eq!(response.status(), 401, "{attack}");
        assert_eq!(response.headers()["www-authenticate"], r#"Bearer error="invalid_token""#, "{attack}");
    }
}

async fn discovery_names_the_issuer_keys_and_token_endpoint(backend: Backend) {
    let app = spawn_app_with(backend, with_keys("RS256", &["rsa-a.pem"])).await;

    for path in ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["issuer"], "authdb");
        assert_eq!(body["jwks_uri"], app.url("/.well-known/jwks.json"), "built from the request's host");
        assert_eq!(body["token_endpoint"], app.url("/api/v1/auth/token"));
        assert_eq!(
            body["grant_types_supported"],
            serde_json::json!(["password", "refresh_token", "client_credentials"])
        );
        assert_eq!(
            body["token_endpoint_auth_methods_supported"],
            serde_json::json!(["none", "client_secret_basic", "client_secret_post"])
        );
        assert_eq!(body["scopes_supported"], serde_json::json!(["revocations:read"]));
        assert_eq!(body["id_token_signing_alg_values_supported"], serde_json::json!(["RS256"]));
    }

    let jwks_uri = app.client.get(app.url("/.well-known/openid-configuration")).send().await.unwrap();
    let jwks_uri = jwks_uri.json::<Value>().await.unwrap()["jwks_uri"].as_str().unwrap().to_owned();
    let jwks: JwkSet = app.client.get(jwks_uri).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwks.keys.len(), 1, "the advertised jwks_uri serves the keys");
    let post = app.client.post(app.url("/.well-known/jwks.json")).send().await.unwrap();
    assert_eq!(post.status(), 405);
}

async fn an_issuer_url_is_the_base_of_discovery_urls(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.issuer = Some("https://auth.example.com/".into())).await;

    let body: Value =
        app.client.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();

    assert_eq!(body["issuer"], "https://auth.example.com/");
    assert_eq!(body["jwks_uri"], "https://auth.example.com/.well-known/jwks.json");
    assert_eq!(body["token_endpoint"], "https://auth.example.com/api/v1/auth/token");
    assert_eq!(body["id_token_signing_alg_values_supported"], serde_json::json!(["HS256"]));
    let tokens = app.register_ok("alice").await;
    assert_eq!(claims_of(&tokens.access_token)["iss"], "https://auth.example.com/");
}

/// With `server.public_url`, discovery is built on it and never on the `Host` header a
/// client sends (a forged one must not point verifiers at another key set), and it is the
/// issuer of the tokens, which stay valid.
async fn a_public_url_is_the_base_of_discovery_and_the_issuer_whatever_the_host(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.server.public_url = Some("https://Auth.example.com/".into());
    })
    .await;

    for path in ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"] {
        let response = app.client.get(app.url(path)).header("host", "evil.example").send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "public, max-age=300", "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["issuer"], "https://auth.example.com", "{path}");
        assert_eq!(body["jwks_uri"], "https://auth.example.com/.well-known/jwks.json", "{path}");
        assert_eq!(body["token_endpoint"], "https://auth.example.com/api/v1/auth/token", "{path}");
    }

    let tokens = app.register_ok("alice").await;
    assert_eq!(claims_of(&tokens.access_token)["iss"], "https://auth.example.com");
    assert_eq!(app.me(&tokens.access_token).await.status(), 200);
    let refreshed = app.refresh_ok(&tokens.refresh_token).await;
    assert_eq!(claims_of(&refreshed.access_token)["iss"], "https://auth.example.com");
}

/// An explicit `auth.issuer` stays the issuer beside a public URL: the discovery document
/// names the `iss` the tokens carry, and only the URLs move to the public URL.
async fn an_explicit_issuer_stays_the_issuer_beside_a_public_url(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.server.public_url = Some("https://auth.example.com".into());
        settings.auth.issuer = Some("authdb".into());
    })
    .await;

    let body: Value = app
        .client
        .get(app.url("/.well-known/openid-configuration"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(body["issuer"], "authdb");
    assert_eq!(body["jwks_uri"], "https://auth.example.com/.well-known/jwks.json");
    let tokens = app.register_ok("alice").await;
    assert_eq!(claims_of(&tokens.access_token)["iss"], "authdb");
}

on_both_backends!(
    a_public_url_is_the_base_of_discovery_and_the_issuer_whatever_the_host,
    an_explicit_issuer_stays_the_issuer_beside_a_public_url,
    hs256_publishes_no_key,
    a_stock_verifier_validates_eddsa_and_rs256_tokens_from_the_jwks,
    eddsa_without_keys_generates_one_that_survives_a_restart,
    rotation_keeps_old_tokens_valid_until_their_key_is_removed,
    tokens_naming_another_algorithm_or_key_are_refused,
    discovery_names_the_issuer_keys_and_token_endpoint,
    an_issuer_url_is_the_base_of_discovery_urls,
);
