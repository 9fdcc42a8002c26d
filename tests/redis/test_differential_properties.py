"""Property: any sequence of everyday commands gets the same replies from the twin as from redis-server."""

from __future__ import annotations

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = st.sampled_from([b"a", b"b", b"c"])
VALUES = st.sampled_from([b"1", b"-7", b"x", b"", b"3.5", b"hello world"])
COMMANDS = st.one_of(
    st.tuples(st.just(b"SET"), KEYS, VALUES),
    st.tuples(st.just(b"GET"), KEYS),
    st.tuples(st.just(b"INCR"), KEYS),
    st.tuples(st.just(b"APPEND"), KEYS, VALUES),
    st.tuples(st.just(b"DEL"), KEYS),
    st.tuples(st.just(b"EXISTS"), KEYS, KEYS),
    st.tuples(st.just(b"TYPE"), KEYS),
    st.tuples(st.just(b"LPUSH"), KEYS, VALUES),
    st.tuples(st.just(b"RPOP"), KEYS),
    st.tuples(st.just(b"LRANGE"), KEYS, st.just(b"0"), st.just(b"-1")),
    st.tuples(st.just(b"SADD"), KEYS, VALUES),
    st.tuples(st.just(b"SCARD"), KEYS),
    st.tuples(st.just(b"HSET"), KEYS, VALUES, VALUES),
    st.tuples(st.just(b"HGET"), KEYS, VALUES),
    # No invalid scores: fakeredis checks the key's type before the score, redis-server the other way round.
    st.tuples(st.just(b"ZADD"), KEYS, st.sampled_from([b"1", b"2.5", b"-1"]), VALUES),
    st.tuples(st.just(b"ZCARD"), KEYS),
    st.tuples(st.just(b"EXPIRE"), KEYS, st.sampled_from([b"100", b"-1", b"x"])),
    st.tuples(st.just(b"TTL"), KEYS),
    st.tuples(st.just(b"STRLEN"), KEYS),
)


def run(client: redis.Redis, commands: list[tuple[bytes, ...]]) -> list:
    replies = []
    for command in commands:
        try:
            replies.append(client.execute_command(*command))
        except redis.ResponseError as exc:
            replies.append(("error", str(exc)))
    return replies


@pytest.mark.parametrize("protocol", [2, 3])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(commands=st.lists(COMMANDS, min_size=1, max_size=12))
def test_command_sequences_reply_alike(protocol, commands, redis_client_factory, real_redis) -> None:
    twin = redis_client_factory(protocol=protocol)
    real = redis.Redis(port=real_redis.connection_pool.connection_kwargs["port"], protocol=protocol)
    try:
        twin.flushall()
        real.flushall()
        assert run(twin, commands) == run(real, commands)
    finally:
        real.close()
