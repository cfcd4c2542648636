//! Frames: `[v, type, id, ts, payload, sig]`, encoded marker by marker so the bytes are
//! exactly those docs/protocol.md specifies.

use rmp::decode::{NumValueReadError, ValueReadError};

use crate::{ID_LEN, Key, MAX_TYPE_LEN, ProtocolError, Result, SIG_LEN, VERSION};

/// The MessagePack marker of a five-element array, which starts the signed bytes.
const FIXARRAY_5: u8 = 0x95;
/// The MessagePack `nil`, the `sig` of the unsigned `ready` frame.
const NIL: u8 = 0xc0;

/// One frame's contents: an event type, a 16-byte id, a Unix-millisecond timestamp and
/// the payload (the MessagePack encoding of the event's fields, carried as bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    kind: String,
    id: [u8; ID_LEN],
    ts: u64,
    payload: Vec<u8>,
}

impl Frame {
    /// A frame; `kind` must be 1 to 64 bytes and the payload shorter than 4 GiB.
    pub fn new(kind: impl Into<String>, id: [u8; ID_LEN], ts: u64, payload: Vec<u8>) -> Result<Self> {
        let kind = kind.into();
        if kind.is_empty() || kind.len() > MAX_TYPE_LEN {
            return Err(ProtocolError::Malformed("the type must be 1 to 64 bytes"));
        }
        if u32::try_from(payload.len()).is_err() {
            return Err(ProtocolError::Malformed("the payload must be shorter than 4 GiB"));
        }
        Ok(Self { kind, id, ts, payload })
    }

    /// The event type (`message.created`, `ready`, ...).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The frame id: 16 bytes, unique per sender and connection.
    pub fn id(&self) -> &[u8; ID_LEN] {
        &self.id
    }

    /// When the frame was made, in Unix milliseconds.
    pub fn ts(&self) -> u64 {
        self.ts
    }

    /// The payload bytes (see [`crate::payload`]).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Takes the payload out of the frame.
    pub fn into_payload(self) -> Vec<u8> {
        self.payload
    }

    /// The bytes the signature covers: the MessagePack encoding of
    /// `[v, type, id, ts, payload]`, each element in its shortest form.
    pub fn signing_input(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.payload.len() + self.kind.len() + 40);
        out.push(FIXARRAY_5);
        self.write_fields(&mut out);
        out
    }

    /// The frame, signed under `key`: `[v, type, id, ts, payload, sig]`.
    pub fn to_signed_bytes(&self, key: &Key) -> Vec<u8> {
        let input = self.signing_input();
        let sig = key.sign(&input);
        let mut out = Vec::with_capacity(input.len() + SIG_LEN + 2);
        write(rmp::encode::write_array_len(&mut out, 6));
        out.extend_from_slice(input.get(1..).unwrap_or_default());
        write(rmp::encode::write_bin(&mut out, &sig));
        out
    }

    /// The frame with `nil` for `sig`: only the `ready` frame is sent this way.
    pub fn to_unsigned_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.payload.len() + self.kind.len() + 40);
        write(rmp::encode::write_array_len(&mut out, 6));
        self.write_fields(&mut out);
        write(rmp::encode::write_nil(&mut out));
        out
    }

    fn write_fields(&self, out: &mut Vec<u8>) {
        write(rmp::encode::write_uint(out, u64::from(VERSION)));
        write(rmp::encode::write_str(out, &self.kind));
        write(rmp::encode::write_bin(out, &self.id));
        write(rmp::encode::write_uint(out, self.ts));
        write(rmp::encode::write_bin(out, &self.payload));
    }
}

/// Writing into a `Vec` cannot fail, and [`Frame::new`] bounds every length.
fn write<T, E: std::fmt::Debug>(result: std::result::Result<T, E>) {
    #[allow(clippy::expect_used, reason = "a Vec grows; lengths are checked by Frame::new")]
    result.expect("writing MessagePack into a Vec never fails");
}

/// A decoded frame whose signature is not checked yet.
#[derive(Debug, Clone)]
pub struct Decoded {
    frame: Frame,
    signed: Vec<u8>,
    sig: Option<[u8; SIG_LEN]>,
}

impl Decoded {
    /// The frame's contents (not yet trusted).
    pub fn frame(&self) -> &Frame {
        &self.frame
    }

    /// Whether the frame carries a signature (every frame but `ready` must).
    pub fn is_signed(&self) -> bool {
        self.sig.is_some()
    }

    /// The bytes the signature covers, as they were received (`0x95` and the frame's
    /// first five elements).
    pub fn signed_bytes(&self) -> &[u8] {
        &self.signed
    }

    /// The frame, if its signature is the HMAC of its first five elements under `key`.
    pub fn verify(self, key: &Key) -> Result<Frame> {
        let sig = self.sig.ok_or(ProtocolError::Unsigned)?;
        key.verify(&self.signed, &sig)?;
        Ok(self.frame)
    }

