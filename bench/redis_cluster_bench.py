"""Redis cluster benchmark: cloudtwin's 3-shard cluster against a 3-node redis-server cluster and cloudtwin's standalone
server, in one run.

    python bench/redis_cluster_bench.py [--requests 50000] [--clients 10] [--pipeline 16] [--repeat 1]
                                        [--skip-peers]

Every server runs in its own process on 127.0.0.1; throughput comes from `redis-benchmark --cluster` (`-t
set,get,incr,lpush,hset`; plain redis-benchmark for the standalone server), the cost of a PUBLISH crossing nodes
from a redis-py publisher on the first node and a subscriber on the last. Installs nothing: peers missing from this
machine are reported as such.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import redis
from redis_bench import (
    benchmark_arguments,
    best_of,
    free_port,
    print_aligned,
    running,
    throughput_rows,
    wait_for_ping,
)

TESTS = ["SET", "GET", "INCR", "LPUSH", "HSET"]
SHARDS = 3


def _cluster_ports() -> list[int]:
    # A redis-server node also listens on its port + 10000 (the cluster bus).
    ports: list[int] = []
    while len(ports) < SHARDS:
        port = free_port()
        if port + 10000 < 65536 and port not in ports:
            ports.append(port)
    return ports


@contextmanager
def twin_cluster() -> Iterator[list[int]]:
    ports = _cluster_ports()
    code = (
        "import threading; from cloudtwin.clock import clock; from cloudtwin.redis.cluster.sharded import "
        f"ShardedCluster; ShardedCluster(clock, shards={SHARDS}, ports={ports}).start(); threading.Event().wait()"
    )
    with running([sys.executable, "-c", code], ports[0]) as process:
        for port in ports[1:]:
            wait_for_ping(port, process)
        yield ports


@contextmanager
def real_cluster() -> Iterator[list[int]]:
    binary = shutil.which("redis-server")
    assert binary is not None
    ports = _cluster_ports()
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        for port in ports:
            command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes"]
            command += ["--cluster-config-file", f"{folder}/nodes-{port}.conf", "--save", "", "--appendonly", "no"]
            stack.enter_context(running(command, port))
        clients = [redis.Redis(port=port) for port in ports]
        size, extra = divmod(16384, SHARDS)
        first = 0
        for index, client in enumerate(clients):
            last = first + size + (1 if index < extra else 0) - 1
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
            first = last + 1
        for port in ports[1:]:
            clients[0].execute_command("CLUSTER", "MEET", "127.0.0.1", port)
        deadline = time.monotonic() + 30
        while not all(b"cluster_state:ok" in client.execute_command("CLUSTER", "INFO") for client in clients):
            if time.monotonic() > deadline:
                raise RuntimeError("the redis-server cluster did not reach cluster_state:ok in 30 s")
            time.sleep(0.1)
        yield ports


@contextmanager
def twin_standalone() -> Iterator[list[int]]:
    port = free_port()
    command = [sys.executable, "-m", "cloudtwin.cli", "serve", "--redis-port", str(port), "--aws-port", "0"]
    with running([*command, "--kafka", "off"], port):
        yield [port]


def publish_latency(ports: list[int], messages: int = 1000) -> float:
    """Median ms from PUBLISH on the first node to the message at a subscriber of the last node."""
    subscriber = redis.Redis(port=ports[-1]).pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe("bench")
    publisher = redis.Redis(port=ports[0])
    delays: list[float] = []
    for _ in range(messages + 1):
        sent = time.perf_counter()
        publisher.publish("bench", b"x")
        while subscriber.get_message(timeout=5) is None:
            pass
        delays.append(time.perf_counter() - sent)
    subscriber.close()
    return statistics.median(delays[1:]) * 1000


def main() -> int:
    args = benchmark_arguments(__doc__, "measure cloudtwin's cluster only")
    if args is None:
        return 1
    targets = {"cloudtwin cluster": twin_cluster, "redis-server cluster": real_cluster, "cloudtwin": twin_standalone}
    results: dict[str, dict] = {}
    for name, target in targets.items():
        if args.skip_peers and name != "cloudtwin cluster":
            continue
        if name == "redis-server cluster" and shutil.which("redis-server") is None:
            print(f"{name}: redis-server not installed, skipped", file=sys.stderr)
            continue
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        with target() as ports:
            single = best_of(args.repeat, ports, args.requests, args.clients, 1, TESTS)
            pipelined = best_of(args.repeat, ports, args.requests, args.clients, args.pipeline, TESTS)
            latency = publish_latency(ports) if len(ports) > 1 else None
        results[name] = {"single": single, "pipelined": pipelined, "publish": latency}
    print_table(results, args)
    return 0


def print_table(results: dict[str, dict], args: argparse.Namespace) -> None:
    names = list(results)
    print(
        f"\nredis-benchmark -n {args.requests} -c {args.clients} (--cluster for clusters), best of {args.repeat}; "
        f"requests per second (P = -P {args.pipeline})\n"
    )
    header, rows = throughput_rows(results, names, TESTS)
    publish = ["PUBLISH to another node, median ms"]
    publish += ["" if results[name]["publish"] is None else f"{results[name]['publish']:.3f}" for name in names]
    rows.append(publish + [""] * len(names))
    print_aligned([header, *rows])


if __name__ == "__main__":
    sys.exit(main())
