"""Fixtures for the cluster tests: the twin's cluster, and a real 3-node redis-server cluster with the same slots."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis

from cloudtwin.clock import clock
from cloudtwin.redis.cluster.sharded import ShardedCluster
from cloudtwin.redis.cluster.slots import even_slot_ranges, key_slot
from tests.redis_servers import redis_servers, wait_until


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


@pytest.fixture(scope="module")
def replicated_cluster() -> Iterator[ShardedCluster]:
    """The twin's cluster with a replica per shard."""
    twin = ShardedCluster(clock, shards=3, replicas=1)
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


def _cluster_nodes(ports: list[int]) -> list[list[str]]:
    # A replica syncs at once, not after redis' default 5 s wait for more replicas.
    common = ["--cluster-enabled", "yes", "--repl-diskless-sync-delay", "0"]
    return [["--port", str(port), "--cluster-config-file", f"nodes-{port}.conf", *common] for port in ports]


def _assign_slots_and_meet(clients: list[redis.Redis]) -> None:
    """The twin's three slot ranges to the first three nodes, then every node joined to the first."""
    wait_until(lambda: all(client.ping() for client in clients), "the redis-server nodes did not start")
    for client, (first, last) in zip(clients[:3], even_slot_ranges(3), strict=True):
        client.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
    for client in clients[1:]:
        clients[0].execute_command("CLUSTER", "MEET", "127.0.0.1", client.connection_pool.connection_kwargs["port"])


def _all_linked(clients: list[redis.Redis]) -> bool:
    """Every node knows every other over a connected bus link: right after the meet a node can still list a peer as
    disconnected (or in handshake), and CLUSTER NODES would say so."""
    for client in clients:
        lines = client.execute_command("CLUSTER", "NODES").decode().splitlines()
        if len(lines) != len(clients):
            return False
        for fields in (line.split(" ") for line in lines):
            if fields[7] != "connected" or any(flag in fields[2] for flag in ("handshake", "fail", "noaddr")):
                return False
    return True


@pytest.fixture(scope="module")
def real_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterPorts]:
    """Three redis-server nodes with cluster mode enabled, given the twin's slot ranges with CLUSTER ADDSLOTSRANGE and
    joined with CLUSTER MEET; or a skip saying why there is none."""
    ports = [_cluster_port() for _ in range(3)]
    with redis_servers(_cluster_nodes(ports), tmp_path_factory.mktemp("real-cluster")):
        clients = [redis.Redis(port=port) for port in ports]
        try:
            _assign_slots_and_meet(clients)
            wait_until(
                lambda: (
                    _all_linked(clients)
                    and all(
                        b"cluster_state:ok" in client.execute_command("CLUSTER", "INFO")
                        and len(client.execute_command("CLUSTER", "SLOTS")) == 3
                        for client in clients
                    )
                ),
                "the real cluster did not reach cluster_state:ok",
            )
            yield ClusterPorts(ports)
        finally:
            for client in clients:
                client.close()


@pytest.fixture(scope="module")
def real_replicated_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterPorts]:
    """Three redis-server primaries with the twin's slot ranges and one replica each (CLUSTER REPLICATE), their client
    ports in the order primaries then replicas (replica i of primary i); or a skip saying why there is none."""
    ports = [_cluster_port() for _ in range(6)]
    with redis_servers(_cluster_nodes(ports), tmp_path_factory.mktemp("real-replicated-cluster")):
        clients = [redis.Redis(port=port) for port in ports]
        try:
            _assign_slots_and_meet(clients)
            wait_until(
                lambda: all(client.execute_command("CLUSTER", "NODES").count(b"\n") == 6 for client in clients),
                "the real nodes did not meet",
            )
            primary_ids = [client.execute_command("CLUSTER", "MYID") for client in clients[:3]]
            for replica, primary_id in zip(clients[3:], primary_ids, strict=True):
                replica.execute_command("CLUSTER", "REPLICATE", primary_id)

            def linked() -> bool:
                return all(replica.info("replication").get("master_link_status") == "up" for replica in clients[3:])

            wait_until(linked, "the real replicas did not link to their primaries")
            # redis 7.0 lists a replica in CLUSTER SLOTS and SHARDS once its replication offset is not 0: a write to
            # each shard moves the offsets now, not at the primary's next ping of its replica (10 s).
            wait_until(
                lambda: all(primary.set(keys_of_shard(shard, 1)[0], "1") for shard, primary in enumerate(clients[:3])),
                "the real primaries did not take writes",
            )
            wait_until(
                lambda: (
                    linked()
                    and _all_linked(clients)
                    and all(
                        b"cluster_state:ok" in client.execute_command("CLUSTER", "INFO")
                        and all(len(entry) == 4 for entry in client.execute_command("CLUSTER", "SLOTS"))
                        for client in clients
                    )
                ),
                "the real replicas did not join their primaries",
            )
            yield ClusterPorts(ports)
        finally:
            for client in clients:
                client.close()
