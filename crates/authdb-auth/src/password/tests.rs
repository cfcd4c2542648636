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
