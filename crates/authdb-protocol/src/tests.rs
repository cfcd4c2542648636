//! The crate's unit tests: round trips, tampering, keys, time, replay, hostile input.

use std::{cell::Cell, rc::Rc};

use super::*;

const NOW: u64 = 1_764_518_400_000;

fn key(byte: u8) -> Key {
    Key::from_bytes([byte; KEY_LEN])
}

fn frame(n: u8, ts: u64) -> Frame {
    Frame::new("message.created", [n; ID_LEN], ts, vec![0x81, 0xa1, b'a', n]).expect("a valid frame")
}

/// A clock the test moves by hand.
fn manual_clock(start: u64) -> (Rc<Cell<u64>>, impl Fn() -> u64) {
    let now = Rc::new(Cell::new(start));
    let reader = Rc::clone(&now);
    (now, move || reader.get())
}

#[test]
fn a_signed_frame_round_trips_and_verifies() {
    let bytes = frame(1, NOW).to_signed_bytes(&key(7));
    assert_eq!(bytes[0], 0x96);
    let decoded = decode(&bytes).expect("decodes");
    assert!(decoded.is_signed());
    assert_eq!(decoded.signed_bytes(), frame(1, NOW).signing_input().as_slice());
    assert_eq!(decoded.verify(&key(7)).expect("verifies"), frame(1, NOW));
}

#[test]
fn the_documented_example_has_the_documented_bytes() {
    // docs/protocol.md, "A worked example": key 00 01 .. 1f, id 00 11 .. ff, ts
    // 1764518400000, type `typing`, payload {"chat_id": "c"}.
    let key = Key::from_bytes(std::array::from_fn(|i| i as u8));
    let id: [u8; ID_LEN] = std::array::from_fn(|i| (i as u8) * 0x11);
    let payload = payload::to_vec(&serde_json::json!({"chat_id": "c"})).expect("encodes");
    let frame = Frame::new("typing", id, NOW, payload).expect("valid");
    let input = hex(&frame.signing_input());
    assert_eq!(
        input,
        "95 01 a6 74 79 70 69 6e 67 c4 10 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff \
         cf 00 00 01 9a d5 7e 10 00 c4 0b 81 a7 63 68 61 74 5f 69 64 a1 63"
    );
    let bytes = frame.to_signed_bytes(&key);
    let sig = hex(&bytes[bytes.len() - SIG_LEN..]);
    assert_eq!(hex(&bytes[..bytes.len() - SIG_LEN - 2]), input.replacen("95", "96", 1));
    assert_eq!(hex(&bytes[bytes.len() - SIG_LEN - 2..bytes.len() - SIG_LEN]), "c4 20");
    assert_eq!(sig, hex(&key.sign(&frame.signing_input())));
    assert_eq!(sig, EXAMPLE_SIG, "update docs/protocol.md if this changes");
}

/// The signature of the worked example in docs/protocol.md.
const EXAMPLE_SIG: &str =
    "25 5e 22 b5 32 a3 49 99 d4 b7 c9 eb b1 10 01 26 b6 ab b7 b1 90 58 cc 2d c7 7a 0c 19 4c 7d 74 54";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

#[test]
fn tampering_with_any_byte_is_refused() {
    let bytes = frame(2, NOW).to_signed_bytes(&key(7));
    for i in 0..bytes.len() {
        for flip in [0x01, 0x80] {
            let mut tampered = bytes.clone();
            tampered[i] ^= flip;
            let result = decode(&tampered).and_then(|decoded| decoded.verify(&key(7)));
            assert!(result.is_err(), "flipping {flip:#x} of byte {i} went unnoticed");
        }
    }
}

#[test]
fn a_wrong_key_or_a_missing_signature_is_refused() {
    let bytes = frame(3, NOW).to_signed_bytes(&key(7));
    assert_eq!(decode(&bytes).expect("decodes").verify(&key(8)), Err(ProtocolError::BadSignature));
    let unsigned = frame(3, NOW).to_unsigned_bytes();
    assert_eq!(decode(&unsigned).expect("decodes").verify(&key(7)), Err(ProtocolError::Unsigned));
    let mut verifier = Verifier::new(key(7), || NOW);
    assert_eq!(verifier.accept(&unsigned), Err(ProtocolError::Unsigned));
    assert!(decode(&bytes).expect("decodes").into_unsigned().is_err());
}

