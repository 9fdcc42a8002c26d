"""What one node of a cluster does that a standalone server does not: route commands by slot (MOVED, CROSSSLOT),
keep scripts to its own keys, and pass PUBLISH on to every other node."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from fakeredis._helpers import SimpleError

from cloudtwin.redis.cluster.keys import CROSS_SLOT, command_slot, commands_slot
from cloudtwin.redis.cluster.topology import ClusterTopology, NodeAddress
from cloudtwin.redis.engine import WRITE_COMMANDS
from cloudtwin.redis.replica import NodeRole

if TYPE_CHECKING:
    from fakeredis._commands import Signature

    from cloudtwin.redis.connection import ClientConnection
    from cloudtwin.redis.engine import RedisEngine
    from cloudtwin.redis.server import Listener, RespServer

CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot"
NON_LOCAL_KEY_IN_SCRIPT = "ERR Script attempted to access a non local key in a cluster node"


class ClusterReplicaRole(NodeRole):
    """A replica of a cluster: a command with keys is left to the cluster's routing (MOVED to the primary, served
    after READONLY if it only reads); a write without keys (FLUSHALL, ...) is refused with READONLY, as redis does."""

    def refuses_request(self, signature: Signature, args: list[bytes], version: tuple) -> bool:
        if command_slot(args) is not None:
            return False
        return super().refuses_request(signature, args, version)


class ClusterNode:
    """A shard's server in the cluster, consulted by its engine (`engine.cluster`) for every command: its primary
    listener is the shard's primary node, and each replica listener one of its replicas (the same data)."""

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
        # The replica each replica listener is.
        self.replicas: dict[Listener, NodeAddress] = {}
        # Connections to a replica that sent READONLY (redis' CLIENT_READONLY flag), until READWRITE.
        self.readonly: weakref.WeakSet[ClientConnection] = weakref.WeakSet()

    def add_replica(self, listener: Listener, address: NodeAddress) -> None:
        self.replicas[listener] = address

    def myself(self, connection: ClientConnection | None) -> NodeAddress:
        """The node a connection reached: a replica through a replica listener, else the shard's primary."""
        if connection is None or not self.replicas:
            return self.address
        return self.replicas.get(connection.listener, self.address)  # type: ignore[arg-type]

    def serves_locally(self, connection: ClientConnection | None, slot: int, reads_only: bool) -> bool:
        """Whether this node runs a command of `slot`: its primary always for its shard's slots, a replica only for
        reads on a connection that sent READONLY (redis 7.0's getNodeByQuery)."""
        owner = self.topology.owners[slot]
        if owner is not self.address.shard:
            return False
        if self.myself(connection) is self.address:
            return True
        return reads_only and connection in self.readonly

    def refuses(self, connection: ClientConnection, args: list[bytes]) -> bool:
        """Redirect a command whose keys another shard serves (MOVED) or that spans slots (CROSSSLOT), as redis does
        before running or queueing anything: an EXEC is checked over every command its transaction queued."""
        sock = connection.socket
        is_exec = args[0].lower() == b"exec"
        if is_exec:
            if sock._transaction is None:
                return False
            queued = [
                [*signature.name.encode().split(b" "), *arguments] for _, signature, arguments in sock._transaction
            ]
            slot = commands_slot(queued)
            reads_only = not any(command[0].lower() in WRITE_COMMANDS for command in queued)
        else:
            slot = command_slot(args)
            reads_only = args[0].lower() not in WRITE_COMMANDS
        if slot is None:
            return False
        if slot == CROSS_SLOT:
            message = CROSSSLOT
        else:
            owner = self.topology.owners[slot].primary
            if owner is None or self.serves_locally(connection, slot, reads_only):
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

    def check_script_call(self, args: Sequence[Any], connection: ClientConnection | None = None) -> None:
        """A script's redis.call may touch only this node's keys (redis 7.0 lets it span this node's slots); on a
        replica, only reads, and only for a connection that sent READONLY."""
        argv = [arg if isinstance(arg, bytes) else str(arg).encode() for arg in args]
        if not argv:
            return
        slot = command_slot(argv)
        if slot is None:
            return
        reads_only = argv[0].lower() not in WRITE_COMMANDS
        if slot == CROSS_SLOT or not self.serves_locally(connection, slot, reads_only):
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
