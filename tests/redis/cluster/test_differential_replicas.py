"""The twin's cluster with a replica per shard against a real redis-server 7.0 cluster of three primaries and three
replicas with the same slots: what CLUSTER says of replicas, and what a replica serves (reads after READONLY) or
redirects (writes, and reads without READONLY), compared exactly with node ids and ports named alike."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from cloudtwin.redis.cluster.sharded import ShardedCluster
from cloudtwin.redis.cluster.slots import key_slot
from tests.redis.cluster.conftest import ClusterPorts, keys_of_shard
from tests.redis.cluster.test_differential_cluster import Side, _side
from tests.redis.cluster.wire import Error, RawConnection

LOCAL, OTHER_LOCAL = keys_of_shard(0, 2)
FOREIGN = keys_of_shard(2, 1)[0]
# The sides' ports: primaries 0-2, then the replica of each (3 is the replica of 0).
REPLICA_OF_FIRST = 3


def _twin_ports(cluster: ShardedCluster) -> ClusterPorts:
    primaries = [node.address.port for node in cluster.nodes]
    replicas = [address.port for node in cluster.nodes for address in node.replicas.values()]
    return ClusterPorts(primaries + replicas)


@pytest.fixture
def sides(replicated_cluster: ShardedCluster, real_replicated_cluster: ClusterPorts) -> Iterator[tuple[Side, Side]]:
    twin, real = _side(_twin_ports(replicated_cluster)), _side(real_replicated_cluster)
    for side in (twin, real):
        for port in side.ports[:3]:
            connection = RawConnection(port)
            connection.call("FLUSHALL")
            connection.call("SET", LOCAL, "from-the-primary")
            if side is real:
                # The real replica must have the write before it is read there; the twin's shares the data.
                connection.call("WAIT", 1, 5000)
            connection.close()
    yield twin, real


def both(sides: tuple[Side, Side], commands: list[tuple], node: int = 0, protocol: int = 2) -> tuple[list, list]:
    twin, real = sides
    return twin.run(commands, node, protocol), real.run(commands, node, protocol)


def _without_offsets(value):
    """Replication offsets grow on the real cluster (the primary pings its replica); the twin's stay 0."""
    if isinstance(value, dict):
        return {key: 0 if key == b"replication-offset" else _without_offsets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_offsets(item) for item in value]
    return value


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("node", [0, REPLICA_OF_FIRST])
def test_cluster_slots_and_shards_list_the_replicas(sides, protocol, node):
    twin, real = both(sides, [("CLUSTER", "SLOTS"), ("CLUSTER", "SHARDS")], node, protocol)

    assert twin[0] == real[0]
    assert twin[0][0][2:] == [
        [b"127.0.0.1", "<port0>", b"<id0>", twin[0][0][2][3]],
        [b"127.0.0.1", "<port3>", b"<id3>", twin[0][0][3][3]],
    ]

    def by_slots(reply: list) -> list:
        shards = [
            dict(zip(shard[::2], shard[1::2], strict=True)) if isinstance(shard, list) else shard for shard in reply
        ]
        normalized = []
        for shard in shards:
            nodes = [dict(zip(n[::2], n[1::2], strict=True)) if isinstance(n, list) else n for n in shard[b"nodes"]]
            normalized.append({b"slots": shard[b"slots"], b"nodes": _without_offsets(nodes)})
        return sorted(normalized, key=lambda shard: shard[b"slots"])

    assert by_slots(twin[1]) == by_slots(real[1])


def _node_lines(text: bytes) -> list[list[str]]:
    # Bus port, ping and pong times and config epochs are the real cluster's own; the rest must read the same.
    lines = []
    for line in text.decode().splitlines():
        fields = line.split(" ")
        fields[1] = re.sub(r"@\d+$", "@<bus>", fields[1])
        fields[4], fields[5], fields[6] = "<ping>", "<pong>", "<epoch>"
        lines.append(fields)
    return sorted(lines)


def test_cluster_nodes_replicas_myid_and_info_on_a_replica(sides):
    commands = [
        ("CLUSTER", "NODES"),
        ("CLUSTER", "MYID"),
        ("CLUSTER", "REPLICAS", sides[0].ids[0]),
        ("CLUSTER", "REPLICAS", sides[0].ids[3]),
        ("CLUSTER", "INFO"),
    ]
    twin_commands = commands
    real_commands = [
        *commands[:2],
        ("CLUSTER", "REPLICAS", sides[1].ids[0]),
        ("CLUSTER", "REPLICAS", sides[1].ids[3]),
        commands[4],
    ]
    twin = sides[0].run(twin_commands, REPLICA_OF_FIRST)
    real = sides[1].run(real_commands, REPLICA_OF_FIRST)

    assert _node_lines(twin[0]) == _node_lines(real[0])
    replica_line = next(fields for fields in _node_lines(twin[0]) if fields[0] == "<id3>")
    assert replica_line[2:4] == ["myself,slave", "<id0>"]
    assert twin[1] == real[1] == b"<id3>"
    assert [_node_lines(line + b"\n") for line in twin[2]] == [_node_lines(line + b"\n") for line in real[2]]
    assert twin[3] == real[3] == Error("ERR The specified node is not a master")
    info = [dict(line.split(":", 1) for line in reply.decode().split("\r\n") if line) for reply in (twin[4], real[4])]
    for name in ("cluster_state", "cluster_known_nodes", "cluster_size"):
        assert info[0][name] == info[1][name], name


def test_a_replica_redirects_until_readonly_then_serves_reads_of_its_shard(sides):
    script_get = "return redis.call('get', KEYS[1])"
    commands = [
        ("GET", LOCAL),
        ("SET", LOCAL, "x"),
        ("READONLY",),
        ("GET", LOCAL),
        ("EXISTS", LOCAL, OTHER_LOCAL),
        ("GET", FOREIGN),
        ("SET", LOCAL, "from-the-replica"),
        ("INCR", OTHER_LOCAL),
        ("FLUSHALL",),
        ("EVAL", script_get, 1, LOCAL),
        ("EVAL", "return redis.call('set', KEYS[1], 'x')", 1, LOCAL),
        ("EVAL_RO", script_get, 1, LOCAL),
        ("MULTI",),
        ("GET", LOCAL),
        ("EXEC",),
        ("MULTI",),
        ("SET", LOCAL, "x"),
        ("EXEC",),
        ("READWRITE",),
        ("GET", LOCAL),
        ("EVAL", script_get, 1, LOCAL),
        ("READONLY",),
        ("RESET",),
        ("GET", LOCAL),
    ]
    twin, real = both(sides, commands, REPLICA_OF_FIRST)

    assert twin == real
    slot = key_slot(LOCAL)
    assert twin[0] == twin[1] == Error(f"MOVED {slot} <node0>")
    assert twin[3] == b"from-the-primary"
    assert twin[8] == Error("READONLY You can't write against a read only replica.")
    assert twin[-1] == Error(f"MOVED {slot} <node0>")
