"""TTLs on the emulator clock, active expiry, and `expired` keyspace events only when configured."""

from __future__ import annotations

import time

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
