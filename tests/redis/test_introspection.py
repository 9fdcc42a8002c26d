"""OBJECT, SLOWLOG, LATENCY, ROLE and CLUSTER: what tools and cluster-aware clients ask a server about itself."""

from __future__ import annotations

import socket

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.redis.test_expiry import wait_for
from tests.redis.test_wire import assert_same_replies

LONG = b"x" * 70


@pytest.mark.parametrize(
    "payload",
    [
        b"SET i 123\r\nSET big 12345678901234567890\r\nSET neg -5\r\nSET zero 007\r\nSET s " + b"y" * 45 + b"\r\n"
        b"SET e short\r\nRPUSH l a\r\nSADD si 1 2 3\r\nSADD ss a\r\nHSET h f v\r\nHSET h2 f " + LONG + b"\r\n"
        b"ZADD z 1 a\r\nZADD z2 1 "
        + LONG
        + b"\r\nXADD st 1-1 a 1\r\n"
        + b"".join(
            b"OBJECT ENCODING %s\r\nOBJECT REFCOUNT %s\r\n" % (key, key)
            for key in (b"i", b"big", b"neg", b"zero", b"s", b"e", b"l", b"si", b"ss", b"h", b"h2", b"z", b"z2", b"st")
        )
        + b"OBJECT ENCODING nokey\r\nOBJECT IDLETIME nokey\r\nOBJECT\r\nOBJECT NOSUCH\r\nOBJECT HELP\r\n",
        # Counter steps that are certain in redis (its increments are random only above 5).
        b"SET i 1\r\nCONFIG SET maxmemory-policy allkeys-lfu\r\nOBJECT FREQ i\r\nGET i\r\nGET i\r\nOBJECT FREQ i\r\n"
        b"SET k v\r\nOBJECT FREQ k\r\nGET k\r\nOBJECT FREQ k\r\nDEL k\r\nSET k v\r\nOBJECT FREQ k\r\n"
        b"OBJECT IDLETIME k\r\n"
        b"CONFIG SET maxmemory-policy noeviction\r\nOBJECT FREQ k\r\n",
        b"ROLE\r\nCLUSTER INFO\r\nCLUSTER\r\nREADONLY\r\nREADWRITE\r\n",
        b"LATENCY LATEST\r\nLATENCY HISTORY command\r\nLATENCY RESET\r\nLATENCY NOSUCH\r\n",
        # The shared twin may have logged a slow command already: start both logs empty.
        b"SLOWLOG RESET\r\nSLOWLOG LEN\r\nSLOWLOG GET x\r\nSLOWLOG GET -5\r\nSLOWLOG GET 1 2\r\n"
        b"SLOWLOG RESET\r\nSLOWLOG HELP\r\n"
        b"CONFIG SET slowlog-log-slower-than x\r\nCONFIG SET slowlog-max-len -1\r\n"
        b"CONFIG GET slowlog-max-len\r\nCONFIG GET slowlog-log-slower-than\r\n",
        b"CLIENT LIST TYPE x\r\nCLIENT LIST ID x\r\nCLIENT LIST ID 0\r\nCLIENT LIST foo\r\nCLIENT LIST TYPE pubsub\r\n",
    ],
    ids=["object", "object-freq", "role-and-cluster", "latency", "slowlog-commands", "client-list-errors"],
)
def test_replies_match_redis_server(twin, twin_port, real_redis, real_redis_port: int, payload: bytes) -> None:
    real_redis.config_set("maxmemory-policy", "noeviction")
    assert_same_replies(twin_port, real_redis_port, payload)


def _slow_entries(port: int) -> list:
    client = redis.Redis(port=port, single_connection_client=True, retry=Retry(NoBackoff(), 0))
    client.config_set("slowlog-log-slower-than", 0)
    client.slowlog_reset()
    client.client_setname("logger")
    client.set("k", "v")
    client.execute_command("SET", "long", b"z" * 200)
    client.execute_command("RPUSH", "many", *range(40))
    # A transaction on this same connection (a pipeline would take another from the pool).
    for command in (("MULTI",), ("INCRBY", "n", "1"), ("GET", "k"), ("EXEC",)):
        client.connection.send_command(*command)
        client.connection.read_response()
    entries = client.slowlog_get(-1)
    client.config_set("slowlog-log-slower-than", 10000)
    client.close()
    return [(entry["command"], entry["client_name"]) for entry in entries]


