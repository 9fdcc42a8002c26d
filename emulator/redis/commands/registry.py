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

CONTAINERS = frozenset({b"config", b"latency", b"memory", b"object", b"slowlog"})


@dataclass(frozen=True)
class ServerCommand:
    method: str
    signature: Signature
    allowed_before_auth: bool
    queueable: bool


SERVER_COMMANDS: dict[bytes, ServerCommand] = {}


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
        return method

    return register


def command_name(args: list[bytes]) -> bytes:
    first = args[0].lower()
    if first in CONTAINERS and len(args) > 1:
        return first + b" " + args[1].lower()
    return first


def help_reply(container: str, entries: list[str]) -> list[SimpleString]:
    """A container's HELP, as redis words and frames it: one status line each."""
    lines = [
        f"{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        *entries,
        "HELP",
        "    Prints this help.",
    ]
    return [SimpleString(line.encode()) for line in lines]
