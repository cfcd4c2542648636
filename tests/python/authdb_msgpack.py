"""A client of authdb's binary realtime protocol (`authdb.msgpack.v1`, docs/protocol.md)
in Python, with only the `msgpack` package and the standard library.

It is a library (`Connection`, `encode_frame`, `decode_frame`, `read_ready`) that a
WebSocket test can drive over a real socket, and a command line for the protocol crate's
interoperability test (crates/authdb-protocol/tests/python.rs):

    python authdb_msgpack.py check IN_DIR OUT_DIR

reads the frames the Rust crate wrote to IN_DIR (a `ready` frame, signed frames, and frames
that must be refused), verifies them, and writes frames of its own to OUT_DIR for the crate
to verify. It exits non-zero, with the reason on stderr, at the first disagreement.
"""

import hashlib
import hmac
import json
import os
import sys
import time
import uuid

import msgpack

VERSION = 1
MAX_SKEW_MS = 30_000
READY = "ready"
SUBPROTOCOL = "authdb.msgpack.v1"
CLOSE_PROTOCOL_ERROR = 4400


class ProtocolError(Exception):
    """A frame this end refuses (the server closes with 4400 for the same reasons)."""


def now_ms():
    return time.time_ns() // 1_000_000


def signing_input(kind, frame_id, ts, payload):
    """The MessagePack encoding of [v, type, id, ts, payload] (shortest forms, str for
    `type`, bin for `id` and `payload`): the bytes HMAC-SHA256 covers."""
    return msgpack.packb([VERSION, kind, bytes(frame_id), ts, bytes(payload)], use_bin_type=True)


def encode_frame(kind, frame_id, ts, payload, key=None):
    """A frame's bytes; signed with `key`, or with `sig` nil when `key` is None (which
    only the server's `ready` frame may be)."""
    signed = signing_input(kind, frame_id, ts, payload)
    sig = None if key is None else hmac.new(key, signed, hashlib.sha256).digest()
    # [v, type, id, ts, payload, sig]: the signed array's elements, then sig.
    return b"\x96" + signed[1:] + msgpack.packb(sig, use_bin_type=True)


def decode_frame(data):
    """(kind, id, ts, payload, sig, signed_bytes) of one frame, without verifying it.
    The signed bytes are 0x95 followed by the first five elements as received."""
    unpacker = msgpack.Unpacker(raw=False, use_list=True, strict_map_key=True)
    unpacker.feed(data)
    try:
        if unpacker.read_array_header() != 6:
            raise ProtocolError("the frame must be an array of 6 elements")
        start = unpacker.tell()
        version, kind, frame_id, ts, payload = (unpacker.unpack() for _ in range(5))
        end = unpacker.tell()
        sig = unpacker.unpack()
    except msgpack.OutOfData as error:
        raise ProtocolError("the frame is truncated") from error
    except (ValueError, msgpack.UnpackException) as error:
        raise ProtocolError(f"the frame is not valid: {error}") from error
    if unpacker.tell() != len(data):
        raise ProtocolError("bytes after the frame")
    if version != VERSION:
        raise ProtocolError(f"unsupported protocol version {version!r}")
    if not isinstance(kind, str) or not 1 <= len(kind.encode()) <= 64:
        raise ProtocolError("`type` must be a string of 1 to 64 bytes")
    if not isinstance(frame_id, bytes) or len(frame_id) != 16:
        raise ProtocolError("`id` must be 16 bytes")
    if not isinstance(ts, int) or ts < 0:
        raise ProtocolError("`ts` must be an unsigned integer")
    if not isinstance(payload, bytes):
        raise ProtocolError("`payload` must be binary")
    if sig is not None and (not isinstance(sig, bytes) or len(sig) != 32):
        raise ProtocolError("`sig` must be 32 bytes or nil")
    return kind, frame_id, ts, payload, sig, b"\x95" + data[start:end]


def decode_payload(payload):
    """An event's fields: a map keyed by field name; byte fields come back as bytes."""
    return msgpack.unpackb(payload, raw=False, strict_map_key=True)


def encode_payload(fields):
    return msgpack.packb(fields, use_bin_type=True)


def read_ready(data):
    """(frame id, fields) of the server's first frame, unsigned, whose `key` is the
    connection's 32-byte key."""
    kind, frame_id, _ts, payload, sig, _ = decode_frame(data)
    if kind != READY or sig is not None:
        raise ProtocolError("expected the unsigned `ready` frame")
    fields = decode_payload(payload)
    if not isinstance(fields.get("key"), bytes) or len(fields["key"]) != 32:
        raise ProtocolError("the `ready` frame must carry a 32-byte key")
    return frame_id, fields


