"""How many member clusters a replication group gets, and their names and zones: cluster mode disabled gives one
node group of a primary and replicas (`group_topology`); cluster mode enabled gives node groups (shards) with their
slots (`cluster_mode_enabled_topology`)."""

from __future__ import annotations

from dataclasses import dataclass

from cloudtwin.control.elasticache.errors import ElastiCacheError
from cloudtwin.control.elasticache.parameters import ParameterGroup
from cloudtwin.control.elasticache.wire import QueryRequest
from cloudtwin.redis.cluster.slots import SlotRange, even_slot_ranges, parse_slot_ranges
from cloudtwin.redis.cluster.topology import ClusterTopology

# ElastiCache's limit of nodes in a cluster-mode-disabled group: a primary and five replicas.
MAX_CACHE_CLUSTERS = 6
ZONE_LETTERS = "abcdef"
# ElastiCache's limit of node groups (shards) in a cluster-mode-enabled group.
MAX_NODE_GROUPS = 500


@dataclass
class GroupTopology:
    cluster_ids: list[str]
    zones: list[str]


def wants_cluster_mode(request: QueryRequest, parameter_group: ParameterGroup | None) -> bool:
    """Whether a create asks for cluster mode enabled, in any of the ways the API has: ClusterMode enabled or
    compatible, a cluster-enabled parameter group, or more than one node group; ClusterMode disabled with any of the
    others is refused."""
    mode = (request.text("ClusterMode") or "").lower()
    if mode not in ("", "enabled", "disabled", "compatible"):
        raise ElastiCacheError.invalid_value(
            f"Invalid ClusterMode {request.text('ClusterMode')}: enabled, disabled or compatible"
        )
    shards = request.number("NumNodeGroups")
    other_signs = (
        (parameter_group is not None and parameter_group.cluster_mode)
        or (shards is not None and shards > 1)
        or len(request.structures("NodeGroupConfiguration")) > 1
    )
    if mode == "disabled" and other_signs:
        raise ElastiCacheError.invalid_combination(
            "ClusterMode disabled allows one node group and a parameter group with cluster-enabled no"
        )
    return mode in ("enabled", "compatible") or other_signs


@dataclass
class ShardPlan:
    """One node group of a cluster-mode-enabled group: its id, slots and member clusters (the primary first)."""

    node_group_id: str
    slot_ranges: list[SlotRange]
    cluster_ids: list[str]
    zones: list[str]


def cluster_mode_enabled_topology(request: QueryRequest, group_id: str, region: str) -> list[ShardPlan]:
    """The node groups of a cluster-mode-enabled group, from NumNodeGroups and ReplicasPerNodeGroup or from
    NodeGroupConfiguration (each group's NodeGroupId, Slots, ReplicaCount and zones): members are named
    `<group>-<node group>-<nnn>`, `-001` the primary; the slots are split as ElastiCache splits them unless given."""
    if request.number("NumCacheClusters") is not None:
        raise ElastiCacheError.invalid_combination(
            "NumCacheClusters is for cluster mode disabled; with cluster mode enabled give NumNodeGroups and "
            "ReplicasPerNodeGroup (or NodeGroupConfiguration)"
        )
    configured = request.structures("NodeGroupConfiguration")
    count = request.number("NumNodeGroups")
    if configured and count is not None and count != len(configured):
        raise ElastiCacheError.invalid_combination(
            f"NumNodeGroups {count} and the {len(configured)} NodeGroupConfiguration entries disagree"
        )
    count = len(configured) or count or 1
    if not 1 <= count <= MAX_NODE_GROUPS:
        raise ElastiCacheError.invalid_value(f"NumNodeGroups must be between 1 and {MAX_NODE_GROUPS}")
    configured = configured or [{} for _ in range(count)]
    ranges = _slot_ranges(configured)
    shared_replicas = request.number("ReplicasPerNodeGroup")
    plans = []
    for index, settings in enumerate(configured):
        node_group = settings.get("NodeGroupId") or f"{index + 1:04}"
        replicas = shared_replicas
        if replicas is None:
            replicas = int(settings.get("ReplicaCount") or 0)
        if not 0 <= replicas <= MAX_CACHE_CLUSTERS - 1:
            raise ElastiCacheError.invalid_value("ReplicasPerNodeGroup must be between 0 and 5")
        replica_zones = _replica_zones(request, index + 1)
        if replica_zones and len(replica_zones) != replicas:
            raise ElastiCacheError.invalid_value(
                f"Node group {node_group} names {len(replica_zones)} ReplicaAvailabilityZones for {replicas} replicas"
            )
        given = [settings.get("PrimaryAvailabilityZone"), *(replica_zones or [None] * replicas)]
        default_zones = [f"{region}{ZONE_LETTERS[(index + n) % len(ZONE_LETTERS)]}" for n in range(replicas + 1)]
        plans.append(
            ShardPlan(
                node_group_id=node_group,
                slot_ranges=ranges[index],
                cluster_ids=[f"{group_id}-{node_group}-{n + 1:03}" for n in range(replicas + 1)],
                zones=[zone or default for zone, default in zip(given, default_zones, strict=True)],
            )
        )
    if len({plan.node_group_id for plan in plans}) != len(plans):
        raise ElastiCacheError.invalid_value("Each NodeGroupConfiguration needs a NodeGroupId of its own")
    return plans


def _slot_ranges(configured: list[dict[str, str]]) -> list[list[SlotRange]]:
    """Each node group's slots: as given (all groups or none), else ElastiCache's even split; every slot served once."""
    given = [settings.get("Slots") for settings in configured]
    if not any(given):
        return [[part] for part in even_slot_ranges(len(configured))]
    if not all(given):
        raise ElastiCacheError.invalid_combination("Slots must be given for every node group or for none")
    try:
        ranges = [parse_slot_ranges(text) for text in given if text]
        ClusterTopology.of(ranges, 0)
    except ValueError as exc:
        raise ElastiCacheError.invalid_value(f"Invalid Slots: {exc}") from None
    return ranges


def _replica_zones(request: QueryRequest, position: int) -> list[str]:
    """NodeGroupConfiguration's nested ReplicaAvailabilityZones list of one node group (1-based position)."""
    prefix = f"NodeGroupConfiguration.NodeGroupConfiguration.{position}.ReplicaAvailabilityZones."
    found = sorted(
        (int(key.rsplit(".", 1)[1]), value)
        for key, value in request.params.items()
        if key.startswith(prefix) and key.rsplit(".", 1)[1].isdigit()
    )
    return [value for _, value in found]


def group_topology(request: QueryRequest, group_id: str, region: str) -> GroupTopology:
    """The member clusters of a new replication group: `<group>-001` (the primary) and its replicas."""
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
