"""The RESP server: one selector loop thread serving every client over one engine.

One thread, because fakeredis serializes commands on one lock anyway, and a single loop with
TCP_NODELAY and batched writes beats a thread per client on both latency and throughput.
"""

from __future__ import annotations

import errno
import logging
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable

from cloudtwin.redis.connection import ClientConnection
from cloudtwin.redis.engine import RedisEngine
from cloudtwin.redis.replica import PRIMARY, NodeRole

log = logging.getLogger(__name__)

# Keys whose TTL passed are removed at least this often without anyone reading them (redis: hz 10).
EXPIRY_SWEEP_INTERVAL = 0.1
ACCEPTS_PER_WAKEUP = 64
# Out of file descriptors (or memory), accept() fails while the pending connection keeps the listener readable: the
# listener rests this long instead of waking the loop over and over (redis-server likewise just logs and goes on).
ACCEPT_REST = 0.1
_OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


class Listener:
    """One listening socket of a server, and the role of the node its clients reach (an ElastiCache group's nodes,
    primary endpoint and reader endpoint are listeners of one server over one engine)."""

    def __init__(self, host: str, port: int, role: NodeRole) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((host, port))
            self.sock.listen(1024)
        except OSError:
            self.sock.close()
            raise
        self.sock.setblocking(False)
        self.host, self.port = self.sock.getsockname()[:2]
        self.role = role


