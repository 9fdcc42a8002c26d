"""The wire: framing, pipelining, inline commands, and bad input that must cost only the offending client."""

from __future__ import annotations

import socket
import time

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudtwin.redis.protocol import ProtocolError, RequestReader, split_inline


def exchange(port: int, payload: bytes, expect: int | None = None, timeout: float = 0.5) -> bytes:
    """Send raw bytes; read until `expect` bytes arrived, or the server closed, or `timeout` passed."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        received = b""
        try:
            while expect is None or len(received) < expect:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except TimeoutError:
            pass
        return received


def assert_same_replies(twin_port: int, real_port: int, payload: bytes) -> None:
    """The twin answers `payload` with the bytes redis-server answers it with."""
    expected = exchange(real_port, payload)
    assert expected, "redis-server answered nothing"
    assert exchange(twin_port, payload, expect=len(expected)) == expected


def closed_after(port: int, payload: bytes) -> tuple[bytes, bool]:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(payload)
        received = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return received, True
            received += chunk


def test_pipelined_commands_answer_in_order_and_errors_keep_the_connection(twin, twin_port) -> None:
    payload = (
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
        b"*3\r\n$5\r\nLPUSH\r\n$1\r\nk\r\n$1\r\nx\r\n"
        b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
    )
    expected = b"+OK\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n$1\r\nv\r\n"
    assert exchange(twin_port, payload, expect=len(expected)) == expected


def test_inline_commands_with_quotes(twin, twin_port) -> None:
    expected = b"+PONG\r\n+OK\r\n$11\r\nhello world\r\n"
    reply = exchange(twin_port, b'PING\r\nSET greeting "hello world"\r\nGET greeting\n', expect=len(expected))
    assert reply == expected


def test_a_thousand_pipelined_commands(twin, twin_port) -> None:
    payload = b"".join(b"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n" for _ in range(1000))
    reply = exchange(twin_port, payload, expect=sum(len(b":%d\r\n" % i) for i in range(1, 1001)))
    assert reply.endswith(b":1000\r\n")
    assert twin.get("n") == b"1000"


@pytest.mark.parametrize(
    "payload",
    [
        # CLIENT REPLY SKIP silences only the next command; OFF silences until ON.
        b"CLIENT REPLY SKIP\r\nSET a 1\r\nGET a\r\nCLIENT REPLY OFF\r\nINCR a\r\nCLIENT REPLY ON\r\nGET a\r\n",
        # A queued command with the wrong arity fails the transaction; EXEC discards it.
        b"MULTI\r\nSET x 1\r\nGET\r\nEXEC\r\nEXISTS x\r\n",
        # An error inside EXEC's run does not stop the commands after it.
        b"MULTI\r\nSET x 1\r\nLPUSH x y\r\nINCR x\r\nEXEC\r\n",
        b"SUBSCRIBE ch\r\nGET a\r\nPING\r\nUNSUBSCRIBE ch\r\nGET a\r\n",
        b"EXEC\r\nDISCARD\r\nWATCH\r\nMULTI\r\nMULTI\r\nDISCARD\r\n",
        # No replica ever acknowledges: 0 at once when none is wanted, else after the timeout; never blocks in MULTI.
        b"WAIT 0 0\r\nWAIT 1 50\r\nWAIT 1 -1\r\nWAIT x 1\r\nWAIT 1\r\nMULTI\r\nWAIT 1 0\r\nEXEC\r\n",
        b"CONFIG SET timeout -1\r\nCONFIG SET timeout x\r\nCONFIG SET timeout 300\r\nCONFIG GET timeout\r\n"
        b"CONFIG SET timeout 0\r\n",
    ],
    ids=[
        "client-reply",
        "queued-arity-error",
        "exec-runtime-error",
        "pubsub-context",
        "transaction-misuse",
        "wait",
        "config-timeout",
    ],
)
def test_raw_exchanges_match_redis_server(twin, twin_port, real_redis, real_redis_port: int, payload: bytes) -> None:
    assert_same_replies(twin_port, real_redis_port, payload)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"*1\r\n$40000000000000\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*1\r\n$1099511627776\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*2\r\n:1\r\n", b"-ERR Protocol error: expected '$', got ':'\r\n"),
        (b'SET a "unterminated\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
        (b"*1\r\n$" + b"9" * 70000, b"-ERR Protocol error: too big bulk count string\r\n"),
        (b"x" * 70000, b"-ERR Protocol error: too big inline request\r\n"),
    ],
)
def test_protocol_errors_reply_and_close_only_that_client(twin, twin_port, payload: bytes, message: bytes) -> None:
    bystander = twin
    bystander.set("still", "here")
    received, closed = closed_after(twin_port, payload)
    assert (received, closed) == (message, True)
    assert bystander.get("still") == b"here"


def test_protocol_errors_match_redis_server(twin_port, real_redis_port) -> None:
    for payload in (b"*1\r\n$1099511627776\r\n", b"*abc\r\n", b"*2\r\n:1\r\n", b'GET "a\r\n', b"*-1\r\nPING\r\n"):
        assert exchange(twin_port, payload) == exchange(real_redis_port, payload), payload


def test_unterminated_multibulk_leaves_others_working(twin, twin_port) -> None:
    with socket.create_connection(("127.0.0.1", twin_port)) as stuck:
        stuck.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\npartial")
        assert twin.ping() is True
        assert twin.set("other", "1") is True
    assert twin.exists("k") == 0


def test_an_argument_larger_than_proto_max_bulk_len_is_refused(twin, twin_port) -> None:
    twin.config_set("proto-max-bulk-len", "1mb")
    try:
        header = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (2 * 1024 * 1024)
        received, closed = closed_after(twin_port, header + b"x" * 1024)
        assert closed and received == b"-ERR Protocol error: invalid bulk length\r\n"
    finally:
        twin.config_set("proto-max-bulk-len", "512mb")
    assert twin.ping() is True


def test_ten_thousand_connections_opened_and_dropped(twin, twin_port) -> None:
    for _ in range(10_000):
        sock = socket.create_connection(("127.0.0.1", twin_port))
        sock.close()
    assert twin.ping() is True
    # Closes are noticed as the loop gets to them; give it a moment, not a fixed sleep.
    deadline = time.monotonic() + 5
    while len(twin.client_list()) > 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(twin.client_list()) <= 5


def test_garbage_from_one_client_does_not_disturb_a_pipeline_of_another(twin, twin_port) -> None:
    pipe = twin.pipeline(transaction=False)
    for i in range(100):
        pipe.set(f"k{i}", i)
    exchange(twin_port, bytes(range(256)) * 10)
    assert all(pipe.execute())
    assert twin.dbsize() == 100


def test_tcp_nodelay_is_set_on_accepted_sockets(twin_port, redis_client_factory) -> None:
    client = redis_client_factory()
    client.ping()
    # Without TCP_NODELAY a MULTI/EXEC round of small writes stalls ~40 ms on delayed ACKs; 200 of them stay fast.
    started = time.perf_counter()
    for _ in range(200):
        pipe = client.pipeline(transaction=True)
        pipe.incr("a").incr("b")
        pipe.execute()
    assert client.get("a") == b"200"
    assert time.perf_counter() - started < 5


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=8))
def test_the_reader_never_fails_except_with_a_protocol_error(chunks: list[bytes]) -> None:
    reader = RequestReader(max_bulk_len=1024)
    try:
        for chunk in chunks:
            for command in reader.feed(chunk):
                assert command and all(isinstance(arg, bytes) for arg in command)
    except ProtocolError:
        pass


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.binary(min_size=0, max_size=20), min_size=1, max_size=5), min_size=1, max_size=5), st.data()
)
def test_multibulk_commands_survive_any_split(commands: list[list[bytes]], data) -> None:
    stream = b"".join(b"*%d\r\n" % len(c) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in c) for c in commands)
    cut = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    pieces = [stream[i:j] for i, j in zip([0, *cut], [*cut, len(stream)], strict=True)]
    reader = RequestReader()
    parsed = [command for piece in pieces for command in reader.feed(piece)]
    assert parsed == commands


def test_inline_splitting() -> None:
    assert split_inline(b"SET k v") == [b"SET", b"k", b"v"]
    assert split_inline(b'SET k "a b\\n\\x41"') == [b"SET", b"k", b"a b\nA"]
    assert split_inline(b"SET k 'it\\'s'") == [b"SET", b"k", b"it's"]
    with pytest.raises(ProtocolError):
        split_inline(b'GET "open')


def test_resp3_hello_switches_reply_types(redis_client_factory) -> None:
    client = redis_client_factory(protocol=3)
    client.hset("h", "f", "v")
    assert client.hgetall("h") == {b"f": b"v"}
    assert client.execute_command("HELLO", "3")[b"proto"] == 3


def test_hello_rejects_unknown_protocol(twin) -> None:
    with pytest.raises(redis.ResponseError, match="NOPROTO"):
        twin.execute_command("HELLO", "4")


def test_large_arguments_arriving_in_pieces_round_trip(twin) -> None:
    value = bytes(range(256)) * (32 * 1024)  # 8 MB, binary, CRLF inside
    assert twin.set("big", value) is True
    assert twin.get("big") == value
    assert twin.strlen("big") == len(value)


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.integers(1, 3))
def test_the_large_request_path_splits_like_the_small_one(tail: bytes, pieces: int) -> None:
    value = b"\r\n" * (600 * 1024) + tail
    stream = b"*2\r\n$4\r\nECHO\r\n$%d\r\n%s\r\n*1\r\n$4\r\nPING\r\n" % (len(value), value)
    reader = RequestReader()
    step = len(stream) // pieces + 1
    parsed = [command for i in range(0, len(stream), step) for command in reader.feed(stream[i : i + step])]
    assert parsed == [[b"ECHO", value], [b"PING"]]
    assert all(type(arg) is bytes for command in parsed for arg in command)


def _available_memory() -> int:
    with open("/proc/meminfo") as meminfo:
        fields = dict(line.split(":", 1) for line in meminfo)
    return int(fields["MemAvailable"].split()[0]) * 1024


def test_a_512_mb_argument_is_accepted_and_one_byte_more_refused(twin, twin_port) -> None:
    try:
        enough = _available_memory() > 4 * 1024**3
    except (OSError, KeyError, ValueError):
        enough = False
    if not enough:
        pytest.skip("needs 4 GB of available memory (the test client and the server each hold 512 MB, twice)")
    limit = 512 * 1024 * 1024
    received, closed = closed_after(twin_port, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (limit + 1))
    assert (received, closed) == (b"-ERR Protocol error: invalid bulk length\r\n", True)
    assert twin.set("huge", b"x" * limit) is True
    assert twin.strlen("huge") == limit
    assert twin.delete("huge") == 1


BROWSER_POST = (
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1:6379\r\nOrigin: http://evil.example\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 13\r\n\r\nSET pwned 1\r\n"
)


@pytest.mark.parametrize(
    "payload",
    [
        BROWSER_POST,
        b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\nSET pwned 1\r\n",
        b"SET before 1\r\nPOST / HTTP/1.1\r\nSET pwned 1\r\n",
        b"*3\r\n$3\r\nSET\r\n$6\r\nbefore\r\n$1\r\n1\r\n*2\r\n$4\r\npOsT\r\n$1\r\n/\r\n*3\r\n$3\r\nSET\r\n$5\r\npwned\r\n$1\r\n1\r\n",
        b"MULTI\r\nSET pwned 1\r\nHOST: x\r\nEXEC\r\n",
    ],
    ids=["browser-post", "browser-get", "after-a-command", "multibulk", "inside-multi"],
)
def test_cross_protocol_requests_are_cut_off_like_redis_server(
    twin, twin_port, real_redis, real_redis_port, payload: bytes
) -> None:
    """A POST or Host: command closes the connection unanswered: what came before it ran, nothing after it does."""
    outcomes = []
    for client, port in ((twin, twin_port), (real_redis, real_redis_port)):
        received, closed = closed_after(port, payload)
        outcomes.append((received, closed, client.get("before"), client.get("pwned")))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][:2] == (b"", True) and outcomes[0][3] is None


def test_host_without_its_colon_is_only_an_unknown_command(twin, twin_port, real_redis_port) -> None:
    assert_same_replies(twin_port, real_redis_port, b"HOST x\r\nPING\r\n")


def test_a_cross_protocol_attempt_is_logged_once_a_minute(start_twin, caplog) -> None:
    service = start_twin()
    with caplog.at_level("WARNING"):
        for _ in range(2):
            assert closed_after(service.port, BROWSER_POST) == (b"", True)
    warnings = [record.getMessage() for record in caplog.records if "SECURITY ATTACK" in record.getMessage()]
    assert warnings == [
        "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. "
        "This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis "
        "instance. Connection aborted."
    ]
