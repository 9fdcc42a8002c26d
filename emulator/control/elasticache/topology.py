"""How many member clusters a replication group gets, in one place: cluster mode disabled gives one node group of a
primary and replicas; cluster mode enabled goes through `cluster_mode_enabled_topology`, which the twin refuses
until it has a cluster engine."""

from __future__ import annotations

from dataclasses import dataclass

from cloudtwin.control.elasticache.errors import ElastiCacheError
from cloudtwin.control.elasticache.parameters import ParameterGroup
from cloudtwin.control.elasticache.wire import QueryRequest

# ElastiCache's limit of nodes in a cluster-mode-disabled group: a primary and five replicas.
MAX_CACHE_CLUSTERS = 6
ZONE_LETTERS = "abcdef"


@dataclass
class GroupTopology:
    cluster_ids: list[str]
    zones: list[str]


def wants_cluster_mode(request: QueryRequest, parameter_group: ParameterGroup) -> bool:
    """Whether a create asks for cluster mode enabled, in any of the ways the API has."""
    mode = (request.text("ClusterMode") or "").lower()
    shards = request.number("NumNodeGroups")
    return (
        mode in ("enabled", "compatible")
        or parameter_group.cluster_mode
        or (shards is not None and shards > 1)
        or len(request.structures("NodeGroupConfiguration")) > 1
    )


def cluster_mode_enabled_topology(request: QueryRequest) -> GroupTopology:
    """Cluster mode enabled (shards with hash slots): not enacted yet, so refused rather than described."""
    raise ElastiCacheError.invalid_combination(
        "cloudtwin does not support cluster mode enabled yet (ClusterMode enabled/compatible, NumNodeGroups > 1, "
        "a cluster-enabled parameter group such as default.redis7.cluster.on); create the group with cluster mode "
        "disabled (NumCacheClusters or ReplicasPerNodeGroup)"
    )


def group_topology(request: QueryRequest, group_id: str, parameter_group: ParameterGroup, region: str) -> GroupTopology:
    """The member clusters of a new replication group: `<group>-001` (the primary) and its replicas."""
    if wants_cluster_mode(request, parameter_group):
        return cluster_mode_enabled_topology(request)
    count = _cluster_count(request)
    zones = request.strings("PreferredCacheClusterAZs")
    if zones and len(zones) != count:
        raise ElastiCacheError.invalid_value(
            f"PreferredCacheClusterAZs names {len(zones)} zones for {count} cache clusters; give one per cluster"
        )
    return GroupTopology(
        cluster_ids=[f"{group_id}-{index + 1:03}" for index in range(count)],
        zones=zones or [f"{region}{ZONE_LETTERS[index % len(ZONE_LETTERS)]}" for index in range(count)],
    )


def _cluster_count(request: QueryRequest) -> int:
    clusters = request.number("NumCacheClusters")
    replicas = request.number("ReplicasPerNodeGroup")
    configured = request.structures("NodeGroupConfiguration")
    if configured and configured[0].get("ReplicaCount") is not None:
        replicas = int(configured[0]["ReplicaCount"]) if replicas is None else replicas
    if clusters is not None and replicas is not None and clusters != replicas + 1:
        raise ElastiCacheError.invalid_combination(
            f"NumCacheClusters {clusters} and ReplicasPerNodeGroup {replicas} disagree: a group has one primary "
            "and its replicas"
        )
    count = clusters if clusters is not None else (replicas + 1 if replicas is not None else 1)
    if not 1 <= count <= MAX_CACHE_CLUSTERS:
        raise ElastiCacheError.invalid_value(
            f"NumCacheClusters must be between 1 and {MAX_CACHE_CLUSTERS} (a primary and up to five replicas)"
        )
    return count
