"""A minimal HTTP server that answers every SQS JSON request with a fixed, valid response.

It measures what the boto3 client alone can do: the server side costs next to nothing.
Run: python bench/canned_server.py PORT
"""

from __future__ import annotations

import hashlib
import json
import socket
import sys
import threading

_MD5 = hashlib.md5(b"payload").hexdigest()
_MESSAGE = {
    "MessageId": "0b3c6a5e-0000-4000-8000-000000000000",
    "ReceiptHandle": "AQEB" + "x" * 180,
    "MD5OfBody": _MD5,
    "Body": "payload",
}
RESPONSES = {
    "SendMessage": {"MD5OfMessageBody": _MD5, "MessageId": _MESSAGE["MessageId"]},
    "SendMessageBatch": {
        "Successful": [{"Id": str(i), "MessageId": _MESSAGE["MessageId"], "MD5OfMessageBody": _MD5} for i in range(10)],
        "Failed": [],
    },
    "ReceiveMessage": {"Messages": [dict(_MESSAGE) for _ in range(10)]},
    "DeleteMessageBatch": {"Successful": [{"Id": str(i)} for i in range(10)], "Failed": []},
    "CreateQueue": {"QueueUrl": "http://127.0.0.1/queue/us-east-1/000000000000/bench"},
    "GetQueueUrl": {"QueueUrl": "http://127.0.0.1/queue/us-east-1/000000000000/bench"},
}
_ENCODED = {
    action: (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: canned\r\n"
        + f"Content-Length: {len(body := json.dumps(doc).encode())}\r\n\r\n".encode()
        + body
    )
    for action, doc in RESPONSES.items()
}


def serve_connection(conn: socket.socket) -> None:
    reader = conn.makefile("rb")
    with conn, reader:
        while True:
            length, action = 0, b""
            line = reader.readline()
            if not line:
                return
            while line not in (b"\r\n", b""):
                lowered = line.lower()
                if lowered.startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
                elif lowered.startswith(b"x-amz-target:"):
                    action = line.split(b".", 1)[1].strip()
                line = reader.readline()
            reader.read(length)
            conn.sendall(_ENCODED.get(action.decode(), _ENCODED["SendMessage"]))


def main(port: int) -> None:
    listener = socket.create_server(("127.0.0.1", port))
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve_connection, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main(int(sys.argv[1]))
