"""Redis endpoint benchmark: cloudtwin against fakeredis's TcpFakeServer and redis-server, in one run.

    python bench/redis_bench.py [--requests 50000] [--clients 10] [--pipeline 16] [--repeat 1] [--skip-peers]

Every server runs in its own process on 127.0.0.1; throughput comes from redis-benchmark
(`-t set,get,incr,lpush,lpop,hset`), pub/sub delivery latency from a redis-py publisher and
subscriber. Installs nothing: peers missing from this machine are reported as such.
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

TESTS = ["SET", "GET", "INCR", "LPUSH", "LPOP", "HSET"]
REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_ping(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as probe:
                probe.sendall(b"*1\r\n$4\r\nPING\r\n")
                if probe.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no PING reply on port {port} after {seconds} s")


def server_commands(port: int) -> dict[str, list[str] | None]:
    return {
        "cloudtwin": [
            sys.executable,
            "-m",
            "cloudtwin.cli",
            "serve",
            "--redis-port",
            str(port),
            "--aws-port",
            "0",
            "--kafka",
            "off",
        ],
        "fakeredis TcpFakeServer": [
            sys.executable,
            "-c",
            "from fakeredis import TcpFakeServer; "
            f"TcpFakeServer(('127.0.0.1', {port}), server_version=(7, 0)).serve_forever()",
        ],
        "redis-server": (
            [
                shutil.which("redis-server"),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ]
            if shutil.which("redis-server")
            else None
        ),
    }


@contextmanager
def running(command: list[str], port: int) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_ping(port, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def redis_benchmark(
    ports: list[int], requests: int, clients: int, pipeline: int, tests: list[str] = TESTS
) -> dict[str, float]:
    """redis-benchmark's requests per second for each test, against the node at ports[0]; with more ports, a cluster
    (`--cluster`). Every node is flushed first."""
    for port in ports:
        redis.Redis(port=port).flushall()
    command = ["redis-benchmark", "-p", str(ports[0]), "-t", ",".join(tests).lower(), "-n", str(requests)]
    command += ["-c", str(clients), "-P", str(pipeline), "--csv"]
    if len(ports) > 1:
        command.append("--cluster")
    output = subprocess.run(command, capture_output=True, text=True, timeout=1800, cwd=REPO).stdout
    rates = {}
    for row in csv.reader(io.StringIO(output)):
        if row and row[0] != "test":
            name = row[0].split()[0].upper()
            if name in tests:
                rates[name] = float(row[1])
    return rates


def best_of(
    repeat: int, ports: list[int], requests: int, clients: int, pipeline: int, tests: list[str] = TESTS
) -> dict[str, float]:
    """Each test's best rate over `repeat` runs: on a shared 2-core machine, the least disturbed run."""
    best: dict[str, float] = {}
    for _ in range(repeat):
        for test, rate in redis_benchmark(ports, requests, clients, pipeline, tests).items():
            best[test] = max(best.get(test, 0.0), rate)
    return best


def pubsub_latency(port: int, messages: int = 2000) -> tuple[float, float]:
    """Median and 99th percentile, in ms, from PUBLISH sent to message received."""
    subscriber = redis.Redis(port=port).pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe("bench")
    publisher = redis.Redis(port=port)
    publisher.publish("bench", b"warm-up")
    while subscriber.get_message(timeout=5) is None:
        pass
    delays: list[float] = []
    for _ in range(messages):
        sent = time.perf_counter()
        publisher.publish("bench", b"x")
        while subscriber.get_message(timeout=5) is None:
            pass
        delays.append(time.perf_counter() - sent)
    subscriber.close()
    delays.sort()
    return statistics.median(delays) * 1000, delays[int(len(delays) * 0.99) - 1] * 1000


def benchmark_arguments(description: str, skip_peers_help: str) -> argparse.Namespace | None:
    """The options of the redis-benchmark driven benches; None, after saying why, without redis-benchmark."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--pipeline", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the table shows the best")
    parser.add_argument("--skip-peers", action="store_true", help=skip_peers_help)
    args = parser.parse_args()
    if shutil.which("redis-benchmark") is None:
        print("redis-benchmark is not installed (apt-get install redis-tools or redis-server)", file=sys.stderr)
        return None
    return args


def main() -> int:
    args = benchmark_arguments(__doc__, "measure cloudtwin only")
    if args is None:
        return 1

    results: dict[str, dict] = {}
    for name in server_commands(0):
        port = free_port()
        command = server_commands(port)[name]
        if args.skip_peers and name != "cloudtwin":
            continue
        if command is None:
            print(f"{name}: not installed, skipped", file=sys.stderr)
            continue
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        with running(command, port):
            single = best_of(args.repeat, [port], args.requests, args.clients, 1)
            pipelined = best_of(args.repeat, [port], args.requests, args.clients, args.pipeline)
            p50, p99 = pubsub_latency(port)
        results[name] = {"single": single, "pipelined": pipelined, "p50": p50, "p99": p99}

    print_table(results, args)
    return 0


def throughput_rows(results: dict[str, dict], names: list[str], tests: list[str]) -> tuple[list[str], list[list[str]]]:
    """The header and a row per test: each server's requests per second, single then pipelined."""
    header = ["test"] + names + [f"{name} P" for name in names]
    rows = [
        [test]
        + [f"{results[name]['single'].get(test, 0):,.0f}" for name in names]
        + [f"{results[name]['pipelined'].get(test, 0):,.0f}" for name in names]
        for test in tests
    ]
    return header, rows


def print_aligned(rows: list[list[str]]) -> None:
    """The first row as a header, a rule under it, every column right-aligned."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in [rows[0], ["-" * width for width in widths], *rows[1:]]:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


def print_table(results: dict[str, dict], args: argparse.Namespace) -> None:
    names = list(results)
    print(
        f"\nredis-benchmark -n {args.requests} -c {args.clients}, best of {args.repeat}; "
        f"requests per second (P = -P {args.pipeline})\n"
    )
    header, rows = throughput_rows(results, names, TESTS)
    rows.append(["pub/sub p50 ms"] + [f"{results[n]['p50']:.3f}" for n in names] + [""] * len(names))
    rows.append(["pub/sub p99 ms"] + [f"{results[n]['p99']:.3f}" for n in names] + [""] * len(names))
    print_aligned([header, *rows])
    peer = "fakeredis TcpFakeServer"
    if "cloudtwin" in results and peer in results:
        print(f"\ncloudtwin / {peer}:")
        for mode in ("single", "pipelined"):
            ratios = {
                test: results["cloudtwin"][mode][test] / results[peer][mode][test]
                for test in TESTS
                if results[peer][mode].get(test) and results["cloudtwin"][mode].get(test)
            }
            if ratios:
                each = "  ".join(f"{test} {ratio:.1f}x" for test, ratio in ratios.items())
                print(f"  {mode:9}: {each}  (min {min(ratios.values()):.1f}x)")


if __name__ == "__main__":
    sys.exit(main())
