"""A small threaded HTTP/1.1 server for WSGI apps.

Werkzeug's development server costs more per request than a boto3 client does, so the
AWS endpoint runs on this instead: keep-alive connections, TCP_NODELAY, one thread per
connection, a shutdown that leaves no thread or socket behind. Requests are parsed by
llhttp (Node's parser, through httptools), which rejects what RFC 9112 says to reject
(conflicting Content-Length and Transfer-Encoding, bad chunk sizes, bare CRs); this
module adds what a parser cannot: timeouts, a connection cap, body and head limits and
`Expect: 100-continue`. A request runs only once it has fully arrived.
"""

from __future__ import annotations

import io
import logging
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING

import httptools

from cloudtwin.http.responses import call_wsgi

if TYPE_CHECKING:
    from cloudtwin.config import Settings

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]

_READ_SIZE = 65536
# A request head over 64 KiB gets 431. Counted in whole reads since the previous request
# ended; a read that also held that request's tail is not counted (pipelining clients only).
_MAX_HEAD_BYTES = 65536
_MAX_HEADERS = 200
# An over-limit body that came without `Expect: 100-continue` is read and dropped up to this
# size, so the client sees the 413 instead of a broken pipe; past it the connection is cut.
_DRAIN_LIMIT = 1 << 30
_REASONS = {status.value: status.phrase for status in HTTPStatus}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


@dataclass(frozen=True)
class HttpLimits:
    """What one client may take from the server: body size, time, connections (defaults: Settings)."""

    max_body: int
    header_timeout: float  # seconds for the whole request head, from its first byte
    body_timeout: float  # seconds for the whole request body, from the end of the head
    idle_timeout: float  # seconds a kept-alive connection may wait with no request under way
    max_connections: int

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpLimits:
        return cls(
            max_body=settings.max_request_bytes,
            header_timeout=settings.http_header_timeout,
            body_timeout=settings.http_body_timeout,
            idle_timeout=settings.http_idle_timeout,
            max_connections=settings.http_max_connections,
        )