#[test]
fn timestamps_more_than_30_s_away_are_refused_at_both_edges() {
    let (clock, read) = manual_clock(NOW);
    let mut verifier = Verifier::new(key(7), read);
    let k = key(7);
    assert!(verifier.accept(&frame(1, NOW - MAX_SKEW_MS).to_signed_bytes(&k)).is_ok());
    assert!(verifier.accept(&frame(2, NOW + MAX_SKEW_MS).to_signed_bytes(&k)).is_ok());
    assert_eq!(
        verifier.accept(&frame(3, NOW - MAX_SKEW_MS - 1).to_signed_bytes(&k)),
        Err(ProtocolError::Stale { age_ms: MAX_SKEW_MS + 1 })
    );
    assert_eq!(
        verifier.accept(&frame(4, NOW + MAX_SKEW_MS + 1).to_signed_bytes(&k)),
        Err(ProtocolError::Future { ahead_ms: MAX_SKEW_MS + 1 })
    );
    // The same frame, accepted now, is stale once the clock has moved on.
    let later = frame(5, NOW).to_signed_bytes(&k);
    clock.set(NOW + MAX_SKEW_MS + 1);
    assert!(matches!(verifier.accept(&later), Err(ProtocolError::Stale { .. })));
    // A timestamp of 0 or u64::MAX does not overflow.
    assert!(matches!(verifier.accept(&frame(6, 0).to_signed_bytes(&k)), Err(ProtocolError::Stale { .. })));
    assert!(matches!(verifier.accept(&frame(7, u64::MAX).to_signed_bytes(&k)), Err(ProtocolError::Future { .. })));
}

#[test]
fn a_replayed_id_is_refused_even_with_a_new_timestamp() {
    let (clock, read) = manual_clock(NOW);
    let mut verifier = Verifier::new(key(7), read);
    let bytes = frame(1, NOW).to_signed_bytes(&key(7));
    assert!(verifier.accept(&bytes).is_ok());
    assert_eq!(verifier.accept(&bytes), Err(ProtocolError::Replayed));
    clock.set(NOW + 10_000);
    assert_eq!(verifier.accept(&frame(1, NOW + 10_000).to_signed_bytes(&key(7))), Err(ProtocolError::Replayed));
    // Once the original could no longer pass the time check it is forgotten, and its
    // replay is refused as stale instead.
    clock.set(NOW + MAX_SKEW_MS + 1);
    assert!(matches!(verifier.accept(&bytes), Err(ProtocolError::Stale { .. })));
    // A forged frame is not remembered: the genuine one with its id still passes.
    let forged = frame(9, NOW + MAX_SKEW_MS).to_signed_bytes(&key(8));
    assert_eq!(verifier.accept(&forged), Err(ProtocolError::BadSignature));
    assert!(verifier.accept(&frame(9, NOW + MAX_SKEW_MS).to_signed_bytes(&key(7))).is_ok());
}

#[test]
fn the_replay_window_is_bounded_and_forgets_what_time_refuses() {
    let mut window = ReplayWindow::new(3);
    for n in 0..3u8 {
        window.check_and_insert([n; ID_LEN], NOW + u64::from(n), NOW).expect("room");
    }
    assert_eq!(window.check_and_insert([9; ID_LEN], NOW, NOW), Err(ProtocolError::ReplayWindowFull));
    assert_eq!(window.check_and_insert([0; ID_LEN], NOW, NOW), Err(ProtocolError::Replayed));
    // 30 s and 1 ms after the first two were stamped, they are gone, the third stays.
    window.check_and_insert([9; ID_LEN], NOW, NOW + MAX_SKEW_MS + 2).expect("room again");
    assert_eq!(window.len(), 2);
    assert_eq!(window.check_and_insert([2; ID_LEN], NOW, NOW + MAX_SKEW_MS + 2), Err(ProtocolError::Replayed));
    // Many frames over a long time: the window never holds more than 31 s of them.
    let mut window = ReplayWindow::default();
    for i in 0..100_000u64 {
        let now = NOW + i * 100;
        let mut id = [0; ID_LEN];
        id[..8].copy_from_slice(&i.to_be_bytes());
        window.check_and_insert(id, now, now).expect("ten a second fit");
        assert!(window.len() <= 301);
    }
}

#[test]
fn every_truncation_of_a_frame_is_an_error_never_a_panic() {
    let k = key(7);
    let big = Frame::new("message.created", [5; ID_LEN], NOW, vec![0xab; 70_000]).expect("valid");
    for bytes in [frame(1, NOW).to_signed_bytes(&k), frame(1, NOW).to_unsigned_bytes(), big.to_signed_bytes(&k)] {
        for len in 0..bytes.len() {
            assert!(decode(&bytes[..len]).is_err(), "a prefix of {len} bytes decoded");
        }
        assert!(decode(&bytes).is_ok());
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer).map(drop), Err(ProtocolError::Malformed("bytes after the frame")));
    }
    assert_eq!(decode(&[]).map(drop), Err(ProtocolError::Truncated));
}