    /// The frame, if it is unsigned (the `ready` frame).
    pub fn into_unsigned(self) -> Result<Frame> {
        match self.sig {
            None => Ok(self.frame),
            Some(_) => Err(ProtocolError::Malformed("expected an unsigned frame")),
        }
    }
}

/// Parses one frame. Every integer, string and binary format of MessagePack is accepted
/// for its element; the signed bytes are taken as received, so a sender that does not use
/// the shortest forms still verifies. Never panics: truncated input is
/// [`ProtocolError::Truncated`], anything else that is no frame
/// [`ProtocolError::Malformed`], and bytes after the frame are refused.
pub fn decode(bytes: &[u8]) -> Result<Decoded> {
    let mut rd: &[u8] = bytes;
    let len = rmp::decode::read_array_len(&mut rd).map_err(value_error("the frame must be an array"))?;
    if len != 6 {
        return Err(ProtocolError::Malformed("the frame must be an array of 6 elements"));
    }
    let start = bytes.len() - rd.len();
    let version: u64 = rmp::decode::read_int(&mut rd).map_err(num_error("`v` must be an integer"))?;
    if version != u64::from(VERSION) {
        return Err(ProtocolError::UnsupportedVersion(version));
    }
    let kind_len = rmp::decode::read_str_len(&mut rd).map_err(value_error("`type` must be a string"))?;
    let kind = take(&mut rd, kind_len)?;
    let kind = std::str::from_utf8(kind).map_err(|_| ProtocolError::Malformed("`type` must be UTF-8"))?;
    let id_len = rmp::decode::read_bin_len(&mut rd).map_err(value_error("`id` must be binary"))?;
    let id = <[u8; ID_LEN]>::try_from(take(&mut rd, id_len)?)
        .map_err(|_| ProtocolError::Malformed("`id` must be 16 bytes"))?;
    let ts: u64 = rmp::decode::read_int(&mut rd).map_err(num_error("`ts` must be an unsigned integer"))?;
    let payload_len = rmp::decode::read_bin_len(&mut rd).map_err(value_error("`payload` must be binary"))?;
    let payload = take(&mut rd, payload_len)?.to_vec();
    let end = bytes.len() - rd.len();
    let sig = match rd.first() {
        None => return Err(ProtocolError::Truncated),
        Some(&NIL) => {
            rd = rd.get(1..).unwrap_or_default();
            None
        }
        Some(_) => {
            let sig_len = rmp::decode::read_bin_len(&mut rd).map_err(value_error("`sig` must be binary or nil"))?;
            let sig = <[u8; SIG_LEN]>::try_from(take(&mut rd, sig_len)?)
                .map_err(|_| ProtocolError::Malformed("`sig` must be 32 bytes"))?;
            Some(sig)
        }
    };
    if !rd.is_empty() {
        return Err(ProtocolError::Malformed("bytes after the frame"));
    }
    let frame = Frame::new(kind, id, ts, payload)?;
    let mut signed = Vec::with_capacity(end - start + 1);
    signed.push(FIXARRAY_5);
    signed.extend_from_slice(bytes.get(start..end).unwrap_or_default());
    Ok(Decoded { frame, signed, sig })
}

/// The next `len` bytes, or [`ProtocolError::Truncated`] (a length is never trusted
/// before the bytes are there, so a forged length allocates nothing).
fn take<'a>(rd: &mut &'a [u8], len: u32) -> Result<&'a [u8]> {
    let len = usize::try_from(len).map_err(|_| ProtocolError::Truncated)?;
    if rd.len() < len {
        return Err(ProtocolError::Truncated);
    }
    let (head, tail) = rd.split_at(len);
    *rd = tail;
    Ok(head)
}

/// Reading from a slice fails only at its end: that is truncation; a wrong marker is the
/// named mistake.
fn value_error<E: rmp::decode::RmpReadErr>(what: &'static str) -> impl Fn(ValueReadError<E>) -> ProtocolError {
    move |error| match error {
        ValueReadError::TypeMismatch(_) => ProtocolError::Malformed(what),
        ValueReadError::InvalidMarkerRead(_) | ValueReadError::InvalidDataRead(_) => ProtocolError::Truncated,
    }
}

fn num_error<E: rmp::decode::RmpReadErr>(what: &'static str) -> impl Fn(NumValueReadError<E>) -> ProtocolError {
    move |error| match error {
        NumValueReadError::TypeMismatch(_) | NumValueReadError::OutOfRange => ProtocolError::Malformed(what),
        NumValueReadError::InvalidMarkerRead(_) | NumValueReadError::InvalidDataRead(_) => ProtocolError::Truncated,
    }
}
