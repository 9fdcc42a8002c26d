"""The caches, parameter groups and user groups of one account and region."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cloudtwin.control.elasticache.caches import CacheSettings, LiveCache, Member
from cloudtwin.control.elasticache.clusters import LiveCluster
from cloudtwin.control.elasticache.errors import cache_cluster_not_found, replication_group_not_found
from cloudtwin.control.elasticache.parameters import ParameterGroups
from cloudtwin.control.elasticache.user_groups import UserGroups


@dataclass
class Cache:
    """A standalone cache cluster (`group` False) or a replication group, with cluster mode disabled (a LiveCache)
    or enabled (`cluster_mode` enabled or compatible, a LiveCluster)."""

    cache_id: str
    group: bool
    settings: CacheSettings
    live: LiveCache | LiveCluster
    arn_prefix: str
    description: str = ""
    automatic_failover: bool = False
    multi_az: bool = False
    cluster_mode: str = "disabled"

    @property
    def cluster_enabled(self) -> bool:
        return self.cluster_mode != "disabled"

    @property
    def arn(self) -> str:
        kind = "replicationgroup" if self.group else "cluster"
        return f"{self.arn_prefix}:{kind}:{self.cache_id}"

    def member_arn(self, member: Member) -> str:
        return f"{self.arn_prefix}:cluster:{member.cluster_id}"


class RegionStore:
    def __init__(self, account: str, region: str, users) -> None:
        self.account, self.region = account, region
        self.arn_prefix = f"arn:aws:elasticache:{region}:{account}"
        self.clusters: dict[str, Cache] = {}
        self.groups: dict[str, Cache] = {}
        self.parameter_groups = ParameterGroups(self.arn_prefix)
        self.user_groups = UserGroups(self.arn_prefix, users)

    def caches(self) -> Iterator[Cache]:
        yield from self.clusters.values()
        yield from self.groups.values()

    def cluster(self, cluster_id: str) -> Cache:
        cache = self.clusters.get(cluster_id)
        if cache is None:
            raise cache_cluster_not_found(cluster_id)
        return cache

    def group(self, group_id: str) -> Cache:
        cache = self.groups.get(group_id)
        if cache is None:
            raise replication_group_not_found(group_id)
        return cache

    def cluster_ids(self) -> set[str]:
        """Every cache cluster id taken: standalone clusters and the member clusters of groups."""
        taken = set(self.clusters)
        for group in self.groups.values():
            taken.update(member.cluster_id for member in group.live.members)
        return taken

    def owner_of(self, cluster_id: str) -> tuple[Cache, Member]:
        """The cache a cluster id belongs to, and its member; CacheClusterNotFound if none."""
        for cache in self.caches():
            member = cache.live.member(cluster_id)
            if member is not None:
                return cache, member
        raise cache_cluster_not_found(cluster_id)
