use super::*;

fn policy() -> PasswordPolicy {
    PasswordPolicy::default()
}

#[test]
fn a_password_with_all_classes_passes() {
    let password = policy().parse("Secret123".into()).expect("valid");
    assert_eq!(password.expose(), "Secret123");
}

#[test]
fn eight_bytes_is_the_minimum() {
    assert!(policy().parse("Abcdef12".into()).is_ok());
    let violation = policy().parse("Abcde12".into()).expect_err("7 bytes");
    assert_eq!(violation.field, "password");
    assert!(violation.message.contains("at least 8 bytes"), "{}", violation.message);
}

#[test]
fn seventy_two_ascii_bytes_pass_and_seventy_three_fail() {
    let at_limit = format!("Aa1{}", "x".repeat(69));
    assert_eq!(at_limit.len(), 72);
    assert!(policy().parse(at_limit).is_ok());
    let over = format!("Aa1{}", "x".repeat(70));
    let violation = policy().parse(over).expect_err("73 bytes");
    assert!(violation.message.contains("at most 72 bytes"), "{}", violation.message);
}

#[test]
fn the_limit_counts_utf8_bytes_not_characters() {
    // "é" is two bytes: 3 + 34 * 2 = 71 bytes, then one more ASCII byte makes 72.
    let at_limit = format!("Aa1{}x", "é".repeat(34));
    assert_eq!(at_limit.len(), 72);
    assert!(policy().parse(at_limit).is_ok());
    // 3 + 35 * 2 = 73 bytes although only 38 characters.
    let over = format!("Aa1{}", "é".repeat(35));
    assert_eq!(over.chars().count(), 38);
    assert!(policy().parse(over).is_err());
    // A four-byte character straddling the boundary: 69 + 4 = 73 bytes.
    let straddling = format!("Aa1{}🔑", "x".repeat(66));
    assert_eq!(straddling.len(), 73);
    assert!(policy().parse(straddling).is_err());
}

#[test]
fn each_missing_class_is_named() {
    let cases = [("secret123", "upper-case"), ("SECRET123", "lower-case"), ("SecretPass", "digit")];
    for (raw, expected) in cases {
        let violation = policy().parse(raw.into()).expect_err(raw);
        assert!(violation.message.contains(expected), "{raw}: {}", violation.message);
    }
}

#[test]
fn all_broken_rules_are_reported_together() {
    let violation = policy().parse("abc".into()).expect_err("weak");
    assert!(violation.message.contains("at least 8"));
    assert!(violation.message.contains("upper-case"));
    assert!(violation.message.contains("digit"));
}

#[test]
fn nul_characters_are_refused() {
    assert!(policy().parse("Secret12\0x".into()).is_err());
}

#[test]
fn non_ascii_letters_count_as_cases() {
    assert!(policy().parse("Ünïcödé1".into()).is_ok());
}

#[test]
fn a_relaxed_policy_drops_class_rules() {
    let relaxed = PasswordPolicy {
        require_uppercase: false,
        require_lowercase: false,
        require_digit: false,
        ..PasswordPolicy::default()
    };
    assert!(relaxed.parse("aaaaaaaa".into()).is_ok());
}

#[test]
fn policy_validation_refuses_incoherent_bounds() {
    assert!(policy().validate().is_ok());
    let too_long = PasswordPolicy { max_bytes: 73, ..policy() };
    assert!(too_long.validate().is_err());
    let inverted = PasswordPolicy { min_bytes: 20, max_bytes: 10, ..policy() };
    assert!(inverted.validate().is_err());
    let zero = PasswordPolicy { min_bytes: 0, ..policy() };
    assert!(zero.validate().is_err());
}

#[test]
fn debug_never_shows_the_password() {
    let password = policy().parse("Secret123".into()).expect("valid");
    assert!(!format!("{password:?}").contains("Secret123"));
}