def test_slowlog_entries_match_redis_server(twin, twin_port, real_redis, real_redis_port: int) -> None:
    twin_entries = _slow_entries(twin_port)
    assert twin_entries == _slow_entries(real_redis_port)
    assert (
        b"RPUSH many 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 "
        b"... (11 more arguments)",
        b"logger",
    ) in twin_entries


def test_slowlog_keeps_the_newest_entries_up_to_its_length(twin) -> None:
    twin.config_set("slowlog-log-slower-than", 0)
    twin.config_set("slowlog-max-len", 3)
    try:
        twin.slowlog_reset()
        for index in range(5):
            twin.set(f"k{index}", index)
        entries = twin.slowlog_get(10)
        assert [entry["command"] for entry in entries] == [b"SET k4 4", b"SET k3 3", b"SET k2 2"]
        assert entries[0]["id"] > entries[1]["id"] > entries[2]["id"]
    finally:
        twin.config_set("slowlog-log-slower-than", 10000)
        twin.config_set("slowlog-max-len", 128)


def test_object_idletime_follows_the_emulator_clock(twin, cloudtwin_clock) -> None:
    cloudtwin_clock.freeze()
    twin.set("k", "v")
    cloudtwin_clock.advance(100)
    assert twin.object("idletime", "k") == 100
    twin.get("k")
    assert twin.object("idletime", "k") == 0


def _field_names(line: bytes) -> list[bytes]:
    return [field.split(b"=", 1)[0] for field in line.split()]


def test_client_info_has_redis_7_fields_in_order(twin, real_redis) -> None:
    twin_line = twin.execute_command("CLIENT", "INFO")
    real_line = real_redis.execute_command("CLIENT", "INFO")
    assert _field_names(twin_line) == _field_names(real_line)
    assert twin_line.endswith(b"\n") and b" cmd=client|info " in twin_line


def test_client_list_reports_each_clients_state(start_twin, cloudtwin_clock) -> None:
    cloudtwin_clock.freeze()
    service = start_twin()
    port = service.port
    observer = redis.Redis(port=port, single_connection_client=True)
    subscriber = redis.Redis(port=port).pubsub()
    subscriber.subscribe("news", "more")
    subscriber.psubscribe("n*")
    in_multi = redis.Redis(port=port, single_connection_client=True)
    in_multi.client_setname("queuer")
    in_multi.connection.send_command("MULTI")
    in_multi.connection.read_response()
    in_multi.connection.send_command("SET", "k", "v")
    in_multi.connection.read_response()
    blocked = redis.Redis(port=port, single_connection_client=True)
    blocked.client_setname("waiter")
    blocked.connection.send_command("BLPOP", "jobs", 0)
    with socket.create_connection(("127.0.0.1", port)) as monitor:
        monitor.sendall(b"MONITOR\r\n")
        assert monitor.recv(16) == b"+OK\r\n"
        assert wait_for(lambda: observer.info("clients")["blocked_clients"] == 1)
        cloudtwin_clock.advance(30)
        clients = {client["id"]: client for client in observer.client_list()}
        by_name = {client["name"]: client for client in clients.values()}
        assert (by_name["queuer"]["flags"], by_name["queuer"]["multi"], by_name["queuer"]["cmd"]) == ("x", "1", "set")
        assert (by_name["waiter"]["flags"], by_name["waiter"]["cmd"]) == ("b", "blpop")
        [subscribed] = [c for c in clients.values() if c["flags"] == "P"]
        assert (subscribed["sub"], subscribed["psub"]) == ("2", "1")
        [monitoring] = [c for c in clients.values() if c["flags"] == "O"]
        assert monitoring["cmd"] == "monitor"
        assert by_name["waiter"]["age"] == "30" and by_name["waiter"]["idle"] == "30"
        assert [c["flags"] for c in observer.client_list(_type="pubsub")] == ["P"]
        assert [c["name"] for c in observer.client_list(client_id=[by_name["waiter"]["id"]])] == ["waiter"]
