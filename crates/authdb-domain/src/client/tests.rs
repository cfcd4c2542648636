use super::*;

#[test]
fn the_catalogue_round_trips_through_names() {
    for scope in ClientScope::ALL {
        assert_eq!(ClientScope::from_name(scope.as_str()), Some(*scope));
    }
    assert_eq!(ClientScope::RevocationsRead.as_str(), "revocations:read");
    assert_eq!(ClientScope::from_name("Revocations:Read"), None);
    assert_eq!(ClientScope::from_name(""), None);
}

#[test]
fn a_list_names_each_unknown_scope_by_its_index() {
    let Err(DomainError::Invalid(violations)) =
        ClientScopes::parse_list(&["revocations:read", "admin", "revocations:read", "x"], "scopes")
    else {
        panic!("unknown scopes must be refused");
    };
    let fields: Vec<&str> = violations.iter().map(|v| v.field.as_ref()).collect();
    assert_eq!(fields, ["scopes[1]", "scopes[3]"]);
}

#[test]
fn a_list_must_name_a_scope_and_counts_repeats_once() {
    let Err(DomainError::Invalid(violations)) = ClientScopes::parse_list::<&str>(&[], "scopes") else {
        panic!("an empty list must be refused");
    };
    assert_eq!(violations[0].field, "scopes");
    let scopes = ClientScopes::parse_list(&["revocations:read", "revocations:read"], "scopes").expect("valid");
    assert_eq!(scopes.names(), ["revocations:read"]);
}

#[test]
fn the_oauth_form_is_space_separated_and_strict() {
    let scopes = ClientScopes::parse_oauth("revocations:read").expect("known");
    assert_eq!(scopes.to_oauth(), "revocations:read");
    assert!(ClientScopes::parse_oauth("  revocations:read  ").is_some());
    assert!(ClientScopes::parse_oauth("revocations:read other").is_none());
    assert!(ClientScopes::parse_oauth("   ").is_none());
    let all = ClientScopes::parse_list(&["revocations:read"], "scopes").expect("valid");
    assert!(scopes.is_subset(&all));
    assert!(all.contains(ClientScope::RevocationsRead));
}

#[test]
fn client_names_are_trimmed_and_bounded() {
    assert_eq!(ClientName::parse("  billing  ").expect("valid").as_str(), "billing");
    assert!(ClientName::parse("   ").is_err());
    assert!(ClientName::parse(&"x".repeat(101)).is_err());
    assert!(ClientName::parse("a\u{7}b").is_err());
}
