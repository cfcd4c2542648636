//! Cost of the credential primitives on one core: bcrypt at the default cost (the bound on
//! login throughput) and access-token verification (paid by every authenticated request).

use authdb_auth::{JwtConfig, JwtKeys, OpaqueToken, PasswordHash, PrivateKeyPem, SigningKeys, TokenHash};
use authdb_domain::{SessionId, UserId};
use criterion::{Criterion, criterion_group, criterion_main};
use secrecy::SecretString;
use time::{Duration, OffsetDateTime};

fn bcrypt_cost_12(c: &mut Criterion) {
    let hash = PasswordHash::from_stored(bcrypt::hash("Secret123", 12).expect("hashes"));
    let mut group = c.benchmark_group("bcrypt");
    group.sample_size(10);
    group.bench_function("verify_cost_12", |b| {
        b.iter(|| bcrypt::verify("Secret123", hash.as_str()).expect("verifies"));
    });
    group.finish();
}

fn access_tokens(c: &mut Criterion) {
    let keys = JwtKeys::new(JwtConfig {
        keys: SigningKeys::Hs256(SecretString::from("0123456789abcdef0123456789abcdef".to_owned())),
        issuer: "authdb".into(),
        audience: "authdb-api".into(),
        access_ttl: Duration::minutes(15),
        leeway_secs: 5,
    })
    .expect("valid config");
    let token = keys.issue(UserId::new(), SessionId::new(), OffsetDateTime::now_utc()).expect("signs");
    c.bench_function("jwt_hs256_issue", |b| {
        b.iter(|| keys.issue(UserId::new(), SessionId::new(), OffsetDateTime::now_utc()).expect("signs"));
    });
    c.bench_function("jwt_hs256_verify", |b| b.iter(|| keys.verify(&token.token).expect("verifies")));
    let refresh = OpaqueToken::generate().expect("rng works");
    c.bench_function("refresh_token_hash", |b| b.iter(|| TokenHash::of(refresh.expose())));
}

/// The public-key algorithms: every authenticated request pays one verification.
fn asymmetric_access_tokens(c: &mut Criterion) {
    let pem = |text: &str| vec![PrivateKeyPem { name: "bench".into(), pem: SecretString::from(text.to_owned()) }];
    let cases = [
        ("eddsa", SigningKeys::EdDsa(pem(include_str!("../src/jwt/testdata/ed25519-a.pem")))),
        ("rs256", SigningKeys::Rs256(pem(include_str!("../src/jwt/testdata/rsa-a.pem")))),
    ];
    for (name, signing) in cases {
        let keys = JwtKeys::new(JwtConfig {
            keys: signing,
            issuer: "authdb".into(),
            audience: "authdb-api".into(),
            access_ttl: Duration::minutes(15),
            leeway_secs: 5,
        })
        .expect("valid keys");
        let token = keys.issue(UserId::new(), SessionId::new(), OffsetDateTime::now_utc()).expect("signs");
        c.bench_function(&format!("jwt_{name}_issue"), |b| {
            b.iter(|| keys.issue(UserId::new(), SessionId::new(), OffsetDateTime::now_utc()).expect("signs"));
        });
        c.bench_function(&format!("jwt_{name}_verify"), |b| b.iter(|| keys.verify(&token.token).expect("verifies")));
    }
}

criterion_group!(benches, bcrypt_cost_12, access_tokens, asymmetric_access_tokens);
criterion_main!(benches);
