//! Serving with no configuration, and what survives a restart.

use std::time::Duration;

use serde_json::json;

use authdb_testkit::PostgresDatabase;

use crate::support::{Sandbox, expect_json, str_field};

const STOP_LIMIT: Duration = Duration::from_secs(40);

#[tokio::test]
async fn serve_with_no_configuration_creates_data_dir_and_private_secret() {
    let sandbox = Sandbox::new();
    assert!(!sandbox.data_dir().exists(), "the data directory must not exist before the first start");

    let server = sandbox.serve().await;
    let registered = server.register("first").await;

    assert!(registered["access_token"].is_string(), "no access token in {registered}");
    assert!(sandbox.data_dir().join("authdb.db").is_file(), "no SQLite database in the data directory");
    let secret = sandbox.data_dir().join("jwt_secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&secret).expect("the generated secret exists").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the generated secret must be private, got {:o}", mode & 0o777);
    }
    #[cfg(not(unix))]
    assert!(secret.is_file(), "no generated secret in the data directory");
    let stderr = server.stderr();
    assert!(stderr.contains("generated a new JWT secret"), "no warning about the generated secret in:\n{stderr}");
    assert!(stderr.contains("AUTHDB__AUTH__JWT_SECRET"), "the warning should name the setting:\n{stderr}");
    server.stop(STOP_LIMIT).await;
}

#[tokio::test]
async fn tokens_and_data_survive_a_restart_on_sqlite() {
    let sandbox = Sandbox::new();
    tokens_and_data_survive_a_restart(&sandbox).await;
}

#[tokio::test]
async fn tokens_and_data_survive_a_restart_on_postgres() {
    let database = PostgresDatabase::create().await;
    let sandbox = Sandbox::new()
        .with_env("AUTHDB__DATABASE__URL", database.url())
        .with_env("AUTHDB__AUTH__JWT_SECRET", "a-fixed-test-secret-that-is-long-enough-for-hs256");
    tokens_and_data_survive_a_restart(&sandbox).await;
    assert!(!sandbox.data_dir().join("authdb.db").exists(), "PostgreSQL was configured, yet a SQLite file appeared");
}

async fn tokens_and_data_survive_a_restart(sandbox: &Sandbox) {
    let first = sandbox.serve().await;
    let registered = first.register("survivor").await;
    let access_token = str_field(&registered, "access_token").to_owned();
    let refresh_token = str_field(&registered, "refresh_token").to_owned();
    let user_id = str_field(&registered["user"], "id").to_owned();
    first.stop(STOP_LIMIT).await;

    let second = sandbox.serve().await;
    let me = expect_json(second.get_authorized("/api/v1/auth/me", &access_token).await, 200).await;
    let refreshed =
        expect_json(second.post("/api/v1/auth/refresh", &json!({ "refresh_token": refresh_token })).await, 200).await;

    assert_eq!(str_field(&me, "id"), user_id);
    assert_eq!(str_field(&me, "email"), "survivor@example.com");
    assert_ne!(str_field(&refreshed, "refresh_token"), refresh_token, "the refresh token must rotate");
    second.stop(STOP_LIMIT).await;
}

#[tokio::test]
async fn a_digits_only_jwt_secret_is_used_verbatim() {
    // Two secrets that differ only in the last digit: read as numbers, both would round
    // to the same float and sign with the same key.
    let first_secret = "1".repeat(40);
    let second_secret = format!("{}2", "1".repeat(39));
    let mut sandbox = Sandbox::new().with_env("AUTHDB__AUTH__JWT_SECRET", &first_secret);
    let first = sandbox.serve().await;
    let registered = first.register("digits").await;
    let access_token = str_field(&registered, "access_token").to_owned();
    expect_json(first.get_authorized("/api/v1/auth/me", &access_token).await, 200).await;
    first.stop(STOP_LIMIT).await;

    sandbox.set_env("AUTHDB__AUTH__JWT_SECRET", &second_secret);
    let second = sandbox.serve().await;
    let me = second.get_authorized("/api/v1/auth/me", &access_token).await;

    assert_eq!(me.status().as_u16(), 401, "a token signed with another secret must be refused");
    second.stop(STOP_LIMIT).await;
}
