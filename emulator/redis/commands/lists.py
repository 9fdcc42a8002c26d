"""BLMOVE, driven by fakeredis's own LMOVE.

fakeredis's BLMOVE answers nil at once when the source list does not exist yet, and would retry
against the key as it was when the command started; so the server blocks and retries LMOVE itself.
"""

from __future__ import annotations

from typing import Any

from fakeredis._command_args_parsing import Timeout
from fakeredis._commands import SUPPORTED_COMMANDS
from fakeredis._helpers import SimpleError

from emulator.redis.commands.base import ServerCommandsBase
from emulator.redis.commands.registry import server_command


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
