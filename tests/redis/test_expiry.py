"""TTLs on the emulator clock, active expiry, and `expired` keyspace events only when configured."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import redis


def wait_for(condition, seconds: float = 2.0) -> bool:
    """Poll `condition` while the server's loop catches up with a clock move (no sleeping for TTLs themselves)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_advancing_the_clock_expires_keys(redis_client, cloudtwin_clock) -> None:
    cloudtwin_clock.freeze()
    redis_client.set("short", "v", ex=30)
    redis_client.set("long", "v", ex=90)
    redis_client.set("forever", "v")
    assert redis_client.ttl("short") == 30
    cloudtwin_clock.advance(60)
    assert redis_client.get("short") is None
    assert redis_client.ttl("long") == 30
    assert redis_client.get("forever") == b"v"


def test_keys_vanish_without_being_read(redis_client, cloudtwin_clock) -> None:
    cloudtwin_clock.freeze()
    redis_client.set("a", 1, px=500)
    redis_client.set("b", 2, px=500)
    expired_before = redis_client.info("stats")["expired_keys"]
    cloudtwin_clock.advance(1)
    # INFO's keyspace section does not read the keys; only the active sweep can drop them.
    assert wait_for(lambda: redis_client.info("stats")["expired_keys"] == expired_before + 2)
    assert "db0" not in redis_client.info("keyspace")


def test_frozen_clock_keeps_keys_alive(redis_client, cloudtwin_clock) -> None:
    cloudtwin_clock.freeze()
    redis_client.set("k", "v", px=50)
    time.sleep(0.2)
    assert redis_client.get("k") == b"v"
    assert redis_client.pttl("k") == 50


def test_expired_events_fire_only_when_configured(redis_client, redis_client_factory, cloudtwin_clock) -> None:
    cloudtwin_clock.freeze()
    listener = redis_client_factory().pubsub(ignore_subscribe_messages=True)
    listener.psubscribe("__keyevent@0__:*")
    listener.get_message(timeout=1)
    try:
        redis_client.set("quiet", "v", ex=1)
        cloudtwin_clock.advance(2)
        assert wait_for(lambda: redis_client.exists("quiet") == 0)
        assert listener.get_message(timeout=0.2) is None

        redis_client.config_set("notify-keyspace-events", "Ex")
        redis_client.set("loud", "v", ex=1)
        assert listener.get_message(timeout=0.2) is None  # 'x' alone: a SET is not announced
        cloudtwin_clock.advance(2)
        message = listener.get_message(timeout=2)
        assert message is not None
        assert (message["channel"], message["data"]) == (b"__keyevent@0__:expired", b"loud")
    finally:
        redis_client.config_set("notify-keyspace-events", "")
        listener.close()


def test_write_events_follow_the_configuration(redis_client, redis_client_factory) -> None:
    listener = redis_client_factory().pubsub(ignore_subscribe_messages=True)
    listener.psubscribe("__keyspace@0__:*")
    listener.get_message(timeout=1)
    try:
        redis_client.set("k", "1")
        assert listener.get_message(timeout=0.2) is None
        redis_client.config_set("notify-keyspace-events", "KA")
        redis_client.set("k", "2")
        message = listener.get_message(timeout=2)
        assert (message["channel"], message["data"]) == (b"__keyspace@0__:k", b"set")
    finally:
        redis_client.config_set("notify-keyspace-events", "")
        listener.close()


def test_stream_ids_follow_the_clock(redis_client, cloudtwin_clock) -> None:
    cloudtwin_clock.freeze(at=1_700_000_000)
    assert redis_client.xadd("s", {"f": "v"}) == b"1700000000000-0"
    assert redis_client.time()[0] == 1_700_000_000


def test_expiry_matches_redis_server_semantics(redis_client, real_redis: redis.Redis) -> None:
    def scenario(r: redis.Redis) -> list:
        r.set("k", "v")
        return [
            r.expire("k", 100),
            r.expire("k", 50, gt=True),
            r.ttl("k"),
            r.persist("k"),
            r.ttl("k"),
            r.expire("x", 1),
        ]

    assert scenario(redis_client) == scenario(real_redis)


# The clock stands a quarter second past a whole second, so a deadline rounded to whole seconds shows.
FROZEN_AT = 1_700_000_000.25
FROZEN_MS = 1_700_000_000_250


