"""DEBUG: refused by default as redis 7.0 refuses it; with --redis-enable-debug-command, what test suites use."""

from __future__ import annotations

import re

import pytest
import redis

from cloudtwin.service import ServiceStartError
from tests.redis.conftest import outcome


def test_debug_is_refused_by_default_like_redis_server(both) -> None:
    twin, real = both
    for command in (("DEBUG", "ERROR", "LOADING x"), ("DEBUG", "SLEEP", "0"), ("DEBUG", "OBJECT", "k")):
        on_twin = outcome(lambda c=command: twin.execute_command(*c))
        assert on_twin == outcome(lambda c=command: real.execute_command(*c))
    assert "not allowed" in outcome(lambda: twin.execute_command("DEBUG", "SLEEP", "0"))[1]


@pytest.fixture
def debugging_twin(start_twin) -> redis.Redis:
    service = start_twin(redis_enable_debug_command="yes")
    return redis.Redis(port=service.port)


def test_debug_error_replies_with_the_given_error(debugging_twin) -> None:
    with pytest.raises(redis.BusyLoadingError):
        debugging_twin.execute_command("DEBUG", "ERROR", "LOADING Redis is loading the dataset in memory")
    with pytest.raises(redis.ResponseError, match="^custom failure$"):
        debugging_twin.execute_command("DEBUG", "ERROR", "custom failure")


def test_debug_sleep_stops_the_whole_server(debugging_twin, start_twin) -> None:
    other = redis.Redis(port=debugging_twin.connection_pool.connection_kwargs["port"])
    other.ping()
    sleeper = debugging_twin.connection_pool.get_connection()
    sleeper.send_command("DEBUG", "SLEEP", "0.3")
    other.ping()
    # The other client's PING was answered only after the sleep ended (redis' DEBUG SLEEP blocks its event loop), so
    # the sleeper's reply is already there.
    assert sleeper.can_read(timeout=0)
    assert sleeper.read_response() == b"OK"


def test_debug_object_describes_a_key(debugging_twin) -> None:
    debugging_twin.set("s", "hello")
    debugging_twin.rpush("l", "a")
    assert re.fullmatch(
        rb"Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:\d+ lru:\d+ lru_seconds_idle:\d+",
        debugging_twin.execute_command("DEBUG", "OBJECT", "s"),
    )
    assert b"encoding:quicklist" in debugging_twin.execute_command("DEBUG", "OBJECT", "l")
    with pytest.raises(redis.ResponseError, match="no such key"):
        debugging_twin.execute_command("DEBUG", "OBJECT", "missing")
    with pytest.raises(redis.ResponseError, match="Try DEBUG HELP"):
        debugging_twin.execute_command("DEBUG", "NOSUCH")


def test_an_unknown_debug_setting_is_a_start_error(start_twin) -> None:
    with pytest.raises(ServiceStartError, match="must be no, yes or local"):
        start_twin(redis_enable_debug_command="sometimes")
