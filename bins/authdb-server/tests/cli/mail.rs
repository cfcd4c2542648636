//! What the server says at start about the mail transport it built.

use std::time::Duration;

use crate::support::Sandbox;

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
