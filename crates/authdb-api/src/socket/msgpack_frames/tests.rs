use authdb_protocol::{Clock as _, Frame as SignedFrame, Key, Ready, SystemClock, decode, payload};
use serde_json::Value;
use uuid::Uuid;

use super::*;

fn key() -> Key {
    Key::from_bytes([7; KEY_LEN])
}

fn bytes_of(frame: Frame) -> Vec<u8> {
    match frame {
        Frame::Binary(bytes) => bytes.to_vec(),
        Frame::Text(_) => panic!("a text frame"),
    }
}

fn client_frame(key: &Key, kind: &str, fields: &Value, id: [u8; ID_LEN], ts: u64) -> Frame {
    let payload = payload::to_vec(fields).expect("encodes");
    Frame::Binary(Bytes::from(SignedFrame::new(kind, id, ts, payload).expect("a frame").to_signed_bytes(key)))
}

fn close_code(refusal: Result<Command, Refusal>) -> u16 {
    match refusal {
        Err(Refusal::Close { code, reason }) => {
            assert!(reason.len() <= MAX_REASON, "{reason}");
            code
        }
        Err(Refusal::Answer(bad)) => panic!("answered, not closed: {bad:?}"),
        Ok(_) => panic!("accepted"),
    }
}

#[test]
fn ready_is_unsigned_and_carries_the_key_and_later_frames_verify_under_it() {
    let frames = MsgpackFrames::with_key(key());
    let (user_id, session_id) = (Uuid::now_v7(), Uuid::now_v7());
    let ready = bytes_of(frames.reply(Reply::Ready { user_id, session_id }));
    let (_, ready) = Ready::from_decoded(decode(&ready).expect("decodes")).expect("a ready frame");
    assert_eq!(ready.key, key());
    assert_eq!(ready.user_id, user_id.to_string());
    let event = authdb_service::Delivery::new(Event::Presence {
        user_id: authdb_domain::UserId::from_uuid(user_id),
        online: true,
    });
    let signed = decode(&bytes_of(frames.event(&event))).expect("decodes").verify(&key()).expect("signed");
    assert_eq!(signed.kind(), "presence");
    let fields: Value = payload::from_slice(signed.payload()).expect("a map");
    assert_eq!(fields, serde_json::json!({"user_id": user_id.to_string(), "status": "online"}));
}

#[test]
fn refused_frames_close_with_4400_and_text_with_1003() {
    let mut frames = MsgpackFrames::with_key(key());
    let chat = Uuid::now_v7().to_string();
    let typing = serde_json::json!({"chat_id": chat});
    let now = SystemClock.now_ms();
    let id = Uuid::now_v7().into_bytes();
    assert!(matches!(frames.command(client_frame(&key(), "typing", &typing, id, now)), Ok(Command::Typing { .. })));
    // Replayed id, bad signature, stale and future ts, garbage, an unsigned frame.
    assert_eq!(close_code(frames.command(client_frame(&key(), "typing", &typing, id, now))), 4400);
    let forged = client_frame(&Key::from_bytes([8; KEY_LEN]), "typing", &typing, Uuid::now_v7().into_bytes(), now);
    assert_eq!(close_code(frames.command(forged)), 4400);
    let stale = client_frame(&key(), "typing", &typing, Uuid::now_v7().into_bytes(), now - 31_000);
    assert_eq!(close_code(frames.command(stale)), 4400);
    let future = client_frame(&key(), "typing", &typing, Uuid::now_v7().into_bytes(), now + 31_000);
    assert_eq!(close_code(frames.command(future)), 4400);
    assert_eq!(close_code(frames.command(Frame::Binary(Bytes::from_static(&[1, 2, 3])))), 4400);
    let unsigned = SignedFrame::new("typing", Uuid::now_v7().into_bytes(), now, payload::to_vec(&typing).expect("map"))
        .expect("a frame")
        .to_unsigned_bytes();
    assert_eq!(close_code(frames.command(Frame::Binary(Bytes::from(unsigned)))), 4400);
    assert_eq!(close_code(frames.command(Frame::Text("{}".into()))), CLOSE_TEXT_FRAME);
}

#[test]
fn a_verified_frame_that_is_no_command_is_answered_with_the_field() {
    let mut frames = MsgpackFrames::with_key(key());
    let now = SystemClock.now_ms();
    let mut answer = |kind: &str, fields: Value| match frames.command(client_frame(
        &key(),
        kind,
        &fields,
        Uuid::now_v7().into_bytes(),
        now,
    )) {
        Err(Refusal::Answer(bad)) => match bad.error {
            ApiError::Unprocessable(errors) => (bad.client_id, errors[0].field.clone()),
            other => panic!("not a 422: {other:?}"),
        },
        Err(Refusal::Close { reason, .. }) => panic!("closed: {reason}"),
        Ok(_) => panic!("accepted"),
    };
    assert_eq!(answer("dance", serde_json::json!({})), (None, "type".to_owned()));
    assert_eq!(answer("typing", serde_json::json!({"chat_id": "nope"})), (None, "chat_id".to_owned()));
    // A string where bytes belong names the field, with the client_id.
    let send = serde_json::json!({"chat_id": Uuid::now_v7().to_string(), "ciphertext": "text", "client_id": "c-1"});
    assert_eq!(answer("message.send", send), (Some("c-1".to_owned()), "ciphertext".to_owned()));
    let missing = serde_json::json!({"chat_id": Uuid::now_v7().to_string(), "client_id": "c-2"});
    assert_eq!(answer("message.send", missing).1, "ciphertext");
}

#[test]
fn the_documented_ready_frame_has_the_documented_bytes() {
    let ready = Ready {
        user_id: "0192f0c4-0000-7000-8000-000000000001".to_owned(),
        session_id: "0192f0c4-0000-7000-8000-000000000002".to_owned(),
        key: Key::from_bytes(std::array::from_fn(|i| i as u8)),
    };
    let id = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];
    let bytes = ready.to_bytes(id, 1_764_518_400_000).expect("encodes");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "9601a57265616479c41000112233445566778899aabbccddeeffcf0000019ad57e1000c48683a7757365725f6964d924303139\
         32663063342d303030302d373030302d383030302d303030303030303030303031aa73657373696f6e5f6964d924303139326630\
         63342d303030302d373030302d383030302d303030303030303030303032a36b6579c420000102030405060708090a0b0c0d0e0f\
         101112131415161718191a1b1c1d1e1fc0"
    );
}
