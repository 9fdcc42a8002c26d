"""Redis endpoint memory benchmark: the server's RSS before, at peak and after each load, cloudtwin and redis-server
side by side in one run.

    python bench/redis_memory_bench.py [--unread-mb 256 | --full] [--fill-mb 100] [--connections 10000]
                                       [--pings 2000000] [--settle 3] [--skip-peers] [--only CASE ...]

Cases, each on a freshly started server:
  unread-replies  a client pipelines GETs of a 1 MiB value and reads none of the replies until the server holds
                  --unread-mb of them (--full: 1 GiB), then goes away
  flushall        --fill-mb of 1 KB values written, then FLUSHALL
  connections     --connections connections opened (--batch at a time: all at once by default) and closed,
                  each after one PING
  unread-pings    a client pipelines --pings PINGs and reads no reply while another client PINGs one at a time:
                  its worst and 99th percentile round trip are shown
"after" is the RSS --settle seconds after the load ended. Linux only (RSS from /proc).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import redis
import redis_bench  # a sibling script: its server commands, ports and start-up

MiB = 1024 * 1024
BIG_VALUE = MiB


def server_commands(port: int) -> dict[str, list[str] | None]:
    """cloudtwin and redis-server as the throughput benchmark starts them (TcpFakeServer's memory is not compared)."""
    commands = redis_bench.server_commands(port)
    return {name: commands[name] for name in ("cloudtwin", "redis-server")}


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class PeakSampler:
    """The highest RSS of a process seen while the block runs, sampled every few milliseconds."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss(self.pid))
            self._stop.wait(0.005)

    def __enter__(self) -> PeakSampler:
        self.peak = rss(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss(self.pid))


def slow_reader(port: int) -> socket.socket:
    """A connection that will not read: a small receive buffer, so the replies pile up in the server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.connect(("127.0.0.1", port))
    return sock


def client_field(control: redis.Redis, name: str, field: str) -> int | None:
    """A field of the named client's CLIENT LIST line; None once that client is gone."""
    for client in control.client_list():
        if client.get("name") == name:
            return int(client[field])
    return None


def wait_until_stable(read: Callable[[], int | None], target: int, seconds: float) -> int:
    """Poll `read` until it reaches `target` or stops growing for a second; the last value read."""
    deadline = time.monotonic() + seconds
    last, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        value = read() or 0
        if value >= target:
            return value
        if value != last:
            last, last_change = value, time.monotonic()
        elif time.monotonic() - last_change > 1.0:
            return value
        time.sleep(0.05)
    return last


def command(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(arg), arg) for arg in args)