class Refusal(Exception):
    """A request answered with an error status, after which the connection closes."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class HttpServer:
    def __init__(self, app: WsgiApp, host: str, port: int, limits: HttpLimits) -> None:
        self.app = app
        self.limits = limits
        self._listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._listener.bind((host, port))
        except OSError:
            self._listener.close()
            raise
        self._listener.listen(256)
        self.host, self.port = self._listener.getsockname()[:2]
        self._connections: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._closing = False
        self._at_capacity = False
        self._accept_thread = threading.Thread(target=self._accept_loop, name=f"http-accept-{self.port}", daemon=True)

    @property
    def closing(self) -> bool:
        return self._closing

    def start(self) -> None:
        self._accept_thread.start()

    def stop(self) -> None:
        """Stop accepting, close every connection and join every thread."""
        self._closing = True
        try:
            # shutdown wakes the accept() blocked in the other thread; close alone does not.
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        self._accept_thread.join(timeout=5)
        with self._lock:
            connections = list(self._connections)
            threads = list(self._threads)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in threads:
            thread.join(timeout=5)

    def _accept_loop(self) -> None:
        while not self._closing:
            try:
                conn, peer = self._listener.accept()
            except OSError as exc:
                if self._closing:
                    return
                # Out of file descriptors or memory: wait for connections to end rather than stop serving.
                log.warning("cannot accept a connection on port %d: %s", self.port, exc)
                time.sleep(0.1)
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(target=self._serve_connection, args=(conn, peer), name="http-conn", daemon=True)
            with self._lock:
                if self._closing:
                    conn.close()
                    return
                admitted = len(self._connections) < self.limits.max_connections
                if admitted:
                    self._connections.add(conn)
                    self._threads.add(thread)
            if not admitted:
                self._refuse_over_capacity(conn)
                continue
            self._at_capacity = False
            try:
                thread.start()
            except RuntimeError:  # the OS gave no thread
                self._forget(conn, thread)
                self._refuse_over_capacity(conn)

    def _refuse_over_capacity(self, conn: socket.socket) -> None:
        """Answer 503 before reading anything and close: the client learns why and may retry."""
        if not self._at_capacity:
            self._at_capacity = True
            log.warning("AWS endpoint at its limit of %d connections: refusing more", self.limits.max_connections)
        conn.setblocking(False)  # a full send buffer must not hold up the accept loop
        _send_error(conn, 503, "too many connections; retry later", extra="Retry-After: 1\r\n")
        conn.close()

    def _forget(self, conn: socket.socket, thread: threading.Thread) -> None:
        with self._lock:
            self._connections.discard(conn)
            self._threads.discard(thread)

    def _serve_connection(self, conn: socket.socket, peer: tuple) -> None:
        try:
            _Connection(self, conn, peer).serve()
        except OSError:  # the client went away mid-answer, or stop() shut the socket
            pass
        finally:
            conn.close()
            self._forget(conn, threading.current_thread())

    def call_app(self, environ: dict) -> tuple[str, list[tuple[str, str]], bytes]:
        try:
            return call_wsgi(self.app, environ)
        except Exception:
            log.exception("unhandled error serving %s %s", environ["REQUEST_METHOD"], environ["RAW_URI"])
            return "500 Internal Server Error", [("Content-Type", "text/plain")], b"internal error\n"


class _Connection:
    """One client connection: reads, parses (llhttp calls the on_* methods) and answers in order."""

    def __init__(self, server: HttpServer, sock: socket.socket, peer: tuple) -> None:
        self.server = server
        self.limits = server.limits
        # Blocking, with the kernel's receive and send timeouts: one syscall per recv or send. A Python socket
        # timeout polls before each of them, and a non-blocking socket takes a failed recv plus a poll per request.
        sock.setblocking(True)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(server.limits.idle_timeout))
        self.sock = sock
        self.receive_timeout = 0.0  # what SO_RCVTIMEO is set to now
        self.peer = peer
        self.parser = httptools.HttpRequestParser(self)
        self.answers: deque[dict | Refusal] = deque()  # complete requests (or refusals), oldest first
        self.in_request = False
        self.head_complete = False
        self.head_deadline = 0.0
        self.body_deadline = 0.0
        self.head_bytes = 0
        self._url: list[bytes] = []
        self._headers: list[tuple[bytes, bytes]] = []
        self._environ: dict = {}
        self._body: list[bytes] = []
        self._body_size = 0
        self._chunked = False
        self._discarding = False
        self._refusal: Refusal | None = None
        # What every request on this connection shares, copied for each one.
        self._connection_environ = {
            "SCRIPT_NAME": "",
            "SERVER_NAME": server.host,
            "SERVER_PORT": str(server.port),
            "REMOTE_ADDR": peer[0],
            "REMOTE_PORT": str(peer[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }

    def serve(self) -> None:
        while True:
            if not self._answer_ready():
                return
            data = self._receive()
            if not data:
                return  # hung up or timed out; a request not fully read never runs
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserCallbackError as exc:
                self._end_with(_callback_refusal(exc))
                return
            except httptools.HttpParserUpgrade:
                # Upgrades (h2c, websocket) are not offered: answer what came before and close.
                self._answer_ready(last=True)
                return
            except httptools.HttpParserError as exc:
                self._end_with(Refusal(400, f"malformed HTTP request: {exc}"))
                return

    def _receive(self) -> bytes:
        """The next bytes from the client, within the timeout of what is being waited for."""
        limits = self.limits
        if not self.in_request:
            timeout, late = limits.idle_timeout, None
        elif not self.head_complete:
            timeout, late = self.head_deadline - time.monotonic(), "request head"
        else:
            timeout, late = self.body_deadline - time.monotonic(), "request body"
        try:
            data = self._recv(timeout)
        except TimeoutError:
            if late is not None:  # an idle keep-alive connection is closed quietly, as clients expect
                self._end_with(Refusal(408, f"{late} not received in time"))
            return b""
        if not self.head_complete:
            self.head_bytes += len(data)
            if self.head_bytes > _MAX_HEAD_BYTES:
                self._end_with(Refusal(431, "request head too large"))
                return b""
        return data

    def _recv(self, timeout: float) -> bytes:
        if timeout <= 0:
            raise TimeoutError
        # Between requests the timeout is always the idle one, so the common case sets nothing.
        if timeout != self.receive_timeout:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(timeout))
            self.receive_timeout = timeout
        try:
            return self.sock.recv(_READ_SIZE)
        except BlockingIOError:  # SO_RCVTIMEO ran out
            raise TimeoutError from None

    def _send(self, payload: bytes) -> None:
        """Send it all; a client that reads nothing for the idle timeout is given up (TimeoutError)."""
        view = memoryview(payload)
        while view:
            try:
                view = view[self.sock.send(view) :]
            except BlockingIOError:  # SO_SNDTIMEO ran out with nothing sent
                raise TimeoutError from None

    def _answer_ready(self, last: bool = False) -> bool:
        """Answer every complete request; False once the connection must close."""
        while self.answers:
            item = self.answers.popleft()
            if isinstance(item, Refusal):
                self._send_refusal(item)
                return False
            keep_alive = item.pop("cloudtwin.keep_alive") and not last and not self.server.closing
            if not self._answer(item, keep_alive):
                return False
        return not last

    def _end_with(self, refusal: Refusal) -> None:
        """Answer the requests that completed before the refused one, then the refusal."""
        self.answers.append(refusal)
        self._answer_ready()

    def _answer(self, environ: dict, keep_alive: bool) -> bool:
        status_line, headers, body = self.server.call_app(environ)
        if not keep_alive:
            headers.append(("Connection", "close"))
        head = [status_line]
        head.extend(f"{name}: {value}" for name, value in headers)
        head.append(f"Content-Length: {len(body)}")
        payload = ("HTTP/1.1 " + "\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if environ["REQUEST_METHOD"] != "HEAD":
            payload += body
        self._send(payload)
        return keep_alive

    def _send_refusal(self, refusal: Refusal) -> None:
        try:
            self._send(_error_response(refusal.status, str(refusal)))
        except OSError:
            pass

    # llhttp callbacks, called from feed_data: a Refusal raised here ends the connection.

    def on_message_begin(self) -> None:
        self.in_request = True
        self.head_deadline = time.monotonic() + self.limits.header_timeout
        self._url = []
        self._headers = []
        self._body = []
        self._body_size = 0
        self._discarding = False

    def on_url(self, url: bytes) -> None:
        self._url.append(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        # Counted at the end of the head: the head's byte limit already bounds how many can come.
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.head_complete = True
        # A whole-body deadline, not one per read: a body trickled a byte at a time (or an endless
        # chunk extension) would otherwise hold its thread for ever.
        self.body_deadline = time.monotonic() + self.limits.body_timeout
        if len(self._headers) > _MAX_HEADERS:
            raise Refusal(431, "too many headers")
        version = self.parser.get_http_version()
        if not version.startswith("1."):
            raise Refusal(505, f"HTTP/{version} is not supported; use HTTP/1.1")
        environ = self._environ = self._build_environ(self.parser.get_method().decode("latin-1"), "HTTP/" + version)
        self._chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        length = 0 if self._chunked else int(environ.get("CONTENT_LENGTH") or 0)
        # HTTP/1.0 has no 100 (RFC 9110 10.1.1); a client that expects it waits before sending the body.
        expects_continue = version == "1.1" and environ.get("HTTP_EXPECT", "").lower() == "100-continue"
        if length > self.limits.max_body:
            message = f"request body of {length} bytes is over the {self.limits.max_body}-byte limit"
            if expects_continue or length > _DRAIN_LIMIT:
                raise Refusal(413, message)  # the body was not sent (or is too big to drain): refuse now
            self._discarding = True
            self._refusal = Refusal(413, message)
        elif expects_continue and (length or self._chunked) and not self.answers:
            # With answers to earlier pipelined requests still unsent, a 100 now would come first;
            # RFC 9110 lets a server omit it, and the client then sends the body after its own wait.
            self._send(_CONTINUE)

    def on_body(self, data: bytes) -> None:
        self._body_size += len(data)
        if self._discarding:
            return
        if self._body_size > self.limits.max_body:
            raise Refusal(413, f"request body is over the {self.limits.max_body}-byte limit")
        self._body.append(data)

    def on_message_complete(self) -> None:
        self.in_request = False
        self.head_complete = False
        self.head_bytes = 0
        if self._discarding:
            self.answers.append(self._refusal)
            return
        environ = self._environ
        body = b"".join(self._body)
        self._body = []
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
        environ["cloudtwin.body"] = body
        environ["cloudtwin.keep_alive"] = self.parser.should_keep_alive()
        self.answers.append(environ)

    def _build_environ(self, method: str, version: str) -> dict:
        target = b"".join(self._url).decode("latin-1")
        path, _, query = target.partition("?")
        if path.startswith(("http://", "https://")):  # absolute-form target
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        environ = self._connection_environ.copy()
        environ["REQUEST_METHOD"] = method
        environ["PATH_INFO"] = _unquote_path(path)
        environ["RAW_URI"] = target
        environ["QUERY_STRING"] = query
        environ["SERVER_PROTOCOL"] = version
        keys = _environ_keys
        for name, value in self._headers:
            key = keys.get(name) or _environ_key(name)
            text = value.strip().decode("latin-1")
            environ[key] = f"{environ[key]},{text}" if key in environ else text
        return environ


def _callback_refusal(exc: httptools.HttpParserCallbackError) -> Refusal:
    cause = exc.__context__
    if isinstance(cause, Refusal):
        return cause
    if isinstance(cause, OSError):  # sending 100 Continue failed: the client is gone
        raise cause
    log.error("HTTP parser callback failed", exc_info=cause)
    return Refusal(500, "internal error")


def _error_response(status: int, message: str, extra: str = "") -> bytes:
    body = (message + "\n").encode()
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\nContent-Type: text/plain\r\n{extra}"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


def _send_error(conn: socket.socket, status: int, message: str, extra: str = "") -> None:
    try:
        conn.sendall(_error_response(status, message, extra))
    except OSError:
        pass


def _timeval(seconds: float) -> bytes:
    """A struct timeval for SO_RCVTIMEO / SO_SNDTIMEO; at least a microsecond, since zero means no timeout."""
    microseconds = max(1, round(seconds * 1_000_000))
    return struct.pack("@ll", microseconds // 1_000_000, microseconds % 1_000_000)


_environ_keys: dict[bytes, str] = {}


def _environ_key(name: bytes) -> str:
    """The WSGI environ key of a raw header name, cached: clients send the same few names."""
    key = _environ_keys.get(name)
    if key is None:
        text = name.strip().decode("latin-1").upper().replace("-", "_")
        key = text if text in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + text
        if len(_environ_keys) < 4096:
            _environ_keys[name] = key
    return key


def _unquote_path(path: str) -> str:
    if "%" not in path:
        return path
    from urllib.parse import unquote_to_bytes

    # WSGI carries PATH_INFO as latin-1-decoded bytes.
    return unquote_to_bytes(path).decode("latin-1")
