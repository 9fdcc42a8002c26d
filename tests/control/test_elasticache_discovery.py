"""Application code that finds Redis through the ElastiCache API reaches the emulator's live Redis."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
import redis

from cloudtwin.config import Settings
from cloudtwin.process import Emulator


@pytest.fixture(scope="module")
def emulator_with_redis() -> Iterator[Emulator]:
    with Emulator(Settings(aws_port=0, redis_port=0, kafka="off")) as emulator:
        yield emulator


@pytest.fixture
def elasticache(emulator_with_redis):
    return boto3.client(
        "elasticache",
        endpoint_url=emulator_with_redis.aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def redis_port(emulator: Emulator) -> int:
    return int(emulator.health()["redis"]["endpoint"].rsplit(":", 1)[1])


def test_a_cache_cluster_node_is_the_live_redis(elasticache, emulator_with_redis):
    elasticache.create_cache_cluster(
        CacheClusterId="sessions", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1
    )

    [cluster] = elasticache.describe_cache_clusters(CacheClusterId="sessions", ShowCacheNodeInfo=True)["CacheClusters"]
    [node] = cluster["CacheNodes"]

    assert node["Endpoint"] == {"Address": "127.0.0.1", "Port": redis_port(emulator_with_redis)}
    client = redis.Redis(host=node["Endpoint"]["Address"], port=node["Endpoint"]["Port"])
    assert client.set("found", "through ElastiCache") and client.get("found") == b"through ElastiCache"
    client.close()


def test_without_show_cache_node_info_no_nodes_are_listed(elasticache):
    elasticache.create_cache_cluster(
        CacheClusterId="plain", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1
    )

    [cluster] = elasticache.describe_cache_clusters(CacheClusterId="plain")["CacheClusters"]

    assert "CacheNodes" not in cluster


def test_replication_group_endpoints_are_the_live_redis(elasticache, emulator_with_redis):
    elasticache.create_replication_group(
        ReplicationGroupId="carts",
        ReplicationGroupDescription="shopping carts",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=2,
    )

    [group] = elasticache.describe_replication_groups(ReplicationGroupId="carts")["ReplicationGroups"]
    live = {"Address": "127.0.0.1", "Port": redis_port(emulator_with_redis)}

    [node_group] = group["NodeGroups"]
    assert node_group["PrimaryEndpoint"] == live
    assert node_group["ReaderEndpoint"] == live
    assert all(member["ReadEndpoint"] == live for member in node_group["NodeGroupMembers"])
    client = redis.Redis(host=live["Address"], port=live["Port"])
    assert client.ping()
    client.close()


def test_a_cluster_mode_group_has_the_live_redis_as_configuration_endpoint(elasticache, emulator_with_redis):
    elasticache.create_replication_group(
        ReplicationGroupId="sharded",
        ReplicationGroupDescription="cluster mode",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        ClusterMode="enabled",
        NumNodeGroups=2,
    )

    [group] = elasticache.describe_replication_groups(ReplicationGroupId="sharded")["ReplicationGroups"]

    assert group["ConfigurationEndpoint"] == {"Address": "127.0.0.1", "Port": redis_port(emulator_with_redis)}


def test_errors_from_moto_pass_through(elasticache):
    with pytest.raises(elasticache.exceptions.CacheClusterNotFoundFault):
        elasticache.describe_cache_clusters(CacheClusterId="missing", ShowCacheNodeInfo=True)
