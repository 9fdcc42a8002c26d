"""COMMAND and its subcommands, answered from redis 7.0's own tables (command_table.py) for the commands the twin runs.

COMMAND GETKEYS and GETKEYSANDFLAGS read the key specifications of those tables the way redis'
getKeysUsingKeySpecs does (index or keyword to begin, range or key count to find).
"""

from __future__ import annotations

import fnmatch
from typing import Any

from fakeredis._helpers import SimpleError, SimpleString

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.command_table import CommandEntry, CommandTable, OrderedSet, command_table
from cloudtwin.redis.commands.registry import SERVER_COMMANDS, help_reply, server_command

_HELP = [
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
]


def _mapping(captured: Any) -> dict:
    return {key: value for key, value in captured["%"]} if isinstance(captured, dict) else {}


def _members(captured: Any) -> list:
    return [item["+"] if isinstance(item, dict) else item for item in captured["~"]]


def key_positions(entry: CommandEntry, argv: list[bytes]) -> list[tuple[int, list[str]]]:
    """(argument index, flags) of each key in `argv` (argv[0] the command), by the entry's key specifications."""
    found: list[tuple[int, list[str]]] = []
    argc = len(argv)
    for captured in entry.raw[8]["~"]:
        spec = _mapping(captured)
        flags = _members(spec["flags"])
        begin, find = _mapping(spec["begin_search"]), _mapping(spec["find_keys"])
        begin_spec, find_spec = _mapping(begin.get("spec")), _mapping(find.get("spec"))
        if begin["type"] == "index":
            first = begin_spec["index"]
        elif begin["type"] == "keyword":
            keyword, start = begin_spec["keyword"].encode().lower(), begin_spec["startfrom"]
            indexes = range(start, argc) if start > 0 else range(argc + start, 0, -1)
            first = next((index + 1 for index in indexes if argv[index].lower() == keyword), None)
            if first is None:
                continue
        else:
            continue
        if find["type"] == "range":
            last_key, step, limit = find_spec["lastkey"], find_spec["keystep"], find_spec["limit"]
            if last_key >= 0:
                last = first + last_key
            elif limit <= 1:
                last = argc + last_key
            else:
                last = first + ((argc - first) // limit + last_key)
        elif find["type"] == "keynum":
            count_index = first + find_spec["keynumidx"]
            if count_index >= argc:
                continue
            try:
                count = int(argv[count_index])
            except ValueError:
                continue
            step = find_spec["keystep"]
            first += find_spec["firstkey"]
            last = first + (count - 1) * step
        else:
            continue
        if "variable_flags" in flags:
            flags = _actual_flags(entry.name, argv)
        found.extend((index, flags) for index in range(first, last + 1, step) if index < argc)
    return found


def _actual_flags(command: str, argv: list[bytes]) -> list[str]:
    """The key flags of the two commands whose flags depend on their options, as redis' setGetKeys and
    bitfieldGetKeys decide them."""
    options = [argument.lower() for argument in argv[2:]]
    if command == "set":
        return ["RW", "access", "update"] if b"get" in options else ["OW", "update"]
    # BITFIELD: read-only when every subcommand is a GET.
    index, only_gets = 0, True
    while index < len(options):
        if options[index] == b"get":
            index += 3
        elif options[index] == b"overflow":
            index += 2
        else:
            only_gets = False
            break
    return ["RO", "access"] if only_gets else ["RW", "access", "update"]


def command_keys(argv: list[bytes]) -> list[bytes]:
    """The keys of a command as sent (argv[0] its name), by redis 7.0's key specifications; none for a command the
    table lacks."""
    table = command_table(frozenset(name.decode().replace(" ", "|") for name in SERVER_COMMANDS))
    entry = table.find(argv[0].decode(errors="replace"))
    if entry is None:
        return []
    if entry.raw[9] and len(argv) > 1:
        entry = table.find(f"{entry.name}|{argv[1].decode(errors='replace')}") or entry
    return [argv[index] for index, _ in key_positions(entry, argv)]


class IntrospectionCommands(ServerCommandsBase):
    def _table(self) -> CommandTable:
        return command_table(frozenset(name.decode().replace(" ", "|") for name in SERVER_COMMANDS))

    @server_command("COMMAND")
    def cloudtwin_command(self) -> Any:
        table = self._table()
        return [table.entries[name].info for name in table.top_level]

    @server_command("COMMAND COUNT")
    def cloudtwin_command_count(self) -> Any:
        return len(self._table().top_level)

    @server_command("COMMAND HELP")
    def cloudtwin_command_help(self) -> Any:
        return help_reply("COMMAND", _HELP)

    @server_command("COMMAND INFO", repeat=(bytes,))
    def cloudtwin_command_info(self, *names: bytes) -> Any:
        table = self._table()
        if not names:
            return self.cloudtwin_command()
        entries = (table.find(name.decode(errors="replace")) for name in names)
        return [None if entry is None else entry.info for entry in entries]

    @server_command("COMMAND DOCS", repeat=(bytes,))
    def cloudtwin_command_docs(self, *names: bytes) -> Any:
        table = self._table()
        chosen = [name.decode(errors="replace").lower() for name in names] or list(table.top_level)
        found = ((name, table.find(name)) for name in chosen)
        return {name.encode(): entry.docs for name, entry in found if entry is not None}

    @server_command("COMMAND LIST", repeat=(bytes,))
    def cloudtwin_command_list(self, *args: bytes) -> Any:
        table = self._table()
        names = [name for top in table.top_level for name in (top, *(sub[0] for sub in table.entries[top].raw[9]))]
        names = [name for name in names if name in table.entries]
        if not args:
            return [name.encode() for name in names]
        if len(args) != 3 or args[0].lower() != b"filterby":
            raise SimpleError("ERR syntax error")
        kind, value = args[1].lower(), args[2].decode(errors="replace")
        if kind == b"module":
            return []
        if kind == b"aclcat":
            category = "@" + value.lower()
            return [name.encode() for name in names if category in _members(table.entries[name].raw[6])]
        if kind == b"pattern":
            return [name.encode() for name in names if fnmatch.fnmatchcase(name, value.lower())]
        raise SimpleError("ERR syntax error")

    @server_command("COMMAND GETKEYS", fixed=(bytes, bytes), repeat=(bytes,))
    def cloudtwin_command_getkeys(self, *argv: bytes) -> Any:
        return [argv[index] for index, _ in self._keys_of(argv)]

    @server_command("COMMAND GETKEYSANDFLAGS", fixed=(bytes, bytes), repeat=(bytes,))
    def cloudtwin_command_getkeysandflags(self, *argv: bytes) -> Any:
        return [
            [argv[index], OrderedSet([SimpleString(flag.encode()) for flag in flags])]
            for index, flags in self._keys_of(argv)
        ]

    def _keys_of(self, argv: tuple[bytes, ...]) -> list[tuple[int, list[str]]]:
        table = self._table()
        entry = table.find(argv[0].decode(errors="replace"))
        if entry is None:
            raise SimpleError("ERR Invalid command specified")
        # A container's subcommand has its own specifications, counted from the container's name.
        if entry.raw[9] and len(argv) > 1:
            sub = table.find(f"{entry.name}|{argv[1].decode(errors='replace')}")
            if sub is not None:
                entry = sub
        arity = entry.raw[1]
        if (arity > 0 and len(argv) != arity) or len(argv) < -arity:
            raise SimpleError("ERR Invalid number of arguments specified for command")
        if not entry.raw[8]["~"]:
            raise SimpleError("ERR The command has no key arguments")
        keys = key_positions(entry, list(argv))
        if not keys and "no_mandatory_keys" not in _members(entry.raw[2]):
            raise SimpleError("ERR Invalid arguments specified for command")
        return keys
