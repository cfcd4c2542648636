use super::*;

fn config(dir: Option<PathBuf>) -> MailTemplatesConfig {
    MailTemplatesConfig { dir, product_name: "Acme <ID>".into(), link_base: "https://id.example.com".into() }
}

fn verify(templates: &MailTemplates, token: &OpaqueToken) -> OutgoingMail {
    let to = Email::parse("ada@example.com").expect("valid");
    let message = Message::VerifyEmail { to: &to, username: "ada", token, valid_for: time::Duration::hours(24) };
    templates.render(&message).expect("renders")
}

#[test]
fn built_in_templates_carry_the_product_the_link_and_the_validity() {
    let templates = MailTemplates::load(config(None)).expect("loads");
    let token = OpaqueToken::generate().expect("token");
    let mail = verify(&templates, &token);
    let link = format!("https://id.example.com/verify-email?token={}", token.expose());
    assert_eq!(mail.subject, "Confirm your email address for Acme <ID>");
    assert!(mail.text.contains(&link), "{}", mail.text);
    assert!(mail.text.contains("24 hours"));
    assert!(mail.text.contains("Acme <ID>"), "text is not escaped");
    // minijinja's HTML escaping writes `/` as `&#x2f;`, which every HTML reader decodes.
    let escaped = link.replace('/', "&#x2f;");
    assert!(mail.html.contains(&format!("href=\"{escaped}\"")), "{}", mail.html);
    assert!(mail.html.contains("Acme &lt;ID&gt;"), "HTML escapes what it inserts");
}

#[test]
fn an_override_replaces_the_built_in_template_of_its_name() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("verify_email.subject.txt"), "Welcome to {{ product_name }},\n {{ username }}")
        .expect("write");
    let templates = MailTemplates::load(config(Some(dir.path().to_owned()))).expect("loads");
    let mail = verify(&templates, &OpaqueToken::generate().expect("token"));
    assert_eq!(mail.subject, "Welcome to Acme <ID>, ada", "one line");
    assert!(mail.text.starts_with("Hello ada,"), "the other templates stay built in");
}

#[test]
fn a_missing_directory_is_refused() {
    let error = MailTemplates::load(config(Some("/nonexistent/templates".into()))).expect_err("refused");
    assert!(matches!(error, TemplateError::Directory { .. }), "{error}");
    assert!(error.to_string().contains("AUTHDB__MAIL__TEMPLATES_DIR"), "{error}");
}

#[test]
fn an_unknown_file_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("verify-email.txt"), "hello").expect("write");
    let error = MailTemplates::load(config(Some(dir.path().to_owned()))).expect_err("refused");
    assert!(error.to_string().contains("verify-email.txt"), "{error}");
}

#[test]
fn a_syntax_error_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("password_reset.html"), "<p>{{ link </p>").expect("write");
    let error = MailTemplates::load(config(Some(dir.path().to_owned()))).expect_err("refused");
    assert!(error.to_string().contains("password_reset.html"), "{error}");
}

#[test]
fn an_undefined_variable_is_refused_at_load() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("account_exists.txt"), "{{ token }}").expect("write");
    let error = MailTemplates::load(config(Some(dir.path().to_owned()))).expect_err("refused");
    let message = error.to_string();
    assert!(message.contains("account_exists.txt") && message.contains("undefined"), "{message}");
}

#[test]
fn validity_periods_read_as_words() {
    assert_eq!(describe(time::Duration::hours(24)), "24 hours");
    assert_eq!(describe(time::Duration::hours(1)), "1 hour");
    assert_eq!(describe(time::Duration::minutes(30)), "30 minutes");
    assert_eq!(describe(time::Duration::days(3)), "3 days");
}
