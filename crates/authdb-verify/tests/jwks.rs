//! The verifier against a tiny local JWKS server (authdb's key set as it publishes it).

#![allow(clippy::unwrap_used, reason = "tests: a failed unwrap is a failed test")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use authdb_verify::{Algorithm, Verifier, VerifierConfig, VerifyError};
use jsonwebtoken::{EncodingKey, Header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const KEY_A: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIE+Mqha11dTWS9Az72XxP7eynkbJMy5oRqSG7OdCwQZv\n-----END PRIVATE KEY-----\n";
const PUB_A: &str = "4oBkauD7dggw6ZDQKrpuNeamJoN8uhRKQh2A54sANac";
const KEY_B: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIMJOlazTnRafkb0170/fSy4cPbcjxWx6NjGpRaKQwbfv\n-----END PRIVATE KEY-----\n";
const PUB_B: &str = "lHMoHrbRZdBsL92_4ksk2Yv9fUFmCsKsW0IxauGC90g";

fn jwk(kid: &str, x: &str) -> serde_json::Value {
    serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"})
}

struct Jwks {
    body: Arc<Mutex<String>>,
    fetches: Arc<AtomicUsize>,
    url: String,
}

impl Jwks {
    fn set(&self, keys: Vec<serde_json::Value>) {
        *self.body.lock().unwrap() = serde_json::json!({ "keys": keys }).to_string();
    }
    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

async fn serve(keys: Vec<serde_json::Value>) -> Jwks {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
    let jwks = Jwks { body: Arc::default(), fetches: Arc::default(), url };
    jwks.set(keys);
    let (body, fetches) = (jwks.body.clone(), jwks.fetches.clone());
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            fetches.fetch_add(1, Ordering::SeqCst);
            let text = body.lock().unwrap().clone();
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    jwks
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn token(pem: &str, kid: &str, iss: &str, aud: &str, exp: i64) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.into());
    let claims = serde_json::json!({
        "sub": "11111111-1111-1111-1111-111111111111",
        "sid": "22222222-2222-2222-2222-222222222222",
        "iat": now(), "exp": exp, "iss": iss, "aud": aud, "jti": "33333333-3333-3333-3333-333333333333",
        "org": "44444444-4444-4444-4444-444444444444", "role": "owner", "permissions": ["members:read"],
    });
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_pem(pem.as_bytes()).unwrap()).unwrap()
}

fn verifier(url: &str, floor: Duration) -> Verifier {
    let mut config = VerifierConfig::new("authdb-test", "authdb", url, Algorithm::EdDSA);
    config.refresh_floor = floor;
    config.leeway = Duration::from_secs(0);
    Verifier::new(config).unwrap()
}

#[tokio::test]
async fn valid_token_verifies_with_typed_claims() {
    let jwks = serve(vec![jwk("a", PUB_A)]).await;
    let v = verifier(&jwks.url, Duration::from_secs(60));
    let claims = v.verify(&token(KEY_A, "a", "authdb-test", "authdb", now() + 300)).await.unwrap();
    assert_eq!(claims.sub, "11111111-1111-1111-1111-111111111111");
    assert_eq!(claims.sid, "22222222-2222-2222-2222-222222222222");
    assert_eq!(claims.org.unwrap(), "44444444-4444-4444-4444-444444444444");
    assert_eq!(claims.role.unwrap(), "owner");
    assert_eq!(claims.permissions.unwrap(), serde_json::json!(["members:read"]));
    // The key set is cached: a second token costs no fetch.
    v.verify(&token(KEY_A, "a", "authdb-test", "authdb", now() + 300)).await.unwrap();
    assert_eq!(jwks.fetches(), 1);
}

#[tokio::test]
async fn wrong_audience_issuer_expired_and_forged_tokens_are_refused() {
    let jwks = serve(vec![jwk("a", PUB_A)]).await;
    let v = verifier(&jwks.url, Duration::from_secs(60));
    let refused = [
        token(KEY_A, "a", "authdb-test", "other", now() + 300),
        token(KEY_A, "a", "someone-else", "authdb", now() + 300),
        token(KEY_A, "a", "authdb-test", "authdb", now() - 10),
        // Forged: signed with B's private key under A's kid.
        token(KEY_B, "a", "authdb-test", "authdb", now() + 300),
    ];
    for t in refused {
        assert!(matches!(v.verify(&t).await, Err(VerifyError::InvalidToken(_))), "{t}");
    }
    assert!(matches!(v.verify("not.a.token").await, Err(VerifyError::InvalidToken(_))));
    // An HS256 header is refused before any key is looked at.
    let hs = jsonwebtoken::encode(
        &Header { kid: Some("a".into()), ..Header::new(Algorithm::HS256) },
        &serde_json::json!({"sub": "x", "sid": "y", "exp": now() + 300, "iss": "authdb-test", "aud": "authdb"}),
        &EncodingKey::from_secret(b"secret"),
    )
    .unwrap();
    assert!(matches!(v.verify(&hs).await, Err(VerifyError::InvalidToken(_))));
}

