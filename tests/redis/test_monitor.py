"""MONITOR: the feed a monitoring client receives, line for line as redis-server 7 sends it."""

from __future__ import annotations

import re
import socket
import time

import redis

# The timestamp and client address differ by nature; the database, the order and the arguments must not.
_VARIABLE = re.compile(rb"\+\d+\.\d{6} \[(\d+) (?:\d+\.\d+\.\d+\.\d+:\d+|lua)\]")

SESSION = (
    b'SET "a b" "x\\n\\x01\\xff"\r\n'
    b"GET\r\n"  # refused: never shown
    b'LPUSH "a b" x\r\n'  # failed while running: shown
    b"MULTI\r\nset k 1\r\nINCR k\r\nEXEC\r\n"
    b"AUTH foo\r\nHELLO 2 AUTH default pw\r\n"
    b"CONFIG GET maxmemory\r\n"  # administrative: never shown
    b"INFO server\r\nCLIENT SETNAME me\r\n"
    b"EVAL \"return redis.call('get', KEYS[1])\" 1 k\r\n"
    # A script's calls are shown with their names as the script spelled them.
    b"EVAL \"redis.call('SeT', KEYS[1], 'v') return redis.pcall('GeT', KEYS[1])\" 1 k\r\n"
    b"PING\r\nSELECT 2\r\nSET z 1\r\n"
)


def read_until_quiet(sock: socket.socket, quiet: float = 0.3) -> bytes:
    sock.settimeout(quiet)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        pass
    return received


def monitored(port: int) -> bytes:
    with (
        socket.create_connection(("127.0.0.1", port)) as monitor,
        socket.create_connection(("127.0.0.1", port)) as client,
    ):
        monitor.sendall(b"MONITOR\r\n")
        assert read_until_quiet(monitor, 0.2) == b"+OK\r\n"
        client.sendall(SESSION)
        read_until_quiet(client)
        # The monitoring client itself: keyspace commands refused, others answered and then shown.
        monitor.sendall(b"GET x\r\nPING\r\n")
        return _VARIABLE.sub(rb"[\1]", read_until_quiet(monitor))


def test_monitor_feed_matches_redis_server(twin, twin_port, real_redis, real_redis_port: int) -> None:
    expected = monitored(real_redis_port)
    assert b'[0] "EVAL"' in expected and b'[0] "get" "k"' in expected and b'[0] "SeT" "k" "v"' in expected
    assert monitored(twin_port) == expected


def test_reset_and_disconnect_end_monitoring(start_twin) -> None:
    service = start_twin()
    engine = service.engine
    twin = redis.Redis(port=service.port)
    with socket.create_connection(("127.0.0.1", service.port)) as monitor:
        monitor.sendall(b"MONITOR\r\n")
        assert read_until_quiet(monitor, 0.2) == b"+OK\r\n"
        monitor.sendall(b"RESET\r\n")
        assert read_until_quiet(monitor, 0.2) == b"+RESET\r\n"
        twin.set("after", "reset")
        monitor.sendall(b"GET after\r\n")
        assert read_until_quiet(monitor, 0.2) == b"$5\r\nreset\r\n"
        monitor.sendall(b"MONITOR\r\n")
        assert read_until_quiet(monitor, 0.2) == b"+OK\r\n"
        assert len(engine.monitors) == 1
    deadline = time.monotonic() + 5
    while engine.monitors and time.monotonic() < deadline:
        twin.ping()
    assert not engine.monitors
    assert twin.set("still", "serving")
