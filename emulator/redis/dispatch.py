"""Finding fakeredis's command for a request, and preparing its arguments, once per shape instead of per call.

fakeredis's own socket decodes the command name to text, looks it up, then walks the signature to
learn which arguments are keys and which need converting, for every command it runs. At 100k
commands a second that bookkeeping costs as much as the commands themselves, so the server keeps
two caches: request name -> Signature, and (Signature, argument count) -> an ArgumentPlan.
The arguments are converted and checked exactly as fakeredis's `Signature.apply` documents.
"""

from __future__ import annotations

from typing import Any

from fakeredis import _msgs as msgs
from fakeredis._commands import COMMANDS_WITH_SUB, SUPPORTED_COMMANDS, Key, Signature
from fakeredis._core import CommandItem, Database
from fakeredis._helpers import SimpleError

from cloudtwin.redis.commands.command_table import release_command_names
from cloudtwin.redis.commands.expiry import DeadlineItem

# Argument counts above this are planned afresh each time, so a client sending MSETs of every length cannot grow the
# cache without bound.
MAX_PLANNED_ARGUMENTS = 64

_commands: dict[bytes, Signature] = {}
_subcommands: dict[bytes, Signature] = {}
_plans: dict[tuple[Signature, int], ArgumentPlan] = {}


def resolve(fields: list[bytes]) -> tuple[Signature, list[bytes]] | None:
    """The signature of the command `fields` name and its arguments, or None when fakeredis has no such command."""
    name = fields[0].lower()
    signature = _commands.get(name)
    if signature is not None:
        return signature, fields[1:]
    if not has_subcommands(name):
        # fakeredis files subcommands as "container sub"; sent as one name they are unknown, as in redis.
        signature = None if b" " in name else _lookup(name, _commands)
        return None if signature is None else (signature, fields[1:])
    if len(fields) < 2:
        return None
    full_name = name + b" " + fields[1].lower()
    signature = _subcommands.get(full_name) or _lookup(full_name, _subcommands)
    return None if signature is None else (signature, fields[2:])


def has_subcommands(name: bytes) -> bool:
    """Whether a command (lowercase name) is a container such as CONFIG or CLIENT."""
    return name.decode(errors="replace") in COMMANDS_WITH_SUB


def _lookup(name: bytes, cache: dict[bytes, Signature]) -> Signature | None:
    # Only names fakeredis knows are cached: garbage command names must not grow the table.
    text = name.decode(errors="replace")
    signature = SUPPORTED_COMMANDS.get(text)
    if signature is None or "redis" not in signature.server_types:
        return None
    # Commands of later redis releases (HEXPIRE, HGETDEL, ...) are unknown to the release the twin answers as;
    # module commands (JSON.*, TS.*: a dot in the name) are left as fakeredis has them.
    if "." not in text and text.replace(" ", "|") not in release_command_names():
        return None
    cache[name] = signature
    return signature


def check_arity(signature: Signature, arguments: list[Any], version: tuple) -> None:
    """fakeredis's arity check, with a subcommand named as redis 7 names it in the error: 'acl|getuser'."""
    try:
        signature.check_arity(arguments, version)
    except SimpleError as exc:
        if " " in signature.name:
            exc.value = exc.value.replace(f"'{signature.name}'", f"'{signature.name.replace(' ', '|')}'")
        raise


class ArgumentPlan:
    """Which arguments of a command of some length are keys and which need converting, in argument order."""

    __slots__ = ("first_pass", "keys")

    def __init__(self, signature: Signature, count: int) -> None:
        fixed, repeat = signature.fixed, signature.repeat
        types = list(fixed) + [repeat[index % len(repeat)] for index in range(count - len(fixed))]
        # First pass: a missing key with a canned answer short-circuits, other arguments are decoded, in order.
        self.first_pass: tuple[tuple[int, Any, bool], ...] = tuple(
            (index, kind, isinstance(kind, Key))
            for index, kind in enumerate(types)
            if (isinstance(kind, Key) and kind.missing_return is not Key.UNSPECIFIED)
            or (not isinstance(kind, Key) and kind is not bytes)
        )
        self.keys: tuple[tuple[int, Key], ...] = tuple(
            (index, kind) for index, kind in enumerate(types) if isinstance(kind, Key)
        )


def plan(signature: Signature, count: int) -> ArgumentPlan:
    found = _plans.get((signature, count))
    if found is None:
        found = ArgumentPlan(signature, count)
        if count <= MAX_PLANNED_ARGUMENTS:
            _plans[(signature, count)] = found
    return found


def apply(signature: Signature, arguments: list[Any], db: Database, version: tuple) -> tuple:
    """Either (converted arguments, the CommandItems of their keys) or a one-tuple holding the short-circuit answer."""
    if len(arguments) != len(signature.fixed):
        check_arity(signature, arguments, version)
    argument_plan = plan(signature, len(arguments))
    converted = list(arguments)
    for index, kind, is_key in argument_plan.first_pass:
        if is_key:
            if converted[index] not in db:
                return (kind.missing_return,)
        else:
            converted[index] = kind.decode(converted[index])
    items: list[CommandItem] = []
    if argument_plan.keys:
        creates = msgs.FLAG_DO_NOT_CREATE not in signature.flags
        for index, key in argument_plan.keys:
            name = converted[index]
            item = db.get(name)
            kind = key.type_
            default = None
            if kind is not None:
                if item is not None:
                    if type(item.value) is not kind:
                        raise SimpleError(msgs.WRONGTYPE_MSG)
                elif creates and kind is not bytes:
                    default = kind()
            command_item = DeadlineItem(name, db, item, default=default)
            converted[index] = command_item
            items.append(command_item)
    return converted, items
