"""Clients that stop reading: client-output-buffer-limit as redis enforces it, and reply buffers that cost what they
hold and go when the client goes.

Every socket here has a timeout and every wait a deadline, so a server that froze fails these tests, never hangs them.
"""

from __future__ import annotations

import gc
import math
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from cloudtwin.clock import clock
from cloudtwin.config import Settings
from cloudtwin.redis.output_buffer import CHUNK_BYTES, OutputBuffer
from cloudtwin.redis.service import RedisService

pytestmark = pytest.mark.timeout(60)

MESSAGE = b"m" * 64 * 1024


def command(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(arg), arg) for arg in args)


def wait_for(condition: Callable[[], object], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def service() -> Iterator[RedisService]:
    """A twin of its own, stopped afterwards from a thread with a deadline: a frozen server fails the test."""
    started = RedisService(SimpleNamespace(settings=Settings(redis_port=0), clock=clock))
    started.start()
    yield started
    assert stops_within(started, 10), "the Redis server did not stop"


def stops_within(service: RedisService, seconds: float) -> bool:
    stopper = threading.Thread(target=service.stop, daemon=True)
    stopper.start()
    stopper.join(seconds)
    return not stopper.is_alive()


def client(port: int) -> redis.Redis:
    return redis.Redis(port=port, socket_timeout=10, protocol=2)


def silent_client(port: int, name: bytes, *commands: bytes) -> socket.socket:
    """A client that sends `commands` and then reads nothing more, with a small receive buffer so the replies it
    does not read pile up in the server soon."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    sock.sendall(command(b"CLIENT", b"SETNAME", name))
    assert sock.recv(16) == b"+OK\r\n"
    for sent in commands:
        sock.sendall(sent)
    return sock


def listed(control: redis.Redis, name: str) -> dict | None:
    """The named client's CLIENT LIST fields (numbers as ints); None if no such client is connected."""
    for entry in control.client_list():
        if entry["name"] == name:
            return {field: int(value) if value.lstrip("-").isdigit() else value for field, value in entry.items()}
    return None


def settled(control: redis.Redis, name: str) -> dict:
    """The client's CLIENT LIST entry once the server has run all it sent: nothing left to read, nothing changing."""
    previous: dict | None = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        entry = listed(control, name)
        if entry is not None and entry["qbuf"] == 0 and previous is not None and entry["omem"] == previous["omem"]:
            return entry
        previous = entry
        time.sleep(0.05)
    raise AssertionError(f"client {name} did not settle: {previous}")


def closed_by_server(sock: socket.socket, seconds: float = 10.0) -> bool:
    """Whether the server closed the connection: what it had sent is read, then the end of the stream."""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if not sock.recv(1024 * 1024):
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return False


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile: what is freed is freed by the last reference going."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def connection_named(service: RedisService, name: str):
    for connection in list(service.engine.connections.values()):
        if connection.socket._client_info.get("name") == name:
            return connection
    raise LookupError(name)


# --- client-output-buffer-limit


def _subscribe(service: RedisService, control: redis.Redis) -> socket.socket:
    control.config_set("client-output-buffer-limit", "pubsub 1mb 0 0")
    sock = silent_client(service.port, b"slow", command(b"SUBSCRIBE", b"news"))
    assert wait_for(lambda: control.pubsub_numsub("news") == [(b"news", 1)])
    return sock


def _publish(control: redis.Redis, writer: redis.Redis) -> None:
    writer.publish("news", MESSAGE)


def _watch_keys(service: RedisService, control: redis.Redis) -> socket.socket:
    control.config_set("client-output-buffer-limit", "pubsub 1mb 0 0")
    control.config_set("notify-keyspace-events", "KEA")
    sock = silent_client(service.port, b"slow", command(b"PSUBSCRIBE", b"__key*__:*"))
    assert wait_for(lambda: control.pubsub_numpat() == 1)
    return sock


def _write_keys(control: redis.Redis, writer: redis.Redis) -> None:
    # Each SET announces the 64 KiB key name twice: on its keyspace channel and as the keyevent message.
    writer.set(MESSAGE, "v")


def _monitor(service: RedisService, control: redis.Redis) -> socket.socket:
    # MONITOR clients are normal clients for the limits, as in redis (getClientType).
    control.config_set("client-output-buffer-limit", "normal 1mb 0 0")
    sock = silent_client(service.port, b"slow", command(b"MONITOR"))
    assert wait_for(lambda: "O" in listed(control, "slow")["flags"])
    return sock


def _run_scripts(control: redis.Redis, writer: redis.Redis) -> None:
    # A script's line is fed to monitors while fakeredis's lock is held.
    writer.eval("return 1", 0, MESSAGE)


@pytest.mark.parametrize(
    ("stop_reading", "flood"),
    [(_subscribe, _publish), (_watch_keys, _write_keys), (_monitor, _run_scripts)],
    ids=["publish", "keyspace-events", "monitor"],
)
def test_a_client_that_stops_reading_is_dropped_at_its_limit_and_the_others_are_served(
    service: RedisService, stop_reading, flood
) -> None:
    control, writer, bystander = client(service.port), client(service.port), client(service.port)
    bystander.set("before", "flood")
    slow = stop_reading(service, control)
    dropped = weakref.ref(connection_named(service, "slow"))
    with collector_paused():
        for _ in range(400):
            flood(control, writer)
            if listed(control, "slow") is None:
                break
        assert listed(control, "slow") is None
        assert dropped() is None, "the dropped client's connection (and its buffer) is still held"
    assert control.info("stats")["client_output_buffer_limit_disconnections"] == 1
    assert bystander.get("before") == b"flood"
    assert bystander.ping()
    flood(control, writer)
    assert closed_by_server(slow)
    assert stops_within(service, 10), "the Redis server did not stop"


def test_the_soft_limit_drops_a_subscriber_over_it_for_longer_than_its_seconds(service: RedisService) -> None:
    control, publisher = client(service.port), client(service.port)
    control.config_set("client-output-buffer-limit", "pubsub 0 256kb 10")
    clock.freeze()
    try:
        subscriber = silent_client(service.port, b"slow", command(b"SUBSCRIBE", b"news"))
        assert wait_for(lambda: control.pubsub_numsub("news") == [(b"news", 1)])
        # Well past the soft limit (redis leaves the first 16 KiB out of the count), and all on the frozen clock.
        for _ in range(400):
            publisher.publish("news", MESSAGE)
            if listed(control, "slow")["omem"] >= 512 * 1024:
                break
        assert listed(control, "slow")["omem"] >= 512 * 1024
        clock.advance(10)
        publisher.publish("news", MESSAGE)
        assert listed(control, "slow") is not None, "over the soft limit for 10 s, not more: not yet dropped"
        clock.advance(1)
        publisher.publish("news", MESSAGE)
        assert listed(control, "slow") is None
        assert control.info("stats")["client_output_buffer_limit_disconnections"] == 1
        assert closed_by_server(subscriber)
    finally:
        clock.reset()


def _pipelined_gets_outcome(port: int, limit: str, gets: int) -> tuple[bool, bool]:
    """(dropped, over 1 MiB unread while connected) for a client that asks for `gets` 256 KiB values unread."""
    control = client(port)
    control.config_set("client-output-buffer-limit", limit)
    control.set("value", b"v" * 256 * 1024)
    reader = silent_client(port, b"reader", command(b"GET", b"value") * gets)
    try:
        queued_enough = wait_for(lambda: (listed(control, "reader") or {"omem": 2 * 1024 * 1024})["omem"] > 1024 * 1024)
        dropped = wait_for(lambda: listed(control, "reader") is None, seconds=1.0)
        return dropped, queued_enough
    finally:
        reader.close()
        control.config_set("client-output-buffer-limit", "normal 0 0 0")


@pytest.mark.parametrize(("limit", "expected"), [("normal 1mb 0 0", (True, True)), ("normal 0 0 0", (False, True))])
def test_normal_clients_are_limited_only_when_a_limit_is_set_as_in_redis(
    service: RedisService, real_redis_port: int, limit: str, expected: tuple[bool, bool]
) -> None:
    assert _pipelined_gets_outcome(service.port, limit, 60) == expected
    assert _pipelined_gets_outcome(real_redis_port, limit, 60) == expected


CONFIG_SETS = [
    "pubsub 1mb 512kb 10",
    "normal 1k 2k 3 replica 64mb 32mb 5",
    "master 1 1 1",
    "normal 1 1",
    "normal x 1 1",
    "normal 1 1 -1",
    "normal 1 1 x",
    "foo 1 1 1",
    "normal 1.5mb 0 0",
    "normal -1 0 0",
    "slave 1 2 3 pubsub 1 1 x",
    "",
    "NORMAL 1GB 2Mb 0",
    "normal 0 0 0 normal 5 5 5",
    "Slave 256mb 64mb 60 PUBSUB 32MB 8MB 60 normal 0 0 0",
]


def test_config_set_and_get_of_client_output_buffer_limit_match_redis(both) -> None:
    def session(server: redis.Redis) -> list:
        seen = [server.config_get("client-output-buffer-limit")]
        for value in CONFIG_SETS:
            try:
                seen.append(server.config_set("client-output-buffer-limit", value))
            except redis.ResponseError as exc:
                seen.append(str(exc))
            seen.append(server.config_get("client-output*"))
        return seen

    twin, real = both
    try:
        assert session(twin) == session(real)
    finally:
        for server in both:
            server.config_set("client-output-buffer-limit", "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60")


# --- one client's backlog against the others


def test_a_long_pipeline_runs_in_turns_and_other_clients_are_answered_in_between(service: RedisService) -> None:
    observer = client(service.port)
    observer.set("counter", 0)
    flood = 50_000
    with socket.create_connection(("127.0.0.1", service.port), timeout=10) as flooder:
        sender = threading.Thread(target=flooder.sendall, args=(command(b"INCR", b"counter") * flood,), daemon=True)
        sender.start()
        seen: set[int] = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            value = int(observer.get("counter"))
            seen.add(value)
            if value == flood:
                break
        sender.join(10)
        expected = b"".join(b":%d\r\n" % value for value in range(1, flood + 1))
        received = bytearray()
        while len(received) < len(expected):
            received += flooder.recv(1024 * 1024)
    assert received == expected
    # Answered all along the other client's pipeline, not only between long runs of it.
    assert len(seen - {0, flood}) >= 20


# --- reply buffers


def test_unread_small_replies_are_packed_and_client_list_counts_them(service: RedisService) -> None:
    control = client(service.port)
    control.set("value", b"v" * 1000)
    reader = silent_client(service.port, b"reader", command(b"GET", b"value") * 8000)
    entry = settled(control, "reader")
    assert entry["omem"] > 1024 * 1024
    # redis keeps small replies in 16 KiB blocks, and so does the twin: not an object per reply.
    assert entry["oll"] <= entry["omem"] // (CHUNK_BYTES // 2) + 1
    assert entry["omem"] == connection_named(service, "reader").out.size
    assert entry["tot-mem"] >= entry["omem"]
    reader.close()


def test_closed_connections_are_freed_at_once_and_leave_nothing_behind(service: RedisService) -> None:
    control = client(service.port)
    with collector_paused():
        sockets = [silent_client(service.port, b"c%d" % i) for i in range(20)]
        for index, sock in enumerate(sockets):
            sock.sendall(command(b"SET", b"k%d" % index, b"v") + command(b"WATCH", b"k%d" % index))
            sock.sendall(command(b"GET", b"k%d" % index) + command(b"SUBSCRIBE", b"ch%d" % index))
        assert wait_for(lambda: control.pubsub_numsub("ch19") == [(b"ch19", 1)])
        connections = [weakref.ref(connection_named(service, f"c{i}")) for i in range(20)]
        engine_sockets = [weakref.ref(ref().socket) for ref in connections]
        for sock in sockets:
            sock.close()
        assert wait_for(lambda: len(service.engine.connections) == 1)
        assert not service.engine.server.closed_sockets, "fakeredis's lazy-cleanup queue still holds them"
        control.ping()
        assert [ref() for ref in connections] == [None] * 20
        assert [ref() for ref in engine_sockets] == [None] * 20
    server = service.server
    assert len(service.engine.server.sockets) == 1
    assert not (server._writing or server._paused or server.to_close or service.engine.blocked)


def test_dropping_a_client_with_a_big_buffer_gives_the_heap_back(service: RedisService) -> None:
    engine = service.engine
    if not engine.heap.available:
        pytest.skip("no malloc_trim here (not glibc): memory stays with the allocator")
    control = client(service.port)
    control.set("value", b"v" * 256 * 1024)
    reader = silent_client(service.port, b"reader", command(b"GET", b"value") * 40)
    assert wait_for(lambda: listed(control, "reader")["omem"] > 2 * 1024 * 1024)
    trims = engine.heap.trims
    reader.close()
    assert wait_for(lambda: engine.heap.trims > trims)


# --- the buffer itself


class RecordingSocket:
    """Takes at most `room` bytes per send, and remembers how much it was offered each time."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.offered: list[int] = []
        self.received = bytearray()

    def send(self, data) -> int:
        self.offered.append(len(data))
        taken = bytes(data[: self.room])
        self.received += taken
        if not taken:
            raise BlockingIOError
        return len(taken)


@given(
    replies=st.lists(st.binary(min_size=1, max_size=3 * CHUNK_BYTES), max_size=60),
    room=st.integers(min_value=1, max_value=4 * CHUNK_BYTES),
)
def test_an_output_buffer_sends_what_was_queued_in_order_and_counts_it(replies: list[bytes], room: int) -> None:
    buffer = OutputBuffer()
    sock = RecordingSocket(room)
    queued = b""
    for index, reply in enumerate(replies):
        buffer.append(reply)
        queued += reply
        assert buffer.size == len(queued) - len(sock.received)
        if index % 3 == 2:
            buffer.send(sock)
    while buffer:
        assert buffer.send(sock) > 0
    assert bytes(sock.received) == queued
    assert buffer.size == 0 and buffer.chunk_count == 0
    # Each send offers one chunk: never the whole backlog joined, which would copy it all again on every send.
    assert all(offered <= max(CHUNK_BYTES, *(len(reply) for reply in replies)) for offered in sock.offered)


def test_small_replies_share_chunks() -> None:
    buffer = OutputBuffer()
    for _ in range(100_000):
        buffer.append(b"+PONG\r\n")
    assert buffer.size == 700_000
    assert buffer.chunk_count == math.ceil(100_000 / (CHUNK_BYTES // 7))
