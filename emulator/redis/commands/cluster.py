"""CLUSTER, READONLY, READWRITE and ASKING, and what cluster mode changes in other commands (SELECT, SWAPDB, MOVE,
COPY ... DB, PUBLISH, scripts' redis.call).

Without cluster mode they answer redis' refusal, which cluster-aware clients read to fall back to a plain connection
(an ElastiCache cluster with cluster mode disabled answers the same). In cluster mode (`engine.cluster`, see
cloudtwin.redis.cluster) they describe the cluster as redis-server 7.0 does. The cluster's topology is fixed when it
is created: the subcommands that would change it (resharding, failover, joining nodes) are refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeredis._helpers import OK, SimpleError

from cloudtwin.redis.cluster.slots import HASH_SLOTS, key_slot
from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import help_reply, server_command

if TYPE_CHECKING:
    from cloudtwin.redis.cluster.node import ClusterNode

CLUSTER_DISABLED = "ERR This instance has cluster support disabled"
NOT_AN_INTEGER = "ERR value is not an integer or out of range"
_FIXED_TOPOLOGY = (
    "ERR CLUSTER {} is not supported by cloudtwin: a cluster's shards and slots are fixed when it is created "
    "(no resharding, failover or joining nodes)"
)

# redis-server 7.0's CLUSTER HELP, after its first line.
_HELP = [
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Assign slots which are between <start-slot> and <end-slot> to current node.",
    "BUMPEPOCH",
    "    Advance the cluster config epoch.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MEET <ip> <port> [<bus-port>]",
    "    Connect nodes into a working cluster.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SET-CONFIG-EPOCH <epoch>",
    "    Set config epoch of current node.",
    "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SAVECONFIG",
    "    Force saving cluster configuration on disk.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "LINKS",
    "    Return information about all network links between this node and its peers.",
    "    Output format is an array where each array element is a map containing attributes of a link",
]


def _integer(value: bytes) -> int:
    try:
        return int(value)
    except ValueError:
        raise SimpleError(NOT_AN_INTEGER) from None


class ClusterCommands(ServerCommandsBase):
    def _node(self) -> ClusterNode:
        node = self.engine.cluster
        if node is None:
            raise SimpleError(CLUSTER_DISABLED)
        return node

    @server_command("CLUSTER HELP")
    def cloudtwin_cluster_help(self) -> Any:
        self._node()
        return help_reply("CLUSTER", _HELP)

    @server_command("CLUSTER INFO")
    def cloudtwin_cluster_info(self) -> Any:
        node = self._node()
        return node.topology.info_text(node.myself(self.connection))

    @server_command("CLUSTER MYID")
    def cloudtwin_cluster_myid(self) -> Any:
        return self._node().myself(self.connection).node_id.encode()

    @server_command("CLUSTER NODES")
    def cloudtwin_cluster_nodes(self) -> Any:
        node = self._node()
        return node.topology.nodes_text(node.myself(self.connection))

    @server_command("CLUSTER SLOTS")
    def cloudtwin_cluster_slots(self) -> Any:
        return self._node().topology.slots_reply()

    @server_command("CLUSTER SHARDS")
    def cloudtwin_cluster_shards(self) -> Any:
        node = self._node()
        return node.topology.shards_reply(node.tls)

    @server_command("CLUSTER KEYSLOT", fixed=(bytes,))
    def cloudtwin_cluster_keyslot(self, key: bytes) -> Any:
        self._node()
        return key_slot(key)

    @server_command("CLUSTER COUNTKEYSINSLOT", fixed=(bytes,))
    def cloudtwin_cluster_countkeysinslot(self, slot: bytes) -> Any:
        self._node()
        wanted = _integer(slot)
        if not 0 <= wanted < HASH_SLOTS:
            raise SimpleError("ERR Invalid slot")
        return sum(1 for key in self._db if key_slot(key) == wanted)

    @server_command("CLUSTER GETKEYSINSLOT", fixed=(bytes, bytes))
    def cloudtwin_cluster_getkeysinslot(self, slot: bytes, count: bytes) -> Any:
        self._node()
        wanted, most = _integer(slot), _integer(count)
        if not 0 <= wanted < HASH_SLOTS or most < 0:
            raise SimpleError("ERR Invalid slot or number of keys")
        found = []
        # redis lists a slot's keys newest first (each added key goes to the head of the slot's list).
        for key in reversed(list(self._db)):
            if len(found) >= most:
                break
            if key_slot(key) == wanted:
                found.append(key)
        return found

    @server_command("CLUSTER REPLICAS", fixed=(bytes,))
    def cloudtwin_cluster_replicas(self, node_id: bytes) -> Any:
        return self._replicas(node_id)

    @server_command("CLUSTER SLAVES", fixed=(bytes,))
    def cloudtwin_cluster_slaves(self, node_id: bytes) -> Any:
        return self._replicas(node_id)

    def _replicas(self, node_id: bytes) -> list:
        node = self._node()
        found = node.topology.find(node_id)
        if found is None:
            raise SimpleError(f"ERR Unknown node {node_id.decode(errors='replace')}")
        if found.is_replica:
            raise SimpleError("ERR The specified node is not a master")
        myself = node.myself(self.connection)
        return [node.topology.node_line(replica, myself).encode() for replica in found.shard.replicas]

    @server_command("CLUSTER COUNT-FAILURE-REPORTS", fixed=(bytes,))
    def cloudtwin_cluster_count_failure_reports(self, node_id: bytes) -> Any:
        if self._node().topology.find(node_id) is None:
            raise SimpleError(f"ERR Unknown node {node_id.decode(errors='replace')}")
        return 0

    @server_command("CLUSTER LINKS")
    def cloudtwin_cluster_links(self) -> Any:
        # Nodes of the twin share a process, not a cluster bus: there are no links to report.
        self._node()
        return []

    @server_command("CLUSTER ADDSLOTS", fixed=(bytes,), repeat=(bytes,))
    def cloudtwin_cluster_addslots(self, *slots: bytes) -> Any:
        self._node()
        self._refuse_busy([self._slot(slot) for slot in slots])

    @server_command("CLUSTER ADDSLOTSRANGE", fixed=(bytes, bytes), repeat=(bytes,))
    def cloudtwin_cluster_addslotsrange(self, *bounds: bytes) -> Any:
        self._node()
        if len(bounds) % 2:
            raise SimpleError("ERR wrong number of arguments for 'cluster|addslotsrange' command")
        slots = [self._slot(bound) for bound in bounds]
        for first, last in zip(slots[::2], slots[1::2], strict=True):
            if first > last:
                raise SimpleError(f"ERR start slot number {first} is greater than end slot number {last}")
        self._refuse_busy(slots[::2])

    @staticmethod
    def _slot(value: bytes) -> int:
        try:
            slot = int(value)
        except ValueError:
            slot = -1
        if not 0 <= slot < HASH_SLOTS:
            raise SimpleError("ERR Invalid or out of range slot")
        return slot

    @staticmethod
    def _refuse_busy(slots: list[int]) -> None:
        # Every slot is served from the start, so redis' own answer to adding one is that it is busy.
        raise SimpleError(f"ERR Slot {slots[0]} is already busy")

    def _fixed_topology(self, subcommand: str) -> Any:
        self._node()
        raise SimpleError(_FIXED_TOPOLOGY.format(subcommand))

    @server_command("CLUSTER BUMPEPOCH")
    def cloudtwin_cluster_bumpepoch(self) -> Any:
        return self._fixed_topology("BUMPEPOCH")

    @server_command("CLUSTER DELSLOTS", fixed=(bytes,), repeat=(bytes,))
    def cloudtwin_cluster_delslots(self, *slots: bytes) -> Any:
        return self._fixed_topology("DELSLOTS")

    @server_command("CLUSTER DELSLOTSRANGE", fixed=(bytes, bytes), repeat=(bytes,))
    def cloudtwin_cluster_delslotsrange(self, *bounds: bytes) -> Any:
        return self._fixed_topology("DELSLOTSRANGE")

    @server_command("CLUSTER FAILOVER", repeat=(bytes,))
    def cloudtwin_cluster_failover(self, *options: bytes) -> Any:
        return self._fixed_topology("FAILOVER")

    @server_command("CLUSTER FLUSHSLOTS")
    def cloudtwin_cluster_flushslots(self) -> Any:
        return self._fixed_topology("FLUSHSLOTS")

    @server_command("CLUSTER FORGET", fixed=(bytes,))
    def cloudtwin_cluster_forget(self, node_id: bytes) -> Any:
        return self._fixed_topology("FORGET")

    @server_command("CLUSTER MEET", fixed=(bytes, bytes), repeat=(bytes,))
    def cloudtwin_cluster_meet(self, host: bytes, port: bytes, *bus_port: bytes) -> Any:
        return self._fixed_topology("MEET")

    @server_command("CLUSTER REPLICATE", fixed=(bytes,))
    def cloudtwin_cluster_replicate(self, node_id: bytes) -> Any:
        return self._fixed_topology("REPLICATE")

    @server_command("CLUSTER RESET", repeat=(bytes,))
    def cloudtwin_cluster_reset(self, *mode: bytes) -> Any:
        return self._fixed_topology("RESET")

    @server_command("CLUSTER SAVECONFIG")
    def cloudtwin_cluster_saveconfig(self) -> Any:
        return self._fixed_topology("SAVECONFIG")

    @server_command("CLUSTER SET-CONFIG-EPOCH", fixed=(bytes,))
    def cloudtwin_cluster_set_config_epoch(self, epoch: bytes) -> Any:
        return self._fixed_topology("SET-CONFIG-EPOCH")

    @server_command("CLUSTER SETSLOT", fixed=(bytes, bytes), repeat=(bytes,))
    def cloudtwin_cluster_setslot(self, slot: bytes, action: bytes, *node_id: bytes) -> Any:
        return self._fixed_topology("SETSLOT")

    @server_command("READONLY")
    def cloudtwin_readonly(self) -> Any:
        # A primary serves reads whatever the connection asked; a replica serves its shard's reads from now on.
        self._node().readonly.add(self.connection)
        return OK

    @server_command("READWRITE")
    def cloudtwin_readwrite(self) -> Any:
        self._node().readonly.discard(self.connection)
        return OK

    @server_command("ASKING")
    def cloudtwin_asking(self) -> Any:
        # No slot is ever migrating, so ASKING never changes where a command may run.
        self._node()
        return OK

    # --- what cluster mode changes in other commands

    def select(self, index: int) -> Any:
        if index != 0 and self.engine.cluster is not None:
            raise SimpleError("ERR SELECT is not allowed in cluster mode")
        return super().select(index)  # type: ignore[misc]

    def swapdb(self, index1: int, index2: int) -> Any:
        if self.engine.cluster is not None:
            raise SimpleError("ERR SWAPDB is not allowed in cluster mode")
        return super().swapdb(index1, index2)  # type: ignore[misc]

    def move(self, key: Any, db: int) -> Any:
        if self.engine.cluster is not None:
            raise SimpleError("ERR MOVE is not allowed in cluster mode")
        return super().move(key, db)  # type: ignore[misc]

    def copy(self, key: Any, newkey: Any, *args: bytes) -> Any:
        if self.engine.cluster is not None:
            options = [arg.lower() for arg in args]
            if b"db" in options:
                index = options.index(b"db")
                if index + 1 < len(args) and args[index + 1].lstrip(b"-").isdigit() and int(args[index + 1]) != 0:
                    raise SimpleError("ERR Copying to another database is not allowed in cluster mode")
        return super().copy(key, newkey, *args)  # type: ignore[misc]

    def reset(self) -> Any:
        # RESET ends READONLY too: a replica redirects the connection's reads again.
        if self.engine.cluster is not None:
            self.engine.cluster.readonly.discard(self.connection)
        return super().reset()  # type: ignore[misc]

    def publish(self, channel: bytes, message: bytes) -> Any:
        receivers = super().publish(channel, message)  # type: ignore[misc]
        if self.engine.cluster is not None:
            self.engine.cluster.broadcast_publish(channel, message)
        return receivers

    def _function_redis_call(self, lua_runtime: Any, read_only: bool, *args: Any) -> Any:
        if self.engine.cluster is not None:
            self.engine.cluster.check_script_call(args, self.connection)
        return super()._function_redis_call(lua_runtime, read_only, *args)  # type: ignore[misc]
