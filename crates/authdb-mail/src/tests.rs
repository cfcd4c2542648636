use std::time::Duration;

use super::*;

fn smtp(url: &str) -> MailConfig {
    MailConfig {
        from: "authdb <no-reply@example.com>".into(),
        transport: TransportConfig::Smtp(SmtpConfig {
            url: url.into(),
            starttls: StartTls::Required,
            username: None,
            password: None,
            timeout: Duration::from_secs(5),
            ca_file: None,
        }),
    }
}

fn setup_error(config: &MailConfig) -> String {
    build(config).err().map(|error| error.to_string()).unwrap_or_default()
}

#[test]
fn smtp_urls_of_both_schemes_build() {
    assert_eq!(build(&smtp("smtp://mail.example.com")).expect("builds").name(), "smtp");
    assert_eq!(build(&smtp("smtps://mail.example.com:2465")).expect("builds").name(), "smtp");
    assert_eq!(build(&smtp("smtp://[::1]:2525")).expect("builds").name(), "smtp");
}

#[test]
fn smtp_url_with_credentials_is_refused_naming_the_settings() {
    let error = setup_error(&smtp("smtp://user:secret@mail.example.com"));
    assert!(error.contains("AUTHDB__MAIL__SMTP_URL"), "{error}");
    assert!(error.contains("AUTHDB__MAIL__SMTP_PASSWORD"), "{error}");
    assert!(!error.contains("secret"), "{error}");
}

#[test]
fn smtp_url_of_another_scheme_or_with_a_path_is_refused() {
    assert!(setup_error(&smtp("http://mail.example.com")).contains("smtp:// or smtps://"));
    assert!(setup_error(&smtp("smtp://mail.example.com/x")).contains("nothing more"));
    assert!(setup_error(&smtp("smtp://mail.example.com?tls=none")).contains("nothing more"));
    assert!(setup_error(&smtp("not a url")).contains("AUTHDB__MAIL__SMTP_URL"));
}

#[test]
fn smtp_username_without_password_is_refused() {
    let mut config = smtp("smtp://mail.example.com");
    if let TransportConfig::Smtp(smtp) = &mut config.transport {
        smtp.username = Some("user".into());
    }
    assert!(setup_error(&config).contains("set both or neither"));
}

#[test]
fn smtp_ca_file_that_does_not_exist_is_named() {
    let mut config = smtp("smtp://mail.example.com");
    if let TransportConfig::Smtp(smtp) = &mut config.transport {
        smtp.ca_file = Some("/nonexistent/ca.pem".into());
    }
    let error = setup_error(&config);
    assert!(error.contains("AUTHDB__MAIL__SMTP_CA_FILE /nonexistent/ca.pem"), "{error}");
}

#[test]
fn from_that_is_not_a_mailbox_is_refused() {
    let config = MailConfig { from: "not an address".into(), transport: TransportConfig::None };
    assert!(setup_error(&config).contains("AUTHDB__MAIL__FROM"));
}

#[test]
fn smtp_config_debug_hides_the_password() {
    let config = SmtpConfig {
        url: "smtp://mail.example.com".into(),
        starttls: StartTls::Required,
        username: Some("user".into()),
        password: Some("hunter2-secret".to_owned().into()),
        timeout: Duration::from_secs(5),
        ca_file: None,
    };
    assert!(!format!("{config:?}").contains("hunter2"));
}

#[test]
fn none_transport_says_it_delivers_nothing() {
    let mailer = build(&MailConfig { from: "a@example.com".into(), transport: TransportConfig::None }).expect("builds");
    assert_eq!(mailer.name(), "none");
    assert!(!mailer.delivers());
}
