//! What the server says at start about the mail transport it built, and what it mails:
//! no token or link in its log, and one outbox drained by two instances.

use std::time::Duration;

use authdb_testkit::PostgresDatabase;
use serde_json::json;

use crate::support::{Sandbox, expect_json, str_field};

const STOP_LIMIT: Duration = Duration::from_secs(40);

#[tokio::test]
async fn the_none_transport_is_announced_at_start_as_a_warning() {
    let sandbox = Sandbox::new().with_env("AUTHDB__MAIL__TRANSPORT", "none");

    let server = sandbox.serve().await;

    let stderr = server.stderr();
    let line = stderr.lines().find(|line| line.contains("AUTHDB__MAIL__TRANSPORT=none")).unwrap_or_default();
    assert!(line.contains("WARN"), "no warning about the none transport in:\n{stderr}");
    assert!(line.contains("no mail is sent"), "{line}");
    assert!(!sandbox.data_dir().join("outbox").exists(), "the none transport writes no mail directory");
    server.stop(STOP_LIMIT).await;
}

#[tokio::test]
async fn the_file_transport_is_the_default_and_names_its_directory_at_start() {
    let sandbox = Sandbox::new();

    let server = sandbox.serve().await;

    let stderr = server.stderr();
    let outbox = sandbox.data_dir().join("outbox");
    assert!(outbox.is_dir(), "no mail directory in the data directory");
    let line = stderr.lines().find(|line| line.contains("transport=\"file\"")).unwrap_or_default();
    assert!(line.contains(&outbox.display().to_string()), "the start should name the mail directory:\n{stderr}");
    server.stop(STOP_LIMIT).await;
}

#[tokio::test]
async fn an_smtp_url_holding_credentials_refuses_to_start_without_printing_them() {
    let sandbox = Sandbox::new()
        .with_env("AUTHDB__MAIL__TRANSPORT", "smtp")
        .with_env("AUTHDB__MAIL__SMTP_URL", "smtp://authdb:hunter2@mail.example.com");

    let finished = sandbox.run(&["serve"], None).await;

    finished.assert_failure();
    let stderr = finished.stderr.trim_end();
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("authdb: ") && last.contains("AUTHDB__MAIL__SMTP_URL"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "the SMTP password leaked: {stderr}");
}

/// The `.eml` files the `file` transport wrote into a sandbox, as raw text.
fn written_mail(sandbox: &Sandbox) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(sandbox.data_dir().join("outbox")) else { return Vec::new() };
    entries
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "eml"))
        .map(|path| std::fs::read_to_string(path).expect("a readable message"))
        .collect()
}

