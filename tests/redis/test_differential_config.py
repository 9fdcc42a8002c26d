"""CONFIG GET and SET of the parameters clients commonly touch, against the twin and redis-server."""

from __future__ import annotations

import redis

from tests.redis.conftest import outcome

PARAMETERS = [
    ("stream-node-max-entries", "5"),
    ("stream-node-max-bytes", "2kb"),
    ("hash-max-listpack-entries", "64"),
    ("hash-max-ziplist-value", "32"),
    ("list-max-listpack-size", "-3"),
    ("list-compress-depth", "1"),
    ("set-max-intset-entries", "100"),
    ("zset-max-ziplist-entries", "10"),
    ("zset-max-listpack-value", "16"),
    ("hll-sparse-max-bytes", "100"),
    ("lfu-log-factor", "5"),
    ("lfu-decay-time", "2"),
    ("lua-time-limit", "1000"),
    ("latency-monitor-threshold", "10"),
    ("lazyfree-lazy-user-del", "yes"),
    ("activerehashing", "no"),
]


def config_round_trip(client: redis.Redis) -> list:
    replies: list = [
        client.config_get("*max-*-entries*", "maxmemory"),
        client.config_get("busy-reply-threshold", "lua-time-limit", "hash-max-*"),
    ]
    for name, value in PARAMETERS:
        replies.append(client.config_set(name, value))
    replies.append(client.config_get(*(name for name, _ in PARAMETERS)))
    replies.append(client.config_get("hash-max-listpack-value", "busy-reply-threshold", "zset-max-listpack-entries"))
    replies += [
        outcome(lambda: client.config_set("stream-node-max-entries", "-1")),
        outcome(lambda: client.config_set("hash-max-ziplist-entries", "many")),
        outcome(lambda: client.config_set("activerehashing", "maybe")),
        outcome(lambda: client.execute_command("CONFIG", "SET", "lua-time-limit", "1", "busy-reply-threshold", "2")),
    ]
    return replies


def test_config_parameters_reply_like_redis_server(both) -> None:
    twin, real = both
    defaults = real.config_get(*(name for name, _ in PARAMETERS))
    try:
        assert config_round_trip(twin) == config_round_trip(real)
    finally:
        for name in (name for name, _ in PARAMETERS):
            real.config_set(name, defaults[name])
            twin.config_set(name, defaults[name])
