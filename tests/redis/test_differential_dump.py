"""DUMP and RESTORE with redis 7.0's options, against the twin and redis-server; hostile payloads refused."""

from __future__ import annotations

import hashlib
import os
import pickle

import pytest
import redis

from tests.redis.conftest import outcome


def restores(client: redis.Redis) -> list:
    client.set("k", "v")
    client.zadd("z", {"a": 1.5, "b": 2})
    payload, zset_payload = client.dump("k"), client.dump("z")
    server_ms = int(client.time()[0]) * 1000
    replies = [
        client.restore("k2", 0, payload),
        client.get("k2"),
        outcome(lambda: client.restore("k2", 0, payload)),
        client.restore("k2", server_ms + 100_000, payload, replace=True, absttl=True),
        abs(client.ttl("k2") - 100) <= 2,
        client.restore("k3", server_ms - 1000, payload, absttl=True),
        client.exists("k3"),
        client.restore("k2", 1, payload, replace=True, absttl=True),
        client.exists("k2"),
        client.restore("k4", 0, payload, idletime=1000),
        client.object("idletime", "k4"),
        client.restore("z2", 5000, zset_payload),
        client.zrange("z2", 0, -1, withscores=True),
        client.pttl("z2") > 4000,
        outcome(lambda: client.execute_command("RESTORE", "k6", 0, payload, "IDLETIME", 1, "FREQ", 1)),
        outcome(lambda: client.execute_command("RESTORE", "k6", 0, payload, "FREQ", 256)),
        outcome(lambda: client.execute_command("RESTORE", "k6", 0, payload, "IDLETIME", -1)),
        outcome(lambda: client.execute_command("RESTORE", "k6", 0, payload, "NOSUCH")),
        outcome(lambda: client.execute_command("RESTORE", "k6", -5, payload)),
        outcome(lambda: client.execute_command("RESTORE", "k6", 0, b"not a payload")),
        client.exists("k6"),
    ]
    client.config_set("maxmemory-policy", "allkeys-lfu")
    try:
        replies += [client.restore("k5", 0, payload, frequency=100), client.object("freq", "k5")]
    finally:
        client.config_set("maxmemory-policy", "noeviction")
    return replies


def test_restore_options_reply_like_redis_server(both) -> None:
    twin, real = both
    assert restores(twin) == restores(real)


class _RunsCode:
    def __reduce__(self):
        return (os.getpid, ())


@pytest.mark.parametrize("value", [_RunsCode(), [_RunsCode()]])
def test_restore_refuses_a_payload_that_would_run_code(twin, value) -> None:
    body = pickle.dumps(value)
    with pytest.raises(redis.ResponseError, match="Bad data format"):
        twin.restore("hostile", 0, hashlib.sha1(body).digest() + body)
    assert twin.exists("hostile") == 0


def test_restore_absttl_deadline_is_the_given_millisecond(twin) -> None:
    deadline_ms = int(twin.time()[0]) * 1000 + 3_600_000
    twin.set("k", "v")
    twin.restore("copy", deadline_ms, twin.dump("k"), absttl=True)
    assert twin.pexpiretime("copy") == deadline_ms
