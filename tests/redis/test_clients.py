"""CLIENT SETNAME | LIST | KILL, QUIT, SELECT: per-connection state a server keeps."""

from __future__ import annotations

import socket

import pytest
import redis


def test_setname_shows_in_client_list(redis_client_factory) -> None:
    named = redis_client_factory(client_name="worker-1")
    named.ping()
    names = [client.get("name") for client in named.client_list()]
    assert "worker-1" in names


def test_client_kill_closes_the_killed_clients_socket(redis_client_factory, twin_port) -> None:
    killer = redis_client_factory()
    victim = socket.create_connection(("127.0.0.1", twin_port), timeout=2)
    victim.sendall(b"CLIENT SETNAME victim\r\n")
    assert victim.recv(100) == b"+OK\r\n"
    victim_id = next(c["id"] for c in killer.client_list() if c.get("name") == "victim")
    assert killer.client_kill_filter(_id=victim_id) == 1
    assert victim.recv(100) == b""
    assert "victim" not in [c.get("name") for c in killer.client_list()]
    assert killer.ping() is True
    victim.close()


def test_quit_replies_and_closes(twin_port) -> None:
    with socket.create_connection(("127.0.0.1", twin_port), timeout=2) as sock:
        sock.sendall(b"QUIT\r\nPING\r\n")
        received = b""
        while chunk := sock.recv(100):
            received += chunk
    assert received == b"+OK\r\n"


def test_sixteen_databases(redis_client_factory) -> None:
    db15 = redis_client_factory(db=15)
    db0 = redis_client_factory(db=0)
    db0.flushall()
    db15.set("k", "fifteen")
    assert db0.get("k") is None
    assert db15.get("k") == b"fifteen"
    with pytest.raises(redis.ResponseError, match="DB index is out of range"):
        db0.execute_command("SELECT", "16")
