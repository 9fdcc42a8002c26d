"""SQS throughput of one boto3 client against cloudtwin, moto's server and a canned server.

The canned server answers instantly with fixed responses, so its figure is what the client
alone can do; "of canned" says how much of that the server leaves. Also measures receive
latency with 1,000 vs 1,000,000 messages queued, and how soon `cloudtwin serve` answers.

Run: python bench/sqs_bench.py [--seconds 5] [--deep 1000000]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

import boto3

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return time.perf_counter() - start
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s")


@contextmanager
def server(command: list[str], port: int):
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        wait_for_port(port)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def client(port: int):
    return boto3.client(
        "sqs",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


class Rate:
    """Operations and the time spent in them only (set-up between operations is not counted)."""

    def __init__(self) -> None:
        self.count = 0
        self.spent = 0.0

    def step(self, operation, prepare=None) -> None:
        if prepare is not None:
            prepare()
        began = time.perf_counter()
        operation()
        self.spent += time.perf_counter() - began
        self.count += 1

    def run(self, operation, seconds: float, prepare=None) -> None:
        budget = self.spent + seconds
        while self.spent < budget:
            self.step(operation, prepare)

    @property
    def per_second(self) -> float:
        return self.count / self.spent


class Workload:
    """The three measured operations against one server, on a queue kept small."""

    def __init__(self, port: int) -> None:
        self.sqs = client(port)
        self.url = self.sqs.create_queue(QueueName="bench")["QueueUrl"]
        self.entries = [{"Id": str(i), "MessageBody": "payload"} for i in range(10)]
        self.operations = {
            "SendMessage": (self.send, self.drain),
            "SendMessageBatch(10)": (self.send_batch, self.drain),
            "Receive(10)+DeleteBatch": (self.receive_and_delete, self.send_batch),
        }
        self._sent = 0

    def send(self) -> None:
        self.sqs.send_message(QueueUrl=self.url, MessageBody="payload")
        self._sent += 1

    def send_batch(self) -> None:
        self.sqs.send_message_batch(QueueUrl=self.url, Entries=self.entries)
        self._sent += 10

    def drain(self) -> None:
        """Purge now and then, so every server sends into a queue of similar depth."""
        if self._sent >= 1000:
            self.sqs.delete_queue(QueueUrl=self.url)
            self.url = self.sqs.create_queue(QueueName=f"bench-{time.perf_counter_ns()}")["QueueUrl"]
            self._sent = 0

    def receive_and_delete(self) -> None:
        messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
        self.sqs.delete_message_batch(
            QueueUrl=self.url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
        self._sent -= len(messages)


def alternating(workloads: dict[str, Workload], op: str, seconds: float, rates: dict[str, Rate]) -> None:
    """One call to each server in turn until each has had `seconds` more: this VM's speed drifts by a third within a
    second, and calls side by side in time meet the same machine, where rounds of a second each did not."""
    budgets = {name: rates[name].spent + seconds for name in workloads}
    while any(rates[name].spent < budget for name, budget in budgets.items()):
        for name, workload in workloads.items():
            rates[name].step(*workload.operations[op])


def throughput_table(seconds: float, rounds: int) -> None:
    """canned, cloudtwin and recording are called in alternation; moto, a hundred times slower, in rounds of its own
    between them."""
    ports = {name: free_port() for name in ("canned", "cloudtwin", "recording", "moto")}

    def serve(port: int) -> list[str]:
        return [sys.executable, "-m", "cloudtwin.cli", "serve", "--aws-port", str(port), "--redis-port", "-1",
                "--kafka", "off"]  # fmt: skip

    commands = {
        "canned": [sys.executable, str(HERE / "canned_server.py"), str(ports["canned"])],
        "cloudtwin": serve(ports["cloudtwin"]),
        "recording": serve(ports["recording"]),  # with the request log the pytest plugin's failure report reads
        "moto": [sys.executable, "-m", "moto.server", "-p", str(ports["moto"])],
    }
    with ExitStack() as stack:
        for name, command in commands.items():
            stack.enter_context(server(command, ports[name]))
        record = urllib.request.Request(
            f"http://127.0.0.1:{ports['recording']}/_cloudtwin/requests", data=b'{"record": true}',
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        urllib.request.urlopen(record, timeout=10).read()
        workloads = {name: Workload(port) for name, port in ports.items()}
        fast = {name: workloads[name] for name in ("canned", "cloudtwin", "recording")}
        for workload in workloads.values():  # warm-up, not counted
            for operation, prepare in workload.operations.values():
                Rate().run(operation, 0.2, prepare)
        rates = {name: {op: Rate() for op in workload.operations} for name, workload in workloads.items()}
        for op, (operation, prepare) in workloads["moto"].operations.items():
            for _ in range(rounds):
                alternating(fast, op, seconds / rounds, {name: rates[name][op] for name in fast})
                rates["moto"][op].run(operation, seconds / rounds, prepare)
    print(f"\nThroughput, one boto3 client, ops/s ({seconds:g} s per figure; moto in {rounds} rounds between the rest)")
    print("(canned, cloudtwin and recording called in turn, one call each;")
    print(" recording: cloudtwin with its request log on, as under the pytest plugin)")
    print(
        f"{'operation':<26}{'canned':>10}{'cloudtwin':>12}{'recording':>12}{'moto':>10}{'of canned':>12}"
        f"{'rec. of canned':>16}{'vs moto':>10}"
    )
    for op in rates["canned"]:
        canned, ours, recording, moto = (rates[n][op].per_second for n in ("canned", "cloudtwin", "recording", "moto"))
        print(
            f"{op:<26}{canned:>10.0f}{ours:>12.0f}{recording:>12.0f}{moto:>10.0f}{ours / canned:>11.0%}"
            f"{recording / canned:>15.0%}{ours / moto:>9.1f}x"
        )


def deep_queue_latency(depth: int, samples: int) -> None:
    """Receive+delete latency with `depth` messages queued, filled through the core directly."""
    from cloudtwin.config import Settings
    from cloudtwin.process import Emulator
    from cloudtwin.sqs.backend import SendEntry
    from cloudtwin.sqs.naming import RequestContext

    print(f"\nReceive(10)+DeleteBatch latency by queue depth ({samples} samples each)")
    print(f"{'depth':>10}{'p50 ms':>10}{'p90 ms':>10}{'fill s':>10}")
    results = {}
    for size in (1000, depth):
        with Emulator(Settings(aws_port=0, redis_port=-1, kafka="off")) as emulator:
            sqs = client(emulator.services["aws"].server.port)
            url = sqs.create_queue(QueueName="deep")["QueueUrl"]
            backend = emulator.services["aws"].sqs
            ctx = RequestContext("us-east-1", "000000000000", emulator.aws_endpoint)
            start = time.perf_counter()
            entries = [SendEntry(id=str(i), body="payload") for i in range(10)]
            for _ in range(size // 10):
                backend.send_message_batch(ctx, url, entries)
            fill = time.perf_counter() - start
            latencies = []
            for _ in range(samples):
                began = time.perf_counter()
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
                )
                latencies.append((time.perf_counter() - began) * 1000)
                backend.send_message_batch(ctx, url, entries)  # keep the depth, outside the timing
            p50 = statistics.median(latencies)
            results[size] = p50
            p90 = statistics.quantiles(latencies, n=10)[-1]
            print(f"{size:>10}{p50:>10.2f}{p90:>10.2f}{fill:>10.1f}")
    print(f"ratio p50 at {depth:,} / at 1,000: {results[depth] / results[1000]:.2f}")


def startup_time(runs: int) -> None:
    """Seconds from spawning `cloudtwin serve` to its first answered request."""
    times = []
    for _ in range(runs):
        port = free_port()
        began = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "cloudtwin.cli", "serve", "--aws-port", str(port), "--redis-port", "-1",
             "--kafka", "off"],  # fmt: skip
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
        )  # fmt: skip
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_cloudtwin/health", timeout=1):
                        break
                except OSError:
                    time.sleep(0.005)
            times.append(time.perf_counter() - began)
        finally:
            process.terminate()
            process.wait(timeout=10)
    median, worst = statistics.median(times), max(times)
    print(f"\n`cloudtwin serve` first answer: median {median:.3f} s, max {worst:.3f} s ({runs} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=6.0, help="measuring time per throughput figure")
    parser.add_argument("--rounds", type=int, default=6, help="rounds the measuring time is split into, moto's between")
    parser.add_argument("--deep", type=int, default=1_000_000, help="queue depth for the latency comparison")
    parser.add_argument("--samples", type=int, default=300, help="receives per latency figure")
    parser.add_argument("--only", choices=["throughput", "depth", "startup"], help="run one part")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    if args.only in (None, "startup"):
        startup_time(10)
    if args.only in (None, "throughput"):
        throughput_table(args.seconds, args.rounds)
    if args.only in (None, "depth"):
        deep_queue_latency(args.deep, args.samples)


if __name__ == "__main__":
    main()
