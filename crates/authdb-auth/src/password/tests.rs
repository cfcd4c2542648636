use authdb_domain::PasswordPolicy;

use super::*;

fn password(raw: &str) -> Password {
    PasswordPolicy::default().parse(raw.to_owned()).expect("valid password")
}

#[tokio::test]
async fn a_hash_verifies_its_password_and_nothing_else() {
    let hasher = PasswordHasher::new(4).expect("valid cost");
    let hash = hasher.hash(&password("Secret123")).await.expect("hashes");
    assert!(hash.as_str().starts_with("$2b$04$"));
    assert!(hasher.verify("Secret123", Some(&hash)).await.expect("verifies"));
    assert!(!hasher.verify("Secret124", Some(&hash)).await.expect("verifies"));
}

#[tokio::test]
async fn an_unknown_user_never_verifies() {
    let hasher = PasswordHasher::new(4).expect("valid cost");
    assert!(!hasher.verify("authdb dummy password for unknown users", None).await.expect("verifies"));
}

#[tokio::test]
async fn a_longer_password_sharing_the_first_72_bytes_does_not_match() {
    let hasher = PasswordHasher::new(4).expect("valid cost");
    let at_limit = format!("Aa1{}", "x".repeat(69));
    let hash = hasher.hash(&password(&at_limit)).await.expect("hashes");
    assert!(hasher.verify(&at_limit, Some(&hash)).await.expect("verifies"));
    let longer = format!("{at_limit}extra");
    assert!(!hasher.verify(&longer, Some(&hash)).await.expect("verifies"));
}

#[tokio::test]
async fn a_corrupt_stored_hash_is_an_error_not_a_match() {
    let hasher = PasswordHasher::new(4).expect("valid cost");
    let corrupt = PasswordHash::from_stored("not a bcrypt hash".into());
    assert!(hasher.verify("Secret123", Some(&corrupt)).await.is_err());
}

#[test]
fn costs_outside_bcrypt_range_are_refused() {
    assert!(matches!(PasswordHasher::new(3), Err(AuthError::InvalidCost(3))));
    assert!(matches!(PasswordHasher::new(32), Err(AuthError::InvalidCost(32))));
}

#[test]
fn debug_hides_the_hash() {
    let hash = PasswordHash::from_stored("$2b$04$secretsecretsecret".into());
    assert!(!format!("{hash:?}").contains("secret"));
}

#[test]
fn the_dummy_hash_has_the_configured_cost_without_costing_it() {
    // Cost 31 takes days to compute: building the hasher must not.
    let hasher = PasswordHasher::new(31).expect("valid cost");
    assert_eq!(hasher.dummy_hash.cost(), Some(31));
    assert_eq!(hasher.dummy_hash.as_str().len(), 60);
    assert!(hasher.dummy_hash.as_str().starts_with("$2b$31$"));
    assert_ne!(PasswordHasher::new(31).expect("valid").dummy_hash, hasher.dummy_hash, "salted afresh");
}

#[tokio::test]
async fn the_dummy_hash_is_verified_at_full_cost_and_never_matches() {
    let hasher = PasswordHasher::new(5).expect("valid cost");
    assert_eq!(hasher.dummy_hash.cost(), Some(5));
    // bcrypt itself accepts it: the verification runs (and fails), it is no error.
    assert!(!bcrypt::verify("anything", hasher.dummy_hash.as_str()).expect("a well-formed hash"));
    assert!(!hasher.verify("anything", None).await.expect("verifies"));
}

#[tokio::test]
async fn a_hash_of_another_cost_needs_rehashing_at_the_configured_cost() {
    let old = PasswordHasher::new(4).expect("valid cost");
    let current = PasswordHasher::new(5).expect("valid cost");
    let stored = old.hash(&password("Secret123")).await.expect("hashes");
    assert_eq!(stored.cost(), Some(4));
    assert!(current.needs_rehash(&stored));
    assert!(!old.needs_rehash(&stored));
    assert!(current.needs_rehash(&PasswordHash::from_stored("not a bcrypt hash".into())));

    let rehashed = current.rehash("Secret123").await.expect("hashes");

    assert_eq!(rehashed.cost(), Some(5));
    assert!(current.verify("Secret123", Some(&rehashed)).await.expect("verifies"));
}

#[test]
fn the_cost_is_read_from_the_prefix() {
    assert_eq!(PasswordHash::from_stored("$2y$10$abc".into()).cost(), Some(10));
    assert_eq!(PasswordHash::from_stored("$2b$4$abc".into()).cost(), None);
    assert_eq!(PasswordHash::from_stored("$argon2id$v=19$x".into()).cost(), None);
    assert_eq!(PasswordHash::from_stored(String::new()).cost(), None);
}
