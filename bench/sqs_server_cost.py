"""User-space instructions the AWS endpoint's process spends per SQS request, counted by callgrind.

Wall-clock ratios on a shared VM swing by a third between runs; an instruction count does not,
so this is how a change to the request path is judged. `cloudtwin serve` runs under
`valgrind --tool=callgrind` with counting off; a raw keep-alive client sends each request a few
hundred times to warm up, then counting is switched on for N requests and the total divided.
Needs valgrind (Debian: apt-get install valgrind). Run: python bench/sqs_server_cost.py [-n 2000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqs_bench import free_port, wait_for_port

AUTH = "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x"


def request(port: int, action: str, document: dict) -> bytes:
    body = json.dumps(document).encode()
    head = (
        f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-amz-json-1.0\r\n"
        f"X-Amz-Target: AmazonSQS.{action}\r\nAuthorization: {AUTH}\r\nX-Amz-Date: 20260101T000000Z\r\n"
        "User-Agent: Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux lang/python#3.11\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Client:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")

    def call(self, data: bytes) -> bytes:
        self.sock.sendall(data)
        length = 0
        while (line := self.reader.readline()) != b"\r\n":
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return self.reader.read(length)


Step = Callable[[Client], object]


def measure(steps: dict[str, Step], port: int, process: subprocess.Popen, out: Path, count: int) -> dict:
    """Instructions per call of each step (a step is one request, or a few that belong together)."""
    client = Client(port)
    ping = request(port, "ListQueues", {})

    def control(*args: str) -> None:
        # Callgrind acts on a request when the server next runs: the ping wakes it (and is not counted).
        subprocess.run(["callgrind_control", *args, str(process.pid)], capture_output=True, check=False)
        client.call(ping)

    totals = {}
    for name, step in steps.items():
        for _ in range(200):
            step(client)
        control("--zero")
        control("-i", "on")
        for _ in range(count):
            step(client)
        control("-i", "off")
        control("--dump")
        totals[name] = _dump_total(out / f"callgrind.out.{process.pid}.{len(totals) + 1}") / count
    return totals


def _one(data: bytes) -> Step:
    return lambda client: client.call(data)


def _dump_total(path: Path) -> int:
    """The instruction total of a dump, once callgrind has finished writing it."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if path.exists():
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("totals:"):
                    return int(line.split()[1])
        time.sleep(0.2)
    raise RuntimeError(f"callgrind wrote no totals to {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--requests", type=int, default=2000)
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}/callgrind.out.%p",
             sys.executable, "-m", "cloudtwin.cli", "serve", "--aws-port", str(port), "--redis-port", "-1",
             "--kafka", "off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={"PYTHONMALLOC": "malloc", **_environment()},
        )  # fmt: skip
        try:
            wait_for_port(port, timeout=180)
            setup = Client(port)
            url = json.loads(setup.call(request(port, "CreateQueue", {"QueueName": "cost"})))["QueueUrl"]
            entries = [{"Id": str(i), "MessageBody": "payload"} for i in range(10)]
            send_batch = request(port, "SendMessageBatch", {"QueueUrl": url, "Entries": entries})
            receive = request(port, "ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 10})

            def send_receive_and_delete(client: Client) -> None:
                client.call(send_batch)
                messages = json.loads(client.call(receive)).get("Messages", [])
                handles = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
                client.call(request(port, "DeleteMessageBatch", {"QueueUrl": url, "Entries": handles}))

            steps = {
                "SendMessage": _one(request(port, "SendMessage", {"QueueUrl": url, "MessageBody": "payload"})),
                "SendMessageBatch(10)": _one(send_batch),
                "GetQueueAttributes": _one(
                    request(port, "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]})
                ),
                "Send+Receive+Delete(10)": send_receive_and_delete,
            }
            totals = measure(steps, port, process, out, args.requests)
        finally:
            process.terminate()
            process.wait(timeout=300)
    # The receive and delete pair is measured with the send that fills the queue for it, which is taken off.
    totals["Receive(10)+DeleteBatch"] = totals.pop("Send+Receive+Delete(10)") - totals["SendMessageBatch(10)"]
    print(f"user-space instructions per request in the server (callgrind, {args.requests} requests each)")
    for name, per_request in totals.items():
        print(f"{name:<24}{per_request:>12,.0f}")
    return 0


def _environment() -> dict[str, str]:
    import os

    return dict(os.environ)


if __name__ == "__main__":
    sys.exit(main())
