"""A Python client of authdb's realtime socket over `authdb.msgpack.v1` (docs/protocol.md),
with the `websockets` package for the socket and tests/python/authdb_msgpack.py (the
`msgpack` package and the standard library's `hmac`) for the frames. Run by
tests/e2e/realtime_msgpack.rs:

    python ws_client.py WS_URL ACCESS_TOKEN CHAT_ID

It offers `authdb.msgpack.v1` beside `authdb.bearer.<token>`, reads the unsigned `ready`
frame and its key, sends a signed `message.send` with random ciphertext, verifies the
server's `message.ack` and `message.created` frames, then opens a second socket and sends
a frame tampered after signing, which the server must close with 4400. It prints a JSON
report on stdout and exits non-zero at the first disagreement.
"""

import asyncio
import json
import os
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import authdb_msgpack  # noqa: E402

PATIENCE = 5


def fail(message):
    print(f"ws_client: {message}", file=sys.stderr)
    sys.exit(1)


def jsonable(value):
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


async def open_socket(url, token):
    """A socket, its selected subprotocol, the ready fields and a Connection with the key."""
    socket = await connect(
        url,
        subprotocols=[authdb_msgpack.SUBPROTOCOL, f"authdb.bearer.{token}"],
        max_size=None,
    )
    data = await asyncio.wait_for(socket.recv(), PATIENCE)
    if not isinstance(data, bytes):
        fail("the ready frame is not binary")
    _, ready = authdb_msgpack.read_ready(data)
    return socket, ready, authdb_msgpack.Connection(ready["key"])


async def main(url, token, chat_id):
    socket, ready, connection = await open_socket(url, token)
    report = {"selected": socket.subprotocol, "user_id": ready["user_id"]}
    ciphertext = os.urandom(300)
    await socket.send(
        connection.send(
            "message.send",
            {"chat_id": chat_id, "ciphertext": ciphertext, "nonce": os.urandom(12), "client_id": "py-1"},
        )
    )
    # The ack and the sender's own message.created, in either order (presence skipped).
    while "ack" not in report or "event" not in report:
        data = await asyncio.wait_for(socket.recv(), PATIENCE)
        try:
            kind, _, _, fields = connection.accept(data)
        except authdb_msgpack.ProtocolError as error:
            fail(f"a server frame was refused: {error}")
        if kind == "message.ack":
            report["ack"] = jsonable(fields)
        elif kind == "message.created":
            report["event"] = jsonable(fields)
        elif kind == "error":
            fail(f"the server answered an error: {fields!r}")
        if kind in ("message.ack", "message.created") and fields["message"]["ciphertext"] != ciphertext:
            fail(f"{kind} carries other bytes than were sent")
    report["ciphertext_hex"] = ciphertext.hex()
    await socket.close()

    # A frame altered after signing: the server closes with 4400.
    socket, _, connection = await open_socket(url, token)
    frame = bytearray(connection.send("typing", {"chat_id": chat_id}))
    frame[-40] ^= 0x01  # a payload byte, under the signature
    await socket.send(bytes(frame))
    try:
        while True:
            await asyncio.wait_for(socket.recv(), PATIENCE)
    except ConnectionClosed as closed:
        report["tampered_close_code"] = closed.rcvd.code if closed.rcvd else None
        report["tampered_close_reason"] = closed.rcvd.reason if closed.rcvd else None
    print(json.dumps(report))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        fail("usage: ws_client.py WS_URL ACCESS_TOKEN CHAT_ID")
    asyncio.run(main(*sys.argv[1:]))
