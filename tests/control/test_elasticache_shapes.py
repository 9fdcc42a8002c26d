"""Descriptions shaped as the ElastiCache API reference shapes them, and the status a create, describe, modify and
delete answer with (boto3's waiters end at once: the endpoint is up before the create answers)."""

from __future__ import annotations

TOKEN = "a-token-of-16-chars-or-more"


def test_a_cache_cluster_as_aws_describes_it(elasticache):
    created = elasticache.create_cache_cluster(
        CacheClusterId="Sessions", Engine="redis", EngineVersion="7.0", CacheNodeType="cache.t3.micro",
        TransitEncryptionEnabled=True, AuthToken=TOKEN, Tags=[{"Key": "team", "Value": "web"}],
    )["CacheCluster"]  # fmt: skip

    assert created["CacheClusterStatus"] == "creating" and "CacheNodes" not in created
    elasticache.get_waiter("cache_cluster_available").wait(CacheClusterId="sessions", WaiterConfig={"Delay": 1})
    [cluster] = elasticache.describe_cache_clusters(CacheClusterId="sessions")["CacheClusters"]
    assert "CacheNodes" not in cluster
    assert cluster["CacheClusterId"] == "sessions"  # stored in lower case, as ElastiCache stores ids
    assert cluster["CacheClusterStatus"] == "available"
    assert (cluster["Engine"], cluster["EngineVersion"], cluster["NumCacheNodes"]) == ("redis", "7.0.7", 1)
    assert (
        cluster["TransitEncryptionEnabled"] and cluster["AuthTokenEnabled"] and "AuthTokenLastModifiedDate" in cluster
    )
    assert cluster["TransitEncryptionMode"] == "required"
    assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "default.redis7"
    assert "ReplicationGroupId" not in cluster
    assert elasticache.list_tags_for_resource(ResourceName=cluster["ARN"])["TagList"] == [
        {"Key": "team", "Value": "web"}
    ]
    [node] = elasticache.describe_cache_clusters(CacheClusterId="sessions", ShowCacheNodeInfo=True)["CacheClusters"][0][
        "CacheNodes"
    ]
    assert node["CacheNodeId"] == "0001" and node["CacheNodeStatus"] == "available"
    assert set(node["Endpoint"]) == {"Address", "Port"}


def test_a_replication_group_as_aws_describes_it(elasticache):
    created = elasticache.create_replication_group(
        ReplicationGroupId="carts", ReplicationGroupDescription="carts", Engine="valkey",
        CacheNodeType="cache.t3.micro", NumCacheClusters=2, AutomaticFailoverEnabled=True, MultiAZEnabled=True,
    )["ReplicationGroup"]  # fmt: skip

    assert created["Status"] == "creating"
    elasticache.get_waiter("replication_group_available").wait(ReplicationGroupId="carts", WaiterConfig={"Delay": 1})
    [group] = elasticache.describe_replication_groups(ReplicationGroupId="carts")["ReplicationGroups"]
    assert (group["Status"], group["AutomaticFailover"], group["MultiAZ"]) == ("available", "enabled", "enabled")
    assert (group["ClusterEnabled"], group["ClusterMode"], group["Engine"]) == (False, "disabled", "valkey")
    assert group["TransitEncryptionEnabled"] is False and group["AuthTokenEnabled"] is False
    assert "ConfigurationEndpoint" not in group
    [node_group] = group["NodeGroups"]
    assert node_group["NodeGroupId"] == "0001" and "Slots" not in node_group
    assert [member["CurrentRole"] for member in node_group["NodeGroupMembers"]] == ["primary", "replica"]
    assert all(member["CacheNodeId"] == "0001" for member in node_group["NodeGroupMembers"])
    [member] = elasticache.describe_cache_clusters(CacheClusterId="carts-002")["CacheClusters"]
    assert member["EngineVersion"] == "8.0.1" and member["CacheParameterGroup"]["CacheParameterGroupName"] == (
        "default.valkey8"
    )
    standalone = elasticache.describe_cache_clusters(ShowCacheClustersNotInReplicationGroups=True)["CacheClusters"]
    assert standalone == []


def test_modify_answers_modifying_and_describes_available(elasticache):
    elasticache.create_replication_group(
        ReplicationGroupId="carts", ReplicationGroupDescription="carts", Engine="redis", CacheNodeType="cache.t3.micro"
    )

    modified = elasticache.modify_replication_group(
        ReplicationGroupId="carts", ReplicationGroupDescription="renamed", CacheNodeType="cache.m5.large",
        EngineVersion="7.1", ApplyImmediately=True,
    )["ReplicationGroup"]  # fmt: skip

    assert modified["Status"] == "modifying"
    [group] = elasticache.describe_replication_groups(ReplicationGroupId="carts")["ReplicationGroups"]
    assert (group["Status"], group["Description"], group["CacheNodeType"]) == ("available", "renamed", "cache.m5.large")


def test_a_cache_changes_parameter_group(elasticache):
    elasticache.create_cache_parameter_group(
        CacheParameterGroupName="short-timeout", CacheParameterGroupFamily="redis7", Description="idle clients go"
    )
    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName="short-timeout",
        ParameterNameValues=[{"ParameterName": "timeout", "ParameterValue": "30"}],
    )
    elasticache.create_cache_cluster(CacheClusterId="c", Engine="redis", CacheNodeType="cache.t3.micro")

    elasticache.modify_cache_cluster(CacheClusterId="c", CacheParameterGroupName="short-timeout", ApplyImmediately=True)

    [cluster] = elasticache.describe_cache_clusters(CacheClusterId="c")["CacheClusters"]
    assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "short-timeout"
    groups = elasticache.describe_cache_parameter_groups(CacheParameterGroupName="short-timeout")
    assert groups["CacheParameterGroups"][0]["CacheParameterGroupFamily"] == "redis7"
    defaults = elasticache.describe_cache_parameter_groups()["CacheParameterGroups"]
    assert {"default.redis7", "default.redis7.cluster.on", "default.valkey8"} <= {
        group["CacheParameterGroupName"] for group in defaults
    }


def test_user_groups_are_described_and_deleted(elasticache):
    elasticache.create_user(
        UserId="ug-default", UserName="default", Engine="redis", AccessString="on ~* +@all", NoPasswordRequired=True
    )
    created = elasticache.create_user_group(UserGroupId="team", Engine="redis", UserIds=["ug-default"])

    assert (created["UserGroupId"], created["Status"], created["UserIds"]) == ("team", "active", ["ug-default"])
    [described] = elasticache.describe_user_groups(UserGroupId="team")["UserGroups"]
    assert described["ARN"].endswith(":usergroup:team")
    assert elasticache.delete_user_group(UserGroupId="team")["Status"] == "deleting"
    assert elasticache.describe_user_groups()["UserGroups"] == []
