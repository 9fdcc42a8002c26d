"""Redis: TTLs to the millisecond, a reliable LMOVE queue, stream consumer groups, WATCH/MULTI/EXEC, pub/sub,
and eviction that spares keys without a TTL under volatile-* policies."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import redis
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from .conftest import RedisSide

# On a real server the checks around a deadline run in wall time: this margin covers a round trip.
REAL_MARGIN_MS = 40


def test_ttl_present_before_the_deadline_and_absent_after_it(contract, redis_target: RedisSide) -> None:
    client = redis_target.client()
    emulated = redis_target.target.moves_time

    def ttl(command: str, amount: int) -> None:
        key = "ttl-key"
        client.delete(key)
        started = time.monotonic()
        if command == "SET PX":
            client.set(key, "v", px=amount)
        elif command == "SET EX":
            client.set(key, "v", ex=amount)
        elif command == "PEXPIRE":
            client.set(key, "v")
            client.pexpire(key, amount)
        else:
            client.set(key, "v")
            client.expire(key, amount)
        answered = time.monotonic()
        lifetime_ms = amount * 1000 if command in ("SET EX", "EXPIRE") else amount
        if emulated:
            redis_target.time.advance((lifetime_ms - 1) / 1000)
            assert client.exists(key), f"gone 1 ms before its {lifetime_ms} ms deadline"
            assert client.pttl(key) in (1, 0), f"PTTL {client.pttl(key)} 1 ms before the deadline"
            redis_target.time.advance(0.002)
            assert not client.exists(key), f"still there 1 ms after its {lifetime_ms} ms deadline"
            return
        # Real time: the server's deadline lies between started + lifetime and answered + lifetime.
        time.sleep(max(0.0, started + (lifetime_ms - REAL_MARGIN_MS) / 1000 - time.monotonic()))
        assert client.exists(key), f"gone {REAL_MARGIN_MS} ms before its {lifetime_ms} ms deadline"
        time.sleep(max(0.0, answered + (lifetime_ms + 2) / 1000 - time.monotonic()))
        assert not client.exists(key), f"still there 2 ms after its {lifetime_ms} ms deadline"

    if emulated:
        amounts = {"SET PX": st.integers(2, 10**7), "PEXPIRE": st.integers(2, 10**7)}
        amounts |= {"SET EX": st.integers(1, 10**5), "EXPIRE": st.integers(1, 10**5)}
    else:  # short real waits; whole seconds only once
        amounts = {"SET PX": st.integers(100, 400), "PEXPIRE": st.integers(100, 400), "EXPIRE": st.just(1)}
    cases = st.sampled_from(sorted(amounts)).flatmap(lambda c: st.tuples(st.just(c), amounts[c]))
    contract.check(redis_target.target, lambda case: ttl(*case), examples=20, timed=True, case=cases)


class ReliableQueueMachine(RuleBasedStateMachine):
    """Producers LPUSH, workers LMOVE/BLMOVE into a processing list, ack with LREM, recover on a crash."""

    def __init__(self, client: redis.Redis) -> None:
        super().__init__()
        self.client = client
        self.queue: list[str] = []  # head (LPUSH side) first, as LRANGE shows it
        self.processing: list[str] = []
        self.acked: list[str] = []
        self.pushed = 0

    @initialize()
    def empty(self) -> None:
        self.client.delete("queue", "processing")

    @rule(count=st.integers(1, 4))
    def push(self, count: int) -> None:
        for _ in range(count):
            self.pushed += 1
            item = f"job{self.pushed}"
            self.client.lpush("queue", item)
            self.queue.insert(0, item)

    @rule(blocking=st.booleans())
    def take(self, blocking: bool) -> None:
        if blocking and self.queue:  # only when something is there: a frozen twin's block would never end
            moved = self.client.blmove("queue", "processing", 1, "RIGHT", "LEFT")
        else:
            moved = self.client.lmove("queue", "processing", "RIGHT", "LEFT")
        expected = self.queue.pop() if self.queue else None
        assert (moved.decode() if moved else None) == expected
        if expected is not None:
            self.processing.insert(0, expected)

    @precondition(lambda self: self.processing)
    @rule(data=st.data())
    def ack(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(self.processing))
        assert self.client.lrem("processing", 1, item) == 1
        self.processing.remove(item)
        self.acked.append(item)

    @rule()
    def recover_after_a_crash(self) -> None:
        while self.client.lmove("processing", "queue", "RIGHT", "RIGHT") is not None:
            self.queue.append(self.processing.pop())
        assert not self.processing

    @invariant()
    def nothing_lost_or_doubled(self) -> None:
        queue = [x.decode() for x in self.client.lrange("queue", 0, -1)]
        processing = [x.decode() for x in self.client.lrange("processing", 0, -1)]
        assert (queue, processing) == (self.queue, self.processing)
        everything = Counter(queue + processing + self.acked)
        assert everything == Counter(f"job{n}" for n in range(1, self.pushed + 1))


def test_reliable_queue_with_lmove_loses_nothing(contract, redis_target: RedisSide) -> None:
    client = redis_target.client()
    contract.check_machine(redis_target.target, lambda: ReliableQueueMachine(client), examples=15, steps=20)


def test_stream_groups_deliver_once_keep_pending_until_ack_and_autoclaim(contract, redis_target: RedisSide) -> None:
    client = redis_target.client()

    def consumer_group(entries: int, reads: list[tuple[int, int]], acks: list[bool]) -> None:
        client.delete("stream")
        ids = [client.xadd("stream", {"n": n}).decode() for n in range(entries)]
        client.xgroup_create("stream", "workers", id="0", mkstream=True)
        owner: dict[str, str] = {}
        for consumer, count in reads:
            answer = client.xreadgroup("workers", f"c{consumer}", {"stream": ">"}, count=count)
            for entry_id, _ in answer[0][1] if answer else []:
                entry_id = entry_id.decode()
                assert entry_id not in owner, f"{entry_id} delivered to c{consumer} after {owner.get(entry_id)}"
                owner[entry_id] = f"c{consumer}"
        assert list(owner) == ids[: len(owner)], "delivered out of stream order"
        acked = {entry_id for entry_id, ack in zip(owner, acks, strict=False) if ack}
        if acked:
            assert client.xack("stream", "workers", *acked) == len(acked)
        pending = {p["message_id"].decode(): p["consumer"].decode() for p in client.xpending_range(
            "stream", "workers", "-", "+", 1000
        )}  # fmt: skip
        assert pending == {e: c for e, c in owner.items() if e not in acked}
        # Nothing has been idle for an hour; everything has been idle at least 0 ms.
        assert client.xautoclaim("stream", "workers", "rescuer", 3_600_000, "0-0")[1] == []
        claimed = client.xautoclaim("stream", "workers", "rescuer", 0, "0-0", count=1000)[1]
        assert sorted(entry_id.decode() for entry_id, _ in claimed) == sorted(pending)
        after = {p["message_id"].decode(): p["consumer"].decode() for p in client.xpending_range(
            "stream", "workers", "-", "+", 1000
        )}  # fmt: skip
        assert after == dict.fromkeys(pending, "rescuer")

    contract.check(
        redis_target.target,
        consumer_group,
        examples=15,
        entries=st.integers(0, 12),
        reads=st.lists(st.tuples(st.integers(1, 3), st.integers(1, 5)), max_size=6),
        acks=st.lists(st.booleans(), max_size=12),
    )


def test_watch_multi_exec_is_all_or_nothing_under_concurrent_writers(contract, redis_target: RedisSide) -> None:
    def transactions(writers: int, increments: int) -> None:
        setup = redis_target.client()
        setup.mset({"counter": 0, "shadow": 0})
        # A transaction queued against a key another client changed is discarded whole.
        watcher, other = redis_target.client(), redis_target.client()
        with watcher.pipeline() as pipe:
            pipe.watch("counter")
            other.incr("counter")
            pipe.multi()
            pipe.incr("counter")
            pipe.incr("shadow")
            try:
                pipe.execute()
                raise AssertionError("EXEC ran a transaction whose watched key had changed")
            except redis.WatchError:
                pass
        assert setup.mget("counter", "shadow") == [b"1", b"0"]
        setup.set("counter", 0)

        def writer() -> None:
            client = redis_target.client()
            for _ in range(increments):
                while True:
                    with client.pipeline() as pipe:
                        try:
                            pipe.watch("counter")
                            value = int(pipe.get("counter"))
                            pipe.multi()
                            pipe.set("counter", value + 1)
                            pipe.incr("shadow")
                            pipe.execute()
                            break
                        except redis.WatchError:
                            continue

        threads = [threading.Thread(target=writer) for _ in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads), "a writer never got its transaction through"
        total = writers * increments
        assert setup.mget("counter", "shadow") == [str(total).encode()] * 2

    contract.check(
        redis_target.target, transactions, examples=6, writers=st.integers(1, 4), increments=st.integers(1, 15)
    )


def test_pubsub_delivers_to_every_live_subscriber_in_publish_order(contract, redis_target: RedisSide) -> None:
    publisher = redis_target.client()

    def fan_out(subscribers: int, messages: list[str], departed: int) -> None:
        listeners = []
        for _ in range(subscribers + departed):
            pubsub = redis_target.client().pubsub()
            pubsub.subscribe("news")
            assert pubsub.get_message(timeout=5)["type"] == "subscribe"
            listeners.append(pubsub)
        for pubsub in listeners[subscribers:]:  # these leave before anything is published
            pubsub.unsubscribe("news")
            assert pubsub.get_message(timeout=5)["type"] == "unsubscribe"
        live = listeners[:subscribers]
        for message in messages:
            assert publisher.publish("news", message) == subscribers
        for pubsub in live:
            got = []
            while len(got) < len(messages):
                message = pubsub.get_message(timeout=5)
                assert message is not None, f"a subscriber got {len(got)} of {len(messages)} messages"
                got.append(message["data"].decode())
            assert got == messages
        for pubsub in listeners:
            pubsub.close()

    contract.check(
        redis_target.target,
        fan_out,
        examples=8,
        subscribers=st.integers(1, 4),
        messages=st.lists(st.text("abcdefgh", min_size=1, max_size=10), max_size=15),
        departed=st.integers(0, 2),
    )


def test_volatile_eviction_never_drops_a_key_without_ttl(contract, redis_target: RedisSide) -> None:
    client = redis_target.client()
    try:
        original = client.config_get("maxmemory")["maxmemory"]
        original_policy = client.config_get("maxmemory-policy")["maxmemory-policy"]
    except redis.ResponseError as refused:  # ElastiCache and other managed servers disable CONFIG
        pytest.skip(f"this server refuses CONFIG, so maxmemory cannot be set here: {refused}")

    def evict(policy: str, persistent: int, volatile: int) -> None:
        client.config_set("maxmemory", 0)
        client.flushall()
        value = "x" * 1024
        for n in range(persistent):
            client.set(f"keep{n}", value)
        client.config_set("maxmemory-policy", policy)
        client.config_set("maxmemory", client.info("memory")["used_memory"] + 64 * 1024)
        refused = 0
        for n in range(volatile):
            try:
                client.set(f"cache{n}", value, ex=3600)
            except redis.exceptions.OutOfMemoryError:
                refused += 1  # nothing volatile left to evict: refusing the write is the contract
        kept = client.mget([f"keep{n}" for n in range(persistent)]) if persistent else []
        assert all(v == value.encode() for v in kept), f"{policy} dropped keys without a TTL"
        cached = sum(1 for v in client.mget([f"cache{n}" for n in range(volatile)]) if v is not None)
        assert cached < volatile - refused, f"{policy} evicted nothing over maxmemory"

    try:
        contract.check(
            redis_target.target,
            evict,
            examples=8,
            policy=st.sampled_from(["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"]),
            persistent=st.integers(0, 40),
            volatile=st.integers(200, 400),
        )
    finally:
        client.config_set("maxmemory", original)
        client.config_set("maxmemory-policy", original_policy)
