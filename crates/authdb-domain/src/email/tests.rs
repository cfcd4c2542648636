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
