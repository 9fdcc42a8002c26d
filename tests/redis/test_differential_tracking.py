"""Client-side caching (CLIENT TRACKING and its invalidation messages) byte for byte against redis-server.

Each scenario runs on raw connections: after every command, every connection sends PING and everything it received up
to the PONG is compared, so replies, pushes, pub/sub messages and their order all count. Client ids differ between
servers, so each connection's id is written as its name.
"""

from __future__ import annotations

import socket
import time

import pytest

PONG_ENDINGS = (b"+PONG\r\n", b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")


class Client:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.id = 0

    def send(self, *args: object) -> None:
        parts = [str(arg).encode() if not isinstance(arg, bytes) else arg for arg in args]
        self.sock.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))

    def sync(self) -> bytes:
        """Everything received until the reply to a PING sent now."""
        received = b""
        try:
            self.send("PING")
            while not received.endswith(PONG_ENDINGS):
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except OSError:
            pass
        return received if received.endswith(PONG_ENDINGS) else received + b"<closed>"

    def close(self) -> None:
        self.sock.close()


def run(port: int, names: str, steps: list[tuple]) -> list:
    """Run (client name, command...) steps, or (client name, (command...), (command...)) to send several before
    syncing (a transaction); a "{X}" argument is client X's id. The transcript names ids."""
    admin = Client(port)
    admin.send("FLUSHALL")
    admin.sync()
    clients: dict[str, Client] = {}
    spare: list[Client] = []
    while len(clients) < len(names):
        client = Client(port)
        client.send("CLIENT", "ID")
        client.id = int(client.sync().split(b"\r\n")[0][1:])
        # Ids are told apart from small integers in replies (counts, the protocol version) by being larger.
        if client.id < 10:
            spare.append(client)
        else:
            clients[names[len(clients)]] = client
    ids = {name: client.id for name, client in clients.items()}
    transcript = []
    try:
        for name, *command in steps:
            for sent in command if isinstance(command[0], tuple) else [command]:
                clients[name].send(*[ids[a[1:-1]] if isinstance(a, str) and a.startswith("{") else a for a in sent])
            seen = {}
            # The sender first: once its reply is in, redis has sent what the command caused (BCAST's batches go out
            # before replies are written).
            for other, client in sorted(clients.items(), key=lambda item: item[0] != name):
                data = client.sync()
                for client_name, client_id in ids.items():
                    data = data.replace(b":%d\r\n" % client_id, b":<%s>\r\n" % client_name.encode())
                seen[other] = data
            transcript.append((name, command, dict(sorted(seen.items()))))
    finally:
        for client in (*clients.values(), *spare, admin):
            client.close()
    return transcript


DEFAULT_MODE = [
    ("A", "HELLO", "3"),
    ("A", "CLIENT", "TRACKING", "on"),
    ("A", "GET", "k"),
    ("B", "SET", "k", "1"),
    ("B", "SET", "k", "2"),
    ("A", "GET", "k"),
    ("A", "SET", "k", "3"),
    ("A", "MGET", "k", "k2", "k3"),
    ("B", "DEL", "missing"),
    ("B", "MSET", "k3", "1", "k2", "2", "k", "1"),
    ("A", "HGETALL", "h"),
    ("A", "EXISTS", "s"),
    ("B", "HSET", "h", "f", "v"),
    ("B", "SADD", "s", "m"),
    ("A", "CLIENT", "TRACKINGINFO"),
    ("A", "CLIENT", "GETREDIR"),
    ("A", "GET", "x"),
    ("A", ("MULTI",), ("SET", "x", "1"), ("GET", "x"), ("EXEC",)),
    ("A", "GET", "y"),
    ("B", "FLUSHDB"),
    ("B", "SET", "y", "1"),
    ("A", "GET", "y"),
    ("A", "FLUSHALL"),
    ("A", "EVAL", "return redis.call('GET', KEYS[1])", "1", "z"),
    ("B", "SET", "z", "1"),
    ("A", "CLIENT", "TRACKING", "off"),
    ("A", "CLIENT", "TRACKINGINFO"),
    ("A", "CLIENT", "GETREDIR"),
    ("B", "SET", "k", "9"),
]

