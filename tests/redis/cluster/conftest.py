"""Fixtures for the cluster tests: the twin's cluster, and a real 3-node redis-server cluster with the same slots."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis

from cloudtwin.clock import clock
from cloudtwin.redis.cluster.sharded import ShardedCluster
from cloudtwin.redis.cluster.slots import even_slot_ranges, key_slot


@dataclass
class ClusterPorts:
    """The client ports of a cluster's primaries, in shard order (shard i serves even_slot_ranges(3)[i])."""

    ports: list[int]


@pytest.fixture(scope="module")
def cluster() -> Iterator[ShardedCluster]:
    twin = ShardedCluster(clock, shards=3)
    twin.start()
    yield twin
    twin.stop()


@pytest.fixture
def fresh_cluster(cluster: ShardedCluster) -> ShardedCluster:
    cluster.flush()
    return cluster


def twin_ports(cluster: ShardedCluster) -> ClusterPorts:
    return ClusterPorts([node.address.port for node in cluster.nodes])


def keys_of_shard(shard: int, count: int, prefix: str = "key") -> list[bytes]:
    """Keys (of different slots) that the given shard of a 3-shard cluster serves."""
    first, last = even_slot_ranges(3)[shard]
    found: list[bytes] = []
    slots: set[int] = set()
    for index in range(100_000):
        key = f"{prefix}:{index}".encode()
        slot = key_slot(key)
        if first <= slot <= last and slot not in slots:
            found.append(key)
            slots.add(slot)
            if len(found) == count:
                return found
    raise AssertionError("not enough keys")


def _cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too."""
    while True:
        port = random.randint(20000, 45000)
        try:
            with socket.socket() as client_probe, socket.socket() as bus_probe:
                client_probe.bind(("127.0.0.1", port))
                bus_probe.bind(("127.0.0.1", port + 10000))
            return port
        except OSError:
            continue


@pytest.fixture(scope="module")
def real_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterPorts]:
    """Three redis-server nodes with cluster mode enabled, given the twin's slot ranges with CLUSTER ADDSLOTSRANGE and
    joined with CLUSTER MEET; or a skip saying why there is none."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install -y redis-server): differential side skipped")
    folder = tmp_path_factory.mktemp("real-cluster")
    ports = [_cluster_port() for _ in range(3)]
    processes = [
        subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes"]
            + ["--cluster-config-file", f"nodes-{port}.conf", "--save", "", "--appendonly", "no"],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    clients = [redis.Redis(port=port) for port in ports]
    try:
        _wait(lambda: all(client.ping() for client in clients), "the redis-server nodes did not start")
        for client, (first, last) in zip(clients, even_slot_ranges(3), strict=True):
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
        for port in ports[1:]:
            clients[0].execute_command("CLUSTER", "MEET", "127.0.0.1", port)
        _wait(
            lambda: all(
                b"cluster_state:ok" in client.execute_command("CLUSTER", "INFO")
                and len(client.execute_command("CLUSTER", "SLOTS")) == 3
                for client in clients
            ),
            "the real cluster did not reach cluster_state:ok",
        )
        yield ClusterPorts(ports)
    finally:
        for client in clients:
            client.close()
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _wait(condition, failure: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except redis.RedisError:
            pass
        time.sleep(0.05)
    pytest.fail(failure)