@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")  # redis-py's setex and psetex
@pytest.mark.parametrize(
    ("set_deadline", "pttl"),
    [
        pytest.param(lambda r: r.psetex("k", 1500, "v"), 1500, id="psetex"),
        pytest.param(lambda r: r.psetex("k", timedelta(milliseconds=1500), "v"), 1500, id="psetex-timedelta"),
        pytest.param(lambda r: r.setex("k", 60, "v"), 60_000, id="setex"),
        pytest.param(lambda r: r.setex("k", timedelta(seconds=60), "v"), 60_000, id="setex-timedelta"),
        pytest.param(lambda r: r.set("k", "v", ex=60), 60_000, id="set-ex"),
        pytest.param(lambda r: r.set("k", "v", px=1500), 1500, id="set-px"),
        pytest.param(lambda r: r.set("k", "v", pxat=FROZEN_MS + 1500), 1500, id="set-pxat"),
        pytest.param(lambda r: r.set("k", "v", exat=1_700_000_060), 59_750, id="set-exat"),
        pytest.param(lambda r: r.set("k", "v") and r.getex("k", ex=60), 60_000, id="getex-ex"),
        pytest.param(lambda r: r.set("k", "v") and r.getex("k", px=1500), 1500, id="getex-px"),
        pytest.param(lambda r: r.set("k", "v") and r.getex("k", pxat=FROZEN_MS + 1500), 1500, id="getex-pxat"),
        pytest.param(lambda r: r.set("k", "v") and r.getex("k", exat=1_700_000_060), 59_750, id="getex-exat"),
        pytest.param(lambda r: r.set("k", "v") and r.expire("k", 60), 60_000, id="expire"),
        pytest.param(lambda r: r.set("k", "v") and r.pexpire("k", 1500), 1500, id="pexpire"),
        pytest.param(lambda r: r.set("k", "v") and r.expireat("k", 1_700_000_060), 59_750, id="expireat"),
        pytest.param(lambda r: r.set("k", "v") and r.pexpireat("k", FROZEN_MS + 1500), 1500, id="pexpireat"),
        pytest.param(lambda r: r.set("d", "v") and r.restore("k", 1500, r.dump("d")), 1500, id="restore"),
        pytest.param(
            lambda r: r.eval("return redis.call('PSETEX', KEYS[1], 1500, 'v')", 1, "k"), 1500, id="psetex-in-lua"
        ),
    ],
)
def test_every_way_of_setting_a_deadline_is_millisecond_exact(
    redis_client, cloudtwin_clock, set_deadline, pttl
) -> None:
    cloudtwin_clock.freeze(at=FROZEN_AT)
    redis_client.delete("k", "d")
    set_deadline(redis_client)
    # TTL rounds to the nearest second, halves up, as redis' (ms + 500) / 1000.
    assert (redis_client.pttl("k"), redis_client.ttl("k")) == (pttl, (pttl + 500) // 1000)
    assert redis_client.pexpiretime("k") == FROZEN_MS + pttl
    assert redis_client.expiretime("k") == (FROZEN_MS + pttl + 500) // 1000


def test_a_key_lives_to_the_millisecond_of_its_deadline(redis_client, cloudtwin_clock) -> None:
    cloudtwin_clock.freeze(at=FROZEN_AT)
    redis_client.psetex("k", 1500, "v")
    assert redis_client.pttl("k") == 1500
    cloudtwin_clock.advance(1.499)
    assert (redis_client.get("k"), redis_client.pttl("k")) == (b"v", 1)
    # redis expires a key once the time is past its deadline (now > when), so at the deadline itself it is still there.
    cloudtwin_clock.advance(0.001)
    assert (redis_client.get("k"), redis_client.pttl("k")) == (b"v", 0)
    cloudtwin_clock.advance(0.001)
    assert (redis_client.get("k"), redis_client.pttl("k")) == (None, -2)


def test_ttl_rounds_half_up_like_redis_server(redis_client, cloudtwin_clock) -> None:
    cloudtwin_clock.freeze(at=FROZEN_AT)
    redis_client.set("k", "v", px=2500)
    assert redis_client.ttl("k") == 3


def test_relative_deadlines_match_redis_server(redis_client, real_redis: redis.Redis) -> None:
    """Right after a relative expiry is set, TTL reads it back whole, on the twin's wall clock as on redis-server.

    Each TTL has half a second of slack before it could round down, far more than two commands take.
    """

    def scenario(r: redis.Redis) -> list:
        r.set("g", "v")
        return [
            r.execute_command("SETEX", "k", 60, "v"),
            r.ttl("k"),
            r.execute_command("PSETEX", "p", 100_000, "v"),
            r.ttl("p"),
            r.getex("g", px=100_000),
            r.ttl("g"),
            r.getex("g", ex=30),
            r.ttl("g"),
        ]

    assert scenario(redis_client) == scenario(real_redis)


def deadlines_not_in_the_future(client: redis.Redis) -> list:
    replies = []
    for command in (
        ("EXPIRE", "k", "0"),
        ("PEXPIRE", "k", "0"),
        ("EXPIRE", "k", "-5"),
        ("EXPIREAT", "k", "1"),
        ("PEXPIREAT", "k", "1000"),
        ("GETEX", "k", "PXAT", "1000"),
        ("GETEX", "k", "EXAT", "1"),
        ("EXPIRE", "k", "0", "XX"),
    ):
        client.set("k", "v")
        replies.append((client.execute_command(*command), client.exists("k"), client.get("k")))
    return replies


def test_a_deadline_not_in_the_future_deletes_at_once_like_redis_server(
    redis_client, real_redis: redis.Redis, cloudtwin_clock
) -> None:
    # Frozen, the twin's clock cannot move on by the millisecond that would otherwise expire the key.
    cloudtwin_clock.freeze()
    assert deadlines_not_in_the_future(redis_client) == deadlines_not_in_the_future(real_redis)