class RespServer:
    def __init__(
        self,
        engine: RedisEngine,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None = None,
        role: NodeRole = PRIMARY,
    ) -> None:
        self.engine = engine
        self.ssl_context = ssl_context
        self.listeners = [Listener(host, port, role)]
        self.host, self.port = self.listeners[0].host, self.listeners[0].port
        self.selector = selectors.DefaultSelector()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._calls: list[Callable[[], None]] = []
        self._calls_lock = threading.Lock()
        self._running = False
        self._resting: dict[Listener, float] = {}
        """Listeners taken off the selector after accept() ran out of resources, and when they may accept again."""
        self._thread: threading.Thread | None = None
        self.to_flush: list[ClientConnection] = []
        self.to_resume: list[ClientConnection] = []
        # Connections over their output buffer limit, closed by the loop once the command that queued too much is done.
        self.to_close: list[ClientConnection] = []
        self._paused: set[ClientConnection] = set()
        self._writing: set[ClientConnection] = set()

    # --- life cycle

    @property
    def started(self) -> bool:
        return self._thread is not None

    def add_listener(self, host: str, port: int, role: NodeRole) -> Listener:
        """Listen on one more address; before `start` only (the loop thread owns the selector once it runs)."""
        if self.started:
            raise RuntimeError("listeners are added before the server starts")
        listener = Listener(host, port, role)
        self.listeners.append(listener)
        return listener

    def start(self) -> None:
        for listener in self.listeners:
            self.selector.register(listener.sock, selectors.EVENT_READ, listener)
        self.selector.register(self._wake_reader, selectors.EVENT_READ, self._wake_reader)
        self._running = True
        self._thread = threading.Thread(target=self._serve, name=f"cloudtwin-redis-{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._running = False
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._thread is not None and self._thread.is_alive():
            # A loop stuck in a command may hold fakeredis's lock, which a clean close takes: stop serving anyway.
            log.error("the Redis loop did not stop within 10 s; closing its connections without cleaning up")
            for connection in list(self.engine.connections.values()):
                connection.sock.close()
        else:
            for connection in list(self.engine.connections.values()):
                self.discard(connection)
        self.selector.close()
        for listener in self.listeners:
            listener.sock.close()
        self._wake_reader.close()
        self._wake_writer.close()

    def call_soon(self, call: Callable[[], None]) -> None:
        """Run `call` on the loop thread (from any thread)."""
        with self._calls_lock:
            self._calls.append(call)
        self.wake()

    def run_on_loop(self, call: Callable[[], None], timeout: float = 10.0) -> bool:
        """Run `call` on the loop thread and wait until it has run (False if it did not within `timeout`)."""
        done = threading.Event()

        def run() -> None:
            try:
                call()
            finally:
                done.set()

        self.call_soon(run)
        return done.wait(timeout)

    def wake(self) -> None:
        try:
            self._wake_writer.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # a wake-up is already pending, or we are shutting down

    # --- the loop

    def _serve(self) -> None:
        engine = self.engine
        clock = engine.clock
        next_sweep = 0.0
        while self._running:
            timeout = EXPIRY_SWEEP_INTERVAL
            if engine.blocked:
                deadlines = [c.blocked.deadline for c in engine.blocked if c.blocked and c.blocked.deadline]
                if deadlines:
                    timeout = max(0.0, min(timeout, min(deadlines) - clock.now()))
            self._serve_ready(timeout)
            try:
                self._after_events()
                now = clock.now()
                if engine.blocked:
                    self._expire_blocks(now)
                monotonic = time.monotonic()
                if self._resting:
                    self._wake_rested(monotonic)
                if monotonic >= next_sweep:
                    next_sweep = monotonic + EXPIRY_SWEEP_INTERVAL
                    engine.sweep_expired()
                    self._close_idle(now)
                    engine.heap.trim_if_due()
                self._flush_all()
                self._close_dropped()
            except Exception:  # the loop must survive anything one client causes
                log.exception("redis loop iteration failed")

    def _serve_ready(self, timeout: float) -> None:
        """Wait up to `timeout` for sockets to be ready, and serve them. A method of its own, so no local variable keeps
        the last connection served (and all it holds) alive while the loop waits."""
        try:
            events = self.selector.select(timeout)
        except OSError as exc:
            if exc.errno == errno.EINTR:
                return
            raise
        for key, mask in events:
            target = key.data
            if isinstance(target, Listener):
                self._accept(target)
            elif target is self._wake_reader:
                self._drain_wakeups()
            else:
                try:
                    if mask & selectors.EVENT_READ:
                        target.on_readable()
                    if mask & selectors.EVENT_WRITE and not target.closed:
                        if target.handshaking:
                            target.handshake()
                        else:
                            target.flush()
                except Exception:  # one client's failure must not stop the others
                    log.exception("redis connection failed; closing it")
                    self.discard(target)

    def _after_events(self) -> None:
        while self.to_resume:
            resumed, self.to_resume = self.to_resume, []
            for connection in resumed:
                if not connection.closed:
                    connection.resume()
        self._flush_all()
        self._close_dropped()

    def _close_dropped(self) -> None:
        # Here, at the top of the loop, no command is running and fakeredis's lock is free for the close to take.
        while self.to_close:
            dropped, self.to_close = self.to_close, []
            for connection in dropped:
                self.discard(connection)

    def _flush_all(self) -> None:
        while self.to_flush:
            pending, self.to_flush = self.to_flush, []
            for connection in pending:
                connection.flush()

    def _drain_wakeups(self) -> None:
        try:
            while self._wake_reader.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass
        with self._calls_lock:
            calls, self._calls = self._calls, []
        for call in calls:
            call()

    def _wake_rested(self, now: float) -> None:
        # The loop wakes at least every EXPIRY_SWEEP_INTERVAL, so a rest ends on time without a timeout of its own.
        for listener, until in list(self._resting.items()):
            if now >= until:
                del self._resting[listener]
                self.selector.register(listener.sock, selectors.EVENT_READ, listener)

    def _accept(self, listener: Listener) -> None:
        for _ in range(ACCEPTS_PER_WAKEUP):
            try:
                sock, address = listener.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in _OUT_OF_RESOURCES:
                    log.warning("accept failed: %s; accepting again in %.1f s", exc, ACCEPT_REST)
                    self.selector.unregister(listener.sock)
                    self._resting[listener] = time.monotonic() + ACCEPT_REST
                else:
                    log.warning("accept failed: %s", exc)
                return
            engine = self.engine
            engine.stats.total_connections_received += 1
            if len(engine.connections) >= int(engine.config["maxclients"]):
                engine.stats.rejected_connections += 1
                try:
                    sock.send(b"-ERR max number of clients reached\r\n")
                finally:
                    sock.close()
                continue
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.ssl_context is not None:
                try:
                    sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
                except (ssl.SSLError, OSError):
                    sock.close()
                    continue
            connection = ClientConnection(self, sock, address, listener)
            engine.connections[connection.fd] = connection
            self.selector.register(sock, selectors.EVENT_READ, connection)

    # --- what connections ask of the loop

    def want_write(self, connection: ClientConnection, wanted: bool) -> None:
        if connection.closed or (wanted == (connection in self._writing)):
            return
        if wanted:
            self._writing.add(connection)
        else:
            self._writing.discard(connection)
        self._reregister(connection)

    def pause_reading(self, connection: ClientConnection) -> None:
        if connection not in self._paused:
            self._paused.add(connection)
            self._reregister(connection)

    def resume_reading(self, connection: ClientConnection) -> None:
        if connection in self._paused:
            self._paused.discard(connection)
            self._reregister(connection)

    def _reregister(self, connection: ClientConnection) -> None:
        events = 0 if connection in self._paused else selectors.EVENT_READ
        if connection in self._writing:
            events |= selectors.EVENT_WRITE
        try:
            if events:
                self.selector.modify(connection.sock, events, connection)
            else:
                self.selector.unregister(connection.sock)
        except KeyError:
            if events:
                self.selector.register(connection.sock, events, connection)
        except (ValueError, OSError):
            pass

    def close_soon(self, connection: ClientConnection) -> None:
        """Close a connection when the loop is next between commands (it may be asked while a command holds
        fakeredis's lock, which closing takes)."""
        self.to_close.append(connection)

    def discard(self, connection: ClientConnection) -> None:
        """Close a connection and forget it; every other client carries on. Never called while fakeredis's lock is
        held (closing takes it): from inside a command, use `close_soon`."""
        if connection.closed:
            return
        try:
            self.selector.unregister(connection.sock)
        except (KeyError, ValueError, OSError):
            pass
        self._paused.discard(connection)
        self._writing.discard(connection)
        self.engine.connections.pop(connection.fd, None)
        connection.close()

    def close_killed(self) -> None:
        """Close the sockets of clients CLIENT KILL marked; a client that killed itself gets its reply first."""
        for connection in list(self.engine.connections.values()):
            if connection.socket._killed:
                if connection.out:
                    connection.close_after_reply()
                else:
                    self.discard(connection)

    def retry_blocked(self) -> None:
        engine = self.engine
        while engine.blocked_may_proceed:
            engine.blocked_may_proceed = False
            with engine.server.lock:
                engine.sweep_time()
                for connection in list(engine.blocked):
                    connection.retry()

    def clock_moved(self) -> None:
        """The emulator clock jumped: expire keys, time out blocked clients and close idle ones now, not at the next
        sweep."""
        now = self.engine.clock.now()
        self.engine.sweep_expired()
        self._expire_blocks(now)
        self._close_idle(now)

    def _close_idle(self, now: float) -> None:
        timeout = self.engine.idle_timeout
        if timeout:
            for connection in [c for c in self.engine.connections.values() if c.idle_past(now, timeout)]:
                self.discard(connection)

    def _expire_blocks(self, now: float) -> None:
        for connection in list(self.engine.blocked):
            connection.expire_block(now)
