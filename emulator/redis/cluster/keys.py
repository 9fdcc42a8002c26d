"""The hash slot a command addresses, from the key specifications of redis 7.0's command table, as redis' cluster
routing (getNodeByQuery) finds it: its keys' one slot, none when it has no keys, or CROSS_SLOT."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cloudtwin.redis.cluster.slots import key_slot
from cloudtwin.redis.commands.command import key_positions
from cloudtwin.redis.commands.command_table import CommandEntry, command_table
from cloudtwin.redis.commands.registry import SERVER_COMMANDS

# The keys of one command (or of the commands a transaction queued) hash to different slots.
CROSS_SLOT = -1

# Argument counts above this are planned afresh each time, so MSETs of every length cannot grow the cache unbounded.
MAX_PLANNED_ARGUMENTS = 64

_entries: dict[bytes, CommandEntry | None] = {}
# Key positions by command, argument count and key counts; emptied when it reaches MAX_PLANS (key counts are the
# client's to choose).
MAX_PLANS = 4096
_planned_positions: dict[tuple, tuple[int, ...]] = {}
_counts: dict[str, tuple[int, ...] | None] = {}


def _entry(argv: Sequence[bytes]) -> CommandEntry | None:
    """The command table's entry for a command line: a container's subcommand has its own; None if unknown."""
    name = argv[0].lower()
    if name in _entries:
        entry = _entries[name]
    else:
        entry = _lookup(name.decode(errors="replace"))
        # Only names redis knows are remembered: garbage command names must not grow the table.
        if entry is not None:
            _entries[name] = entry
    # A container (CONFIG, OBJECT, ...) lists its subcommands; another command has an empty set there.
    if entry is None or not isinstance(entry.raw[9], list) or not entry.raw[9]:
        return entry
    if len(argv) < 2:
        return None
    full = name + b"|" + argv[1].lower()
    if full not in _entries:
        sub = _lookup(full.decode(errors="replace"))
        if sub is None:
            return None
        _entries[full] = sub
    return _entries[full]


def _lookup(name: str) -> CommandEntry | None:
    table = command_table(frozenset(server.decode().replace(" ", "|") for server in SERVER_COMMANDS))
    return table.find(name)


def _positions(entry: CommandEntry, argv: Sequence[bytes]) -> tuple[int, ...]:
    """Where the keys are in argv. Most commands find their keys by position alone (SET, MSET, ...), or by a key count
    at a fixed position (EVAL, ZUNIONSTORE, ...): those are remembered per argument count and key count; a keyword
    search (XREAD's STREAMS, SORT's STORE, ...) is read afresh each time."""
    counts = _count_positions(entry)
    if counts is None or len(argv) > MAX_PLANNED_ARGUMENTS:
        return tuple(index for index, _ in key_positions(entry, list(argv)))
    planned = (entry.name, len(argv), *(argv[index] for index in counts if index < len(argv)))
    positions = _planned_positions.get(planned)
    if positions is None:
        positions = tuple(index for index, _ in key_positions(entry, list(argv)))
        if len(_planned_positions) >= MAX_PLANS:
            _planned_positions.clear()
        _planned_positions[planned] = positions
    return positions


def _count_positions(entry: CommandEntry) -> tuple[int, ...] | None:
    """The positions of the key counts a command's key specifications read (none for keys at fixed positions), or None
    when one searches for a keyword."""
    if entry.name in _counts:
        return _counts[entry.name]
    counts: list[int] | None = []
    for captured in entry.raw[8]["~"]:
        spec = dict(captured["%"])
        begin, find = dict(spec["begin_search"]["%"]), dict(spec["find_keys"]["%"])
        if begin["type"] != "index" or find["type"] not in ("range", "keynum"):
            counts = None
            break
        if find["type"] == "keynum":
            counts.append(dict(begin["spec"]["%"])["index"] + dict(find["spec"]["%"])["keynumidx"])
    found = None if counts is None else tuple(counts)
    _counts[entry.name] = found
    return found


def command_slot(argv: Sequence[bytes]) -> int | None:
    """The slot of a command's keys; None when it names no key (or is unknown, or has the wrong number of arguments,
    which the server refuses before routing); CROSS_SLOT when its keys hash to different slots."""
    entry = _entry(argv)
    if entry is None or not entry.raw[8]["~"]:
        return None
    arity = entry.raw[1]
    if (arity > 0 and len(argv) != arity) or len(argv) < -arity:
        return None
    found: int | None = None
    for index in _positions(entry, argv):
        slot = key_slot(argv[index])
        if found is None:
            found = slot
        elif slot != found:
            return CROSS_SLOT
    return found


def commands_slot(commands: Iterable[Sequence[bytes]]) -> int | None:
    """The one slot of several commands (a transaction's), as `command_slot` answers for one."""
    found: int | None = None
    for argv in commands:
        slot = command_slot(argv)
        if slot is None:
            continue
        if slot == CROSS_SLOT or (found is not None and slot != found):
            return CROSS_SLOT
        found = slot
    return found
