"""TOUCH, which fakeredis lacks: counts the keys that exist, each mention counted, and marks them used."""

from __future__ import annotations

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import server_command


class KeyCommands(ServerCommandsBase):
    @server_command("TOUCH", fixed=(bytes,), repeat=(bytes,))
    def cloudtwin_touch(self, *keys: bytes) -> int:
        db = self._db
        touched = 0
        for key in keys:
            try:
                # A read through the database: it expires a key whose time is up and records the access (LRU/LFU).
                db[key]
            except KeyError:
                continue
            touched += 1
        return touched
