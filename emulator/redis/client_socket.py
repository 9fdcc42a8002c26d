"""One client's fakeredis socket, rewired to reply through our connection instead of a queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import redis
from fakeredis._commands import COMMANDS_WITH_SUB, SUPPORTED_COMMANDS, CommandItem
from fakeredis._helpers import NoResponse, SimpleError
from fakeredis._socket import FakeSocket

from emulator.redis.commands.config import ConfigCommands
from emulator.redis.commands.connection import ConnectionCommands
from emulator.redis.commands.info import InfoCommands
from emulator.redis.commands.lists import ListCommands
from emulator.redis.commands.memory import MemoryCommands
from emulator.redis.engine import EVENT_CLASSES, REDIS_VERSION
from emulator.redis.protocol import Push

if TYPE_CHECKING:
    from emulator.redis.connection import ClientConnection
    from emulator.redis.engine import RedisEngine


class EngineSocket(ConnectionCommands, ConfigCommands, InfoCommands, ListCommands, MemoryCommands, FakeSocket):
    """fakeredis runs the commands; replies, pub/sub messages and blocking go to the connection."""

    engine_version = REDIS_VERSION

    def __init__(self, engine: RedisEngine, connection: ClientConnection, client_info: dict[str, Any]) -> None:
        self.engine = engine
        self.connection = connection
        # Set just before fakeredis hands over a command's own reply; anything else put is an out-of-band push.
        self._reply_next = False
        super().__init__(engine.server, 0, client_class=redis.Redis, client_info=client_info)

    def put_response(self, msg: Any) -> None:
        if self._reply_next:
            self._reply_next = False
            self.connection.reply(msg)
        else:
            self.connection.push(msg if isinstance(msg, Push) else Push(msg))

    def _decode_result(self, result: Any) -> Any:
        # fakeredis turns errors into redis-py exceptions here; we keep them as they are and encode them ourselves.
        self._reply_next = True
        return result

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


def is_known(name: bytes, args: list[bytes]) -> bool:
    """Whether fakeredis implements the command `args` names (`name`, lowercased, with its subcommand if any)."""
    if name in _SIMPLE_COMMANDS:
        return True
    text = name.decode(errors="replace")
    if text in COMMANDS_WITH_SUB and len(args) > 1:
        text += " " + args[1].decode(errors="replace").lower()
    return text in SUPPORTED_COMMANDS


def has_subcommands(args: list[bytes]) -> bool:
    return args[0].decode(errors="replace").lower() in COMMANDS_WITH_SUB


_SIMPLE_COMMANDS = frozenset(name.encode() for name in SUPPORTED_COMMANDS if " " not in name) - frozenset(
    name.encode() for name in COMMANDS_WITH_SUB
)


class InternalSession:
    """Runs commands on the engine from the server itself (startup configuration), with no client attached."""

    def __init__(self, engine: RedisEngine) -> None:
        self.replies: list[Any] = []
        self.socket = EngineSocket(engine, self, {"addr": "internal", "name": "cloudtwin"})  # type: ignore[arg-type]

    def reply(self, value: Any) -> None:
        self.replies.append(value)

    def push(self, message: list) -> None:
        self.replies.append(message)

    def run(self, args: list[bytes]) -> Any:
        self.socket._process_command(args)
        reply = self.replies.pop() if self.replies else None
        if isinstance(reply, SimpleError):
            raise reply
        return reply

    def close(self) -> None:
        self.socket.close()
