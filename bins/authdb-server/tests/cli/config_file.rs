//! `--config FILE`: settings from a TOML file, and a clear error when it is missing.

use std::time::Duration;

use crate::support::{Sandbox, free_port};

#[tokio::test]
async fn a_config_file_is_read_with_the_config_flag() {
    let sandbox = Sandbox::new();
    let port = free_port();
    let file = sandbox.root().join("custom.toml");
    std::fs::write(&file, format!("[server]\nbind = \"127.0.0.1:{port}\"\n")).expect("write the config file");
    let file = file.display().to_string();

    let server = sandbox.serve_on(&["--config", &file, "serve"], port).await;

    let live = server.client().get(server.url("/health/live")).send().await.expect("GET /health/live");
    assert_eq!(live.status().as_u16(), 200);
    server.stop(Duration::from_secs(40)).await;
}

#[tokio::test]
async fn a_missing_config_file_refuses_to_start_naming_it() {
    let sandbox = Sandbox::new();
    let missing = sandbox.root().join("does-not-exist.toml").display().to_string();

    let finished = sandbox.run(&["--config", &missing, "serve"], None).await;

    finished.assert_failure();
    assert!(finished.stderr.contains(&missing), "the message should name the file: {}", finished.stderr);
    assert_eq!(finished.stderr.trim_end().lines().count(), 1, "expected one line: {}", finished.stderr);
}

#[tokio::test]
async fn an_unknown_key_in_the_config_file_refuses_to_start() {
    let sandbox = Sandbox::new();
    let file = sandbox.root().join("typo.toml");
    std::fs::write(&file, "[server]\nbnid = \"127.0.0.1:1\"\n").expect("write the config file");
    let file = file.display().to_string();

    let finished = sandbox.run(&["--config", &file, "serve"], None).await;

    finished.assert_failure();
    assert!(finished.stderr.contains("bnid"), "the message should name the unknown key: {}", finished.stderr);
}
