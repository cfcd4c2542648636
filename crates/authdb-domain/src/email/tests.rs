use super::*;

#[test]
fn valid_addresses_are_trimmed_and_lower_cased() {
    let email = Email::parse("  Alice.Smith+tag@Example.COM ").expect("valid");
    assert_eq!(email.as_str(), "alice.smith+tag@example.com");
}

#[test]
fn international_domains_are_accepted() {
    assert!(Email::parse("josé@bücher.example").is_ok());
}

#[test]
fn invalid_addresses_are_refused_with_the_field_named() {
    let cases = [
        "",
        "   ",
        "plainaddress",
        "@example.com",
        "alice@",
        "alice@example",
        "alice@@example.com",
        "alice@exa@mple.com",
        "al ice@example.com",
        "alice@example..com",
        "alice@.example.com",
        "alice@example.com.",
        "alice@-example.com",
        "alice@exa_mple.com",
        "ali\"ce@example.com",
        "alice\u{0}@example.com",
    ];
    for case in cases {
        let violation = Email::parse(case).expect_err(case);
        assert_eq!(violation.field, "email", "{case}");
    }
}

#[test]
fn length_limits_follow_rfc_5321() {
    let local_64 = "a".repeat(64);
    assert!(Email::parse(&format!("{local_64}@example.com")).is_ok());
    assert!(Email::parse(&format!("a{local_64}@example.com")).is_err());
    let long_domain = format!("{}.com", "d".repeat(250));
    assert!(Email::parse(&format!("a@{long_domain}")).is_err());
}

#[test]
fn parse_field_names_the_given_field() {
    let violation = Email::parse_field("nope", "login").expect_err("invalid");
    assert_eq!(violation.field, "login");
}

#[test]
fn addresses_are_normalized_to_nfc() {
    let decomposed = Email::parse("jose\u{301}@example.com").expect("valid");
    let composed = Email::parse("jos\u{e9}@example.com").expect("valid");
    assert_eq!(decomposed, composed);
    assert_eq!(decomposed.as_str(), "jos\u{e9}@example.com");
}

#[test]
fn format_characters_are_refused() {
    for invisible in ['\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{00ad}', '\u{200e}', '\u{202e}'] {
        let address = format!("bob{invisible}@example.com");
        let violation = Email::parse(&address).expect_err(&address);
        assert_eq!(violation.field, "email");
        assert!(violation.message.contains("format characters"), "{}", violation.message);
        let in_domain = format!("bob@exam{invisible}ple.com");
        assert!(Email::parse(&in_domain).is_err(), "{in_domain:?}");
    }
}

#[test]
fn look_alikes_share_a_skeleton_and_different_addresses_do_not() {
    let latin = Email::parse("bob@example.com").expect("valid");
    let cyrillic = Email::parse("b\u{43e}b@example.com").expect("valid");
    assert_ne!(latin, cyrillic);
    assert_eq!(latin.skeleton(), cyrillic.skeleton());
    assert_eq!(Email::parse("BOB@example.com").expect("valid").skeleton(), latin.skeleton());
    assert_ne!(Email::parse("rob@example.com").expect("valid").skeleton(), latin.skeleton());
    assert_eq!(email_skeleton("b\u{43e}b@example.com"), latin.skeleton());
}

#[test]
fn addresses_whose_skeleton_is_long_text_are_refused() {
    // U+FDFA is one character that looks like an 18-character phrase.
    let address = format!("a@{}.com", "\u{fdfa}".repeat(60));
    assert!(address.len() <= 254);
    let violation = Email::parse(&address).expect_err("skeleton too long");
    assert_eq!(violation.field, "email");
    assert!(email_skeleton(&address).len() > MAX_SKELETON_BYTES);
    assert!(Email::parse(&format!("a@{}.com", "\u{fdfa}".repeat(2))).is_ok());
}

#[test]
fn stored_addresses_keep_reading_under_the_structural_rules() {
    // Registered before format characters were refused: still readable, as stored.
    let stored = Email::parse_stored("bob\u{200b}@example.com").expect("readable");
    assert_eq!(stored.as_str(), "bob\u{200b}@example.com");
    let decomposed = Email::parse_stored("jose\u{301}@example.com").expect("readable");
    assert_eq!(decomposed.as_str(), "jose\u{301}@example.com");
    assert!(Email::parse_stored("no-at-sign").is_err());
}
