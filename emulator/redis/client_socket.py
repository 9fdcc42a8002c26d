"""One client's fakeredis socket, rewired to reply through our connection instead of a queue."""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import TYPE_CHECKING, Any

import redis
from fakeredis import _msgs as msgs
from fakeredis._commands import CommandItem, Signature
from fakeredis._helpers import QUEUED, NoResponse, SimpleError, SimpleString
from fakeredis._socket import FakeSocket
from fakeredis._socket._resp import convert_to_resp2

from cloudtwin.redis.commands.acl import AclCommands
from cloudtwin.redis.commands.bitmap import BitmapCommands
from cloudtwin.redis.commands.client_list import ClientListCommands
from cloudtwin.redis.commands.client_name import ClientNameCommands
from cloudtwin.redis.commands.cluster import ClusterCommands
from cloudtwin.redis.commands.command import IntrospectionCommands
from cloudtwin.redis.commands.config import ConfigCommands
from cloudtwin.redis.commands.connection import ConnectionCommands, not_allowed_while_subscribed
from cloudtwin.redis.commands.debug import DebugCommands
from cloudtwin.redis.commands.dump import DumpCommands
from cloudtwin.redis.commands.expiry import ExpiryCommands, redis_time
from cloudtwin.redis.commands.geo import GeoCommands
from cloudtwin.redis.commands.hyperloglog import HyperLogLogCommands
from cloudtwin.redis.commands.info import InfoCommands
from cloudtwin.redis.commands.keys import KeyCommands
from cloudtwin.redis.commands.latency import LatencyCommands
from cloudtwin.redis.commands.lists import ListCommands
from cloudtwin.redis.commands.lolwut import LolwutCommands
from cloudtwin.redis.commands.memory import MemoryCommands
from cloudtwin.redis.commands.module import ModuleCommands
from cloudtwin.redis.commands.monitor import MonitorCommands
from cloudtwin.redis.commands.object import ObjectCommands
from cloudtwin.redis.commands.pubsub import PubSubCleanup
from cloudtwin.redis.commands.replication import ReplicationCommands
from cloudtwin.redis.commands.scripting import ScriptingCommands
from cloudtwin.redis.commands.slowlog import SlowlogCommands
from cloudtwin.redis.commands.streams import StreamCommands
from cloudtwin.redis.commands.tracking import TrackingCommands
from cloudtwin.redis.dispatch import apply, check_arity, resolve
from cloudtwin.redis.engine import EVENT_CLASSES, READONLY_COMMANDS, REDIS_VERSION, UNMONITORED_COMMANDS
from cloudtwin.redis.monitor import SCRIPT_COMMANDS
from cloudtwin.redis.protocol import Push
from cloudtwin.redis.redaction import redact

if TYPE_CHECKING:
    from cloudtwin.redis.connection import ClientConnection
    from cloudtwin.redis.engine import RedisEngine


# Reply types that RESP2 sends as they are: no conversion call needed.
_RESP2_READY = frozenset((bytes, int, type(None), SimpleString))