#[test]
fn garbage_is_an_error_never_a_panic() {
    // A deterministic xorshift stream: random bytes, and random bytes behind a valid
    // array header and version, and single-byte mutations of a valid frame.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let valid = frame(1, NOW).to_signed_bytes(&key(7));
    let mut verifier = Verifier::new(key(7), || NOW);
    for round in 0..20_000 {
        let len = (next() % 96) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        match round % 3 {
            0 => {}
            1 => bytes.splice(0..0, [0x96, 0x01]).for_each(drop),
            _ => {
                bytes = valid.clone();
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
            }
        }
        let _ = decode(&bytes);
        let _ = verifier.accept(&bytes);
    }
    // Lengths that claim far more than is there allocate nothing and fail.
    let huge_bin = [0x96, 0x01, 0xa1, b'x', 0xc6, 0xff, 0xff, 0xff, 0xff];
    assert_eq!(decode(&huge_bin).map(drop), Err(ProtocolError::Truncated));
    let huge_str = [0x96, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff];
    assert_eq!(decode(&huge_str).map(drop), Err(ProtocolError::Truncated));
}

#[test]
fn malformed_elements_are_named() {
    let cases: [(&[u8], ProtocolError); 6] = [
        (&[0x81], ProtocolError::Malformed("the frame must be an array")),
        (&[0x95], ProtocolError::Malformed("the frame must be an array of 6 elements")),
        (&[0x96, 0x02], ProtocolError::UnsupportedVersion(2)),
        (&[0x96, 0xa1], ProtocolError::Malformed("`v` must be an integer")),
        (&[0x96, 0x01, 0x01], ProtocolError::Malformed("`type` must be a string")),
        (&[0x96, 0x01, 0xa1, 0xff], ProtocolError::Malformed("`type` must be UTF-8")),
    ];
    for (bytes, expected) in cases {
        assert_eq!(decode(bytes).map(drop), Err(expected), "{bytes:02x?}");
    }
    let short_id = [0x96, 0x01, 0xa1, b'x', 0xc4, 0x01, 0x00];
    assert_eq!(decode(&short_id).map(drop), Err(ProtocolError::Malformed("`id` must be 16 bytes")));
    let mut negative_ts = vec![0x96, 0x01, 0xa1, b'x', 0xc4, 0x10];
    negative_ts.extend([0; 16]);
    negative_ts.push(0xff);
    assert_eq!(decode(&negative_ts).map(drop), Err(ProtocolError::Malformed("`ts` must be an unsigned integer")));
    assert!(Frame::new("", [0; ID_LEN], NOW, Vec::new()).is_err());
    assert!(Frame::new("x".repeat(MAX_TYPE_LEN + 1), [0; ID_LEN], NOW, Vec::new()).is_err());
    assert!(Frame::new("x".repeat(MAX_TYPE_LEN), [0; ID_LEN], NOW, Vec::new()).is_ok());
    assert_eq!(ProtocolError::Replayed.close_code(), 4400);
}

#[test]
fn longer_encodings_than_needed_still_verify() {
    // A sender that writes `v` as uint64 and `type` as str8: the signature covers the
    // bytes as sent, so it verifies.
    let k = key(7);
    let mut input = vec![0x95, 0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0xd9, 1, b'x', 0xc4, 0x10];
    input.extend([3; ID_LEN]);
    input.extend([0xcf]);
    input.extend(NOW.to_be_bytes());
    input.extend([0xc6, 0, 0, 0, 1, 0xc0]);
    let mut bytes = vec![0x96];
    bytes.extend(&input[1..]);
    bytes.extend([0xc4, 0x20]);
    bytes.extend(k.sign(&input));
    let frame = decode(&bytes).expect("decodes").verify(&k).expect("verifies");
    assert_eq!((frame.kind(), frame.ts(), frame.payload()), ("x", NOW, &[0xc0][..]));
}

#[test]
fn the_ready_frame_carries_the_key_unsigned() {
    let ready = Ready { user_id: "u".into(), session_id: "s".into(), key: key(42) };
    let bytes = ready.to_bytes([1; ID_LEN], NOW).expect("encodes");
    assert_eq!(*bytes.last().expect("not empty"), 0xc0);
    let (frame, read) = Ready::from_decoded(decode(&bytes).expect("decodes")).expect("a ready frame");
    assert_eq!(frame.kind(), READY);
    assert_eq!(read, ready);
    assert_eq!(format!("{:?}", read.key), "Key(..)");
    let signed = frame.to_signed_bytes(&key(1));
    assert!(Ready::from_decoded(decode(&signed).expect("decodes")).is_err());
    let other = Frame::new("typing", [1; ID_LEN], NOW, frame.payload().to_vec()).expect("valid");
    assert!(Ready::from_decoded(decode(&other.to_unsigned_bytes()).expect("decodes")).is_err());
    assert_eq!(Key::from_slice(&[0; 31]), Err(ProtocolError::KeyLength));
}
