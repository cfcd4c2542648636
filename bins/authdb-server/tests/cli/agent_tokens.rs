//! A network's agent token reaches its agent and nothing else: with every log level on
//! (`RUST_LOG=trace`, so reqwest's and hyper's own logging too), the server's output never
//! holds it, while the agent (a raw TCP listener of the test) receives it as a bearer token.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

use crate::support::{Sandbox, expect_json, str_field};

const TOKEN: &str = "agent-token-that-must-never-be-logged";

/// Accepts connections and answers each request with a refusal; sends what it read.
async fn refusing_agent(listener: TcpListener, seen: tokio::sync::mpsc::UnboundedSender<String>) {
    while let Ok((mut stream, _)) = listener.accept().await {
        let seen = seen.clone();
        tokio::spawn(async move {
            let mut request = vec![0_u8; 16 * 1024];
            let read = stream.read(&mut request).await.unwrap_or(0);
            let _ = seen.send(String::from_utf8_lossy(&request[..read]).into_owned());
            let body = r#"{"success":false,"error":{"code":"E","message":"refused by the test"}}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        });
    }
}

#[tokio::test]
async fn the_agent_token_is_sent_to_the_agent_and_never_logged() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the agent");
    let agent_url = format!("http://{}", listener.local_addr().expect("address"));
    let (sender, mut seen) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(refusing_agent(listener, sender));

    // The sandbox holds the data directory and the server's output: it lives to the end.
    let sandbox = Sandbox::new().with_env("RUST_LOG", "trace").with_env("AUTHDB__RATE_LIMIT__ENABLED", "false");
    let server = sandbox.serve().await;
    let registered = server.register("netops").await;
    let access = str_field(&registered, "access_token").to_owned();
    let post = |path: &str, body: Value| server.client().post(server.url(path)).bearer_auth(&access).json(&body).send();
    let organization =
        expect_json(post("/api/v1/organizations", json!({"name": "Acme", "slug": "acme"})).await.expect("POST"), 201)
            .await;
    let id = str_field(&organization, "id").to_owned();
    let network = expect_json(
        post(
            &format!("/api/v1/organizations/{id}/networks"),
            json!({"name": "edge", "agent_url": agent_url, "agent_token": TOKEN}),
        )
        .await
        .expect("POST"),
        201,
    )
    .await;
    let rules = format!("/api/v1/organizations/{id}/networks/{}/access-rules", str_field(&network, "id"));
    let refused = post(&rules, json!({"list": "deny", "target": "203.0.113.7"})).await.expect("POST");
    assert_eq!(refused.status(), 502);

    let request = tokio::time::timeout(Duration::from_secs(5), seen.recv())
        .await
        .expect("the agent was asked")
        .expect("a request");
    assert!(request.starts_with("POST /blacklist "), "{request}");
    assert!(
        request.to_ascii_lowercase().contains(&format!("authorization: bearer {TOKEN}").to_ascii_lowercase()),
        "{request}"
    );
    // Let the logs of the request reach standard error.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let logs = server.stderr();
    assert!(logs.contains("agent"), "trace logging is on: {logs}");
    assert!(!logs.contains(TOKEN), "the agent token was logged:\n{logs}");
}
