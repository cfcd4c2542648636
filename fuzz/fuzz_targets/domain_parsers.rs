//! Any text through every domain parser: no panic, and an accepted value parses again to
//! the same value (normalisation is idempotent).
#![no_main]

use authdb_domain::{AvatarUrl, Email, FullName, PasswordPolicy, Preferences, Username};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(email) = Email::parse(text) {
        let again = Email::parse(email.as_ref()).expect("a parsed email parses again");
        assert_eq!(again.as_ref(), email.as_ref());
    }
    if let Ok(username) = Username::parse(text) {
        assert!(Username::parse(username.as_ref()).is_ok());
    }
    let _ = FullName::parse(text);
    let _ = AvatarUrl::parse(text);
    let _ = PasswordPolicy::default().parse(text.to_owned());
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        let _ = Preferences::parse(value);
    }
});