/// Waits up to fifteen seconds for `count` messages over all `sandboxes`.
async fn wait_for_mail(sandboxes: &[&Sandbox], count: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let messages: Vec<String> = sandboxes.iter().flat_map(|sandbox| written_mail(sandbox)).collect();
        if messages.len() >= count || std::time::Instant::now() > deadline {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The token of the first `<path>?token=` link in a raw message (quoted-printable or not:
/// a token is base64url, which quoted-printable leaves alone but for soft line breaks).
fn token_in(message: &str, path: &str) -> String {
    let text = message.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    let marker = format!("{path}?token=");
    let start = text.find(&marker).unwrap_or_else(|| panic!("no {marker} link in:\n{message}")) + marker.len();
    text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

fn recipient(message: &str) -> &str {
    message.lines().find_map(|line| line.strip_prefix("To: ")).unwrap_or_default().trim()
}

#[tokio::test]
async fn no_token_or_link_of_a_mailed_message_reaches_the_log() {
    let sandbox =
        Sandbox::new().with_env("AUTHDB__SERVER__PUBLIC_URL", "https://id.example.com").with_env("RUST_LOG", "debug");
    let server = sandbox.serve().await;

    server.register("ada").await;
    let verification = token_in(&wait_for_mail(&[&sandbox], 1).await[0], "/verify-email");
    let verified = server.post("/api/v1/auth/verify-email", &json!({ "token": verification })).await;
    assert_eq!(verified.status(), 204);
    let requested = server.post("/api/v1/auth/password-reset", &json!({ "email": "ada@example.com" })).await;
    assert_eq!(requested.status(), 202);
    let messages = wait_for_mail(&[&sandbox], 2).await;
    let reset_mail = messages.iter().find(|message| message.contains("/reset-password?token")).expect("reset mail");
    let reset = token_in(reset_mail, "/reset-password");
    let body = json!({ "token": reset, "new_password": "Brand-new-9" });
    assert_eq!(server.post("/api/v1/auth/password-reset/confirm", &body).await.status(), 204);
    // An invitation: mailed to bob, accepted by bob. The reset ended ada's sessions.
    let ada = expect_json(server.login("ada", "Brand-new-9").await, 200).await;
    let ada_token = str_field(&ada, "access_token");
    let org = server
        .client()
        .post(server.url("/api/v1/organizations"))
        .bearer_auth(ada_token)
        .json(&json!({ "name": "Acme", "slug": "acme" }))
        .send()
        .await
        .expect("sent");
    let org: serde_json::Value = org.json().await.expect("an organization");
    let invited = server
        .client()
        .post(server.url(&format!("/api/v1/organizations/{}/members", org["id"].as_str().expect("an id"))))
        .bearer_auth(ada_token)
        .json(&json!({ "email": "bob@example.com", "role": "member" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(invited.status(), 202);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let invitation_mail = loop {
        if let Some(found) =
            written_mail(&sandbox).into_iter().find(|message| message.contains("/accept-invitation?token"))
        {
            break found;
        }
        assert!(std::time::Instant::now() < deadline, "no invitation mailed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let invitation = token_in(&invitation_mail, "/accept-invitation");
    let bob = server.register("bob").await;
    let accepted = server
        .client()
        .post(server.url("/api/v1/invitations/accept"))
        .bearer_auth(bob["access_token"].as_str().expect("an access token"))
        .json(&json!({ "token": invitation }))
        .send()
        .await
        .expect("sent");
    assert_eq!(accepted.status(), 200);

    let stderr = server.stderr();
    server.stop(STOP_LIMIT).await;
    assert!(stderr.contains("mail sent"), "the log at debug level was captured:\n{stderr}");
    for secret in [&verification, &reset, &invitation] {
        assert_eq!(secret.len(), 43);
        assert!(!stderr.contains(secret.as_str()), "a mailed token reached the log:\n{stderr}");
    }
    assert!(!stderr.contains("?token="), "a mailed link reached the log:\n{stderr}");
}

#[tokio::test]
async fn two_instances_draining_one_outbox_send_every_message_exactly_once() {
    let database = PostgresDatabase::create().await;
    let instance = || {
        Sandbox::new()
            .with_env("AUTHDB__DATABASE__URL", database.url())
            .with_env("AUTHDB__AUTH__JWT_SECRET", "a-fixed-test-secret-shared-by-both-instances")
    };
    let (sandbox_a, sandbox_b) = (instance(), instance());
    let (a, b) = (sandbox_a.serve().await, sandbox_b.serve().await);

    let names: Vec<String> = (0..30).map(|n| format!("user{n:02}")).collect();
    let registrations = names.iter().enumerate().map(|(n, name)| {
        let server = if n % 2 == 0 { &a } else { &b };
        server.register(name)
    });
    futures_util::future::join_all(registrations).await;

    let messages = wait_for_mail(&[&sandbox_a, &sandbox_b], names.len()).await;
    // Both keep polling: a message sent twice would show up within a few polls.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let messages_later = wait_for_mail(&[&sandbox_a, &sandbox_b], names.len() + 1).await;
    assert_eq!(messages.len(), names.len());
    let mut recipients: Vec<&str> = messages_later.iter().map(|message| recipient(message)).collect();
    recipients.sort_unstable();
    let expected: Vec<String> = names.iter().map(|name| format!("{name}@example.com")).collect();
    assert_eq!(recipients, expected, "every message exactly once");
    a.stop(STOP_LIMIT).await;
    b.stop(STOP_LIMIT).await;
}

#[tokio::test]
async fn a_missing_or_broken_template_override_refuses_to_start_naming_it() {
    let sandbox = Sandbox::new().with_env("AUTHDB__MAIL__TEMPLATES_DIR", "/nonexistent/authdb-templates");
    let finished = sandbox.run(&["serve"], None).await;
    finished.assert_failure();
    let last = finished.stderr.trim_end().lines().last().unwrap_or_default().to_owned();
    assert!(last.contains("AUTHDB__MAIL__TEMPLATES_DIR") && last.contains("/nonexistent/authdb-templates"), "{last}");

    let templates = sandbox.root().join("templates");
    std::fs::create_dir_all(&templates).expect("a templates directory");
    std::fs::write(templates.join("verify_email.txt"), "{{ link ").expect("a template");
    let broken = Sandbox::new().with_env("AUTHDB__MAIL__TEMPLATES_DIR", &templates.display().to_string());
    let finished = broken.run(&["serve"], None).await;
    finished.assert_failure();
    let last = finished.stderr.trim_end().lines().last().unwrap_or_default().to_owned();
    assert!(last.contains("verify_email.txt"), "{last}");
}

#[tokio::test]
async fn without_a_public_url_the_start_warns_that_links_point_at_this_machine() {
    let sandbox = Sandbox::new();
    let server = sandbox.serve().await;
    let stderr = server.stderr();
    let line = stderr.lines().find(|line| line.contains("links in mail")).unwrap_or_default();
    assert!(line.contains("WARN") && line.contains("AUTHDB__SERVER__PUBLIC_URL"), "{stderr}");
    server.stop(STOP_LIMIT).await;
}
