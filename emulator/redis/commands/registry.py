"""The table of server-level commands, consulted before fakeredis's own.

Kept apart from fakeredis's global registry so in-process users of fakeredis see it unchanged.
Signatures are fakeredis's, so arity errors read the same and EXEC can run queued ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakeredis._commands import Signature
from fakeredis._helpers import SimpleString

CONTAINERS = frozenset({b"cluster", b"command", b"config", b"latency", b"memory", b"module", b"object", b"slowlog"})


@dataclass(frozen=True)
class ServerCommand:
    method: str
    signature: Signature
    allowed_before_auth: bool
    queueable: bool


SERVER_COMMANDS: dict[bytes, ServerCommand] = {}
# Containers fakeredis implements of which the server answers some subcommands (ACL DELUSER): those first.
SHARED_CONTAINERS: set[bytes] = set()


def server_command(
    name: str,
    fixed: tuple = (),
    repeat: tuple = (),
    allowed_before_auth: bool = False,
    queueable: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(method: Callable[..., Any]) -> Callable[..., Any]:
        signature = Signature(name.lower(), method.__name__, fixed, repeat)
        SERVER_COMMANDS[name.lower().encode()] = ServerCommand(
            method.__name__, signature, allowed_before_auth, queueable
        )
        container = name.lower().encode().partition(b" ")[0]
        if b" " in name.encode() and container not in CONTAINERS:
            SHARED_CONTAINERS.add(container)
        return method

    return register


def command_name(args: list[bytes]) -> bytes:
    first = args[0].lower()
    if first in CONTAINERS and len(args) > 1:
        return first + b" " + args[1].lower()
    return first


def shared_subcommand(args: list[bytes]) -> ServerCommand | None:
    """The server's own subcommand of a shared container, or None for fakeredis's."""
    if len(args) < 2:
        return None
    return SERVER_COMMANDS.get(args[0].lower() + b" " + args[1].lower())


def help_reply(container: str, entries: list[str]) -> list[SimpleString]:
    """A container's HELP, as redis words and frames it: one status line each."""
    lines = [
        f"{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        *entries,
        "HELP",
        "    Prints this help.",
    ]
    return [SimpleString(line.encode()) for line in lines]
