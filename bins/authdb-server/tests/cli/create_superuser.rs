//! `authdb create-superuser`: password from the environment, stdin or a terminal.

use crate::support::{PASSWORD, Sandbox, expect_json, str_field};

const PASSWORD_ENV: &str = "AUTHDB_SUPERUSER_PASSWORD";

fn args<'a>(email: &'a str, username: &'a str) -> [&'a str; 5] {
    ["create-superuser", "--email", email, "--username", username]
}

#[tokio::test]
async fn create_superuser_from_the_environment_can_log_in_as_a_superuser() {
    let sandbox = Sandbox::new().with_env(PASSWORD_ENV, PASSWORD);

    let finished = sandbox.run(&args("Root@Example.com", "root"), None).await;

    finished.assert_success();
    assert!(finished.stdout.contains("created superuser root"), "stdout: {}", finished.stdout);
    assert!(!finished.stdout.contains(PASSWORD) && !finished.stderr.contains(PASSWORD), "the password was printed");
    let server = sandbox.serve().await;
    let tokens = expect_json(server.login("root@example.com", PASSWORD).await, 200).await;
    let me = expect_json(server.get_authorized("/api/v1/auth/me", str_field(&tokens, "access_token")).await, 200).await;
    assert_eq!(me["is_superuser"], true, "{me}");
    assert_eq!(me["is_verified"], true, "{me}");
    assert_eq!(str_field(&me, "username"), "root");
}

#[tokio::test]
async fn create_superuser_twice_with_one_email_fails_clearly() {
    let sandbox = Sandbox::new().with_env(PASSWORD_ENV, PASSWORD);
    sandbox.run(&args("root@example.com", "root"), None).await.assert_success();

    let same_email = sandbox.run(&args("root@example.com", "another"), None).await;
    let same_both = sandbox.run(&args("root@example.com", "root"), None).await;

    same_email.assert_failure();
    assert!(same_email.stderr.contains("already exists"), "stderr: {}", same_email.stderr);
    assert!(same_email.stderr.contains("email"), "the message should say what clashed: {}", same_email.stderr);
    same_both.assert_failure();
    assert!(same_both.stderr.contains("already exists"), "stderr: {}", same_both.stderr);
    assert!(same_both.stderr.contains("email and username"), "both clashes are named: {}", same_both.stderr);
    assert!(!same_email.stdout.contains("created"), "stdout: {}", same_email.stdout);
}

#[tokio::test]
async fn create_superuser_reads_the_password_from_stdin() {
    let sandbox = Sandbox::new();
    let mut command = args("stdin@example.com", "stdin").to_vec();
    command.push("--password-stdin");

    let finished = sandbox.run(&command, Some(&format!("{PASSWORD}\n"))).await;

    finished.assert_success();
    assert!(finished.stdout.contains("created superuser stdin"), "stdout: {}", finished.stdout);
    let server = sandbox.serve().await;
    let tokens = expect_json(server.login("stdin", PASSWORD).await, 200).await;
    assert_eq!(tokens["user"]["is_superuser"], true, "{tokens}");
}

#[tokio::test]
async fn create_superuser_refuses_a_weak_password() {
    let sandbox = Sandbox::new().with_env(PASSWORD_ENV, "weak");

    let finished = sandbox.run(&args("weak@example.com", "weak"), None).await;

    finished.assert_failure();
    assert!(finished.stderr.contains("password"), "the message should be about the password: {}", finished.stderr);
    assert!(!finished.stdout.contains("created"), "stdout: {}", finished.stdout);
}

#[tokio::test]
async fn create_superuser_without_a_password_source_names_the_variable() {
    let sandbox = Sandbox::new();

    // Standard input is /dev/null: not a terminal, so there is nobody to prompt.
    let finished = sandbox.run(&args("nopass@example.com", "nopass"), None).await;

    finished.assert_failure();
    assert!(finished.stderr.contains(PASSWORD_ENV), "the message should name {PASSWORD_ENV}: {}", finished.stderr);
    assert!(
        finished.stderr.contains("--password-stdin"),
        "the message should offer --password-stdin: {}",
        finished.stderr
    );
}

#[tokio::test]
async fn create_superuser_refuses_an_invalid_email() {
    let sandbox = Sandbox::new().with_env(PASSWORD_ENV, PASSWORD);

    let finished = sandbox.run(&args("not-an-email", "root"), None).await;

    finished.assert_failure();
    assert!(finished.stderr.contains("email"), "the message should name the email: {}", finished.stderr);
}
