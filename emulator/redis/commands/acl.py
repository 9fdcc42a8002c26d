"""ACL as redis 7.0 answers it: denials worded and logged as 7.0 does, ACL LOG's entries, DELUSER's count,
GENPASS's length, and DRYRUN."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakeredis._command_args_parsing import Int
from fakeredis._helpers import OK, SimpleError
from fakeredis.model._acl import AccessControlList, UserAccessControlList

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.client_list import client_line
from cloudtwin.redis.commands.registry import help_reply, server_command
from cloudtwin.redis.dispatch import check_arity, has_subcommands, resolve

_GENPASS_RANGE = (
    "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"
)


_HELP = [
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
]


# redis 7.0's acllog-max-len default, how many of the newest entries a denial is compared with, and within how long
# (ACL_LOG_GROUPING_MAX_TIME_DELTA) it counts as the same event.
ACL_LOG_MAX_LENGTH = 128
ACL_LOG_SCAN = 10
ACL_LOG_GROUPING_SECONDS = 60.0
# Commands redis 7.0 flags no_auth: any user may run them, whatever its rules say.
_NO_AUTH_COMMANDS = frozenset({b"auth", b"hello", b"quit", b"reset"})


@dataclass
class AclLogEntry:
    count: int
    reason: bytes
    context: bytes
    object: bytes
    username: bytes
    created: float
    client_info: bytes

    def render(self, now: float) -> dict[bytes, Any]:
        return {
            b"count": self.count,
            b"reason": self.reason,
            b"context": self.context,
            b"object": self.object,
            b"username": self.username,
            b"age-seconds": round(now - self.created, 3),
            b"client-info": self.client_info,
        }


class RedisAcl(AccessControlList):
    """fakeredis's users and rules, with denials refused in redis 7.0's words and logged as 7.0 logs them: the
    command's full name (`client|setinfo`), the context (toplevel, or multi while queueing), the client as CLIENT
    LIST shows it, and a repeat of one of the newest entries within a minute counted on it and moved to the front."""

    def __init__(self, now: Callable[[], float], sockets: Callable[[], list]) -> None:
        super().__init__()
        self._now = now
        self._sockets = sockets
        self.entries: list[AclLogEntry] = []

    def validate_command(self, username: bytes, client_info: Any, fields: list[bytes]) -> None:
        user = self._user_acl.get(username)
        if user is None or not fields or fields[0].lower() in _NO_AUTH_COMMANDS:
            return
        if not user.enabled:
            raise SimpleError("User disabled")
        if user.unrestricted():
            return
        command_info = UserAccessControlList._get_command_info(fields)
        if command_info is None:
            return
        if not user.command_allowed(command_info, fields):
            name = _full_name(fields)
            self._record(b"command", name, username, self._socket_of(client_info), client_info.as_bytes())
            text = name.decode(errors="replace")
            raise SimpleError(f"NOPERM this user has no permissions to run the '{text}' command")
        keys = user.keys_not_allowed(command_info, fields)
        if keys:
            self._record(b"key", keys[0], username, self._socket_of(client_info), client_info.as_bytes())
            raise SimpleError("NOPERM this user has no permissions to access one of the keys used as arguments")
        if b"@pubsub" in command_info[6]:
            channels = user.channels_not_allowed(command_info, fields)
            if channels:
                sock = self._socket_of(client_info)
                self._record(b"channel", channels[0], username, sock, client_info.as_bytes())
                raise SimpleError("NOPERM this user has no permissions to access one of the channels used as arguments")

    def _socket_of(self, client_info: Any) -> Any:
        return next((sock for sock in self._sockets() if sock._client_info is client_info), None)

    def log_auth_failure(self, sock: Any, username: bytes, command: bytes) -> None:
        """A failed AUTH or HELLO ... AUTH: logged with the command's name as the client sent it, as redis does."""
        self._record(b"auth", command, username, sock, b"")

    def add_log_record(
        self, reason: bytes, context: bytes, _object: bytes, username: bytes, client_info: bytes
    ) -> None:
        # fakeredis's own denials, should any of its commands log one.
        sock = next((sock for sock in self._sockets() if sock._client_info.as_bytes() == client_info), None)
        self._record(reason, _object, username, sock, client_info)

    def _record(self, reason: bytes, denied: bytes, username: bytes, sock: Any, client_info: bytes) -> None:
        context = b"multi" if sock is not None and sock._transaction is not None else b"toplevel"
        line = client_line(sock).encode() if sock is not None else client_info
        now = self._now()
        for index, entry in enumerate(self.entries[:ACL_LOG_SCAN]):
            if (
                entry.reason == reason
                and entry.context == context
                and abs(now - entry.created) <= ACL_LOG_GROUPING_SECONDS
                and entry.object == denied
                and entry.username == username
            ):
                del self.entries[index]
                entry.count += 1
                entry.created, entry.client_info = now, line
                self.entries.insert(0, entry)
                return
        self.entries.insert(0, AclLogEntry(1, reason, context, denied, username, now, line))
        del self.entries[ACL_LOG_MAX_LENGTH:]

    def reset_log(self) -> None:
        self.entries.clear()