#[tokio::test]
async fn symmetric_algorithms_are_refused_at_setup() {
    let config = VerifierConfig::new("i", "a", "http://127.0.0.1:1/jwks", Algorithm::HS256);
    assert!(matches!(Verifier::new(config), Err(VerifyError::Config(_))));
    let mut config = VerifierConfig::new("i", "a", "http://127.0.0.1:1/jwks", Algorithm::EdDSA);
    config.algorithms.clear();
    assert!(matches!(Verifier::new(config), Err(VerifyError::Config(_))));
}

#[tokio::test]
async fn unreachable_key_set_is_reported() {
    let v = verifier("http://127.0.0.1:1/.well-known/jwks.json", Duration::from_secs(60));
    let t = token(KEY_A, "a", "authdb-test", "authdb", now() + 300);
    assert!(matches!(v.verify(&t).await, Err(VerifyError::KeySet(_))));
}

#[tokio::test]
async fn key_rotation_is_followed_on_unknown_kid_at_most_once_per_floor() {
    let jwks = serve(vec![jwk("a", PUB_A)]).await;
    let v = verifier(&jwks.url, Duration::from_millis(300));
    let a = token(KEY_A, "a", "authdb-test", "authdb", now() + 300);
    let b = token(KEY_B, "b", "authdb-test", "authdb", now() + 300);
    v.verify(&a).await.unwrap();
    // Rotation to [B, A]: B is unknown; within the floor, no fetch happens.
    jwks.set(vec![jwk("b", PUB_B), jwk("a", PUB_A)]);
    assert!(matches!(v.verify(&b).await, Err(VerifyError::UnknownKey)));
    assert!(matches!(
        v.verify(&token(KEY_A, "zz", "authdb-test", "authdb", now() + 300)).await,
        Err(VerifyError::UnknownKey)
    ));
    assert_eq!(jwks.fetches(), 1);
    tokio::time::sleep(Duration::from_millis(350)).await;
    v.verify(&b).await.unwrap();
    v.verify(&a).await.unwrap();
    assert_eq!(jwks.fetches(), 2);
    // Rotation to [B]: A's tokens stop verifying once the set is fetched again.
    jwks.set(vec![jwk("b", PUB_B)]);
    tokio::time::sleep(Duration::from_millis(350)).await;
    let unknown = token(KEY_B, "c", "authdb-test", "authdb", now() + 300);
    assert!(matches!(v.verify(&unknown).await, Err(VerifyError::UnknownKey)));
    assert_eq!(jwks.fetches(), 3);
    assert!(matches!(v.verify(&a).await, Err(VerifyError::UnknownKey)));
    v.verify(&b).await.unwrap();
}

#[tokio::test]
async fn a_key_no_longer_published_stops_verifying_after_the_max_key_age() {
    let jwks = serve(vec![jwk("b", PUB_B), jwk("a", PUB_A)]).await;
    let mut config = VerifierConfig::new("authdb-test", "authdb", &jwks.url, Algorithm::EdDSA);
    config.max_key_age = Duration::from_millis(300);
    let v = Verifier::new(config).unwrap();
    let a = token(KEY_A, "a", "authdb-test", "authdb", now() + 300);
    let b = token(KEY_B, "b", "authdb-test", "authdb", now() + 300);
    v.verify(&a).await.unwrap();
    v.verify(&b).await.unwrap();
    jwks.set(vec![jwk("b", PUB_B)]);
    v.verify(&a).await.unwrap();
    assert_eq!(jwks.fetches(), 1, "within the age, the cached set is used");
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(matches!(v.verify(&a).await, Err(VerifyError::UnknownKey)));
    v.verify(&b).await.unwrap();
    assert_eq!(jwks.fetches(), 2);
}
