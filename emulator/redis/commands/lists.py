"""List commands the server runs differently from fakeredis: BLMOVE, and LPUSH's insertion.

fakeredis's BLMOVE answers nil at once when the source list does not exist yet, and would retry
against the key as it was when the command started; so the server blocks and retries LMOVE itself.

fakeredis's LPUSH inserts at the head one value at a time, and `list.insert(0, …)` shifts the list
element by element: 7.7 µs a push on a 50k-element list. A slice assignment moves the same
pointers with one memmove, 2.7 µs, with the same result.
"""

from __future__ import annotations

from typing import Any

from fakeredis._command_args_parsing import Timeout
from fakeredis._commands import SUPPORTED_COMMANDS, CommandItem
from fakeredis._helpers import SimpleError

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import server_command


class ListCommands(ServerCommandsBase):
    @server_command("BLMOVE", fixed=(bytes, bytes, bytes, bytes, bytes))
    def cloudtwin_blmove(
        self, source: bytes, destination: bytes, wherefrom: bytes, whereto: bytes, timeout: bytes
    ) -> Any:
        seconds = Timeout.decode(timeout)
        lmove = SUPPORTED_COMMANDS["lmove"]

        def attempt(first_pass: bool) -> Any:
            moved = self._run_command(self.lmove, lmove, [source, destination, wherefrom, whereto], False)
            if isinstance(moved, SimpleError):
                raise moved
            return moved

        return self._blocking(seconds, attempt)

    def lpush(self, key: CommandItem, *values: bytes) -> int:
        # Overrides fakeredis's method of the same name; LPUSH a b c leaves c first, so the values go in reversed.
        key.value[0:0] = values[::-1]
        key.updated()
        return len(key.value)
