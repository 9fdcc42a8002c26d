"""How `cloudtwin serve` answers SQS in its first seconds, with and without a Kafka broker starting.

For each `--kafka` setting, launches `cloudtwin serve` on free ports and, from the moment the
process is started, measures:
- first answer: seconds until a CreateQueue returns 200;
- the SQS rate over the rest of the window (default the first 10 s): one client alternating
  SendMessage and ReceiveMessage over raw keep-alive HTTP (JSON protocol), requests per second,
  as a mean, as the slowest and fastest whole second, and as "early/late": the first 3 whole
  seconds over the last 3 of the same run (1.0: no slowdown while starting; it discounts the
  load other processes put on the machine, which drifts slowly);
- when Kafka said it was ready (from serve's own "kafka: ready ... (N s)" line), and the CPU
  seconds the JVM had used by then (user + system, from /proc: less noisy than wall time).
Configurations run interleaved, each `--repeat` times, so a noisy neighbour spreads over all of them.

Run: python bench/startup_bench.py [--repeat 3] [--seconds 10] [--kafka "off,auto,auto --kafka-nice 0"]
     [--source DIR ...]
Each `--kafka` entry is the value of serve's --kafka flag, optionally followed by more serve flags.
`--source` runs the emulator package from another checkout (e.g. `git archive a07576e` unpacked)
to compare before and after a change in the same run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Run:
    kafka: str
    source: str
    first_answer: float | None = None
    per_second: list[int] = field(default_factory=list)
    kafka_ready: float | None = None
    jvm_cpu: float | None = None
    kafka_note: str = ""


class SqsCaller:
    """SQS JSON-protocol calls on one keep-alive connection, as cheap for the client as it gets."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, action: str, document: dict) -> dict:
        body = json.dumps(document)
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"AmazonSQS.{action}",
            "Authorization": AUTH,
        }
        self.connection.request("POST", "/", body, headers)
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"{action} answered {response.status}: {payload[:200]!r}")
        return json.loads(payload)

    def close(self) -> None:
        self.connection.close()


def first_answer(port: int, started: float, timeout: float = 60) -> tuple[SqsCaller, str, float]:
    """The first CreateQueue that succeeds, retried as soon as the port refuses."""
    while time.perf_counter() - started < timeout:
        caller = SqsCaller(port)
        try:
            url = caller.call("CreateQueue", {"QueueName": "startup-bench"})["QueueUrl"]
            return caller, url, time.perf_counter() - started
        except (ConnectionError, OSError, http.client.HTTPException):
            caller.close()
            time.sleep(0.005)
    raise RuntimeError(f"no SQS answer within {timeout} s")


def jvm_cpu_seconds(emulator_pid: int) -> float | None:
    """CPU seconds used so far by the JVM broker this emulator started (found through its broker record)."""
    records = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cloudtwin" / "kafka" / "running"
    for path in records.glob("*.json"):
        try:
            record = json.loads(path.read_text())
            if record["owner_pid"] != emulator_pid:
                continue
            fields = Path(f"/proc/{record['broker_pid']}/stat").read_text().rpartition(")")[2].split()
        except (OSError, ValueError, KeyError):
            continue
        # utime and stime are fields 14 and 15 of /proc/PID/stat, counted after the command name.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return None


def python_path(source: Path) -> str:
    """A PYTHONPATH (in a temporary folder the caller removes) that imports `cloudtwin` from the checkout `source`.

    Its emulator/ folder installs as `cloudtwin` (pyproject's package-dir), so a folder holding a link of that
    name comes first; the checkout itself follows, for checkouts from before that mapping, which import `emulator`.
    """
    shim = Path(tempfile.mkdtemp(prefix="startup-bench-"))
    (shim / "cloudtwin").symlink_to(source / "emulator", target_is_directory=True)
    return os.pathsep.join([str(shim), str(source)])


