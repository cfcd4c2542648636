//! Request bodies against the real binary, whose memory the test can read (in-process
//! servers share the test's memory): a compressed body is refused before it is read, so
//! its inflated size never reaches memory.

#![cfg(target_os = "linux")]

use std::io::Write as _;

use authdb_testkit::PostgresDatabase;
use flate2::{Compression, write::GzEncoder};

use crate::support::Sandbox;

/// What one bomb inflates to; its gzip form is about a thousandth of it.
const INFLATED_BYTES: usize = 44 * 1024 * 1024;
const PARALLEL: usize = 16;
/// How much the server's peak resident memory may grow while it answers all of them.
const ALLOWED_GROWTH_KIB: u64 = 32 * 1024;

#[tokio::test]
async fn gzip_bombs_are_refused_without_being_inflated_on_sqlite() {
    gzip_bombs_are_refused_without_being_inflated(Sandbox::new()).await;
}

#[tokio::test]
async fn gzip_bombs_are_refused_without_being_inflated_on_postgres() {
    let database = PostgresDatabase::create().await;
    let sandbox = Sandbox::new()
        .with_env("AUTHDB__DATABASE__URL", database.url())
        .with_env("AUTHDB__AUTH__JWT_SECRET", "a-fixed-test-secret-that-is-long-enough-for-hs256");
    gzip_bombs_are_refused_without_being_inflated(sandbox).await;
}

async fn gzip_bombs_are_refused_without_being_inflated(sandbox: Sandbox) {
    let sandbox = sandbox.with_env("AUTHDB__RATE_LIMIT__ENABLED", "false");
    let bomb = gzip_bomb();
    assert!(bomb.len() < authdb_api::MAX_BODY_BYTES, "the bomb itself is within the body limit: {} bytes", bomb.len());
    let server = sandbox.serve().await;
    // One ordinary request first, so that what any request allocates is already there.
    server.register("warm").await;
    let before = memory_kib(server.pid(), "VmRSS");

    let requests = (0..PARALLEL).map(|_| {
        server
            .client()
            .post(server.url("/api/v1/auth/register"))
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(bomb.clone())
            .send()
    });
    let answers = futures_util::future::join_all(requests).await;
    let peak = memory_kib(server.pid(), "VmHWM");

    for answer in answers {
        let status = answer.expect("an answer, not a dropped connection").status().as_u16();
        assert!(status == 413 || status == 415, "a gzip bomb got {status}");
    }
    assert!(
        peak <= before + ALLOWED_GROWTH_KIB,
        "the server's peak resident memory reached {peak} KiB, from {before} KiB before {PARALLEL} gzip bombs"
    );
}

/// `INFLATED_BYTES` of spaces, gzipped in one member.
fn gzip_bomb() -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    let chunk = vec![b' '; 1024 * 1024];
    for _ in 0..INFLATED_BYTES / chunk.len() {
        encoder.write_all(&chunk).expect("compress into memory");
    }
    encoder.finish().expect("finish the gzip stream")
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS`: resident now; `VmHWM`: the peak).
pub(crate) fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read the server's /proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':')?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status:\n{status}"))
}
