"""XINFO STREAM as redis 7.0 answers it, FULL included.

fakeredis answers with the fields of a newer redis (idmp-*, pids-tracked, ...) and its FULL form leaves out the
pending entries and consumers. Here the fields, their order and the FULL form (entries up to COUNT, default 10;
each group's pending entries and consumers with their seen-time) are redis 7.0's.
"""

from __future__ import annotations

from typing import Any

from fakeredis import _msgs as msgs
from fakeredis._command_args_parsing import Int
from fakeredis._commands import CommandItem
from fakeredis._helpers import SimpleError
from fakeredis.model import XStream

from cloudtwin.redis.commands.base import ServerCommandsBase

_DEFAULT_FULL_COUNT = 10


class StreamCommands(ServerCommandsBase):
    _current_fields: list[bytes]

    def xinfo_stream(self, key: CommandItem, *args: bytes) -> Any:
        # Overrides fakeredis's method of the same name.
        full, count = False, _DEFAULT_FULL_COUNT
        if args:
            if (
                args[0].lower() != b"full"
                or len(args) not in (1, 3)
                or (len(args) == 3 and args[1].lower() != b"count")
            ):
                # redis names the subcommand as the client spelled it.
                sent = self._current_fields[1].decode(errors="replace") if len(self._current_fields) > 1 else "stream"
                raise SimpleError(f"ERR unknown subcommand or wrong number of arguments for '{sent}'. Try XINFO HELP.")
            full = True
            if len(args) == 3:
                count = max(Int.decode(args[2]), 0)
        stream: XStream | None = key.value
        if stream is None:
            raise SimpleError(msgs.NO_KEY_MSG)
        ids = stream._ids
        reply: dict[bytes, Any] = {
            b"length": len(ids),
            b"radix-tree-keys": len(stream._nodes),
            b"radix-tree-nodes": len(ids),
            b"last-generated-id": stream.last_id.encode(),
            b"max-deleted-entry-id": stream.max_deleted_id.encode(),
            b"entries-added": stream.entries_added,
            b"recorded-first-entry-id": ids[0].encode() if ids else b"0-0",
        }
        if not full:
            reply[b"groups"] = len(stream._groups)
            reply[b"first-entry"] = stream.format_record(ids[0]) if ids else None
            reply[b"last-entry"] = stream.format_record(ids[-1]) if ids else None
            return reply
        shown = ids if count == 0 else ids[:count]
        reply[b"entries"] = [stream.format_record(entry_id) for entry_id in shown]
        reply[b"groups"] = [self._full_group(group, count) for _, group in sorted(stream._groups.items())]
        return reply

    def _full_group(self, group: Any, count: int) -> dict[bytes, Any]:
        pending = sorted(group.pel.items())
        if count:
            pending_shown = pending[:count]
        else:
            pending_shown = pending
        consumers = []
        for name, consumer in sorted(group.consumers.items()):
            owned = [(entry_id, entry) for entry_id, entry in pending if entry.consumer_name == name]
            consumers.append(
                {
                    b"name": name,
                    b"seen-time": consumer.last_attempt,
                    b"pel-count": len(owned),
                    b"pending": [
                        [entry_id.encode(), entry.time_read, entry.times_delivered]
                        for entry_id, entry in (owned[:count] if count else owned)
                    ],
                }
            )
        return {
            b"name": group.name,
            b"last-delivered-id": group.last_delivered_key.encode(),
            b"entries-read": group.entries_read,
            b"lag": group.lag(self._trim_aware_lag),
            b"pel-count": len(pending),
            b"pending": [
                [entry_id.encode(), entry.consumer_name, entry.time_read, entry.times_delivered]
                for entry_id, entry in pending_shown
            ],
            b"consumers": consumers,
        }
