//! Settings that stop the process at start: one line naming the setting, non-zero exit.

use std::time::Duration;

use crate::support::Sandbox;

#[tokio::test]
async fn a_short_jwt_secret_refuses_to_start() {
    let secret = "short-secret-value";
    let sandbox = Sandbox::new().with_env("AUTHDB__AUTH__JWT_SECRET", secret);

    let finished = sandbox.run(&["serve"], None).await;

    finished.assert_failure();
    assert!(finished.elapsed < Duration::from_secs(10), "took {:?} to refuse", finished.elapsed);
    let stderr = finished.stderr.trim_end();
    assert_eq!(stderr.lines().count(), 1, "expected one line on stderr, got:\n{stderr}");
    assert!(stderr.contains("AUTHDB__AUTH__JWT_SECRET"), "the message should name the setting: {stderr}");
    assert!(!stderr.contains(secret), "the message must not print the secret: {stderr}");
    assert!(!sandbox.data_dir().exists(), "a refused start must not create the data directory");
}

#[tokio::test]
async fn an_invalid_setting_refuses_to_start_naming_it() {
    let cases = [
        ("AUTHDB__AUTH__BCRYPT_COST", "abc", "AUTHDB__AUTH__BCRYPT_COST"),
        ("AUTHDB__LOG__FORMAT", "xml", "AUTHDB__LOG__FORMAT"),
        ("AUTHDB__AUTH__BCRYPT_COST", "99", "AUTHDB__AUTH__BCRYPT_COST"),
        ("AUTHDB__SERVER__BIND", "nope", "AUTHDB__SERVER__BIND"),
        ("AUTHDB__DATABASE__MAX_CONNECTIONS", "0", "AUTHDB__DATABASE__MAX_CONNECTIONS"),
        ("AUTHDB__DATABASE__URL", "mysql://localhost/authdb", "AUTHDB__DATABASE__URL"),
    ];
    for (setting, value, named) in cases {
        let sandbox = Sandbox::new().with_env(setting, value);

        let finished = sandbox.run(&["serve"], None).await;

        finished.assert_failure();
        let stderr = finished.stderr.trim_end();
        assert_eq!(stderr.lines().count(), 1, "{setting}={value}: expected one line, got:\n{stderr}");
        assert!(stderr.contains(named), "{setting}={value}: the message should name {named}: {stderr}");
    }
}

#[tokio::test]
async fn an_unreachable_database_refuses_to_start() {
    // Nothing listens on port 1, so every connection attempt is refused at once.
    let url = "postgres://authdb:hunter2-password@127.0.0.1:1/authdb";
    let sandbox =
        Sandbox::new().with_env("AUTHDB__DATABASE__URL", url).with_env("AUTHDB__DATABASE__CONNECT_TIMEOUT_SECS", "2");

    let finished = sandbox.run(&["serve"], None).await;

    finished.assert_failure();
    assert!(
        finished.elapsed < Duration::from_secs(4),
        "a 2 s connect timeout should stop the start within 4 s, took {:?}; stderr:\n{}",
        finished.elapsed,
        finished.stderr
    );
    let stderr = &finished.stderr;
    assert!(stderr.contains("AUTHDB__DATABASE__URL"), "the message should name the setting: {stderr}");
    assert!(!stderr.contains("hunter2"), "the database password leaked: {stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("authdb: "), "the last line should be the one-line error: {stderr}");
}

#[tokio::test]
async fn rs256_without_keys_refuses_to_start_naming_the_setting() {
    let sandbox = Sandbox::new().with_env("AUTHDB__AUTH__JWT_ALGORITHM", "RS256");

    let finished = sandbox.run(&["serve"], None).await;

    finished.assert_failure();
    assert_eq!(finished.status.code(), Some(2), "a settings error exits 2");
    let stderr = finished.stderr.trim_end();
    assert_eq!(stderr.lines().count(), 1, "expected one line, got:\n{stderr}");
    assert!(stderr.contains("AUTHDB__AUTH__SIGNING_KEYS"), "{stderr}");
}

#[tokio::test]
async fn an_unusable_signing_key_refuses_to_start_naming_the_setting_and_file() {
    let sandbox = Sandbox::new();
    let missing = sandbox.root().join("missing.pem");
    let not_a_key = sandbox.root().join("not-a-key.pem");
    std::fs::write(&not_a_key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").expect("write");
    for (algorithm, path) in [("EdDSA", &missing), ("EdDSA", &not_a_key), ("RS256", &not_a_key)] {
        let sandbox = Sandbox::new()
            .with_env("AUTHDB__AUTH__JWT_ALGORITHM", algorithm)
            .with_env("AUTHDB__AUTH__SIGNING_KEYS", &path.display().to_string());

        let finished = sandbox.run(&["serve"], None).await;

        finished.assert_failure();
        let last = finished.stderr.lines().last().unwrap_or_default();
        assert!(last.starts_with("authdb: "), "the last line is the error: {}", finished.stderr);
        assert!(last.contains("AUTHDB__AUTH__SIGNING_KEYS"), "{algorithm} {}: {last}", path.display());
        assert!(last.contains(&path.display().to_string()), "the file is named: {last}");
        assert!(!finished.stderr.contains("AAAA"), "no key material in the error: {}", finished.stderr);
    }
}

#[tokio::test]
async fn an_unusable_generated_secret_or_key_names_the_file_and_what_to_set() {
    for (algorithm, file, variable) in [
        ("HS256", "jwt_secret", "AUTHDB__AUTH__JWT_SECRET"),
        ("EdDSA", "jwt_ed25519.pem", "AUTHDB__AUTH__SIGNING_KEYS"),
    ] {
        let sandbox = Sandbox::new().with_env("AUTHDB__AUTH__JWT_ALGORITHM", algorithm);
        std::fs::create_dir_all(sandbox.data_dir()).expect("create the data directory");
        let path = sandbox.data_dir().join(file);
        std::fs::write(&path, "edited by hand\n").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }

        let finished = sandbox.run(&["serve"], None).await;

        finished.assert_failure();
        // The server may log before it fails (the EdDSA start generates the secret that
        // derives refresh-token successors); the error is the last line.
        let stderr = finished.stderr.lines().last().unwrap_or_default();
        assert!(stderr.starts_with("authdb: cannot use "), "{algorithm}: {}", finished.stderr);
        assert!(stderr.contains(&path.display().to_string()), "{algorithm}: the file is named: {stderr}");
        assert!(stderr.contains("AUTHDB__DATA_DIR"), "{algorithm}: {stderr}");
        assert!(stderr.contains(variable), "{algorithm}: the way out is named: {stderr}");
        assert!(
            !stderr.contains(&format!("invalid setting {variable}")),
            "{variable} was not set, so it is not the invalid setting: {stderr}"
        );
        assert!(!stderr.contains("edited by hand"), "no secret material in the error: {stderr}");
    }
}