class EngineSocket(
    AclCommands,
    BitmapCommands,
    ClientListCommands,
    ClientNameCommands,
    ClusterCommands,
    ConnectionCommands,
    ConfigCommands,
    DebugCommands,
    DumpCommands,
    ExpiryCommands,
    GeoCommands,
    HyperLogLogCommands,
    InfoCommands,
    IntrospectionCommands,
    KeyCommands,
    LatencyCommands,
    ListCommands,
    LolwutCommands,
    MemoryCommands,
    ModuleCommands,
    MonitorCommands,
    ObjectCommands,
    # Before PubSubCleanup, whose _cleanup ends the chain: a closing client stops tracking first.
    TrackingCommands,
    PubSubCleanup,
    ReplicationCommands,
    ScriptingCommands,
    SlowlogCommands,
    StreamCommands,
    FakeSocket,
):
    """fakeredis runs the commands; replies, pub/sub messages and blocking go to the connection."""

    engine_version = REDIS_VERSION

    def __init__(self, engine: RedisEngine, connection: ClientConnection, client_info: dict[str, Any]) -> None:
        self.engine = engine
        self.connection = connection
        # For MONITOR and SLOWLOG: what the client sent for the command running and for those queued in MULTI (by the
        # arguments' identity), and the feed lines of commands run but not yet replied to, sent after the reply.
        self._sent: dict[int, list[bytes]] = {}
        # The arguments of the script's redis.call running now, as the script passed them: MONITOR shows its name so.
        self._script_call: tuple = ()
        self._current_arguments: list[bytes] = []
        self._current_fields: list[bytes] = []
        self._monitor_lines: list[tuple[int, str, list[bytes]]] = []
        super().__init__(engine.server, 0, client_class=redis.Redis, client_info=client_info)

    def put_response(self, msg: Any) -> None:
        # Replies go straight to the connection from `execute`; what fakeredis puts here is out of band (pub/sub).
        # A closed connection lets go of its socket (None here): a message that still finds the socket is dropped.
        connection = self.connection
        if connection is not None:
            connection.push(msg if isinstance(msg, Push) else Push(msg))

    def execute(self, signature: Signature, arguments: list[bytes], fields: list[bytes]) -> None:
        """Run one command fakeredis implements and reply, as fakeredis's `_process_command` does once it has the
        command's signature: ACL, arity, MULTI queueing, EXECABORT, CLIENT REPLY OFF|SKIP."""
        server = self._server
        func = getattr(self, signature.func_name)
        self._current_arguments, self._current_fields = arguments, fields
        if self._queueing:
            self._sent[id(arguments)] = fields
        ran = False
        try:
            server.acl.validate_command(self._client_info.user, self._client_info, fields)
            with server.lock:
                closed = server.closed_sockets
                while closed:
                    sock = closed.pop()()
                    if sock is not None:
                        sock._cleanup(server)
                now = redis_time(self.engine.clock.now())
                for db in server.dbs.values():
                    db.time = now
                if len(arguments) != len(signature.fixed):
                    check_arity(signature, arguments, server.version)
                if self._queueing and self._transaction is not None and msgs.FLAG_TRANSACTION not in signature.flags:
                    self._transaction.append((func, signature, arguments))
                    result: Any = QUEUED
                else:
                    ran = True
                    result = self._run_command(func, signature, arguments, False)
        except SimpleError as exc:
            if self._queueing and not ran:
                self._transaction_failed = True
            if signature.name == "exec" and exc.value.startswith("ERR "):
                exc.value = "EXECABORT Transaction discarded because of: " + exc.value[4:]
                self._forget_transaction()
                self._clear_watches()
            stats = self.engine.stats
            stats.rejected(signature.name)
            stats.error_replied(exc.value)
            result = exc
        suppressed = self._reply_off or self._reply_skip
        # CLIENT REPLY SKIP silences the command after it, then clears itself.
        self._reply_skip, self._reply_skip_next = self._reply_skip_next, False
        if not suppressed and not isinstance(result, NoResponse):
            self.connection.reply(result)
        if self._monitor_lines:
            lines, self._monitor_lines = self._monitor_lines, []
            for db_index, source, shown in lines:
                self.engine.feed_monitors(db_index, source, shown)
        if self._sent and not self._queueing:
            self._sent.clear()

    def _run_command(self, func: Callable[..., Any], sig: Signature, args: list[Any], from_script: bool) -> Any:
        # fakeredis's, with arguments prepared by the dispatch plans and no per-call checks for other server types.
        # Every command that runs passes here, inside EXEC and scripts too: this is where commandstats count.
        started = perf_counter()
        sent = args
        if self.engine.monitors and sig.name in SCRIPT_COMMANDS:
            self.engine.feed_monitors(self._db_num, self._monitor_source(from_script), self._shown(sig, sent))
        command_items: list[CommandItem] = []
        self._subkey_events = []
        try:
            applied = apply(sig, args, self._db, self._server.version)
            if from_script and msgs.FLAG_NO_SCRIPT in sig.flags:
                raise SimpleError(msgs.COMMAND_IN_SCRIPT_MSG)
            # RESP3 carries pushes apart from replies, so there a subscribed client may run any command.
            if (
                self._pubsub
                and sig.name not in self.ACCEPTED_COMMANDS_WHILE_PUBSUB
                and self._client_info.protocol_version == 2
            ):
                raise not_allowed_while_subscribed(sig.name)
            if len(applied) == 1:
                result = applied[0]
            else:
                args, command_items = applied
                result = func(*args)
                # A client's reply is shaped for RESP2 by the encoder (floats and strings as bulk strings, maps as
                # flat arrays, as fakeredis's conversion does); only what a script gets back must be converted here.
                if (
                    from_script
                    and type(result) not in _RESP2_READY
                    and self._resp_version == 2
                    and msgs.FLAG_SKIP_CONVERT_TO_RESP2 not in sig.flags
                ):
                    result = convert_to_resp2(result)
        except SimpleError as exc:
            result = exc
        if command_items:
            remove_empty = msgs.FLAG_LEAVE_EMPTY_VAL not in sig.flags
            for item in command_items:
                item.writeback(remove_empty_val=remove_empty)
            if self.engine.keyspace_events:
                self._keyspace_notifications(command_items, sig.name.encode())
        if command_items or self._subkey_events:
            self._subkey_notifications(command_items)
        engine = self.engine
        elapsed = perf_counter() - started
        engine.stats.ran(sig.name, elapsed, result)
        if engine.slowlog.wants(sig.name, elapsed):
            engine.slowlog.record(
                engine.clock.now(),
                elapsed,
                redact(self._shown(sig, sent)),
                self._monitor_source(from_script),
                self._client_info.get("name", ""),
            )
        if self.engine.monitors and sig.name not in UNMONITORED_COMMANDS:
            self._monitor_lines.append((self._db_num, self._monitor_source(from_script), self._shown(sig, sent)))
        if self._tracking is not None and sig.name.encode() in READONLY_COMMANDS:
            script = self._current_fields if from_script else None
            engine.tracking.remember(self, sig.name, self._shown(sig, sent), script)
        return result

    def _monitor_source(self, from_script: bool) -> str:
        return "lua" if from_script else self.connection.address

    def _shown(self, sig: Signature, arguments: list[bytes]) -> list[bytes]:
        if arguments is self._current_arguments:
            return self._current_fields
        sent = self._sent.get(id(arguments))
        if sent is not None:
            return sent
        name = [part.encode() for part in sig.name.split()]
        called = self._script_call[: len(name)]
        if len(called) == len(name) and all(
            isinstance(part, bytes) and part.lower() == word for part, word in zip(called, name, strict=True)
        ):
            # A script's call: the name as the script spelled it, as redis shows it.
            return [*called, *arguments]
        # A command queued before MONITOR started: the name as redis spells it.
        return [*name, *arguments]

    def _keyspace_notifications(self, command_items: list[CommandItem], event: bytes) -> None:
        # A real server publishes keyspace events only for the classes notify-keyspace-events names.
        if not self.engine.keyspace_events:
            return
        event_class = EVENT_CLASSES.get(event, "g")
        for item in command_items:
            if item.is_modified:
                self.engine.notify_keyspace(self._db_num, event, item.key, event_class)

    def _blocking(
        self, timeout: float | None, func: Callable[[bool], Any], shape: Callable[[Any], Any] | None = None
    ) -> Any:
        result = func(True)
        if result is not None or self._in_transaction:
            return result if shape is None else shape(result)
        self._blocked = True
        self.connection.block(timeout or 0.0, func, shape)
        return NoResponse()

    def retry_blocked(self, func: Callable[[bool], Any], shape: Callable[[Any], Any] | None) -> tuple[bool, Any]:
        """Run a blocked command's pass again. Returns (done, reply)."""
        if self._unblock_reason is not None:
            try:
                self._take_unblock_reason()
            finally:
                self._blocked = False
            return True, None if shape is None else shape(None)
        result = func(False)
        if result is None:
            return False, None
        self._blocked = False
        return True, result if shape is None else shape(result)

    def timed_out(self, shape: Callable[[Any], Any] | None) -> Any:
        self._blocked = False
        self._unblock_reason = None
        return None if shape is None else shape(None)


class InternalSession:
    """Runs commands on the engine from the server itself (startup configuration), with no client attached."""

    # Where its commands come from, as SLOWLOG and MONITOR name a client.
    address = "internal"

    def __init__(self, engine: RedisEngine) -> None:
        self.replies: list[Any] = []
        self.socket = EngineSocket(engine, self, {"addr": "internal", "name": "cloudtwin"})  # type: ignore[arg-type]

    def reply(self, value: Any) -> None:
        self.replies.append(value)

    def push(self, message: list) -> None:
        self.replies.append(message)

    def run(self, args: list[bytes]) -> Any:
        found = resolve(args)
        if found is None:
            raise SimpleError(f"ERR unknown command '{args[0].decode(errors='replace')}'")
        self.socket.execute(*found, args)
        reply = self.replies.pop() if self.replies else None
        if isinstance(reply, SimpleError):
            raise reply
        return reply

    def close(self) -> None:
        self.socket.close()
