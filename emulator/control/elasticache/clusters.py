"""A cluster-mode-enabled replication group's live side: a ShardedCluster, one node per member cluster (a shard's
primary, and its replicas as listeners of the shard's server in a replica role), configured as the group was created
and changed as it is modified, every node alike."""

from __future__ import annotations

import ssl
from collections.abc import Callable

from cloudtwin.clock import Clock
from cloudtwin.control.elasticache.caches import Member, configure_auth, run_between_commands
from cloudtwin.control.elasticache.topology import ShardPlan
from cloudtwin.redis.cluster.sharded import ShardedCluster
from cloudtwin.redis.engine import RedisEngine
from cloudtwin.redis.server import Listener


class LiveCluster:
    """Started at once (every node listening and configured), stopped at delete (every node, clients dropped)."""

    # A cluster has no group-wide primary and reader endpoints: clients start at the configuration endpoint.
    primary_endpoint: Listener | None = None
    reader_endpoint: Listener | None = None

    def __init__(
        self,
        clock: Clock,
        host: str,
        advertised_host: str,
        ssl_context: ssl.SSLContext | None,
        shards: list[ShardPlan],
        config: list[tuple[str, str]],
        auth_tokens: list[str],
        acl: list[list[bytes]],
    ) -> None:
        self.advertised_host = advertised_host
        self.tls = ssl_context is not None
        self.shards = shards
        self.cluster = ShardedCluster(
            clock,
            host=host,
            ssl_context=ssl_context,
            slot_ranges=[shard.slot_ranges for shard in shards],
            announce_host=advertised_host,
            config=config,
            replicas=[len(shard.cluster_ids) - 1 for shard in shards],
            prepare=lambda engine: configure_auth(engine, auth_tokens, acl),
        )
        self.members: list[Member] = []

    def start(self) -> None:
        """Start every node (OSError if one cannot listen, fakeredis' SimpleError if a setting is refused; the nodes
        started are stopped again)."""
        self.cluster.start()
        for plan, node in zip(self.shards, self.cluster.nodes, strict=True):
            for cluster_id, zone, listener in zip(plan.cluster_ids, plan.zones, node.server.listeners, strict=True):
                self.members.append(Member(cluster_id, zone, listener, plan.node_group_id))

    def stop(self) -> None:
        self.cluster.stop()

    @property
    def configuration_endpoint(self) -> dict:
        _, port = self.cluster.configuration_endpoint
        return {"Address": self.advertised_host, "Port": port}

    def address(self, listener: Listener) -> dict:
        return {"Address": self.advertised_host, "Port": listener.port}

    def member(self, cluster_id: str) -> Member | None:
        return next((member for member in self.members if member.cluster_id == cluster_id), None)

    def node_group_members(self, node_group: str) -> list[Member]:
        return [member for member in self.members if member.node_group == node_group]

    # --- configuration, applied to every node on its loop thread between commands

    def apply_config(self, config: list[tuple[str, str]]) -> None:
        """Set CONFIG parameters (a parameter group's) on every node; each node takes all or none, and the values
        were checked before (ParameterGroups.modify), so no node refuses what another took."""
        self._on_every_node(lambda engine: engine.config.set_many(config))

    def apply_auth(self, auth_tokens: list[str], acl: list[list[bytes]]) -> None:
        """AUTH tokens (both during a rotation) or RBAC users, on every node."""
        self._on_every_node(lambda engine: configure_auth(engine, auth_tokens, acl))

    def _on_every_node(self, change: Callable[[RedisEngine], None]) -> None:
        for node in self.cluster.nodes:
            run_between_commands(node.server, lambda engine=node.engine: change(engine))