OPT_IN_AND_OUT = [
    ("A", "HELLO", "3"),
    ("A", "CLIENT", "CACHING", "yes"),
    ("A", "CLIENT", "TRACKING", "on", "OPTIN", "NOLOOP"),
    ("A", "GET", "a"),
    ("A", "CLIENT", "CACHING", "yes"),
    ("A", "CLIENT", "TRACKINGINFO"),
    ("A", "GET", "b"),
    ("A", "GET", "a2"),
    ("B", "MSET", "a", "1", "b", "1", "a2", "1"),
    ("A", "CLIENT", "CACHING", "yes"),
    ("A", "CLIENT", "GETNAME"),
    ("A", "GET", "c"),
    ("A", "CLIENT", "CACHING", "yes"),
    ("A", ("MULTI",), ("GET", "d"), ("GET", "e"), ("EXEC",)),
    ("A", "GET", "f"),
    ("B", "MSET", "c", "1", "d", "1", "e", "1", "f", "1"),
    ("A", "CLIENT", "CACHING", "yes"),
    ("A", "GET", "g"),
    ("A", "SET", "g", "1"),
    ("A", "CLIENT", "CACHING", "no"),
    ("A", "CLIENT", "CACHING", "maybe"),
    ("A", "CLIENT", "TRACKING", "on", "OPTOUT"),
    ("A", "CLIENT", "TRACKING", "on", "BCAST"),
    ("A", "CLIENT", "TRACKING", "off"),
    ("A", "CLIENT", "TRACKING", "on", "OPTOUT"),
    ("A", "GET", "h"),
    ("A", "CLIENT", "CACHING", "no"),
    ("A", "GET", "i"),
    ("B", "MSET", "h", "1", "i", "1"),
    ("A", "CLIENT", "TRACKINGINFO"),
]

