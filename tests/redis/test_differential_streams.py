"""XINFO STREAM, plain and FULL, against the twin and redis-server."""

from __future__ import annotations

import time

import pytest
import redis

from tests.redis.conftest import raw


def _times_hidden(reply: object, now_ms: int) -> object:
    """The reply with millisecond timestamps of the last minute (seen-time, delivery times) marked, not compared, and
    the radix tree's node count (the shape of redis' rax, which the twin does not model) left out."""
    if isinstance(reply, dict):
        return {key: _times_hidden(value, now_ms) for key, value in reply.items() if key != b"radix-tree-nodes"}
    if isinstance(reply, list):
        if reply[:1] == [b"length"]:
            return _times_hidden(dict(zip(reply[::2], reply[1::2], strict=True)), now_ms)
        return [_times_hidden(item, now_ms) for item in reply]
    if isinstance(reply, int) and abs(reply - now_ms) < 60_000:
        return "recent time"
    return reply


def xinfo(client: redis.Redis) -> list:
    client.xadd("s", {"a": "1"}, id="1-1")
    client.xadd("s", {"b": "2"}, id="1-2")
    client.xadd("s", {"c": "3"}, id="2-1")
    client.xgroup_create("s", "g2", id="0")
    client.xgroup_create("s", "g1", id="0")
    client.xreadgroup("g1", "c2", {"s": ">"}, count=1)
    client.xreadgroup("g1", "c1", {"s": ">"}, count=2)
    client.xreadgroup("g2", "c1", {"s": ">"}, count=1)
    client.xdel("s", "1-2")
    client.xadd("empty", {"x": "1"}, id="1-1")
    client.xdel("empty", "1-1")

    def call(*args: object) -> object:
        return raw(client, *args)

    now_ms = int(time.time() * 1000)
    replies = [
        call("XINFO", "STREAM", "s"),
        call("XINFO", "STREAM", "s", "FULL"),
        call("XINFO", "STREAM", "s", "FULL", "COUNT", "1"),
        call("XINFO", "STREAM", "s", "FULL", "COUNT", "0"),
        call("XINFO", "STREAM", "empty"),
        call("XINFO", "STREAM", "empty", "FULL"),
        call("XINFO", "STREAM", "missing"),
        call("XINFO", "STREAM", "s", "COUNT", "1"),
        call("XINFO", "STREAM", "s", "FULL", "COUNT", "x"),
    ]
    return [_times_hidden(reply, now_ms) for reply in replies]


@pytest.mark.parametrize("protocol", [2, 3])
def test_xinfo_stream_replies_like_redis_server(protocol, redis_client_factory, real_redis) -> None:
    twin = redis_client_factory(protocol=protocol)
    real = redis.Redis(port=real_redis.connection_pool.connection_kwargs["port"], protocol=protocol)
    try:
        twin.flushall()
        assert xinfo(twin) == xinfo(real)
        # redis-py's own reading of the FULL form works on the twin's reply.
        full = twin.xinfo_stream("s", full=True)
        assert full["length"] == 2 and len(full["groups"]) == 2
    finally:
        real.close()


def stream_nodes_after_config(client: redis.Redis) -> list:
    """Entries go into nodes of CONFIG stream-node-max-entries/-bytes; approximate trimming drops whole nodes."""
    try:
        client.config_set("stream-node-max-entries", 10)
        for index in range(1, 26):
            client.xadd("s", {"f": "v"}, id=f"{index}-1")
        nodes = client.xinfo_stream("s")["radix-tree-keys"]
        trimmed = client.xtrim("s", maxlen=5, approximate=True)
        client.config_set("stream-node-max-entries", 0)
        client.config_set("stream-node-max-bytes", "1kb")
        for index in range(1, 21):
            client.xadd("t", {"f": "y" * 100}, id=f"{index}-1")
        return [nodes, trimmed, client.xinfo_stream("t")["radix-tree-keys"], client.config_get("stream-node-max-*")]
    finally:
        client.config_set("stream-node-max-entries", 100)
        client.config_set("stream-node-max-bytes", 4096)


def test_stream_node_settings_shape_nodes_like_redis_server(both) -> None:
    twin, real = both
    assert stream_nodes_after_config(twin) == stream_nodes_after_config(real)