def case_unread_replies(process: subprocess.Popen, port: int, args: argparse.Namespace) -> dict:
    size = 1024 * MiB if args.full else args.unread_mb * MiB
    control = redis.Redis(port=port, socket_timeout=30)
    control.set("big", b"x" * BIG_VALUE)
    before = rss(process.pid)
    with PeakSampler(process.pid) as sampler:
        sock = slow_reader(port)
        sock.sendall(command(b"CLIENT", b"SETNAME", b"slow") + command(b"GET", b"big") * (size // BIG_VALUE))
        queued = wait_until_stable(lambda: client_field(control, "slow", "omem"), size * 9 // 10, 300)
        sock.close()
        gone_at = time.monotonic()
        while client_field(control, "slow", "omem") is not None and time.monotonic() - gone_at < 30:
            time.sleep(0.01)
        dropped_in = time.monotonic() - gone_at
    return settle(process, args, before, sampler.peak, f"{queued / MiB:.0f} MiB queued, gone in {dropped_in:.2f} s")


def case_flushall(process: subprocess.Popen, port: int, args: argparse.Namespace) -> dict:
    control = redis.Redis(port=port, socket_timeout=60)
    value = b"v" * 1000
    keys = args.fill_mb * MiB // len(value)
    before = rss(process.pid)
    with PeakSampler(process.pid) as sampler:
        for start in range(0, keys, 1000):
            pipe = control.pipeline(transaction=False)
            for index in range(start, min(keys, start + 1000)):
                pipe.set(f"key:{index}", value)
            pipe.execute()
        control.flushall()
    return settle(process, args, before, sampler.peak, f"{keys:,} keys of 1 KB")


def case_connections(process: subprocess.Popen, port: int, args: argparse.Namespace) -> dict:
    before = rss(process.pid)
    ping = command(b"PING")
    with PeakSampler(process.pid) as sampler:
        opened = 0
        while opened < args.connections:
            size = min(args.batch or args.connections, args.connections - opened)
            batch = [socket.create_connection(("127.0.0.1", port)) for _ in range(size)]
            for sock in batch:
                sock.sendall(ping)
            for sock in batch:
                sock.recv(64)
            for sock in batch:
                sock.close()
            opened += len(batch)
    return settle(process, args, before, sampler.peak, f"{opened:,} connections")


def case_unread_pings(process: subprocess.Popen, port: int, args: argparse.Namespace) -> dict:
    control = redis.Redis(port=port, socket_timeout=30)
    prober = redis.Redis(port=port, socket_timeout=30)
    before = rss(process.pid)
    round_trips: list[float] = []
    loading = threading.Event()
    loading.set()

    def probe() -> None:
        while loading.is_set():
            started = time.perf_counter()
            prober.ping()
            round_trips.append(time.perf_counter() - started)
            time.sleep(0.001)

    with PeakSampler(process.pid) as sampler:
        prober_thread = threading.Thread(target=probe, daemon=True)
        prober_thread.start()
        sock = slow_reader(port)
        sock.sendall(command(b"CLIENT", b"SETNAME", b"slow"))
        batch = command(b"PING") * 10_000
        for _ in range(args.pings // 10_000):
            sock.sendall(batch)
        expected = len(b"+PONG\r\n") * (args.pings // 10_000) * 10_000
        queued = wait_until_stable(lambda: client_field(control, "slow", "omem"), expected * 9 // 10, 300)
        loading.clear()
        prober_thread.join()
        sock.close()
    round_trips.sort()
    p99 = round_trips[max(0, int(len(round_trips) * 0.99) - 1)] * 1000
    note = (
        f"{queued / MiB:.1f} MiB queued; other client's PING p50 {statistics.median(round_trips) * 1000:.2f} ms, "
        f"p99 {p99:.1f} ms, max {round_trips[-1] * 1000:.0f} ms"
    )
    return settle(process, args, before, sampler.peak, note)


def settle(process: subprocess.Popen, args: argparse.Namespace, before: int, peak: int, note: str) -> dict:
    time.sleep(args.settle)
    return {"before": before, "peak": peak, "after": rss(process.pid), "note": note}


CASES = {
    "unread-replies": case_unread_replies,
    "flushall": case_flushall,
    "connections": case_connections,
    "unread-pings": case_unread_pings,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unread-mb", type=int, default=256, help="MiB of unread replies (default 256)")
    parser.add_argument("--full", action="store_true", help="1 GiB of unread replies")
    parser.add_argument("--fill-mb", type=int, default=100)
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=0, help="connections open at a time (default: all)")
    parser.add_argument("--pings", type=int, default=2_000_000)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after the load before RSS is read again")
    parser.add_argument("--skip-peers", action="store_true", help="measure cloudtwin only")
    parser.add_argument("--only", nargs="+", choices=list(CASES), help="run these cases only")
    args = parser.parse_args()

    rows = []
    for case in args.only or CASES:
        for name in server_commands(0):
            if args.skip_peers and name != "cloudtwin":
                continue
            port = redis_bench.free_port()
            server = server_commands(port)[name]
            if server is None:
                print(f"{name}: not installed, skipped", file=sys.stderr)
                continue
            print(f"{case}: {name} ...", file=sys.stderr, flush=True)
            with redis_bench.running(server, port) as process:
                rows.append((case, name, CASES[case](process, port, args)))
    print_table(rows, args)
    return 0


def print_table(rows: list[tuple[str, str, dict]], args: argparse.Namespace) -> None:
    print(f"\nRSS in MiB; after = {args.settle:g} s after the load ended\n")
    header = ["case", "server", "before", "peak", "after", "kept", "load"]
    lines = [
        [
            case,
            name,
            f"{result['before'] / MiB:.0f}",
            f"{result['peak'] / MiB:.0f}",
            f"{result['after'] / MiB:.0f}",
            f"{(result['after'] - result['before']) / MiB:+.0f}",
            result["note"],
        ]
        for case, name, result in rows
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header) - 1)]
    for row in [header, ["-" * w for w in widths] + ["----"], *lines]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])


if __name__ == "__main__":
    sys.exit(main())
