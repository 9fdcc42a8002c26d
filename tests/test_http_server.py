"""The AWS endpoint's HTTP server against raw sockets: 100-continue, incomplete requests, timeouts, limits."""

from __future__ import annotations

import json
import socket
import time
import uuid

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudtwin.pytest_plugin import factories

# Emulators of their own: timeouts short enough to watch, and a connection cap small enough to reach.
quick_timeouts = factories.cloudtwin_proc(
    scope="module", http_header_timeout=0.5, http_body_timeout=0.5, http_idle_timeout=0.5
)
two_connections = factories.cloudtwin_proc(scope="module", http_max_connections=2)

WAIT = 5.0  # the longest any test waits for the server to act; the settings above act within 0.5 s
LIST_QUEUES = (
    "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.0\r\n"
    "X-Amz-Target: AmazonSQS.ListQueues\r\n"
)


def connect(emulator) -> socket.socket:
    server = emulator.services["aws"].server
    return socket.create_connection((server.host, server.port), timeout=WAIT)


def read_response(conn: socket.socket) -> bytes:
    """One whole response (head and Content-Length body); b'' if the server closed first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
    )
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def read_until_closed(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a reset counts as closed)."""
    data = b""
    try:
        while chunk := conn.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def list_queues(conn: socket.socket) -> bytes:
    conn.sendall(f"{LIST_QUEUES}Content-Length: 2\r\n\r\n{{}}".encode())
    return read_response(conn)


def emulator_client(emulator, service: str = "sqs"):
    return boto3.client(
        service,
        endpoint_url=emulator.aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def new_bucket(emulator):
    """A boto3 S3 client and a fresh bucket on the emulator."""
    s3 = emulator_client(emulator, "s3")
    bucket = f"b-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    return s3, bucket


# Item 7: Expect: 100-continue


def test_expect_100_continue_is_answered_before_the_body(cloudtwin):
    s3, bucket = new_bucket(cloudtwin)
    body = b"hello, continue"
    with connect(cloudtwin) as conn:
        conn.sendall(
            f"PUT /{bucket}/key HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        # The client holds the body back until the server says to go on.
        assert conn.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        conn.sendall(body)
        assert read_response(conn).startswith(b"HTTP/1.1 200")
    assert s3.get_object(Bucket=bucket, Key="key")["Body"].read() == body


def test_boto3_s3_put_object_sends_its_body_after_100_continue(cloudtwin):
    s3, bucket = new_bucket(cloudtwin)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x" * 100_000)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x" * 100_000


def test_a_body_over_the_limit_is_refused_before_it_is_sent(cloudtwin):
    too_big = cloudtwin.settings.max_request_bytes + 1
    with connect(cloudtwin) as conn:
        conn.sendall(f"{LIST_QUEUES}Expect: 100-continue\r\nContent-Length: {too_big}\r\n\r\n".encode())
        reply = read_until_closed(conn)
    assert reply.startswith(b"HTTP/1.1 413"), reply
    assert b"100 Continue" not in reply


# Item 8: nothing runs before the whole request has arrived


@pytest.mark.parametrize(
    "cut_off",
    [
        "GET /?Action=CreateQueue&QueueName={name} HTTP/1.1\r\nHost: localhost\r\n",
        "GET /?Action=CreateQueue&QueueName={name} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: x",
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 100\r\n\r\nAction=CreateQueue&QueueName={name}",
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Transfer-Encoding: chunked\r\n\r\n100\r\nAction=CreateQueue&QueueName={name}",
    ],
    ids=["headers-unended", "mid-header", "body-short", "chunks-unended"],
)
def test_a_request_cut_off_is_not_run(cloudtwin, cut_off):
    name = f"cut-{uuid.uuid4().hex[:12]}"
    with connect(cloudtwin) as conn:
        conn.sendall(cut_off.format(name=name).encode())
        conn.shutdown(socket.SHUT_WR)
        assert read_until_closed(conn) == b""  # the server saw the hang-up and closed without answering
    assert "QueueUrls" not in emulator_client(cloudtwin).list_queues(QueueNamePrefix=name)


# Item 9: timeouts, the connection cap, and chunked framing


def trickle(conn: socket.socket, piece: bytes) -> bytes:
    """Send `piece` every 0.2 s (well within any per-read timeout) until the server answers; then its answer."""
    conn.settimeout(0.2)
    received = b""
    deadline = time.monotonic() + WAIT
    while not received and time.monotonic() < deadline:
        conn.sendall(piece)
        try:
            received = conn.recv(65536)
        except TimeoutError:
            continue
    conn.settimeout(WAIT)
    return received + read_until_closed(conn)


def test_a_slowloris_head_gets_408_and_is_dropped(quick_timeouts):
    with connect(quick_timeouts) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        reply = trickle(conn, b"X-Slow: 1\r\n")
    assert reply.startswith(b"HTTP/1.1 408"), reply


def test_a_stalled_body_gets_408_and_is_dropped(quick_timeouts):
    with connect(quick_timeouts) as conn:
        conn.sendall(f"{LIST_QUEUES}Content-Length: 10\r\n\r\n{{}}".encode())
        assert read_until_closed(conn).startswith(b"HTTP/1.1 408")


def test_a_trickled_body_gets_408_and_is_dropped(quick_timeouts):
    with connect(quick_timeouts) as conn:
        conn.sendall(f"{LIST_QUEUES}Transfer-Encoding: chunked\r\n\r\n1;x=".encode())
        assert trickle(conn, b"a").startswith(b"HTTP/1.1 408")  # an endless chunk extension


def test_an_idle_keep_alive_connection_is_closed(quick_timeouts):
    with connect(quick_timeouts) as conn:
        assert list_queues(conn).startswith(b"HTTP/1.1 200")
        assert read_until_closed(conn) == b""  # closed quietly: no 408 a client could take for an answer


def test_a_connection_that_never_sends_is_closed(quick_timeouts):
    with connect(quick_timeouts) as conn:
        assert read_until_closed(conn) == b""


def test_connections_over_the_limit_get_503_while_the_others_are_served(two_connections):
    first, second = connect(two_connections), connect(two_connections)
    try:
        for conn in (first, second):
            assert list_queues(conn).startswith(b"HTTP/1.1 200")
        with connect(two_connections) as third:
            refused = read_until_closed(third)
        assert refused.startswith(b"HTTP/1.1 503") and b"Connection: close" in refused
        for conn in (first, second):
            assert list_queues(conn).startswith(b"HTTP/1.1 200")
    finally:
        first.close()
    # A freed place is taken by the next client as soon as the server has seen the close.
    deadline = time.monotonic() + WAIT
    while True:
        with connect(two_connections) as conn:
            reply = list_queues(conn)
        if reply.startswith(b"HTTP/1.1 200") or time.monotonic() > deadline:
            break
    second.close()
    assert reply.startswith(b"HTTP/1.1 200"), reply


@pytest.mark.parametrize(
    "framing",
    [
        b"Transfer-Encoding: chunked\r\n\r\n-1\r\n{}\r\n0\r\n\r\n",
        b"Transfer-Encoding: chunked\r\n\r\n" + b"f" * 40 + b"\r\n{}\r\n0\r\n\r\n",
        b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n",
        b"Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{} ",
    ],
    ids=["negative-chunk-size", "chunk-size-overflow", "no-crlf-after-chunk", "length-and-chunked", "two-lengths"],
)
def test_bad_body_framing_gets_400_and_the_server_keeps_serving(cloudtwin, framing):
    with connect(cloudtwin) as conn:
        conn.sendall(LIST_QUEUES.encode() + framing)
        assert read_until_closed(conn).startswith(b"HTTP/1.1 400")
    with connect(cloudtwin) as conn:
        assert list_queues(conn).startswith(b"HTTP/1.1 200")


def test_chunked_bodies_with_extensions_and_trailers_are_read(cloudtwin):
    name = f"chunked-{uuid.uuid4().hex[:12]}"
    document = json.dumps({"QueueName": name}).encode()
    half = len(document) // 2
    chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(part), part) for part in (document[:half], document[half:]))
    head = LIST_QUEUES.replace("ListQueues", "CreateQueue").encode()
    with connect(cloudtwin) as conn:
        conn.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\nX-Trailer: y\r\n\r\n")
        assert read_response(conn).startswith(b"HTTP/1.1 200")
    assert emulator_client(cloudtwin).list_queues(QueueNamePrefix=name)["QueueUrls"][0].endswith("/" + name)


