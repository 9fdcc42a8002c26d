"""MONITOR: the client receives every command the server runs from then on (see cloudtwin.redis.monitor)."""

from __future__ import annotations

from typing import Any

from fakeredis._helpers import OK

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import server_command


class MonitorCommands(ServerCommandsBase):
    @server_command("MONITOR", queueable=False)
    def cloudtwin_monitor(self) -> Any:
        self.connection.start_monitoring()
        return OK
