"""PFMERGE as redis runs it: the destination's own registers take part in the merge.

fakeredis keeps a HyperLogLog as a set and merged only the sources into the destination, dropping what it held.
"""

from __future__ import annotations

from fakeredis._commands import CommandItem
from fakeredis._helpers import OK, SimpleString

from cloudtwin.redis.commands.base import ServerCommandsBase


class HyperLogLogCommands(ServerCommandsBase):
    def pfmerge(self, dest: CommandItem, *sources: CommandItem) -> SimpleString:
        # Overrides fakeredis's method of the same name.
        self.sunionstore(dest, dest, *sources)
        return OK