class Connection:
    """One end of a connection after `ready`: signs what it sends and verifies what it
    receives (signature, `ts` within 30 s of `clock()`, id not seen on this connection)."""

    def __init__(self, key, clock=now_ms):
        self.key = bytes(key)
        self.clock = clock
        self.seen = {}  # id -> ts, forgotten once ts is more than 30 s old

    def send(self, kind, fields, frame_id=None, ts=None):
        frame_id = uuid.uuid4().bytes if frame_id is None else frame_id
        ts = self.clock() if ts is None else ts
        return encode_frame(kind, frame_id, ts, encode_payload(fields), self.key)

    def accept(self, data):
        kind, frame_id, ts, payload, sig, signed = decode_frame(data)
        if sig is None:
            raise ProtocolError("the frame is not signed")
        expected = hmac.new(self.key, signed, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, sig):
            raise ProtocolError("the signature does not match")
        now = self.clock()
        if abs(ts - now) > MAX_SKEW_MS:
            raise ProtocolError(f"the timestamp is {ts - now} ms away")
        self.seen = {i: t for i, t in self.seen.items() if t >= now - MAX_SKEW_MS}
        if frame_id in self.seen:
            raise ProtocolError("the frame id was already seen on this connection")
        self.seen[frame_id] = ts
        return kind, frame_id, ts, decode_payload(payload)


def _fail(message):
    print(f"authdb_msgpack: {message}", file=sys.stderr)
    sys.exit(1)


def _read(path):
    with open(path, "rb") as file:
        return file.read()


def _jsonable(value):
    """Bytes as {"hex": ...}, for comparing with what the Rust side expects."""
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _refused(connection, data):
    try:
        connection.accept(data)
    except ProtocolError as error:
        return str(error)
    return None


def check(in_dir, out_dir):
    with open(os.path.join(in_dir, "expected.json")) as file:
        expected = json.load(file)
    _, ready = read_ready(_read(os.path.join(in_dir, "ready.bin")))
    if ready["user_id"] != expected["user_id"] or ready["session_id"] != expected["session_id"]:
        _fail(f"ready frame says {ready!r}")
    connection = Connection(ready["key"])
    for i, want in enumerate(expected["frames"]):
        data = _read(os.path.join(in_dir, f"frame-{i}.bin"))
        try:
            kind, frame_id, ts, fields = connection.accept(data)
        except ProtocolError as error:
            _fail(f"frame {i} refused: {error}")
        got = {"type": kind, "id": frame_id.hex(), "ts": ts, "payload": _jsonable(fields)}
        if got != want:
            _fail(f"frame {i}: got {got!r}, expected {want!r}")
        if _refused(connection, data) is None:
            _fail(f"frame {i} accepted twice")
    for name in expected["refused"]:
        if _refused(connection, _read(os.path.join(in_dir, name))) is None:
            _fail(f"{name} was accepted")
    # The worked example of docs/protocol.md, from its inputs.
    example = expected["example"]
    frame = encode_frame(
        example["type"],
        bytes.fromhex(example["id"]),
        example["ts"],
        encode_payload(example["payload"]),
        bytes.fromhex(example["key"]),
    )
    if frame.hex() != example["frame"]:
        _fail(f"the worked example encodes as {frame.hex()}, not {example['frame']}")

    os.makedirs(out_dir, exist_ok=True)
    written = []
    sends = [
        ("typing", {"chat_id": expected["chat_id"]}),
        (
            "message.send",
            {
                "chat_id": expected["chat_id"],
                "ciphertext": bytes(range(256)) * 3,
                "nonce": bytes(12),
                "content_type": "application/octet-stream",
                "client_id": "py-1",
            },
        ),
        ("message.send", {"chat_id": expected["chat_id"], "ciphertext": b"\x00", "client_id": "py-2"}),
    ]
    for i, (kind, fields) in enumerate(sends):
        frame_id = uuid.uuid4().bytes
        ts = now_ms()
        with open(os.path.join(out_dir, f"frame-{i}.bin"), "wb") as file:
            file.write(connection.send(kind, fields, frame_id, ts))
        written.append({"type": kind, "id": frame_id.hex(), "ts": ts, "payload": _jsonable(fields)})
    # What the crate must refuse: a replay, a forged signature, a stale and a future frame.
    with open(os.path.join(out_dir, "replayed.bin"), "wb") as file:
        file.write(_read(os.path.join(out_dir, "frame-0.bin")))
    forged = Connection(b"\x01" * 32).send("typing", {"chat_id": expected["chat_id"]})
    stale = connection.send("typing", {"chat_id": expected["chat_id"]}, ts=now_ms() - MAX_SKEW_MS - 5_000)
    future = connection.send("typing", {"chat_id": expected["chat_id"]}, ts=now_ms() + MAX_SKEW_MS + 5_000)
    for name, data in [("forged.bin", forged), ("stale.bin", stale), ("future.bin", future)]:
        with open(os.path.join(out_dir, name), "wb") as file:
            file.write(data)
    with open(os.path.join(out_dir, "expected.json"), "w") as file:
        json.dump({"frames": written}, file)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "check":
        _fail("usage: authdb_msgpack.py check IN_DIR OUT_DIR")
    check(sys.argv[2], sys.argv[3])
