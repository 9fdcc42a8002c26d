"""A small threaded HTTP/1.1 server for WSGI apps.

Werkzeug's development server costs more per request than a boto3 client does, so the
AWS endpoint runs on this instead: keep-alive connections, TCP_NODELAY, one thread per
connection, a body-size limit, and a shutdown that leaves no thread or socket behind.
"""

from __future__ import annotations

import io
import logging
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus

from emulator.http.responses import call_wsgi

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]

_MAX_HEADER_LINE = 65536
_MAX_HEADERS = 200
_DRAIN_LIMIT = 1 << 30
_REASONS = {status.value: status.phrase for status in HTTPStatus}


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class HttpServer:
    def __init__(self, app: WsgiApp, host: str, port: int, max_body: int) -> None:
        self.app = app
        self.max_body = max_body
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
        self._accept_thread = threading.Thread(target=self._accept_loop, name=f"http-accept-{self.port}", daemon=True)

    def start(self) -> None:
        self._accept_thread.start()

    def stop(self) -> None:
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
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(target=self._serve_connection, args=(conn, peer), name="http-conn", daemon=True)
            with self._lock:
                if self._closing:
                    conn.close()
                    return
                self._connections.add(conn)
                self._threads.add(thread)
            thread.start()

    def _serve_connection(self, conn: socket.socket, peer: tuple) -> None:
        reader = conn.makefile("rb", buffering=65536)
        try:
            while not self._closing:
                if not self._serve_one(conn, reader, peer):
                    break
        except (ConnectionError, TimeoutError, OSError):
            pass
        finally:
            reader.close()
            conn.close()
            with self._lock:
                self._connections.discard(conn)
                self._threads.discard(threading.current_thread())

    def _serve_one(self, conn: socket.socket, reader, peer: tuple) -> bool:
        """Serve one request; return whether the connection stays open."""
        request_line = reader.readline(_MAX_HEADER_LINE + 1)
        if not request_line:
            return False
        if request_line in (b"\r\n", b"\n"):  # tolerated between pipelined requests
            return True
        try:
            environ, keep_alive = self._read_request(request_line, reader, peer)
        except BadRequest as exc:
            self._send_plain(conn, exc.status, str(exc))
            return False
        status_line, headers, body = self._call_app(environ)
        if not keep_alive:
            headers.append(("Connection", "close"))
        head = [status_line]
        head.extend(f"{name}: {value}" for name, value in headers)
        head.append(f"Content-Length: {len(body)}")
        payload = ("HTTP/1.1 " + "\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if environ["REQUEST_METHOD"] != "HEAD":
            payload += body
        conn.sendall(payload)
        return keep_alive

    def _read_request(self, request_line: bytes, reader, peer: tuple) -> tuple[dict, bool]:
        if len(request_line) > _MAX_HEADER_LINE:
            raise BadRequest(414, "request line too long")
        parts = request_line.decode("latin-1").rstrip("\r\n").split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadRequest(400, "malformed request line")
        method, target, version = parts
        path, _, query = target.partition("?")
        if path.startswith(("http://", "https://")):  # absolute-form target
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        environ = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": _unquote_path(path),
            "RAW_URI": target,
            "QUERY_STRING": query,
            "SERVER_NAME": self.host,
            "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": version,
            "REMOTE_ADDR": peer[0],
            "REMOTE_PORT": str(peer[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for _ in range(_MAX_HEADERS + 1):
            line = reader.readline(_MAX_HEADER_LINE + 1)
            if line in (b"\r\n", b"\n", b""):
                break
            if len(line) > _MAX_HEADER_LINE:
                raise BadRequest(431, "header line too long")
            name, sep, value = line.partition(b":")
            if not sep:
                raise BadRequest(400, "malformed header line")
            key = _environ_key(name)
            text = value.strip().decode("latin-1")
            environ[key] = f"{environ[key]},{text}" if key in environ else text
        else:
            raise BadRequest(431, "too many headers")

        body = self._read_body(environ, reader)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
        environ["cloudtwin.body"] = body
        connection = environ.get("HTTP_CONNECTION", "").lower()
        keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
        return environ, keep_alive

    def _read_body(self, environ: dict, reader) -> bytes:
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            return self._read_chunked(reader)
        raw_length = environ.get("CONTENT_LENGTH", "0") or "0"
        if not raw_length.isdigit():
            raise BadRequest(400, "invalid Content-Length")
        length = int(raw_length)
        if length > self.max_body:
            # Reading the body first lets the client see the 413 instead of a broken pipe.
            if length <= _DRAIN_LIMIT:
                _discard(reader, length)
            raise BadRequest(413, f"request body of {length} bytes is over the {self.max_body}-byte limit")
        body = reader.read(length) if length else b""
        if len(body) != length:
            raise ConnectionError("client closed mid-body")
        return body

    def _read_chunked(self, reader) -> bytes:
        chunks = []
        total = 0
        while True:
            size_line = reader.readline(_MAX_HEADER_LINE + 1).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise BadRequest(400, "malformed chunk size") from None
            if size == 0:
                while reader.readline(_MAX_HEADER_LINE + 1) not in (b"\r\n", b"\n", b""):
                    pass  # trailers are not used
                return b"".join(chunks)
            total += size
            if total > self.max_body:
                raise BadRequest(413, f"request body is over the {self.max_body}-byte limit")
            chunks.append(reader.read(size))
            reader.readline(3)

    def _call_app(self, environ: dict) -> tuple[str, list[tuple[str, str]], bytes]:
        try:
            return call_wsgi(self.app, environ)
        except Exception:
            log.exception("unhandled error serving %s %s", environ["REQUEST_METHOD"], environ["RAW_URI"])
            return "500 Internal Server Error", [("Content-Type", "text/plain")], b"internal error\n"

    def _send_plain(self, conn: socket.socket, status: int, message: str) -> None:
        body = (message + "\n").encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        try:
            conn.sendall(head.encode("latin-1") + body)
        except OSError:
            pass


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


def _discard(reader, length: int) -> None:
    while length > 0:
        chunk = reader.read(min(length, 1 << 20))
        if not chunk:
            return
        length -= len(chunk)


def _unquote_path(path: str) -> str:
    if "%" not in path:
        return path
    from urllib.parse import unquote_to_bytes

    # WSGI carries PATH_INFO as latin-1-decoded bytes.
    return unquote_to_bytes(path).decode("latin-1")
