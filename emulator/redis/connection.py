"""One client connection: bytes in, commands dispatched, replies out, on the server's loop thread."""

from __future__ import annotations

import logging
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fakeredis._commands import Key, Signature
from fakeredis._helpers import QUEUED, NoResponse, SimpleError

from cloudtwin.redis.client_socket import EngineSocket
from cloudtwin.redis.commands.client_list import client_line
from cloudtwin.redis.commands.connection import NOAUTH, not_allowed_while_subscribed
from cloudtwin.redis.commands.registry import (
    CONTAINERS,
    SERVER_COMMANDS,
    SHARED_CONTAINERS,
    ServerCommand,
    command_name,
    shared_subcommand,
)
from cloudtwin.redis.dispatch import check_arity, has_subcommands, resolve
from cloudtwin.redis.engine import DENYOOM_COMMANDS, READONLY_COMMANDS, UNMONITORED_COMMANDS
from cloudtwin.redis.output_buffer import UNCOUNTED_BYTES, OutputBuffer
from cloudtwin.redis.protocol import ProtocolError, RequestReader, encode, error
from cloudtwin.redis.redaction import redact
from cloudtwin.redis.replica import PRIMARY, READONLY_REPLICA, NodeRole

if TYPE_CHECKING:
    from cloudtwin.redis.server import Listener, RespServer

log = logging.getLogger(__name__)

OOM = "OOM command not allowed when used memory > 'maxmemory'."
# Bytes read from a client per turn of the loop (redis: PROTO_IOBUF_LEN), so one client's long pipeline waits its turn
# behind the others rather than running for a long time in one go; the rest of a large argument is read in one go.
READ_SIZE = 16 * 1024
MAX_READ_SIZE = 1024 * 1024
# What a connection's own objects (with its fakeredis socket) take, measured with tracemalloc: let go of at close.
CONNECTION_FOOTPRINT = 12 * 1024
# Commands pipelined behind a blocked command wait here; past this many, reading pauses until it unblocks.
MAX_PENDING_COMMANDS = 10_000
# redis-server's words (networking.c, 7.0), logged at most once a minute however many requests it cuts off.
CROSS_PROTOCOL_WARNING = (
    "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is "
    "likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. "
    "Connection aborted."
)
CROSS_PROTOCOL_WARNING_INTERVAL = 60.0


class Blocked:
    __slots__ = ("deadline", "func", "shape")

    def __init__(self, deadline: float | None, func: Callable[[bool], Any], shape: Callable[[Any], Any] | None):
        self.deadline = deadline
        self.func = func
        self.shape = shape


