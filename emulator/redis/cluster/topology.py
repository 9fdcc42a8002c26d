"""Who serves which slots, and the CLUSTER replies that describe it, shaped as redis-server 7.0 shapes them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from cloudtwin.redis.cluster.slots import HASH_SLOTS, SlotRange


@dataclass(eq=False)
class NodeAddress:
    """One node as the cluster announces it."""

    node_id: str
    host: str
    port: int
    shard: Shard

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def is_replica(self) -> bool:
        return self.shard.primary is not self

    def slots_entry(self) -> list:
        """The node as CLUSTER SLOTS lists it: ip, port, id, metadata."""
        return [self.host.encode(), self.port, self.node_id.encode(), {}]


@dataclass(eq=False)
class Shard:
    """A primary, its replicas and the slot ranges it serves (ElastiCache: a node group)."""

    index: int
    ranges: list[SlotRange]
    primary: NodeAddress | None = None
    replicas: list[NodeAddress] = field(default_factory=list)

    @property
    def nodes(self) -> list[NodeAddress]:
        return [*([self.primary] if self.primary is not None else []), *self.replicas]

    @property
    def config_epoch(self) -> int:
        return self.index + 1


@dataclass(eq=False)
class ClusterTopology:
    shards: list[Shard]
    # The shard serving each slot.
    owners: list[Shard] = field(default_factory=list)
    # When the cluster formed, in ms of the emulator clock: the last pong CLUSTER NODES reports (there is no bus).
    formed_at_ms: int = 0

    @classmethod
    def of(cls, ranges_per_shard: list[list[SlotRange]], formed_at_ms: int) -> ClusterTopology:
        shards = [Shard(index, list(ranges)) for index, ranges in enumerate(ranges_per_shard)]
        owners: list[Shard | None] = [None] * HASH_SLOTS
        for shard in shards:
            for first, last in shard.ranges:
                for slot in range(first, last + 1):
                    if owners[slot] is not None:
                        raise ValueError(f"slot {slot} is given to shards {owners[slot].index} and {shard.index}")
                    owners[slot] = shard
        missing = [slot for slot, owner in enumerate(owners) if owner is None]
        if missing:
            raise ValueError(f"{len(missing)} slots are given to no shard (the first: {missing[0]})")
        return cls(shards, owners, formed_at_ms)  # type: ignore[arg-type]

    def add_primary(self, shard: Shard, host: str, port: int) -> NodeAddress:
        node = NodeAddress(os.urandom(20).hex(), host, port, shard)
        shard.primary = node
        return node

    def add_replica(self, shard: Shard, host: str, port: int) -> NodeAddress:
        node = NodeAddress(os.urandom(20).hex(), host, port, shard)
        shard.replicas.append(node)
        return node

    @property
    def primaries(self) -> list[NodeAddress]:
        return [shard.primary for shard in self.shards if shard.primary is not None]

    @property
    def nodes(self) -> list[NodeAddress]:
        return [node for shard in self.shards for node in shard.nodes]

    def find(self, node_id: bytes) -> NodeAddress | None:
        text = node_id.decode(errors="replace")
        return next((node for node in self.nodes if node.node_id == text), None)

    # --- CLUSTER replies

    def slots_reply(self) -> list:
        """CLUSTER SLOTS: each range in slot order, with its primary then its replicas (ip, port, id, metadata)."""
        ranges = sorted(((first, last, shard) for shard in self.shards for first, last in shard.ranges),
                        key=lambda entry: entry[0])  # fmt: skip
        return [
            [first, last, *(node.slots_entry() for node in shard.nodes)]
            for first, last, shard in ranges
            if shard.primary is not None
        ]

    def shards_reply(self, tls: bool) -> list:
        """CLUSTER SHARDS: per shard its ranges flattened and its nodes as maps, the primary first (redis 7.0 names
        no shard id)."""
        reply = []
        for shard in self.shards:
            if shard.primary is None:
                continue
            nodes = [
                {
                    b"id": node.node_id.encode(),
                    b"tls-port" if tls else b"port": node.port,
                    b"ip": node.host.encode(),
                    b"endpoint": node.host.encode(),
                    b"role": b"replica" if node.is_replica else b"master",
                    b"replication-offset": 0,
                    b"health": b"online",
                }
                for node in shard.nodes
            ]
            slots = [bound for first, last in shard.ranges for bound in (first, last)]
            reply.append({b"slots": slots, b"nodes": nodes})
        return reply

    def nodes_text(self, myself: NodeAddress) -> bytes:
        """CLUSTER NODES: one line per node, `myself` flagged, bus port 0 (the twin has no cluster bus)."""
        return "".join(f"{self.node_line(node, myself)}\n" for node in self.nodes).encode()

    def node_line(self, node: NodeAddress, myself: NodeAddress) -> str:
        """A node's line of CLUSTER NODES (and CLUSTER REPLICAS): a primary lists its slots, a replica its primary's
        id (and, as in redis, its primary's config epoch)."""
        role = "slave" if node.is_replica else "master"
        flags = f"myself,{role}" if node is myself else role
        primary = node.shard.primary.node_id if node.is_replica and node.shard.primary is not None else "-"
        epoch = node.shard.config_epoch
        line = f"{node.node_id} {node.address}@0 {flags} {primary} 0 {self.formed_at_ms} {epoch} connected"
        if node.is_replica:
            return line
        return (
            line
            + " "
            + " ".join(str(first) if first == last else f"{first}-{last}" for first, last in node.shard.ranges)
        )

    def info_text(self, myself: NodeAddress) -> bytes:
        """CLUSTER INFO: every slot served and every node up; no bus messages, as there is no bus."""
        fields = {
            "cluster_state": "ok",
            "cluster_slots_assigned": HASH_SLOTS,
            "cluster_slots_ok": HASH_SLOTS,
            "cluster_slots_pfail": 0,
            "cluster_slots_fail": 0,
            "cluster_known_nodes": len(self.nodes),
            "cluster_size": len(self.primaries),
            "cluster_current_epoch": max(shard.config_epoch for shard in self.shards),
            "cluster_my_epoch": myself.shard.config_epoch,
            "cluster_stats_messages_sent": 0,
            "cluster_stats_messages_received": 0,
            "total_cluster_links_buffer_limit_exceeded": 0,
        }
        return "".join(f"{name}:{value}\r\n" for name, value in fields.items()).encode()
