"""Hash slots as redis computes them, the slot split ElastiCache makes, and ShardedCluster's own API."""

from __future__ import annotations

import pytest
import redis

from cloudtwin.clock import clock
from cloudtwin.redis.cluster.sharded import ShardedCluster
from cloudtwin.redis.cluster.slots import (
    HASH_SLOTS,
    even_slot_ranges,
    format_slot_ranges,
    key_slot,
    parse_slot_ranges,
)


@pytest.mark.parametrize(
    ("key", "slot"),
    # Values from redis-server 7.0's CLUSTER KEYSLOT.
    [
        (b"foo", 12182),
        (b"a", 15495),
        (b"{user}a", 5474),
        (b"{user}b", 5474),
        (b"{}a", 10875),
        (b"a{}b{c}", 7353),
        (b"{c", 2150),
        (b"", 0),
    ],
)
def test_key_slot_matches_redis(key, slot):
    assert key_slot(key) == slot


@pytest.mark.parametrize(
    ("shards", "ranges"),
    [
        (1, [(0, 16383)]),
        (2, [(0, 8191), (8192, 16383)]),
        # As DescribeReplicationGroups shows a 3-shard cluster's node groups.
        (3, [(0, 5461), (5462, 10922), (10923, 16383)]),
    ],
)
def test_even_slot_ranges_as_elasticache_splits(shards, ranges):
    assert even_slot_ranges(shards) == ranges


def test_even_slot_ranges_cover_every_slot_once():
    for shards in (5, 7, 90, 500):
        ranges = even_slot_ranges(shards)
        sizes = [last - first + 1 for first, last in ranges]
        assert sum(sizes) == HASH_SLOTS and max(sizes) - min(sizes) <= 1
        assert all(ranges[index][1] + 1 == ranges[index + 1][0] for index in range(shards - 1))
    with pytest.raises(ValueError):
        even_slot_ranges(0)


def test_slot_range_notation():
    assert parse_slot_ranges("0-5461") == [(0, 5461)]
    assert parse_slot_ranges("0-100, 200,300-400") == [(0, 100), (200, 200), (300, 400)]
    assert format_slot_ranges([(0, 100), (200, 200)]) == "0-100,200"
    for bad in ("5-1", "0-16384", "x"):
        with pytest.raises(ValueError):
            parse_slot_ranges(bad)


def test_explicit_slot_ranges_place_the_shards():
    layout = [parse_slot_ranges("0-99,10000-16383"), parse_slot_ranges("100-9999")]
    cluster = ShardedCluster(clock, slot_ranges=layout)
    cluster.start()
    try:
        assert cluster.shard_slots() == ["0-99,10000-16383", "100-9999"]
        client = redis.Redis(port=cluster.nodes[1].address.port)
        slots = client.execute_command("CLUSTER", "SLOTS")
        assert [(first, last) for first, last, *_ in slots] == [(0, 99), (100, 9999), (10000, 16383)]
        nodes = client.execute_command("CLUSTER", "NODES")
        first_line = next(line for line in nodes.splitlines() if b"0-99" in line)
        assert first_line.endswith(b"connected 0-99 10000-16383")
    finally:
        cluster.stop()


def test_slot_ranges_must_cover_every_slot_once():
    with pytest.raises(ValueError, match="given to no shard"):
        ShardedCluster(clock, slot_ranges=[[(0, 100)]])
    with pytest.raises(ValueError, match="given to shards 0 and 1"):
        ShardedCluster(clock, slot_ranges=[[(0, 16383)], [(5, 5)]])
    with pytest.raises(ValueError, match="need 3 ports"):
        ShardedCluster(clock, shards=3, ports=[0])


def test_a_node_that_cannot_listen_stops_the_others():
    blocker = ShardedCluster(clock, shards=1)
    blocker.start()
    try:
        taken = blocker.nodes[0].address.port
        cluster = ShardedCluster(clock, shards=2, ports=[0, taken])
        with pytest.raises(OSError):
            cluster.start()
        assert cluster.nodes == []
    finally:
        blocker.stop()


def test_nodes_say_they_run_in_cluster_mode(fresh_cluster):
    client = redis.Redis(port=fresh_cluster.nodes[2].address.port)
    assert client.info("cluster") == {"cluster_enabled": 1}
    assert client.info("server")["redis_mode"] == "cluster"
    assert client.execute_command("CLUSTER", "MYID").decode() == fresh_cluster.nodes[2].address.node_id


def test_flush_and_key_count_span_every_node(fresh_cluster):
    host, port = fresh_cluster.configuration_endpoint
    client = redis.RedisCluster(host=host, port=port)
    for index in range(40):
        client.set(f"k:{index}", 1)
    assert fresh_cluster.key_count() == 40
    fresh_cluster.flush()
    assert fresh_cluster.key_count() == 0
    client.close()


def test_nodes_on_every_interface_announce_loopback_unless_told():
    cluster = ShardedCluster(clock, shards=1, host="0.0.0.0")
    announced = ShardedCluster(clock, shards=1, host="0.0.0.0", announce_host="cache.local")
    cluster.start()
    announced.start()
    try:
        assert cluster.configuration_endpoint[0] == "127.0.0.1"
        slots = redis.Redis(port=announced.nodes[0].address.port).execute_command("CLUSTER", "SLOTS")
        assert slots[0][2][0] == b"cache.local"
    finally:
        cluster.stop()
        announced.stop()
