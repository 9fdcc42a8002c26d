"""The twin's cluster against a real 3-node redis-server 7.0 cluster with the same slot ranges: CLUSTER replies,
redirections and cluster-mode refusals compared exactly, with node ids, ports and bus details named alike."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from cloudtwin.redis.cluster.sharded import ShardedCluster
from cloudtwin.redis.cluster.slots import key_slot
from tests.redis.cluster.conftest import ClusterPorts, keys_of_shard, twin_ports
from tests.redis.cluster.wire import Error, Push, RawConnection, Status

LOCAL, OTHER_LOCAL = keys_of_shard(0, 2)
FOREIGN = keys_of_shard(2, 1)[0]
SECOND_SHARD = keys_of_shard(1, 1)[0]


@dataclass
class Side:
    ports: list[int]
    ids: list[bytes]

    def connect(self, shard: int = 0, protocol: int = 2) -> RawConnection:
        connection = RawConnection(self.ports[shard])
        if protocol == 3:
            connection.call("HELLO", 3)
        return connection

    def normalize(self, value: Any) -> Any:
        if isinstance(value, bytes):
            for index, (port, node_id) in enumerate(zip(self.ports, self.ids, strict=True)):
                value = value.replace(node_id, b"<id%d>" % index).replace(b"127.0.0.1:%d" % port, b"<node%d>" % index)
            return value
        if isinstance(value, Error | Status):
            return type(value)(self.normalize(value.text.encode()).decode())
        if isinstance(value, bool) or value is None or isinstance(value, float):
            return value
        if isinstance(value, int):
            return f"<port{self.ports.index(value)}>" if value in self.ports else value
        if isinstance(value, list):
            return [self.normalize(item) for item in value]
        if isinstance(value, Push):
            return Push(tuple(self.normalize(item) for item in value.items))
        if isinstance(value, dict):
            return {self.normalize(key): self.normalize(item) for key, item in value.items()}
        raise TypeError(value)

    def run(self, commands: list[tuple], shard: int = 0, protocol: int = 2) -> list:
        connection = self.connect(shard, protocol)
        try:
            return [self.normalize(connection.call(*command)) for command in commands]
        finally:
            connection.close()


def _side(ports: ClusterPorts) -> Side:
    ids = []
    for port in ports.ports:
        connection = RawConnection(port)
        ids.append(connection.call("CLUSTER", "MYID"))
        connection.close()
    return Side(ports.ports, ids)


@pytest.fixture
def sides(cluster: ShardedCluster, real_cluster: ClusterPorts) -> Iterator[tuple[Side, Side]]:
    twin, real = _side(twin_ports(cluster)), _side(real_cluster)
    for side in (twin, real):
        for port in side.ports:
            connection = RawConnection(port)
            connection.call("FLUSHALL")
            connection.call("SCRIPT", "FLUSH")
            connection.close()
    yield twin, real


def both(sides: tuple[Side, Side], commands: list[tuple], shard: int = 0, protocol: int = 2) -> tuple[list, list]:
    twin, real = sides
    return twin.run(commands, shard, protocol), real.run(commands, shard, protocol)


@pytest.mark.parametrize("protocol", [2, 3])
def test_cluster_slots_is_shaped_as_redis_shapes_it(sides, protocol):
    twin, real = both(sides, [("CLUSTER", "SLOTS")], shard=1, protocol=protocol)
    assert twin == real
    assert twin[0][0][:2] == [0, 5461]


@pytest.mark.parametrize("protocol", [2, 3])
def test_cluster_shards_is_shaped_as_redis_shapes_it(sides, protocol):
    twin, real = both(sides, [("CLUSTER", "SHARDS")], protocol=protocol)

    def by_slots(reply: list) -> list:
        shards = [
            dict(zip(shard[::2], shard[1::2], strict=True)) if isinstance(shard, list) else shard for shard in reply
        ]
        return sorted(shards, key=lambda shard: shard[b"slots"])

    assert by_slots(twin[0]) == by_slots(real[0])
    assert len(twin[0]) == 3


def _node_lines(text: bytes) -> list[list[bytes]]:
    # Bus port, last pong time and config epoch are the real cluster's own; the rest must read the same.
    lines = []
    for line in text.decode().splitlines():
        fields = line.split(" ")
        fields[1] = re.sub(r"@\d+$", "@<bus>", fields[1])
        fields[5], fields[6] = "<pong>", "<epoch>"
        lines.append(fields)
    return sorted(lines)


def test_cluster_nodes_lines_read_as_redis_writes_them(sides):
    twin, real = both(sides, [("CLUSTER", "NODES")], shard=2)
    assert twin[0].endswith(b"\n") and real[0].endswith(b"\n")
    assert _node_lines(twin[0]) == _node_lines(real[0])
    assert [fields[2] for fields in _node_lines(twin[0]) if fields[0] == "<id2>"] == ["myself,master"]


def _info_fields(text: bytes) -> dict[str, str]:
    fields = dict(line.split(":", 1) for line in text.decode().split("\r\n") if line)
    # Per-type bus message counts appear only once such messages went; the twin has no bus.
    return {
        name: value
        for name, value in fields.items()
        if not re.fullmatch(r"cluster_stats_messages_\w+_(sent|received)", name)
    }


def test_cluster_info_fields_are_redis_fields(sides):
    twin, real = both(sides, [("CLUSTER", "INFO")])
    twin_fields, real_fields = _info_fields(twin[0]), _info_fields(real[0])
    assert list(twin_fields) == list(real_fields)
    for name in ("cluster_state", "cluster_slots_assigned", "cluster_slots_ok", "cluster_known_nodes", "cluster_size"):
        assert twin_fields[name] == real_fields[name], name
    assert twin[0].endswith(b"\r\n")


def test_keyslot_and_the_keys_of_a_slot(sides):
    slot_of_local = key_slot(LOCAL)
    commands = [
        ("SET", LOCAL, "1"),
        ("SET", b"{%s}x" % LOCAL, "2"),
        ("SET", OTHER_LOCAL, "3"),
        *[("CLUSTER", "KEYSLOT", key) for key in ("foo", "{user}a", "{}a", "a{}b{c}", "{c", "}{x}", "", LOCAL)],
        ("CLUSTER", "COUNTKEYSINSLOT", slot_of_local),
        ("CLUSTER", "COUNTKEYSINSLOT", 1),
        ("CLUSTER", "COUNTKEYSINSLOT", 16384),
        ("CLUSTER", "COUNTKEYSINSLOT", -1),
        ("CLUSTER", "COUNTKEYSINSLOT", "x"),
        ("CLUSTER", "GETKEYSINSLOT", slot_of_local, 1),
        ("CLUSTER", "GETKEYSINSLOT", slot_of_local, 0),
        ("CLUSTER", "GETKEYSINSLOT", 1, 10),
        ("CLUSTER", "GETKEYSINSLOT", 16384, 1),
        ("CLUSTER", "GETKEYSINSLOT", 1, -1),
        ("CLUSTER", "GETKEYSINSLOT", "x", 1),
        ("CLUSTER", "GETKEYSINSLOT", 1, "x"),
        ("DBSIZE",),
        ("KEYS", "*"),
    ]
    twin, real = both(sides, commands)
    assert twin[:-1] == real[:-1]
    assert sorted(twin[-1]) == sorted(real[-1])
    twin_keys, real_keys = both(sides, [("CLUSTER", "GETKEYSINSLOT", slot_of_local, 10)])
    assert sorted(twin_keys[0]) == sorted(real_keys[0]) == sorted([LOCAL, b"{%s}x" % LOCAL])


def test_moved_and_crossslot_as_redis_words_them(sides):
    commands = [
        ("SET", FOREIGN, "1"),
        ("GET", SECOND_SHARD),
        ("MSET", LOCAL, "1", OTHER_LOCAL, "2"),
        ("MSET", LOCAL, "1", b"{%s}2" % LOCAL, "2"),
        ("DEL", FOREIGN, LOCAL),
        ("EXISTS", LOCAL, OTHER_LOCAL),
        ("OBJECT", "ENCODING", FOREIGN),
        ("WATCH", LOCAL, OTHER_LOCAL),
        ("WATCH", FOREIGN),
        ("SPUBLISH", FOREIGN, "m"),
        ("SSUBSCRIBE", LOCAL, OTHER_LOCAL),
        ("PUBLISH", FOREIGN, "m"),
        ("GET",),
        ("NOSUCHCOMMAND", FOREIGN),
        ("EXEC",),
        ("DISCARD",),
        ("PING",),
    ]
    twin, real = both(sides, commands)
    assert twin == real
    assert twin[0] == Error(f"MOVED {key_slot(FOREIGN)} <node2>")
    assert twin[2] == Error("CROSSSLOT Keys in request don't hash to the same slot")


def test_transactions_are_checked_as_queued_and_at_exec(sides):
    commands = [
        # A queued command for another shard fails the transaction: EXEC aborts.
        ("MULTI",),
        ("SET", LOCAL, "1"),
        ("SET", FOREIGN, "1"),
        ("EXEC",),
        # As does one whose own keys span slots.
        ("MULTI",),
        ("MSET", LOCAL, "1", OTHER_LOCAL, "2"),
        ("EXEC",),
        # Commands of this shard but of two slots are each fine; EXEC refuses them together and drops them.
        ("MULTI",),
        ("SET", LOCAL, "1"),
        ("SET", OTHER_LOCAL, "1"),
        ("EXEC",),
        ("EXEC",),
        # One slot (a hash tag) runs.
        ("MULTI",),
        ("SET", b"{%s}a" % LOCAL, "1"),
        ("INCR", b"{%s}b" % LOCAL),
        ("PING",),
        ("EXEC",),
        # A WATCH over slots is refused; so is EXEC after DISCARD.
        ("MULTI",),
        ("GET", FOREIGN),
        ("DISCARD",),
        ("EXEC",),
    ]
    twin, real = both(sides, commands)
    assert twin == real
    assert twin[3] == Error("EXECABORT Transaction discarded because of previous errors.")
    assert twin[10] == Error("CROSSSLOT Keys in request don't hash to the same slot")


def test_scripts_declare_and_touch_only_this_nodes_keys(sides):
    script_get = "return redis.call('get', KEYS[1])"
    commands = [
        ("SET", LOCAL, "v"),
        ("EVAL", "return 1", 2, LOCAL, OTHER_LOCAL),
        ("EVAL", script_get, 1, FOREIGN),
        ("EVAL", script_get, 1, LOCAL),
        ("EVAL", f"return redis.call('get', '{FOREIGN.decode()}')", 0),
        ("EVAL", f"return redis.pcall('get', '{FOREIGN.decode()}')", 0),
        # Undeclared keys of this node, even of two slots, are allowed in 7.0.
        ("EVAL", f"redis.call('get', '{LOCAL.decode()}'); return redis.call('get', '{OTHER_LOCAL.decode()}')", 0),
        ("EVAL", f"return redis.call('mget', '{LOCAL.decode()}', '{FOREIGN.decode()}')", 0),
        ("EVALSHA", "a" * 40, 2, LOCAL, OTHER_LOCAL),
        ("EVAL_RO", script_get, 1, FOREIGN),
        ("FCALL", "nosuchfunction", 2, LOCAL, OTHER_LOCAL),
        ("FCALL", "nosuchfunction", 1, FOREIGN),
    ]
    twin, real = both(sides, commands)
    assert twin == real
    assert twin[4].text.startswith("ERR Script attempted to access a non local key in a cluster node script: ")


def test_what_cluster_mode_refuses_or_changes(sides):
    commands = [
        ("SELECT", 1),
        ("SELECT", 0),
        ("SWAPDB", 0, 1),
        ("SET", LOCAL, "1"),
        ("MOVE", LOCAL, 1),
        ("COPY", LOCAL, b"{%s}copy" % LOCAL, "DB", 1),
        ("COPY", LOCAL, b"{%s}copy" % LOCAL, "DB", 0),
        ("READONLY",),
        ("GET", FOREIGN),
        ("READWRITE",),
        ("ASKING",),
        ("INFO", "cluster"),
    ]
    twin, real = both(sides, commands)
    assert twin == real
    hello_twin, hello_real = both(sides, [("HELLO", 3)])
    assert hello_twin[0][b"mode"] == hello_real[0][b"mode"] == b"cluster"


def test_a_subscribed_client_is_redirected_before_the_subscribed_context_check(sides):
    twin, real = both(sides, [("SUBSCRIBE", "news"), ("GET", FOREIGN), ("GET", LOCAL)])
    assert twin == real
    assert twin[1] == Error(f"MOVED {key_slot(FOREIGN)} <node2>")


def test_cluster_subcommands_errors(sides):
    commands = [
        ("CLUSTER",),
        ("CLUSTER", "NOSUCH"),
        ("CLUSTER", "MYSHARDID"),
        ("CLUSTER", "KEYSLOT"),
        ("CLUSTER", "SLOTS", "x"),
        ("CLUSTER", "HELP"),
        ("CLUSTER", "COUNT-FAILURE-REPORTS", "abc"),
        ("CLUSTER", "REPLICAS", "abc"),
        ("CLUSTER", "SLAVES", "abc"),
        ("CLUSTER", "ADDSLOTS", 1),
        ("CLUSTER", "ADDSLOTS", 20000),
        ("CLUSTER", "ADDSLOTS", "x"),
        ("CLUSTER", "ADDSLOTSRANGE", 10, 12),
        ("CLUSTER", "ADDSLOTSRANGE", 10, 12, 13),
        ("CLUSTER", "ADDSLOTSRANGE", 12, 10),
        ("CLUSTER", "MEET", "127.0.0.1"),
    ]
    twin, real = both(sides, commands)
    assert twin == real
    replicas_twin, replicas_real = both(sides, [("CLUSTER", "REPLICAS", sides[0].ids[1])], shard=0)
    # Each side asked about its own node 1: a primary without replicas.
    assert replicas_twin == [[]]
    assert RawConnection(sides[1].ports[0]).call("CLUSTER", "REPLICAS", sides[1].ids[1]) == []
