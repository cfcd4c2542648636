//! What the one-shot commands print: their own results on standard output, nothing on
//! standard error unless `RUST_LOG` asks for logs, and a failure as exactly one line.

use crate::support::{PASSWORD, Sandbox};

const PASSWORD_ENV: &str = "AUTHDB_SUPERUSER_PASSWORD";

/// Asserts that standard error is exactly one line, `authdb: ...`, and returns it.
fn one_error_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected exactly one line on stderr, got:\n{stderr}");
    assert!(lines[0].starts_with("authdb: "), "the line is the error: {stderr}");
    lines[0]
}

#[tokio::test]
async fn one_shot_commands_print_their_results_and_no_logs() {
    let sandbox = Sandbox::new().with_env(PASSWORD_ENV, PASSWORD);

    let up = sandbox.run(&["migrate", "up"], None).await;
    let again = sandbox.run(&["migrate", "up"], None).await;
    let status = sandbox.run(&["migrate", "status"], None).await;
    let down = sandbox.run(&["migrate", "down", "--steps", "1"], None).await;
    let superuser = sandbox.run(&["create-superuser", "--email", "root@example.com", "--username", "root"], None).await;

    for (command, finished) in
        [("migrate up", &up), ("migrate up", &again), ("status", &status), ("down", &down), ("superuser", &superuser)]
    {
        finished.assert_success();
        assert_eq!(finished.stderr, "", "{command} logged on stderr");
    }
    assert!(up.stdout.starts_with("applied ") && up.stdout.ends_with(" migrations\n"), "{}", up.stdout);
    assert_ne!(up.stdout, "applied 0 migrations\n");
    assert_eq!(again.stdout, "applied 0 migrations\n");
    assert_eq!(down.stdout, "reverted 1 migration\n");
    assert!(superuser.stdout.starts_with("created superuser root ("), "{}", superuser.stdout);
}

#[tokio::test]
async fn rust_log_turns_the_logs_of_a_command_back_on() {
    let sandbox = Sandbox::new().with_env("RUST_LOG", "info");

    let up = sandbox.run(&["migrate", "up"], None).await;

    up.assert_success();
    assert!(up.stderr.contains("INFO"), "RUST_LOG=info shows the migrator's log lines: {}", up.stderr);
}

#[tokio::test]
async fn a_failing_command_prints_its_error_once() {
    let sandbox = Sandbox::new().with_env(PASSWORD_ENV, PASSWORD);
    let args = ["create-superuser", "--email", "root@example.com", "--username", "root"];
    sandbox.run(&args, None).await.assert_success();

    let duplicate = sandbox.run(&args, None).await;
    let unreachable = Sandbox::new()
        .with_env("AUTHDB__DATABASE__URL", "postgres://authdb:authdb@127.0.0.1:1/authdb")
        .with_env("AUTHDB__DATABASE__CONNECT_TIMEOUT_SECS", "2")
        .run(&["migrate", "up"], None)
        .await;
    let weak = Sandbox::new().with_env(PASSWORD_ENV, "weak").run(&args, None).await;

    duplicate.assert_failure();
    assert!(one_error_line(&duplicate.stderr).contains("already exists"), "{}", duplicate.stderr);
    unreachable.assert_failure();
    assert!(one_error_line(&unreachable.stderr).contains("AUTHDB__DATABASE__URL"), "{}", unreachable.stderr);
    weak.assert_failure();
    assert!(one_error_line(&weak.stderr).contains("password"), "{}", weak.stderr);
}

#[tokio::test]
async fn a_server_that_cannot_start_prints_its_error_once() {
    let sandbox = Sandbox::new()
        .with_env("AUTHDB__DATABASE__URL", "postgres://authdb:authdb@127.0.0.1:1/authdb")
        .with_env("AUTHDB__DATABASE__CONNECT_TIMEOUT_SECS", "2");

    let finished = sandbox.run(&["serve"], None).await;

    finished.assert_failure();
    let error = finished.stderr.lines().last().unwrap_or_default();
    assert!(error.starts_with("authdb: "), "{}", finished.stderr);
    let message = error.trim_start_matches("authdb: ");
    assert_eq!(finished.stderr.matches(message).count(), 1, "printed more than once:\n{}", finished.stderr);
}
