"""ROLE and WAIT, answered as a standalone primary (or an ElastiCache replica node) answers them: nothing replicates,
so no replica ever acknowledges."""

from __future__ import annotations

from typing import Any

from fakeredis._command_args_parsing import Int
from fakeredis._helpers import SimpleError

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import server_command


class ReplicationCommands(ServerCommandsBase):
    @server_command("WAIT", fixed=(bytes, bytes))
    def cloudtwin_wait(self, numreplicas: bytes, timeout: bytes) -> Any:
        wanted = Int.decode(numreplicas)
        milliseconds = Int.decode(timeout)
        if milliseconds < 0:
            raise SimpleError("ERR timeout is negative")
        # Asking for no replicas is satisfied at once; asking for any waits out the timeout (0: for ever), as in redis.
        return self._blocking(
            milliseconds / 1000, lambda first_pass: 0 if wanted <= 0 else None, lambda acknowledged: acknowledged or 0
        )

    @server_command("ROLE")
    def cloudtwin_role(self) -> Any:
        # A primary: role, replication offset, replicas; an ElastiCache replica's listener answers as a replica.
        return self.connection.role.role_reply()