def measure(config: str, source: Path, import_path: str, seconds: float) -> Run:
    port = free_port()
    kafka, *extra = config.split()
    command = [
        sys.executable, "-m", "cloudtwin.cli", "serve", "--aws-port", str(port), "--redis-port", "0",
        "--kafka", kafka, "--kafka-port", "0", *extra,
    ]  # fmt: skip
    run = Run(config, source.name)
    env = {**os.environ, "PYTHONPATH": import_path}
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=source, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    stderr_lines: list[str] = []

    def read_stderr() -> None:
        for line in process.stderr:
            if "kafka: ready" in line:  # the JVM's CPU time at the moment it is ready
                run.jvm_cpu = jvm_cpu_seconds(process.pid)
            stderr_lines.append(line)

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        caller, url, run.first_answer = first_answer(port, started)
        counts = [0] * int(seconds)
        while True:
            elapsed = time.perf_counter() - started
            if elapsed >= seconds:
                break
            caller.call("SendMessage", {"QueueUrl": url, "MessageBody": "x" * 100})
            caller.call("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 1})
            counts[int(elapsed)] += 2
        caller.close()
        if kafka != "off":  # how long the broker took is the other side of the trade-off
            deadline = time.perf_counter() + 90
            while time.perf_counter() < deadline and not re.search(
                r"kafka: (ready|did not start)", "".join(stderr_lines)
            ):
                time.sleep(0.05)
        # Whole seconds after the first answer only: the second it falls in is partly startup.
        run.per_second = counts[int(run.first_answer) + 1 :]
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
    text = "".join(stderr_lines)
    ready = re.search(r"kafka: ready at \S+ \((\w+), ([\d.]+) s\)", text)
    if ready:
        run.kafka_ready = float(ready.group(2))
    elif "kafka" in text:
        run.kafka_note = "not ready in the window"
    return run


def summary(runs: list[Run]) -> str:
    def span(values: list[float], fmt: str) -> str:
        if not values:
            return "-"
        low, high = min(values), max(values)
        if low == high:
            return format(low, fmt)
        return f"{format(statistics.median(values), fmt)} ({format(low, fmt)}-{format(high, fmt)})"

    def early_over_late(run: Run) -> float | None:
        seconds = run.per_second
        if len(seconds) < 6:
            return None
        return sum(seconds[:3]) / max(1, sum(seconds[-3:]))

    rows = [
        (
            "source",
            "--kafka",
            "runs",
            "first answer s",
            "req/s mean",
            "slowest second",
            "fastest second",
            "early/late",
            "kafka ready s",
            "JVM CPU s at ready",
        )
    ]
    keys = sorted({(run.source, run.kafka) for run in runs})
    for source, kafka in keys:
        group = [run for run in runs if (run.source, run.kafka) == (source, kafka)]
        means = [sum(run.per_second) / len(run.per_second) for run in group if run.per_second]
        rows.append(
            (
                source,
                kafka,
                str(len(group)),
                span([run.first_answer for run in group if run.first_answer is not None], ".2f"),
                span(means, ".0f"),
                span([min(run.per_second) for run in group if run.per_second], ".0f"),
                span([max(run.per_second) for run in group if run.per_second], ".0f"),
                span([ratio for run in group if (ratio := early_over_late(run)) is not None], ".2f"),
                span([run.kafka_ready for run in group if run.kafka_ready is not None], ".1f"),
                span([run.jvm_cpu for run in group if run.jvm_cpu is not None], ".1f"),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="window measured from process start")
    parser.add_argument(
        "--kafka", default="off,auto", help="comma-separated --kafka settings to compare, each with optional flags"
    )
    parser.add_argument("--source", action="append", default=[], help="checkout(s) to run instead of this one")
    args = parser.parse_args()
    sources = [Path(path).resolve() for path in args.source] or [ROOT]
    import_paths = {source: python_path(source) for source in sources}
    try:
        runs = compare(sources, import_paths, args)
    finally:
        for import_path in import_paths.values():
            shutil.rmtree(import_path.split(os.pathsep)[0])
    print()
    print(summary(runs))


def compare(sources: list[Path], import_paths: dict[Path, str], args: argparse.Namespace) -> list[Run]:
    runs = []
    for index in range(args.repeat):
        for source in sources:
            for kafka in args.kafka.split(","):
                run = measure(kafka, source, import_paths[source], args.seconds)
                runs.append(run)
                print(
                    f"run {index + 1}: {source.name} --kafka {kafka}: first answer {run.first_answer:.2f} s, "
                    f"req/s by second {run.per_second}, kafka ready {run.kafka_ready or run.kafka_note or '-'}"
                    f", JVM CPU {run.jvm_cpu}",
                    flush=True,
                )
    return runs


if __name__ == "__main__":
    main()
