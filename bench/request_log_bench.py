"""What the request log (on under the pytest plugin, for failure reports) costs an SQS request.

Calls the AWS gateway in process, without sockets or boto3, so the few microseconds the log adds
are not lost in the noise of a shared machine: SendMessage and ReceiveMessage with the log off and
on, in interleaved rounds, median microseconds per request.

Run: python bench/request_log_bench.py [--requests 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from cloudtwin.config import Settings
from cloudtwin.http.responses import call_wsgi
from cloudtwin.process import Emulator

AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x"


def environ(action: str, document: dict) -> dict:
    body = json.dumps(document).encode()
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "4566", "HTTP_HOST": "127.0.0.1:4566", "wsgi.url_scheme": "http",
        "CONTENT_TYPE": "application/x-amz-json-1.0", "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_AMZ_TARGET": f"AmazonSQS.{action}", "HTTP_AUTHORIZATION": AUTH, "cloudtwin.body": body,
    }  # fmt: skip


def per_request_us(gateway, request: dict, count: int) -> float:
    began = time.perf_counter()
    for _ in range(count):
        call_wsgi(gateway, dict(request))
    return (time.perf_counter() - began) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20000, help="requests per figure and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with Emulator(Settings(aws_port=0, redis_port=-1, kafka="off")) as emulator:
        gateway = emulator.services["aws"].gateway
        url, received = (
            json.loads(call_wsgi(gateway, environ("CreateQueue", {"QueueName": name}))[2])["QueueUrl"]
            for name in ("sent-to", "received-from")
        )
        call_wsgi(gateway, environ("SendMessage", {"QueueUrl": received, "MessageBody": "payload"}))
        requests = {
            "SendMessage": environ("SendMessage", {"QueueUrl": url, "MessageBody": "payload"}),
            # Visibility 0: its one message stays visible, so every receive finds the same queue.
            "ReceiveMessage": environ("ReceiveMessage", {"QueueUrl": received, "VisibilityTimeout": 0}),
        }
        figures: dict[tuple[str, bool], list[float]] = {}
        for _ in range(args.rounds):
            for recording in (False, True):
                gateway.request_log.recording = recording
                for name, request in requests.items():
                    figures.setdefault((name, recording), []).append(per_request_us(gateway, request, args.requests))
    print(f"µs per request through the gateway, median of {args.rounds} rounds of {args.requests}")
    print(f"{'request':<16}{'log off':>10}{'log on':>10}{'on/off':>10}")
    for name in requests:
        off, on = (statistics.median(figures[(name, recording)]) for recording in (False, True))
        print(f"{name:<16}{off:>10.1f}{on:>10.1f}{on / off:>10.2f}")


if __name__ == "__main__":
    main()
