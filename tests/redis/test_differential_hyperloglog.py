"""HyperLogLog merges against the twin and redis-server."""

from __future__ import annotations

import redis


def merges(client: redis.Redis) -> list:
    client.flushall()
    return [
        client.pfadd("a", "x", "y"),
        client.pfadd("b", "y", "z"),
        client.pfadd("dest", "w", "x"),
        client.pfmerge("dest", "a", "b"),
        client.pfcount("dest"),
        client.pfmerge("fresh", "a"),
        client.pfcount("fresh"),
        client.pfcount("a"),
    ]


def test_pfmerge_keeps_what_the_destination_held(both) -> None:
    twin, real = both
    assert merges(twin) == merges(real) == [1, 1, 1, True, 4, True, 2, 2]
