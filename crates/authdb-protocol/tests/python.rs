//! A non-Rust client speaks the protocol: tests/python/authdb_msgpack.py (the `msgpack`
//! package and the standard library's `hmac`) verifies frames this crate signed and
//! signs frames this crate verifies, and both refuse the same forgeries.
//!
//! Python comes from the test virtualenv `target/tools/venv` that scripts/test.sh
//! installs msgpack into; `AUTHDB_TEST_PYTHON` names another interpreter.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test")]

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use authdb_protocol::{Frame, ID_LEN, KEY_LEN, Key, MAX_SKEW_MS, Ready, SystemClock, Verifier, decode, payload};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const MSGPACK: &str = "msgpack==1.1.2";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    std::env::var_os("AUTHDB_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/tools/venv/bin/python"))
}

/// The fields of the events in this test (every one optional, bytes as `bin`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Fields {
    chat_id: String,
    #[serde(default, with = "payload::option_bin", skip_serializing_if = "Option::is_none")]
    ciphertext: Option<Vec<u8>>,
    #[serde(default, with = "payload::option_bin", skip_serializing_if = "Option::is_none")]
    nonce: Option<Vec<u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
}

impl Fields {
    /// As the Python side reports them: bytes as `{"hex": ...}`.
    fn to_json(&self) -> Value {
        let mut map = serde_json::Map::new();
        map.insert("chat_id".into(), json!(self.chat_id));
        for (name, bytes) in [("ciphertext", &self.ciphertext), ("nonce", &self.nonce)] {
            if let Some(bytes) = bytes {
                map.insert(name.into(), json!({ "hex": hex(bytes) }));
            }
        }
        for (name, text) in [("content_type", &self.content_type), ("client_id", &self.client_id)] {
            if let Some(text) = text {
                map.insert(name.into(), json!(text));
            }
        }
        Value::Object(map)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now_ms() -> u64 {
    use authdb_protocol::Clock as _;
    SystemClock.now_ms()
}

#[test]
fn a_python_client_verifies_our_frames_and_we_verify_its_frames() {
    let python = python();
    assert!(
        python.exists(),
        "{} does not exist: run scripts/test.sh, or `python3 -m venv target/tools/venv && \
         target/tools/venv/bin/pip install {MSGPACK}`; AUTHDB_TEST_PYTHON names another interpreter",
        python.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    std::fs::create_dir_all(&input).unwrap();

    let seed = now_ms();
    let key = Key::from_bytes(std::array::from_fn(|i| (seed >> (i % 8)) as u8 ^ (i as u8).wrapping_mul(37)));
    let chat_id = "0192d0c4-7f3a-7c2e-9a41-5b6c7d8e9f10";
    let ready = Ready { user_id: "u-1".into(), session_id: "s-1".into(), key: key.clone() };
    std::fs::write(input.join("ready.bin"), ready.to_bytes([0; ID_LEN], seed).unwrap()).unwrap();

    let events = [
        ("typing", Fields { chat_id: chat_id.into(), ..Fields::default() }),
        (
            "message.created",
            Fields {
                chat_id: chat_id.into(),
                ciphertext: Some((0..=255).cycle().take(70_000).collect()),
                nonce: Some(vec![0xee; 24]),
                content_type: Some("application/octet-stream".into()),
                client_id: Some("r-1".into()),
            },
        ),
        ("message.deleted", Fields { chat_id: chat_id.into(), ciphertext: Some(vec![]), ..Fields::default() }),
    ];
    let mut expected = Vec::new();
    for (i, (kind, fields)) in events.iter().enumerate() {
        let id: [u8; ID_LEN] = std::array::from_fn(|j| (i * 16 + j) as u8);
        let ts = now_ms();
        let frame = Frame::new(*kind, id, ts, payload::to_vec(fields).unwrap()).unwrap();
        std::fs::write(input.join(format!("frame-{i}.bin")), frame.to_signed_bytes(&key)).unwrap();
        expected.push(json!({"type": kind, "id": hex(&id), "ts": ts, "payload": fields.to_json()}));
    }
    // Frames the Python side must refuse.
    let typing = payload::to_vec(&events[0].1).unwrap();
    let fresh = |n: u8, ts: u64| Frame::new("typing", [0xf0 | n; ID_LEN], ts, typing.clone()).unwrap();
    let mut tampered = fresh(1, now_ms()).to_signed_bytes(&key);
    let at = tampered.len() - 40;
    tampered[at] ^= 1;
    let refused: [(&str, Vec<u8>); 5] = [
        ("tampered.bin", tampered),
        ("wrong-key.bin", fresh(2, now_ms()).to_signed_bytes(&Key::from_bytes([9; KEY_LEN]))),
        ("stale.bin", fresh(3, now_ms() - MAX_SKEW_MS - 5_000).to_signed_bytes(&key)),
        ("unsigned.bin", fresh(4, now_ms()).to_unsigned_bytes()),
        ("truncated.bin", fresh(5, now_ms()).to_signed_bytes(&key)[..40].to_vec()),
    ];
    for (name, bytes) in &refused {
        std::fs::write(input.join(name), bytes).unwrap();
    }
    // docs/protocol.md's worked example (its bytes are checked by the unit tests).
    let example_key = Key::from_bytes(std::array::from_fn(|i| i as u8));
    let example_id: [u8; ID_LEN] = std::array::from_fn(|i| (i as u8) * 0x11);
    let example_payload = json!({"chat_id": "c"});
    let example = Frame::new("typing", example_id, 1_764_518_400_000, payload::to_vec(&example_payload).unwrap())
        .unwrap()
        .to_signed_bytes(&example_key);
    let manifest = json!({
        "user_id": "u-1",
        "session_id": "s-1",
        "chat_id": chat_id,
        "frames": expected,
        "refused": refused.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
        "example": {
            "key": hex(example_key.as_bytes()),
            "id": hex(&example_id),
            "ts": 1_764_518_400_000_u64,
            "type": "typing",
            "payload": example_payload,
            "frame": hex(&example),
        },
    });
    std::fs::write(input.join("expected.json"), manifest.to_string()).unwrap();

    let script = workspace_root().join("tests/python/authdb_msgpack.py");
    let status = Command::new(&python)
        .arg(&script)
        .arg("check")
        .arg(&input)
        .arg(&output)
        .status()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", python.display()));
    assert!(status.success(), "the Python client disagreed (see its stderr above)");

    // Now the other way: the Python client's frames, under the key of our `ready`.
    let sent: Value = serde_json::from_slice(&std::fs::read(output.join("expected.json")).unwrap()).unwrap();
    let sent = sent["frames"].as_array().unwrap();
    assert_eq!(sent.len(), 3);
    let mut verifier = Verifier::new(key.clone(), SystemClock);
    for (i, want) in sent.iter().enumerate() {
        let bytes = std::fs::read(output.join(format!("frame-{i}.bin"))).unwrap();
        let frame = verifier.accept(&bytes).unwrap_or_else(|error| panic!("python frame {i} refused: {error}"));
        let fields: Fields = payload::from_slice(frame.payload()).unwrap();
        let got = json!({"type": frame.kind(), "id": hex(frame.id()), "ts": frame.ts(), "payload": fields.to_json()});
        assert_eq!(&got, want, "python frame {i}");
    }
    let ciphertext: Fields =
        payload::from_slice(decode(&std::fs::read(output.join("frame-1.bin")).unwrap()).unwrap().frame().payload())
            .unwrap();
    assert_eq!(ciphertext.ciphertext.unwrap(), (0..=255).cycle().take(768).collect::<Vec<u8>>());
    for (name, error) in [
        ("replayed.bin", authdb_protocol::ProtocolError::Replayed),
        ("forged.bin", authdb_protocol::ProtocolError::BadSignature),
    ] {
        assert_eq!(verifier.accept(&std::fs::read(output.join(name)).unwrap()), Err(error), "{name}");
    }
    for name in ["stale.bin", "future.bin"] {
        let result = verifier.accept(&std::fs::read(output.join(name)).unwrap());
        assert!(
            matches!(
                result,
                Err(authdb_protocol::ProtocolError::Stale { .. } | authdb_protocol::ProtocolError::Future { .. })
            ),
            "{name}: {result:?}"
        );
    }
}
