//! The revocation follower against a scripted authdb (a tiny local HTTP server): the error
//! paths a real authdb does not produce on demand. A refused client secret, an event it
//! cannot read and a silent stream each end the connection, are reported by `health()`,
//! and are followed by a reconnection that resumes with `Last-Event-ID`.

#![allow(clippy::unwrap_used, reason = "tests: a failed unwrap is a failed test")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authdb_verify::{Algorithm, RevocationConfig, Verifier, VerifierConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The requests the server saw, as (request line, Last-Event-ID header).
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.unwrap() == 0 {
            break;
        }
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Token requests: the first refused (401), the next answered. Stream requests: the
/// first sends a revocation then an event that is not JSON; the others send nothing.
async fn serve() -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        let (mut tokens, mut streams) = (0, 0);
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let head = read_head(&mut stream).await;
            let line = head.lines().next().unwrap_or_default().to_owned();
            let last_id =
                head.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("last-event-id: ").map(str::to_owned));
            log.lock().unwrap().push((line.clone(), last_id));
            if line.starts_with("POST /api/v1/auth/token") {
                // The form body is small; it has arrived with the head or is ignored.
                tokens += 1;
                let (status, body) = if tokens == 1 {
                    ("401 Unauthorized", r#"{"error":"invalid_client"}"#.to_owned())
                } else {
                    ("200 OK", r#"{"access_token":"t","token_type":"Bearer","expires_in":3600}"#.to_owned())
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            } else {
                streams += 1;
                let first = streams == 1;
                tokio::spawn(async move {
                    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
                    let _ = stream.write_all(head.as_bytes()).await;
                    if first {
                        let _ = stream
                            .write_all(b"id: 41\nevent: revocation\ndata: {\"session_id\":\"s1\"}\n\n: heartbeat\n\n")
                            .await;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        let _ = stream.write_all(b"id: 42\nevent: revocation\ndata: not json\n\n").await;
                    }
                    tokio::time::sleep(Duration::from_secs(30)).await;
                });
            }
        }
    });
    (base, seen)
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(10), "{what} did not happen");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn refused_secrets_unreadable_events_and_silent_streams_are_reported_and_retried() {
    let (base, seen) = serve().await;
    let mut follow = RevocationConfig::new(&base, "id", "wrong-then-right");
    follow.min_backoff = Duration::from_millis(50);
    follow.max_backoff = Duration::from_millis(100);
    follow.idle_timeout = Duration::from_millis(500);
    let config = VerifierConfig::new("authdb", "authdb", format!("{base}/.well-known/jwks.json"), Algorithm::EdDSA);
    let verifier = Verifier::with_revocations(config, follow).unwrap();

    // The first token request is refused: reported, then retried.
    until("the refusal", || {
        verifier.health().unwrap().last_error.is_some_and(|e| e.contains("token endpoint answered 401"))
    })
    .await;
    assert!(!verifier.health().unwrap().connected);

    // The first stream delivers one revocation, then an event that is not understood.
    until("the unreadable event", || {
        verifier.health().unwrap().last_error.is_some_and(|e| e.contains("not understood"))
    })
    .await;
    let health = verifier.health().unwrap();
    assert_eq!(health.revoked_sessions, 1);
    assert_eq!(health.last_event_id.as_deref(), Some("41"), "the unreadable event is not taken as read");
    assert!(health.last_event_at.is_some() && health.behind_since.is_some());

    // The next stream stays silent past the idle timeout: taken for dead, reopened.
    until("the silence", || verifier.health().unwrap().last_error.is_some_and(|e| e.contains("silent"))).await;
    until("a third stream", || seen.lock().unwrap().iter().filter(|(l, _)| l.starts_with("GET")).count() >= 3).await;
    let seen = seen.lock().unwrap().clone();
    let streams: Vec<_> = seen.iter().filter(|(line, _)| line.starts_with("GET /api/v1/revocations/stream")).collect();
    assert_eq!(streams[0].1, None, "the first connection starts from the recent set");
    assert!(streams[1..].iter().all(|(_, id)| id.as_deref() == Some("41")), "later ones resume: {streams:?}");
    let tokens = seen.iter().filter(|(line, _)| line.starts_with("POST /api/v1/auth/token")).count();
    assert_eq!(tokens, 2, "the token is kept across reconnections: {seen:?}");
}
