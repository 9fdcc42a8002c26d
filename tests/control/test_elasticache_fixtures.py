"""The pytest plugin's ElastiCache fixtures: a cache made through the API, its client, gone after the test."""

from __future__ import annotations

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def test_elasticache_redis_is_a_client_of_a_fresh_cache(elasticache_redis, cloudtwin):
    assert elasticache_redis.set("k", "v") and elasticache_redis.get("k") == b"v"
    port = elasticache_redis.connection_pool.connection_kwargs["port"]
    assert port != cloudtwin.services["redis"].port
    assert elasticache_redis.cache["NodeGroups"][0]["PrimaryEndpoint"]["Port"] == port


def test_the_factory_makes_tls_caches_with_a_token_and_deletes_them(elasticache_cache_factory, elasticache_client):
    client = elasticache_cache_factory(tls=True, auth_token="a-token-of-16-chars", replicas=1)

    assert client.set("k", "v")
    assert client.connection_pool.connection_kwargs["ssl_ca_certs"]
    group_id = client.cache["ReplicationGroupId"]
    assert client.cache["MemberClusters"] == [f"{group_id}-001", f"{group_id}-002"]
    unauthenticated = redis.Redis(
        host="127.0.0.1",
        port=client.connection_pool.connection_kwargs["port"],
        ssl=True,
        ssl_cert_reqs=None,
        retry=Retry(NoBackoff(), 0),
    )
    with pytest.raises(redis.AuthenticationError):
        unauthenticated.set("k", "w")


@pytest.fixture
def groups_to_be_gone(elasticache_client):
    """Set up before the factory, so torn down after it: checks that the factory deleted the groups."""
    groups: list[str] = []
    yield groups
    for group_id in groups:
        with pytest.raises(elasticache_client.exceptions.ReplicationGroupNotFoundFault):
            elasticache_client.describe_replication_groups(ReplicationGroupId=group_id)


def test_caches_are_deleted_after_the_test(groups_to_be_gone, elasticache_cache_factory):
    client = elasticache_cache_factory()
    groups_to_be_gone.append(client.cache["ReplicationGroupId"])
    assert client.ping()


def test_the_factory_makes_cluster_mode_groups_with_a_redis_cluster_client(
    groups_to_be_gone, elasticache_cache_factory
):
    from redis.cluster import RedisCluster

    cluster = elasticache_cache_factory(shards=3, replicas=1, tls=True, auth_token="a-token-of-16-chars")
    groups_to_be_gone.append(cluster.cache["ReplicationGroupId"])

    assert isinstance(cluster, RedisCluster)
    assert cluster.cache["ClusterEnabled"] is True and len(cluster.cache["NodeGroups"]) == 3
    for index in range(30):
        cluster.set(f"key:{index}", index)
    assert [int(cluster.get(f"key:{index}")) for index in range(30)] == list(range(30))
    assert len(cluster.get_primaries()) == 3 and len(cluster.get_replicas()) == 3
