"""The COMMAND tables of the redis-server release the twin answers as, limited to the commands the twin runs.

command_table_7.0.json is redis-server 7.0.15's own COMMAND and COMMAND DOCS, captured in RESP3 with
capture_command_table.py; the twin answers from it as redis does, in either protocol.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from typing import Any

from fakeredis._commands import SUPPORTED_COMMANDS
from fakeredis._helpers import SimpleString

_TABLE = os.path.join(os.path.dirname(__file__), "command_table_7.0.json")


class OrderedSet(frozenset):
    """A RESP3 set for the server's encoder, its members (maps among them, unhashable) on the wire in redis' order."""

    _order: tuple

    def __new__(cls, members: list) -> OrderedSet:
        made = super().__new__(cls)
        made._order = tuple(members)
        return made

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)


def _reply(value: Any) -> Any:
    """A captured RESP3 value as the Python value the server's encoder sends with the same types."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, list):
        return [_reply(item) for item in value]
    if isinstance(value, dict):
        if "+" in value:
            return SimpleString(value["+"].encode())
        if "~" in value:
            return OrderedSet([_reply(item) for item in value["~"]])
        return {_reply(key): _reply(item) for key, item in value["%"]}
    return value


@dataclass(frozen=True)
class CommandEntry:
    name: str
    info: Any  # the COMMAND INFO reply, subcommands limited to those the twin runs
    docs: Any  # the COMMAND DOCS reply, subcommands limited alike
    raw: list  # the captured COMMAND INFO entry, for key specifications and categories


@dataclass(frozen=True)
class CommandTable:
    version: str
    # Top-level commands and subcommands ("config|get"), by lowercase name.
    entries: dict[str, CommandEntry]
    top_level: tuple[str, ...]

    def find(self, name: str) -> CommandEntry | None:
        return self.entries.get(name.lower())


@functools.cache
def release_command_names() -> frozenset[str]:
    """Every command and subcommand ("config|get") the release has, lowercase, modules' commands not among them."""
    with open(_TABLE) as source:
        captured = json.load(source)
    return frozenset(name for entry in captured["info"] for name in (entry[0], *(sub[0] for sub in entry[9])))


def _runs(name: str, server_names: frozenset[str]) -> bool:
    signature = SUPPORTED_COMMANDS.get(name.replace("|", " "))
    return name in server_names or (signature is not None and "redis" in signature.server_types)


@functools.cache
def command_table(server_names: frozenset[str]) -> CommandTable:
    """The table, read once; `server_names` are the commands the server itself adds to fakeredis's, as "x|y"."""
    with open(_TABLE) as source:
        captured = json.load(source)
    docs = dict(captured["docs"])
    entries: dict[str, CommandEntry] = {}
    top_level = []
    for raw in captured["info"]:
        name = raw[0]
        subcommands = [sub for sub in raw[9] if _runs(sub[0], server_names)]
        if not subcommands and not _runs(name, server_names):
            continue
        kept = {sub[0] for sub in subcommands}
        doc = docs.get(name)
        if doc is not None:
            doc = {"%": [pair for pair in doc["%"] if pair[0] != "subcommands"]}
            sub_docs = dict(docs[name]["%"]).get("subcommands")
            if sub_docs is not None and kept:
                doc["%"].append(["subcommands", {"%": [pair for pair in sub_docs["%"] if pair[0] in kept]}])
        entries[name] = CommandEntry(name, _reply([*raw[:9], subcommands]), _reply(doc), raw)
        for sub in subcommands:
            sub_doc = dict(dict(docs[name]["%"]).get("subcommands", {"%": []})["%"]).get(sub[0])
            entries[sub[0]] = CommandEntry(sub[0], _reply(sub), _reply(sub_doc), sub)
        top_level.append(name)
    return CommandTable(captured["version"], entries, tuple(top_level))