ERRORS = [
    ("A", "CLIENT", "TRACKING", "on", "BCAST", "OPTIN"),
    ("A", "CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"),
    ("A", "CLIENT", "TRACKING", "on", "PREFIX", "x"),
    ("A", "CLIENT", "TRACKING", "on", "REDIRECT", "999999"),
    ("A", "CLIENT", "TRACKING", "on", "REDIRECT", "x"),
    ("A", "CLIENT", "TRACKING", "on", "REDIRECT", "{B}", "REDIRECT", "{B}"),
    ("A", "CLIENT", "TRACKING", "on", "FOO"),
    ("A", "CLIENT", "TRACKING", "on", "PREFIX"),
    ("A", "CLIENT", "TRACKING", "maybe"),
    ("A", "CLIENT", "TRACKING"),
    ("A", "CLIENT", "CACHING", "yes"),
    ("A", "CLIENT", "GETREDIR", "x"),
    ("A", "CLIENT", "TRACKINGINFO", "x"),
    ("A", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab", "PREFIX", "abc"),
    ("A", "CLIENT", "TRACKING", "off", "PREFIX", "x"),
]

BROADCAST = [
    ("A", "HELLO", "3"),
    ("A", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "obj:"),
    ("A", "CLIENT", "TRACKINGINFO"),
    ("B", "MSET", "user:1", "a", "obj:2", "b", "other", "c", "user:0", "d"),
    ("B", "DEL", "user:1", "obj:2"),
    ("A", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "us"),
    ("A", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "new:"),
    ("A", "CLIENT", "TRACKINGINFO"),
    ("B", "SET", "new:1", "x"),
    ("C", "HELLO", "3"),
    ("C", "CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"),
    ("C", "CLIENT", "TRACKINGINFO"),
    ("C", "SET", "z", "1"),
    ("C", "MSET", "z", "2", "user:5", "1"),
    ("B", "SET", "z", "3"),
    ("A", "FLUSHALL"),
    ("C", "CLIENT", "TRACKING", "off"),
    ("B", "SET", "z", "4"),
]

REDIRECT = [
    ("B", "SUBSCRIBE", "__redis__:invalidate"),
    ("A", "CLIENT", "TRACKING", "on", "REDIRECT", "{B}"),
    ("A", "CLIENT", "GETREDIR"),
    ("A", "CLIENT", "TRACKINGINFO"),
    ("A", "GET", "k"),
    ("A", "GET", "j"),
    ("C", "SET", "k", "1"),
    ("A", "SET", "j", "1"),
    ("C", "FLUSHALL"),
    ("D", "HELLO", "3"),
    ("D", "CLIENT", "TRACKING", "on", "REDIRECT", "{B}"),
    ("D", "GET", "m"),
    ("E", "HELLO", "3"),
    ("E", "CLIENT", "TRACKING", "on", "REDIRECT", "{A}"),
    ("E", "GET", "m"),
    ("C", "SET", "m", "1"),
    ("A", "GET", "k"),
    ("D", "GET", "k"),
    ("C", "CLIENT", "KILL", "ID", "{B}"),
    ("C", "SET", "k", "2"),
    ("A", "CLIENT", "TRACKINGINFO"),
    ("D", "CLIENT", "TRACKINGINFO"),
    ("A", "CLIENT", "TRACKING", "on"),
    ("A", "CLIENT", "TRACKINGINFO"),
    ("D", "CLIENT", "TRACKING", "on", "BCAST"),
]


@pytest.mark.parametrize(
    "names,steps",
    [("AB", DEFAULT_MODE), ("AB", OPT_IN_AND_OUT), ("AB", ERRORS), ("ABC", BROADCAST), ("ABCDE", REDIRECT)],
    ids=["default", "optin-optout-noloop", "errors", "bcast", "redirect"],
)
def test_tracking_transcript_matches_redis_server(twin, twin_port, real_redis, real_redis_port, names, steps) -> None:
    expected = run(real_redis_port, names, steps)
    actual = run(twin_port, names, steps)
    for theirs, mine in zip(expected, actual, strict=True):
        assert mine == theirs


def client_fields(port: int, names: str, steps: list[tuple]) -> list:
    """After the steps, each client's CLIENT INFO flags and redirection (names for ids)."""
    clients = {name: Client(port) for name in names}
    ids = {}
    try:
        for name, client in clients.items():
            client.send("CLIENT", "ID")
            ids[name] = int(client.sync().split(b"\r\n")[0][1:])
        for name, *command in steps:
            clients[name].send(*[ids[a[1:-1]] if isinstance(a, str) and a.startswith("{") else a for a in command])
            clients[name].sync()
        fields = []
        for name, client in clients.items():
            try:
                client.send("CLIENT", "INFO")
            except OSError:
                pass
            reply = client.sync()
            if b"id=" not in reply:
                fields.append((name, b"closed", b""))
                continue
            # A bulk string (RESP2) or a verbatim one (RESP3), possibly after pushes: the line starts at its id.
            line = dict(item.split(b"=", 1) for item in reply[reply.index(b"id=") :].split(b"\n")[0].split())
            redirect = {str(client_id).encode(): name.encode() for name, client_id in ids.items()}.get(line[b"redir"])
            fields.append((name, line[b"flags"], redirect or line[b"redir"]))
        return fields
    finally:
        for client in clients.values():
            client.close()


def test_client_list_shows_tracking_like_redis_server(twin, twin_port, real_redis_port) -> None:
    steps = [
        ("B", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x"),
        ("C", "HELLO", "3"),
        ("C", "CLIENT", "TRACKING", "on", "REDIRECT", "{D}"),
        ("E", "CLIENT", "TRACKING", "on", "REDIRECT", "{E}"),
        ("A", "CLIENT", "KILL", "ID", "{D}"),
        ("A", "SET", "k", "1"),
        ("C", "GET", "k"),
        ("A", "SET", "k", "2"),
    ]
    assert client_fields(twin_port, "ABCDE", steps) == client_fields(real_redis_port, "ABCDE", steps)


def test_expiry_invalidates_tracked_keys_read_or_swept(twin, twin_port, cloudtwin_clock) -> None:
    """A tracked key that expires is invalidated like a modified one: when a read finds it gone, or when the active
    sweep drops it unread (redis' deleteExpiredKeyAndPropagate signals the change either way)."""
    cloudtwin_clock.freeze()
    reader, bcast, writer = Client(twin_port), Client(twin_port), Client(twin_port)
    try:
        for client, mode in ((reader, ()), (bcast, ("BCAST", "PREFIX", "swept"))):
            client.send("HELLO", "3")
            client.send("CLIENT", "TRACKING", "on", *mode)
            client.sync()
        writer.send("SET", "read", "1", "PX", "500")
        writer.send("SET", "swept", "1", "PX", "500")
        writer.sync()
        bcast.sync()
        reader.send("MGET", "read", "swept")
        reader.sync()
        cloudtwin_clock.advance(1)
        writer.send("GET", "read")
        assert writer.sync() == b"$-1\r\n+PONG\r\n"
        received = {reader: b"", bcast: b""}
        # The sweep runs on the server's timer: poll for its messages, for a few seconds at most.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not all(b"swept" in data for data in received.values()):
            for client in received:
                received[client] += client.sync()
        assert received[reader].count(b"invalidate") == 2
        assert b"*1\r\n$4\r\nread\r\n" in received[reader]
        assert b"*1\r\n$5\r\nswept\r\n" in received[reader]
        assert b"*1\r\n$5\r\nswept\r\n" in received[bcast]
    finally:
        for client in (reader, bcast, writer):
            client.close()


def tracking_counts(client: object, other: object) -> list:
    client.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", other.client_id())
    client.get("a")
    client.mget("b", "c")
    other.execute_command("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p", "PREFIX", "q")
    counts = [client.info("clients")["tracking_clients"]]
    stats = client.info("stats")
    counts += [stats["tracking_total_keys"], stats["tracking_total_items"], stats["tracking_total_prefixes"]]
    client.set("a", 1)
    stats = client.info("stats")
    return [*counts, stats["tracking_total_keys"], stats["tracking_total_items"]]


def test_info_counts_tracking_like_redis_server(redis_client_factory, real_redis) -> None:
    import redis

    port = real_redis.connection_pool.connection_kwargs["port"]
    pairs = [(redis_client_factory(), redis_client_factory()), (redis.Redis(port=port), redis.Redis(port=port))]
    results = []
    for client, other in pairs:
        client.flushall()
        results.append(tracking_counts(client, other))
        client.close()
        other.close()
    assert results[0] == results[1]
