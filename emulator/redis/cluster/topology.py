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


@dataclass(eq=False)
class Shard:
    """A primary and the slot ranges it serves (ElastiCache: a node group)."""

    index: int
    ranges: list[SlotRange]
    primary: NodeAddress | None = None

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

    @property
    def primaries(self) -> list[NodeAddress]:
        return [shard.primary for shard in self.shards if shard.primary is not None]

    def find(self, node_id: bytes) -> NodeAddress | None:
        text = node_id.decode(errors="replace")
        return next((node for node in self.primaries if node.node_id == text), None)

    # --- CLUSTER replies

    def slots_reply(self) -> list:
        """CLUSTER SLOTS: each range in slot order, with its primary (ip, port, id, metadata)."""
        ranges = sorted((first, last, shard) for shard in self.shards for first, last in shard.ranges)
        return [
            [first, last, [shard.primary.host.encode(), shard.primary.port, shard.primary.node_id.encode(), {}]]
            for first, last, shard in ranges
            if shard.primary is not None
        ]

    def shards_reply(self, tls: bool) -> list:
        """CLUSTER SHARDS: per shard its ranges flattened and its nodes as maps (redis 7.0 names no shard id)."""
        reply = []
        for shard in self.shards:
            node = shard.primary
            if node is None:
                continue
            details = {
                b"id": node.node_id.encode(),
                b"tls-port" if tls else b"port": node.port,
                b"ip": node.host.encode(),
                b"endpoint": node.host.encode(),
                b"role": b"master",
                b"replication-offset": 0,
                b"health": b"online",
            }
            slots = [bound for first, last in shard.ranges for bound in (first, last)]
            reply.append({b"slots": slots, b"nodes": [details]})
        return reply

    def nodes_text(self, myself: NodeAddress) -> bytes:
        """CLUSTER NODES: one line per node, `myself` flagged, bus port 0 (the twin has no cluster bus)."""
        lines = []
        for node in self.primaries:
            flags = "myself,master" if node is myself else "master"
            ranges = " ".join(str(first) if first == last else f"{first}-{last}" for first, last in node.shard.ranges)
            lines.append(
                f"{node.node_id} {node.address}@0 {flags} - 0 {self.formed_at_ms} {node.shard.config_epoch} "
                f"connected {ranges}\n"
            )
        return "".join(lines).encode()

    def info_text(self, myself: NodeAddress) -> bytes:
        """CLUSTER INFO: every slot served and every node up; no bus messages, as there is no bus."""
        fields = {
            "cluster_state": "ok",
            "cluster_slots_assigned": HASH_SLOTS,
            "cluster_slots_ok": HASH_SLOTS,
            "cluster_slots_pfail": 0,
            "cluster_slots_fail": 0,
            "cluster_known_nodes": len(self.primaries),
            "cluster_size": len(self.primaries),
            "cluster_current_epoch": max(shard.config_epoch for shard in self.shards),
            "cluster_my_epoch": myself.shard.config_epoch,
            "cluster_stats_messages_sent": 0,
            "cluster_stats_messages_received": 0,
            "total_cluster_links_buffer_limit_exceeded": 0,
        }
        return "".join(f"{name}:{value}\r\n" for name, value in fields.items()).encode()
