"""Caches as the ElastiCache API describes them (CacheCluster, ReplicationGroup, NodeGroup, NodeGroupMember,
CacheNode), with the live endpoints' addresses.

Status: a create answers `creating`, a modify or failover `modifying` and a delete `deleting`, as AWS does; every
describe answers `available`, since the twin enacts each change before it answers.
"""

from __future__ import annotations

from cloudtwin.control.elasticache.caches import Member
from cloudtwin.control.elasticache.clusters import LiveCluster
from cloudtwin.control.elasticache.store import Cache

AVAILABLE = "available"
LANDING_PAGE = "https://console.aws.amazon.com/elasticache/home#client-download:"


def _security(cache: Cache) -> dict:
    settings = cache.settings
    tokens = bool(settings.auth_tokens)
    return {
        "AuthTokenEnabled": tokens,
        "AuthTokenLastModifiedDate": settings.auth_token_modified if tokens else None,
        "TransitEncryptionEnabled": settings.transit_encryption,
        "TransitEncryptionMode": "required" if settings.transit_encryption else None,
        "AtRestEncryptionEnabled": settings.at_rest_encryption,
    }


def cache_cluster(cache: Cache, member: Member, status: str, show_nodes: bool) -> dict:
    settings = cache.settings
    described = {
        "CacheClusterId": member.cluster_id,
        "ClientDownloadLandingPage": LANDING_PAGE,
        "CacheNodeType": settings.node_type,
        "Engine": settings.engine,
        "EngineVersion": settings.engine_version,
        "CacheClusterStatus": status,
        "NumCacheNodes": 1,
        "PreferredAvailabilityZone": member.zone,
        "CacheClusterCreateTime": settings.created,
        "PendingModifiedValues": {},
        "CacheSecurityGroups": [],
        "CacheParameterGroup": {
            "CacheParameterGroupName": settings.parameter_group,
            "ParameterApplyStatus": "in-sync",
            "CacheNodeIdsToReboot": [],
        },
        "CacheSubnetGroupName": settings.subnet_group,
        "AutoMinorVersionUpgrade": True,
        "SecurityGroups": [{"SecurityGroupId": group, "Status": "active"} for group in settings.security_group_ids],
        "ReplicationGroupId": cache.cache_id if cache.group else None,
        "SnapshotRetentionLimit": 0,
        "ARN": cache.member_arn(member),
        "ReplicationGroupLogDeliveryEnabled": False,
        "LogDeliveryConfigurations": [],
        "NetworkType": "ipv4",
        "IpDiscovery": "ipv4",
        **_security(cache),
    }
    if show_nodes:
        described["CacheNodes"] = [
            {
                "CacheNodeId": "0001",
                "CacheNodeStatus": status,
                "CacheNodeCreateTime": settings.created,
                "Endpoint": cache.live.address(member.listener),
                "ParameterGroupStatus": "in-sync",
                "CustomerAvailabilityZone": member.zone,
            }
        ]
    return described


def replication_group(cache: Cache, status: str) -> dict:
    settings = cache.settings
    live = cache.live
    described = {
        "ReplicationGroupId": cache.cache_id,
        "Description": cache.description,
        "Status": status,
        "PendingModifiedValues": {},
        "MemberClusters": [member.cluster_id for member in live.members],
        "NodeGroups": _cluster_node_groups(cache, status) if cache.cluster_enabled else [_node_group(cache, status)],
        "AutomaticFailover": "enabled" if cache.automatic_failover else "disabled",
        "MultiAZ": "enabled" if cache.multi_az else "disabled",
        "SnapshotRetentionLimit": 0,
        "ClusterEnabled": cache.cluster_enabled,
        "CacheNodeType": settings.node_type,
        "MemberClustersOutpostArns": [],
        "ARN": cache.arn,
        "UserGroupIds": settings.user_group_ids,
        "LogDeliveryConfigurations": [],
        "ReplicationGroupCreateTime": settings.created,
        "DataTiering": "disabled",
        "AutoMinorVersionUpgrade": True,
        "NetworkType": "ipv4",
        "IpDiscovery": "ipv4",
        "ClusterMode": cache.cluster_mode,
        "Engine": settings.engine,
        **_security(cache),
    }
    if isinstance(live, LiveCluster):
        described["ConfigurationEndpoint"] = live.configuration_endpoint
    return described


def _node_group(cache: Cache, status: str) -> dict:
    """Cluster mode disabled: one node group with the group's primary and reader endpoints, and each member's own
    endpoint and role."""
    live = cache.live
    assert live.primary_endpoint is not None and live.reader_endpoint is not None
    return {
        "NodeGroupId": "0001",
        "Status": status,
        "PrimaryEndpoint": live.address(live.primary_endpoint),
        "ReaderEndpoint": live.address(live.reader_endpoint),
        "NodeGroupMembers": [
            {
                "CacheClusterId": member.cluster_id,
                "CacheNodeId": "0001",
                "ReadEndpoint": live.address(member.listener),
                "PreferredAvailabilityZone": member.zone,
                "CurrentRole": "primary" if member.is_primary else "replica",
            }
            for member in live.members
        ],
    }


def _cluster_node_groups(cache: Cache, status: str) -> list[dict]:
    """Cluster mode enabled: a node group per shard with its slots; as on AWS, neither the node groups nor their
    members carry endpoints or roles (clients find the nodes through the configuration endpoint, and
    DescribeCacheClusters gives each member's node endpoint)."""
    live = cache.live
    assert isinstance(live, LiveCluster)
    return [
        {
            "NodeGroupId": shard.node_group_id,
            "Status": status,
            "Slots": slots,
            "NodeGroupMembers": [
                {
                    "CacheClusterId": member.cluster_id,
                    "CacheNodeId": "0001",
                    "PreferredAvailabilityZone": member.zone,
                }
                for member in live.node_group_members(shard.node_group_id)
            ],
        }
        for shard, slots in zip(live.shards, live.cluster.shard_slots(), strict=True)
    ]
