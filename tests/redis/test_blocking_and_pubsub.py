"""Blocking commands woken by other clients, transactions across clients, and pub/sub delivery."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import redis


def in_background(call) -> tuple[threading.Thread, list]:
    result: list = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    return thread, result


def next_messages(pubsub, count: int) -> list[dict]:
    """The next `count` published messages, skipping subscribe confirmations."""
    messages: list[dict] = []
    deadline = time.monotonic() + 5
    while len(messages) < count and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=1)
        if message is not None:
            messages.append(message)
    return messages


def wait_until_blocked(client: redis.Redis, count: int = 1) -> None:
    deadline = time.monotonic() + 5
    while int(client.info("clients")["blocked_clients"]) < count:
        assert time.monotonic() < deadline, "the client never blocked"
        time.sleep(0.005)


@pytest.mark.parametrize(
    ("block", "wake", "expected"),
    [
        (lambda r: r.blpop("q", timeout=5), lambda r: r.rpush("q", "a"), (b"q", b"a")),
        (lambda r: r.brpop(["x", "q"], timeout=5), lambda r: r.rpush("q", "b"), (b"q", b"b")),
        (lambda r: r.blmove("q", "dst", 5, "LEFT", "RIGHT"), lambda r: r.rpush("q", "c"), b"c"),
        (lambda r: r.bzpopmin("z", timeout=5), lambda r: r.zadd("z", {"m": 2}), (b"z", b"m", 2.0)),
        (
            lambda r: r.xread({"s": "$"}, block=5000),
            lambda r: r.xadd("s", {"f": "v"}, id="5-1"),
            [[b"s", [(b"5-1", {b"f": b"v"})]]],
        ),
    ],
)
def test_blocking_commands_are_woken_by_another_client(redis_client_factory, block, wake, expected) -> None:
    waiter, other = redis_client_factory(protocol=2), redis_client_factory(protocol=2)
    other.flushall()
    thread, result = in_background(lambda: block(waiter))
    wait_until_blocked(other)
    wake(other)
    thread.join(5)
    assert result == [expected]


def test_xreadgroup_block_is_woken(redis_client_factory) -> None:
    waiter, other = redis_client_factory(), redis_client_factory()
    other.flushall()
    other.xgroup_create("s", "g", id="$", mkstream=True)
    thread, result = in_background(lambda: waiter.xreadgroup("g", "c", {"s": ">"}, block=5000))
    wait_until_blocked(other)
    other.xadd("s", {"k": "v"}, id="7-1")
    thread.join(5)
    assert result == [[[b"s", [(b"7-1", {b"k": b"v"})]]]]


def test_the_longest_waiting_client_is_served_first(redis_client_factory) -> None:
    first, second, pusher = redis_client_factory(), redis_client_factory(), redis_client_factory()
    pusher.flushall()
    t1, r1 = in_background(lambda: first.blpop("q", timeout=5))
    wait_until_blocked(pusher, 1)
    t2, r2 = in_background(lambda: second.blpop("q", timeout=5))
    wait_until_blocked(pusher, 2)
    pusher.rpush("q", "one", "two")
    t1.join(5), t2.join(5)
    assert (r1, r2) == ([(b"q", b"one")], [(b"q", b"two")])


def test_a_blocking_timeout_follows_the_emulator_clock(redis_client_factory, cloudtwin_clock) -> None:
    waiter, other = redis_client_factory(), redis_client_factory()
    other.flushall()
    cloudtwin_clock.freeze()
    thread, result = in_background(lambda: waiter.blpop("q", timeout=30))
    wait_until_blocked(other)
    cloudtwin_clock.advance(31)
    thread.join(5)
    assert result == [None]


def test_a_pipeline_behind_a_blocked_command_runs_after_it(redis_client_factory) -> None:
    waiter, other = redis_client_factory(), redis_client_factory()
    other.flushall()
    pipe = waiter.pipeline(transaction=False)
    pipe.blpop("q", timeout=5).get("after")
    thread, result = in_background(pipe.execute)
    wait_until_blocked(other)
    other.set("after", "set-later")
    other.rpush("q", "v")
    thread.join(5)
    assert result == [[(b"q", b"v"), b"set-later"]]


def test_watch_aborts_when_another_client_writes(redis_client_factory) -> None:
    mine, theirs = redis_client_factory(), redis_client_factory()
    mine.flushall()
    mine.set("balance", 10)
    pipe = mine.pipeline(transaction=True)
    pipe.watch("balance")
    theirs.set("balance", 99)
    pipe.multi()
    pipe.set("balance", 0)
    with pytest.raises(redis.WatchError):
        pipe.execute()
    assert mine.get("balance") == b"99"


def test_pubsub_and_pattern_pubsub_deliver_in_resp2_and_resp3(redis_client_factory) -> None:
    publisher = redis_client_factory()
    for protocol in (2, 3):
        subscriber = redis_client_factory(protocol=protocol).pubsub(ignore_subscribe_messages=True)
        subscriber.subscribe("news")
        subscriber.psubscribe("n*")
        assert publisher.publish("news", f"hello{protocol}") == 2
        messages = next_messages(subscriber, 2)
        assert {(m["type"], m["channel"], m["data"]) for m in messages} == {
            ("message", b"news", f"hello{protocol}".encode()),
            ("pmessage", b"news", f"hello{protocol}".encode()),
        }
        subscriber.close()


def test_commands_outside_pubsub_context_are_refused_while_subscribed(redis_client_factory) -> None:
    client = redis_client_factory(protocol=2)
    connection = client.connection_pool.get_connection()
    connection.send_command("SUBSCRIBE", "c")
    assert connection.read_response() == [b"subscribe", b"c", 1]
    connection.send_command("GET", "x")
    with pytest.raises(redis.ResponseError, match="only .*allowed in this context"):
        connection.read_response()
    connection.disconnect()


def test_pubsub_delivery_is_sub_millisecond_at_the_median(redis_client_factory) -> None:
    publisher = redis_client_factory()
    subscriber = redis_client_factory().pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe("lat")
    publisher.publish("lat", "warm-up")
    assert next_messages(subscriber, 1)[0]["data"] == b"warm-up"
    delays = []
    for _ in range(200):
        sent = time.perf_counter()
        publisher.publish("lat", "x")
        assert subscriber.get_message(timeout=2) is not None
        delays.append(time.perf_counter() - sent)
    delays.sort()
    # Generous bound: publish round trip plus delivery; a 10 ms polling server fails it.
    assert delays[len(delays) // 2] < 0.005


def test_a_client_that_disconnects_while_blocked_loses_nothing(redis_client_factory, twin_port) -> None:
    other = redis_client_factory()
    other.flushall()
    with socket.create_connection(("127.0.0.1", twin_port)) as waiter:
        waiter.sendall(b"BLPOP q 0\r\n")
        wait_until_blocked(other)
    deadline = time.monotonic() + 5
    while int(other.info("clients")["blocked_clients"]) and time.monotonic() < deadline:
        time.sleep(0.005)
    other.rpush("q", "kept")
    assert other.lrange("q", 0, -1) == [b"kept"]


def test_client_unblock_ends_a_blocking_command(redis_client_factory) -> None:
    waiter, other = redis_client_factory(), redis_client_factory()
    other.flushall()
    waiter_id = waiter.client_id()
    thread, result = in_background(lambda: waiter.blpop("q", timeout=0))
    wait_until_blocked(other)
    assert other.client_unblock(waiter_id) == 1
    thread.join(5)
    assert result == [None]


def test_server_commands_queue_inside_multi(redis_client) -> None:
    pipe = redis_client.pipeline(transaction=True)
    pipe.set("k", "v").config_get("maxmemory-policy").get("k")
    assert pipe.execute() == [True, {"maxmemory-policy": "noeviction"}, b"v"]


def test_server_commands_are_refused_while_subscribed_in_resp2_like_redis_server(
    redis_client_factory, real_redis
) -> None:
    replies = []
    for client in (redis_client_factory(protocol=2), real_redis):
        connection = client.connection_pool.get_connection()
        connection.send_command("SUBSCRIBE", "c")
        connection.read_response()
        connection.send_command("INFO")
        with pytest.raises(redis.ResponseError) as caught:
            connection.read_response()
        replies.append(str(caught.value))
        connection.disconnect()
    assert replies[0] == replies[1]


def test_a_large_reply_drains_to_a_slow_reader(redis_client) -> None:
    value = b"v" * (16 * 1024 * 1024)
    redis_client.set("big", value)
    pipe = redis_client.pipeline(transaction=False)
    for _ in range(4):
        pipe.get("big")
    assert pipe.execute() == [value] * 4


def pubsub_counts(client: redis.Redis, tag: str) -> dict:
    """Every count that names the subscribers of `tag`'s channels and pattern, as the server reports them."""
    return {
        "numpat": client.pubsub_numpat(),
        "numsub": client.pubsub_numsub(f"{tag}:ch"),
        "shardnumsub": client.execute_command("PUBSUB", "SHARDNUMSUB", f"{tag}:sch"),
        "channels": sorted(client.pubsub_channels(f"{tag}:*")),
        "shardchannels": sorted(client.execute_command("PUBSUB", "SHARDCHANNELS", f"{tag}:*")),
        "publish": client.publish(f"{tag}:ch", "m"),
        "spublish": client.execute_command("SPUBLISH", f"{tag}:sch", "m"),
    }