def test_a_head_over_64_kib_gets_431(cloudtwin):
    with connect(cloudtwin) as conn:
        conn.sendall(LIST_QUEUES.encode() + b"X-Big: " + b"a" * 140_000 + b"\r\n\r\n")
        assert read_until_closed(conn).startswith(b"HTTP/1.1 431")


CHUNKED_LIST_QUEUES = LIST_QUEUES.encode() + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"


@st.composite
def mangled_requests(draw) -> bytes:
    """A valid chunked request with a few bytes flipped, inserted or deleted."""
    data = bytearray(CHUNKED_LIST_QUEUES)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data) - 1))
        edit = draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = draw(st.sampled_from(b"\r\n:; -0fF\x00\xff9aZ"))
        if edit == "replace":
            data[position] = byte
        elif edit == "insert":
            data.insert(position, byte)
        else:
            del data[position]
    return bytes(data)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(mangled_requests(), st.binary(max_size=200)))
def test_any_bytes_get_an_http_answer_or_a_close_and_the_server_keeps_serving(cloudtwin, raw):
    with connect(cloudtwin) as conn:
        try:
            conn.sendall(raw)
            conn.shutdown(socket.SHUT_WR)  # the end of input: every wait ends now, not at a timeout
        except OSError:  # the server answered and closed before all was sent
            pass
        reply = read_until_closed(conn)
    assert reply == b"" or reply.startswith(b"HTTP/1.1 "), reply
    with connect(cloudtwin) as conn:
        assert list_queues(conn).startswith(b"HTTP/1.1 200")
