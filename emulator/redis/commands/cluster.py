"""CLUSTER, READONLY and READWRITE on a server without cluster mode: redis' refusal, which cluster-aware clients
read to fall back to a plain connection (an ElastiCache cluster with cluster mode disabled answers the same)."""

from __future__ import annotations

from typing import Any

from fakeredis._helpers import SimpleError

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import server_command

CLUSTER_DISABLED = "ERR This instance has cluster support disabled"


class ClusterCommands(ServerCommandsBase):
    @server_command("CLUSTER", fixed=(bytes,), repeat=(bytes,))
    def cloudtwin_cluster(self, subcommand: bytes, *arguments: bytes) -> Any:
        raise SimpleError(CLUSTER_DISABLED)

    @server_command("READONLY")
    def cloudtwin_readonly(self) -> Any:
        raise SimpleError(CLUSTER_DISABLED)

    @server_command("READWRITE")
    def cloudtwin_readwrite(self) -> Any:
        raise SimpleError(CLUSTER_DISABLED)