def _full_name(fields: list[bytes]) -> bytes:
    """A command's name as redis' ACL names it: `get`, or `config|get` for a container's subcommand."""
    name = fields[0].lower()
    if len(fields) > 1 and has_subcommands(name):
        return name + b"|" + fields[1].lower()
    return name


class AclCommands(ServerCommandsBase):
    def acl_log(self, *args: bytes) -> Any:
        # Overrides fakeredis's method of the same name: 10 entries unless told, newest first, 7.0's fields.
        acl: RedisAcl = self._server.acl  # type: ignore[assignment]
        if len(args) > 1:
            raise SimpleError("ERR Unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP.")
        count = 10
        if args:
            if args[0].lower() == b"reset":
                acl.reset_log()
                return OK
            count = max(Int.decode(args[0]), 0)
        now = self.engine.clock.now()
        return [entry.render(now) for entry in acl.entries[:count]]

    @server_command("ACL HELP")
    def cloudtwin_acl_help(self) -> Any:
        return help_reply("ACL", _HELP)

    @server_command("ACL DELUSER", fixed=(bytes,), repeat=(bytes,))
    def cloudtwin_acl_deluser(self, *usernames: bytes) -> int:
        users = self._server.acl._user_acl
        if b"default" in usernames:
            raise SimpleError("ERR The 'default' user cannot be removed")
        deleted = 0
        for username in usernames:
            if users.pop(username, None) is not None:
                deleted += 1
        return deleted

    def acl_getuser(self, username: bytes) -> Any:
        # Overrides fakeredis's method of the same name, which created a user it was asked about.
        if username not in self._server.acl._user_acl:
            return None
        return super().acl_getuser(username)  # type: ignore[misc]

    def acl_genpass(self, *args: bytes) -> bytes:
        # Overrides fakeredis's method of the same name: one hex digit per 4 bits asked for, rounded up.
        bits = 256
        if args:
            bits = Int.decode(args[0])
            if not 0 < bits <= 4096:
                raise SimpleError(_GENPASS_RANGE)
        digits = (bits + 3) // 4
        return secrets.token_hex((digits + 1) // 2)[:digits].encode()

    @server_command("ACL DRYRUN", fixed=(bytes, bytes), repeat=(bytes,))
    def cloudtwin_acl_dryrun(self, username: bytes, *fields: bytes) -> Any:
        """Whether the user may run the command, without running it or logging a denial."""
        user = self._server.acl._user_acl.get(username)
        if user is None:
            raise SimpleError(f"ERR User '{username.decode(errors='replace')}' not found")
        found = resolve(list(fields))
        if found is None:
            raise SimpleError(f"ERR Command '{fields[0].decode(errors='replace').lower()}' not found")
        signature, arguments = found
        if len(arguments) != len(signature.fixed):
            check_arity(signature, arguments, self.version)
        if user.unrestricted():
            return OK
        command_info = UserAccessControlList._get_command_info(list(fields))
        if command_info is None:
            return OK
        if not user.command_allowed(command_info, list(fields)):
            return f"This user has no permissions to run the '{signature.name.replace(' ', '|')}' command".encode()
        keys = user.keys_not_allowed(command_info, list(fields))
        if keys:
            return b"This user has no permissions to access the '%s' key" % keys[0]
        if b"@pubsub" in command_info[6]:
            channels = user.channels_not_allowed(command_info, list(fields))
            if channels:
                return b"This user has no permissions to access the '%s' channel" % channels[0]
        return OK
