"""What one node of a cluster does that a standalone server does not: route commands by slot (MOVED, CROSSSLOT),
keep scripts to its own keys, and pass PUBLISH on to every other node."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from fakeredis._helpers import SimpleError

from cloudtwin.redis.cluster.keys import CROSS_SLOT, command_slot, commands_slot
from cloudtwin.redis.cluster.topology import ClusterTopology, NodeAddress

if TYPE_CHECKING:
    from cloudtwin.redis.connection import ClientConnection
    from cloudtwin.redis.engine import RedisEngine
    from cloudtwin.redis.server import RespServer

CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot"
NON_LOCAL_KEY_IN_SCRIPT = "ERR Script attempted to access a non local key in a cluster node"


class ClusterNode:
    """A node's place in the cluster, consulted by its engine (`engine.cluster`) for every command."""

    def __init__(
        self, topology: ClusterTopology, address: NodeAddress, engine: RedisEngine, server: RespServer, tls: bool
    ) -> None:
        self.topology = topology
        self.address = address
        self.engine = engine
        self.server = server
        self.tls = tls
        # Every node of the cluster, this one among them, for PUBLISH.
        self.peers: list[ClusterNode] = []

    def refuses(self, connection: ClientConnection, args: list[bytes]) -> bool:
        """Redirect a command whose keys another shard serves (MOVED) or that spans slots (CROSSSLOT), as redis does
        before running or queueing anything: an EXEC is checked over every command its transaction queued."""
        sock = connection.socket
        is_exec = args[0].lower() == b"exec"
        if is_exec:
            if sock._transaction is None:
                return False
            queued = (
                [*signature.name.encode().split(b" "), *arguments] for _, signature, arguments in sock._transaction
            )
            slot = commands_slot(queued)
        else:
            slot = command_slot(args)
        if slot is None:
            return False
        if slot == CROSS_SLOT:
            message = CROSSSLOT
        else:
            owner = self.topology.owners[slot].primary
            if owner is self.address or owner is None:
                return False
            message = f"MOVED {slot} {owner.address}"
        if is_exec:
            # redis drops the transaction and replies with the redirection itself, not EXECABORT.
            sock._forget_transaction()
            sock._clear_watches()
        elif sock._transaction is not None:
            sock._transaction_failed = True
        connection._refuse(message, args[0].decode(errors="replace").lower())
        return True

    def check_script_call(self, args: Sequence[Any]) -> None:
        """A script's redis.call may touch only this node's keys (redis 7.0 lets it span this node's slots)."""
        argv = [arg if isinstance(arg, bytes) else str(arg).encode() for arg in args]
        if not argv:
            return
        slot = command_slot(argv)
        if slot is None:
            return
        if slot == CROSS_SLOT or self.topology.owners[slot].primary is not self.address:
            raise SimpleError(NON_LOCAL_KEY_IN_SCRIPT)

    def broadcast_publish(self, channel: bytes, message: bytes) -> None:
        """A PUBLISH reaches the subscribers of every node, as redis' cluster bus carries it; other nodes deliver on
        their own loop threads, after this node has delivered to its own."""
        for peer in self.peers:
            if peer is not self:
                peer.server.call_soon(partial(peer.deliver, channel, message))

    def deliver(self, channel: bytes, message: bytes) -> None:
        with self.engine.server.lock:
            self.engine.publish(channel, message)