def subscriptions_seen_after_disconnect(client: redis.Redis, port: int, tag: str) -> tuple[dict, dict, dict]:
    """The counts before a raw client subscribes, while it is subscribed, and once the server noticed it left."""
    before = pubsub_counts(client, tag)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as subscriber:
        subscriber.sendall(f"SUBSCRIBE {tag}:ch\r\nPSUBSCRIBE {tag}:c*\r\nSSUBSCRIBE {tag}:sch\r\n".encode())
        confirmations = b""
        while confirmations.count(b"subscribe\r\n") < 3:
            confirmations += subscriber.recv(65536)
        during = pubsub_counts(client, tag)
    deadline = time.monotonic() + 5
    after = pubsub_counts(client, tag)
    while after != before and time.monotonic() < deadline:
        time.sleep(0.005)
        after = pubsub_counts(client, tag)
    return before, during, after


def test_subscriptions_of_a_closed_connection_are_forgotten_like_redis_server(
    twin, twin_port, real_redis, real_redis_port
) -> None:
    tag = f"gone{time.monotonic_ns()}"
    seen = [
        subscriptions_seen_after_disconnect(client, port, tag)
        for client, port in ((twin, twin_port), (real_redis, real_redis_port))
    ]
    twin_seen, real_seen = seen
    before, during, after = twin_seen
    assert during["numsub"] == [(f"{tag}:ch".encode(), 1)] and during["numpat"] == before["numpat"] + 1
    assert after == before
    assert after["publish"] == after["spublish"] == 0 and after["channels"] == after["shardchannels"] == []
    # The real server agrees at every step, counting patterns relative to those other clients hold.
    assert relative_to_start(twin_seen) == relative_to_start(real_seen)


def relative_to_start(seen: tuple[dict, dict, dict]) -> list[dict]:
    start = seen[0]["numpat"]
    return [{**counts, "numpat": counts["numpat"] - start} for counts in seen]