class ClientConnection:
    def __init__(
        self, server: RespServer, sock: socket.socket, address: tuple, listener: Listener | None = None
    ) -> None:
        self.server = server
        # The listener the client came through, whose role (primary or read-only replica) it talks to.
        self.listener = listener
        self.engine = server.engine
        self.sock = sock
        self.fd = sock.fileno()
        self.server_address = sock.getsockname()[:2]
        self.reader = RequestReader(int(self.engine.config["proto-max-bulk-len"]))
        self.out = OutputBuffer()
        # Since when (emulator clock) the replies queued have stayed past the soft client-output-buffer-limit.
        self.soft_limit_since: float | None = None
        self.closed = False
        self.closing = False
        # Over its output buffer limit: nothing more is queued or run for it, and the loop closes it.
        self.dropped = False
        self.handshaking = isinstance(sock, ssl.SSLSocket)
        self.blocked: Blocked | None = None
        self.pending: deque[list[bytes]] = deque()
        self.authenticated = not self.engine.requires_auth()
        # When the client last sent or was sent something, on the emulator clock: CONFIG timeout closes idle ones.
        self.last_interaction = self.connected_at = self.engine.clock.now()
        # The command running or last run, as sent: CLIENT LIST's `cmd`.
        self.last_command: list[bytes] | None = None
        host, port = address[:2]
        self.address = f"{host}:{port}"
        self.monitoring = False
        local_host, local_port = self.server_address
        self.socket = EngineSocket(
            self.engine,
            self,
            # In CLIENT LIST's order; fakeredis assigns the id.
            {"id": 0, "addr": f"{host}:{port}", "laddr": f"{local_host}:{local_port}", "fd": self.fd, "name": ""},
        )

    @property
    def role(self) -> NodeRole:
        return PRIMARY if self.listener is None else self.listener.role

    # --- output

    @property
    def resp3(self) -> bool:
        # The negotiated protocol as HELLO and RESET store it (an int), read without ClientInfo's parsing property.
        return self.socket._client_info.get("resp") == 3

    def reply(self, value: Any) -> None:
        self._write(encode(value, self.resp3))

    def push(self, message: list) -> None:
        self._write(encode(message, self.resp3))

    def monitor_output(self, line: bytes) -> None:
        self._write(line)

    def start_monitoring(self) -> None:
        if not self.monitoring:
            self.monitoring = True
            self.engine.monitors.append(self)

    def stop_monitoring(self) -> None:
        if self.monitoring:
            self.monitoring = False
            self.engine.monitors.remove(self)

    def _write(self, data: bytes) -> None:
        if self.closed or self.dropped:
            return
        out = self.out
        if not out.size:
            self.server.to_flush.append(self)
        out.append(data)
        if out.size >= self.engine.output_limit_floor or self.soft_limit_since is not None:
            self._check_output_limit()

    def _check_output_limit(self) -> None:
        """Drop the client at its class's client-output-buffer-limit, as redis does: at once at the hard limit, or
        once past the soft limit for longer than its seconds, counting what is queued beyond the first 16 KiB.
        MONITOR clients are normal ones there, as in redis."""
        queued = self.out.size - UNCOUNTED_BYTES
        if queued <= 0:
            return
        limit = self.engine.output_limits["pubsub" if self.socket._pubsub else "normal"]
        past_soft = False
        if limit.soft and queued >= limit.soft:
            now = self.engine.clock.now()
            if self.soft_limit_since is None:
                self.soft_limit_since = now
            else:
                past_soft = now - self.soft_limit_since > limit.soft_seconds
        else:
            self.soft_limit_since = None
        if past_soft or (limit.hard and queued >= limit.hard):
            self.engine.stats.client_output_buffer_limit_disconnections += 1
            client = client_line(self.socket)
            log.warning("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", client)
            self.dropped = True
            self.engine.heap.released(self.out.size)
            self.out.clear()
            # Not closed here: a reply may be queued while fakeredis's lock is held (PUBLISH, a keyspace event),
            # and closing takes that lock. The loop closes it once the command is done.
            self.server.close_soon(self)

    def flush(self) -> None:
        """Send what is queued; whatever the kernel does not take waits for the socket to become writable."""
        out = self.out
        if self.closed or not out.size or self.handshaking:
            return
        # Read before sending: once the reply is out, the client may move the clock before this thread resumes.
        writing_at = self.engine.clock.now()
        try:
            sent = out.send(self.sock)
        except OSError:
            self.server.discard(self)
            return
        if sent:
            self.last_interaction = writing_at
        if not out.size:
            self.server.want_write(self, False)
            if self.closing:
                self.server.discard(self)
        else:
            self.server.want_write(self, True)

    def idle_past(self, now: float, timeout: float) -> bool:
        """Whether CONFIG timeout closes this client: idle longer than it, and neither blocked, subscribed nor
        monitoring, which redis exempts."""
        if self.blocked is not None or self.monitoring or self.socket._pubsub:
            return False
        return now - self.last_interaction > timeout

    def buffered_bytes(self) -> int:
        return self.out.size + self.reader.buffered

    def close_after_reply(self) -> None:
        self.closing = True

    # --- input

    def on_readable(self) -> None:
        if self.handshaking:
            self.handshake()
            return
        while True:
            try:
                data = self.sock.recv(min(max(READ_SIZE, self.reader.missing), MAX_READ_SIZE))
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return
            except OSError:
                self.server.discard(self)
                return
            if not data:
                self.server.discard(self)
                return
            self.last_interaction = self.engine.clock.now()
            try:
                commands = self.reader.feed(data)
            except ProtocolError as exc:
                self._refuse(f"ERR {exc}")
                self.closing = True
                self.flush()
                return
            if commands:
                self.run(commands)
            # An SSL socket may hold decrypted bytes the selector cannot see; a plain one was drained by one read.
            if not isinstance(self.sock, ssl.SSLSocket) or not self.sock.pending():
                return

    def handshake(self) -> None:
        try:
            self.sock.do_handshake()  # type: ignore[attr-defined]
        except ssl.SSLWantReadError:
            return
        except ssl.SSLWantWriteError:
            self.server.want_write(self, True)
            return
        except (ssl.SSLError, OSError):
            self.server.discard(self)
            return
        self.handshaking = False
        self.server.want_write(self, False)

    def run(self, commands: list[list[bytes]]) -> None:
        for index, args in enumerate(commands):
            if self.blocked is not None or self.closing or self.closed or self.dropped:
                if not (self.closed or self.dropped):
                    self.pending.extend(commands[index:])
                    if len(self.pending) > MAX_PENDING_COMMANDS:
                        self.server.pause_reading(self)
                return
            self.execute(args)

    def resume(self) -> None:
        """Run the commands that arrived while blocked."""
        self.server.resume_reading(self)
        while self.pending and self.blocked is None and not self.closing and not self.closed and not self.dropped:
            self.execute(self.pending.popleft())

    def execute(self, args: list[bytes]) -> None:
        tracking = self.engine.tracking
        if tracking.tracking:
            # Client-side caching needs to know whose command changes a key (NOLOOP, and invalidations after replies).
            tracking.current = self.socket
        try:
            self._execute(args)
        except Exception as exc:  # a bug here must cost one reply, not the connection or the loop
            log.exception("redis command %r failed", args[:1])
            self._refuse(f"ERR internal error in cloudtwin's Redis server: {type(exc).__name__}: {exc}")
        if tracking.tracking or tracking.pending:
            tracking.command_done(self.socket, args[0].lower())

    def _execute(self, args: list[bytes]) -> None:
        first = args[0].lower()
        if first == b"post" or first == b"host:":
            self._cut_off_cross_protocol_request()
            return
        engine = self.engine
        engine.stats.total_commands_processed += 1
        self.last_command = args
        server_command = SERVER_COMMANDS.get(first if first not in CONTAINERS else command_name(args))
        if first in SHARED_CONTAINERS:
            server_command = shared_subcommand(args)
        found = None if server_command is not None or first in CONTAINERS else resolve(args)
        known = server_command.signature if server_command else found[0] if found else None
        if not self.authenticated and not (server_command and server_command.allowed_before_auth):
            self._refuse(NOAUTH, known.name if known else None)
            return
        role = self.role
        # A primary's listener (all but replicas and reader endpoints) pays one attribute read per command here.
        if (
            role.primary_address is not None
            and known is not None
            and role.refuses_request(known, args, self.socket.version)
        ):
            if self.socket._transaction is not None:
                self.socket._transaction_failed = True
            self._refuse(READONLY_REPLICA, known.name)
            return
        if engine.cluster is not None and engine.cluster.refuses(self, args):
            return
        if server_command is not None:
            self._run_server_command(server_command, args)
        elif first in CONTAINERS:
            self._unknown_subcommand(args)
        elif found is None:
            self._unknown(args)
        elif self.monitoring and _touches_keys(found[0]):
            self._refuse("ERR Replica can't interact with the keyspace", found[0].name)
        else:
            if first == b"reset":
                # RESET ends MONITOR before it runs, so the client does not see its own RESET in the feed.
                self.stop_monitoring()
            self._run_engine_command(first, *found, args)
            if first == b"client":
                self.server.close_killed()
            elif first == b"reset":
                # RESET makes the connection the default user again, authenticated only if that user needs no password.
                self.authenticated = not engine.requires_auth()
        if engine.blocked_may_proceed:
            if engine.blocked:
                self.server.retry_blocked()
            else:
                engine.blocked_may_proceed = False

    def _cut_off_cross_protocol_request(self) -> None:
        """An HTTP request (a web page posting to localhost) reached Redis: close without a word, as redis does, so
        neither this nor anything after it runs, and no reply to what ran before it is sent."""
        engine = self.engine
        now = time.monotonic()
        if now - engine.cross_protocol_warned_at > CROSS_PROTOCOL_WARNING_INTERVAL:
            engine.cross_protocol_warned_at = now
            log.warning(CROSS_PROTOCOL_WARNING)
        self.server.discard(self)

    def _run_engine_command(self, name: bytes, signature: Signature, arguments: list[bytes], args: list[bytes]) -> None:
        """Run a command through fakeredis, after eviction, and counting keyspace hits and misses for reads."""
        engine = self.engine
        sock = self.socket
        if engine.maxmemory and name in DENYOOM_COMMANDS and not engine.make_room():
            if sock._transaction is not None:
                sock._transaction_failed = True
            self._refuse(OOM, signature.name)
            return
        if name not in READONLY_COMMANDS:
            sock.execute(signature, arguments, args)
            return
        db = sock._db
        db.lookups = lookups = {}
        try:
            sock.execute(signature, arguments, args)
        finally:
            db.lookups = None
            hits = sum(lookups.values())
            engine.stats.keyspace_hits += hits
            engine.stats.keyspace_misses += len(lookups) - hits

    def _run_server_command(self, command: ServerCommand, args: list[bytes]) -> None:
        sock = self.socket
        arguments = args[2:] if " " in command.signature.name else args[1:]
        signature = command.signature
        method = getattr(sock, command.method)
        with self.engine.server.lock:
            try:
                if sock._pubsub and not self.resp3 and command.signature.name != "quit":
                    raise not_allowed_while_subscribed(command.signature.name)
                # As in redis, commands a client may send before authenticating (AUTH, HELLO, ...) pass the ACL check:
                # HELLO AUTH must work while the default user is off.
                if not command.allowed_before_auth:
                    sock._server.acl.validate_command(sock._client_info.user, sock._client_info, args)
                check_arity(signature, arguments, sock.version)
            except SimpleError as exc:
                if sock._queueing:
                    sock._transaction_failed = True
                self._refuse(exc.value, signature.name)
                return
            if sock._queueing and command.queueable:
                sock._transaction.append((method, signature, arguments))
                result: Any = QUEUED
            else:
                self.engine.sweep_time()
                started = time.perf_counter()
                try:
                    result = method(*arguments)
                except SimpleError as exc:
                    if sock._queueing:
                        sock._transaction_failed = True
                    result = exc
                elapsed = time.perf_counter() - started
                # Read afresh: CONFIG RESETSTAT replaced the counters, and counts itself in the new ones, as in redis.
                self.engine.stats.ran(signature.name, elapsed, result)
                slowlog = self.engine.slowlog
                if slowlog.wants(signature.name, elapsed):
                    name = sock._client_info.get("name", "")
                    slowlog.record(self.engine.clock.now(), elapsed, redact(args), self.address, name)
        if not isinstance(result, NoResponse):
            self.reply(result)
        if self.engine.monitors and result is not QUEUED and signature.name not in UNMONITORED_COMMANDS:
            self.engine.feed_monitors(sock._db_num, self.address, args)

    def _unknown(self, args: list[bytes]) -> None:
        if has_subcommands(args[0].lower()) and len(args) > 1:
            self._unknown_subcommand(args)
            return
        # redis-server quotes the first arguments back, up to 128 characters of them.
        quoted = ""
        for arg in args[1:]:
            if len(quoted) >= 128:
                break
            quoted += f"'{arg.decode(errors='replace')[: 128 - len(quoted)]}' "
        name = args[0].decode(errors="replace")[:128]
        self._refuse(f"ERR unknown command '{name}', with args beginning with: {quoted}")
        if self.socket._transaction is not None:
            self.socket._transaction_failed = True

    def _unknown_subcommand(self, args: list[bytes]) -> None:
        sub = args[1].decode(errors="replace") if len(args) > 1 else ""
        if len(args) == 1:
            self._refuse(f"ERR wrong number of arguments for '{args[0].decode(errors='replace').lower()}' command")
        else:
            self._refuse(f"ERR unknown subcommand '{sub}'. Try {args[0].decode(errors='replace').upper()} HELP.")

    def _refuse(self, message: str, command: str | None = None) -> None:
        """Reply with an error instead of running anything: counted in errorstats, and as a rejected call of a known
        command in commandstats."""
        stats = self.engine.stats
        stats.error_replied(message)
        if command is not None:
            stats.rejected(command)
        self._write(error(message))

    # --- blocking

    def block(self, timeout: float, func: Callable[[bool], Any], shape: Callable[[Any], Any] | None) -> None:
        deadline = self.engine.clock.now() + timeout if timeout else None
        self.blocked = Blocked(deadline, func, shape)
        self.engine.blocked.append(self)

    def retry(self) -> None:
        """Try the blocked command again; it replies and unblocks once it succeeds or fails."""
        blocked = self.blocked
        if blocked is None:
            return
        try:
            done, result = self.socket.retry_blocked(blocked.func, blocked.shape)
        except SimpleError as exc:
            done, result = True, exc
        if done:
            self._unblock(result)

    def expire_block(self, now: float) -> None:
        blocked = self.blocked
        if blocked is not None and blocked.deadline is not None and blocked.deadline <= now:
            self._unblock(self.socket.timed_out(blocked.shape))

    def _unblock(self, result: Any) -> None:
        self.blocked = None
        if self in self.engine.blocked:
            self.engine.blocked.remove(self)
        self.reply(result)
        if self.pending:
            self.server.to_resume.append(self)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.stop_monitoring()
        if self.blocked is not None:
            self.blocked = None
            if self in self.engine.blocked:
                self.engine.blocked.remove(self)
        with self.engine.server.lock:
            self.socket._cleanup(self.engine.server)
            self.socket.close()
            _forget_closed_socket(self.engine.server.closed_sockets, self.socket)
        try:
            self.sock.close()
        except OSError:
            pass
        self.engine.heap.released(self.out.size + self.reader.buffered + CONNECTION_FOOTPRINT)
        # What the client left unread or unsent goes now; and with the reference cycles between this connection, its
        # fakeredis socket and that socket's (unused) command parser broken, the rest is freed as the last reference
        # goes, not whenever the cyclic collector next looks at the oldest generation.
        self.out.clear()
        self.pending.clear()
        self.reader = RequestReader(self.reader.max_bulk_len)
        self.socket._parser.close()
        self.socket.connection = None  # type: ignore[assignment]


def _forget_closed_socket(closed_sockets: list, sock: EngineSocket) -> None:
    """Take back the weak reference fakeredis's close() queued for a cleanup we already did: left there until the next
    command, thousands of them would pin the allocator's arenas that the closed connections' objects lived in."""
    if closed_sockets and closed_sockets[-1]() is sock:
        closed_sockets.pop()


def _touches_keys(signature: Signature) -> bool:
    """Whether a command reads or writes keys: redis refuses those to a client in MONITOR mode, as to a replica."""
    return any(isinstance(kind, Key) for kind in (*signature.fixed, *signature.repeat))
