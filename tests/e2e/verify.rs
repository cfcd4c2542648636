//! The authdb-verify crate against a real authdb: EdDSA and RS256 tokens verify from the
//! published JWKS; a verifier configured for another audience or issuer refuses them.

use std::path::PathBuf;

use authdb_tests::{Backend, spawn_app_with};
use authdb_verify::{Algorithm, Verifier, VerifierConfig, VerifyError};

fn test_key(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/authdb-auth/src/jwt/testdata").join(name)
}

async fn authdb_verify_accepts_real_tokens_and_refuses_other_audiences(backend: Backend) {
    for (algorithm, keys, alg) in [
        ("EdDSA", ["ed25519-a.pem", "ed25519-b.pem"], Algorithm::EdDSA),
        ("RS256", ["rsa-a.pem", "rsa-b.pem"], Algorithm::RS256),
    ] {
        let app = spawn_app_with(backend, |settings| {
            settings.auth.jwt_algorithm = algorithm.parse().unwrap();
            settings.auth.signing_keys = keys.iter().map(|k| test_key(k)).collect();
        })
        .await;
        let tokens = app.register_ok("alice").await;
        let jwks_url = app.url("/.well-known/jwks.json");

        let verifier = Verifier::new(VerifierConfig::new("authdb", "authdb", &jwks_url, alg)).unwrap();
        let claims = verifier.verify(&tokens.access_token).await.unwrap();
        assert_eq!(claims.sub, tokens.user["id"].as_str().unwrap(), "{algorithm}");
        assert!(!claims.sid.is_empty());

        for (iss, aud) in [("authdb", "billing"), ("someone-else", "authdb")] {
            let other = Verifier::new(VerifierConfig::new(iss, aud, &jwks_url, alg)).unwrap();
            assert!(matches!(other.verify(&tokens.access_token).await, Err(VerifyError::InvalidToken(_))));
        }
        let mut forged = tokens.access_token.clone();
        forged.truncate(forged.len() - 4);
        forged.push_str("AAAA");
        assert!(matches!(verifier.verify(&forged).await, Err(VerifyError::InvalidToken(_))), "{algorithm}");
    }
}

on_both_backends!(authdb_verify_accepts_real_tokens_and_refuses_other_audiences);
