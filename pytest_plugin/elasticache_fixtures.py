"""ElastiCache fixtures: a cache created through the ElastiCache API, handed to the test as a connected redis-py
client (over TLS verified against the twin's CA, with the AUTH token, when asked), deleted after the test.

```python
def test_sessions(elasticache_redis):
    elasticache_redis.set("session:1", "alice")

def test_tls(elasticache_cache_factory):
    client = elasticache_cache_factory(tls=True, auth_token="a-token-of-16-chars", replicas=1)

def test_sharded(elasticache_cache_factory):
    cluster = elasticache_cache_factory(shards=3, replicas=1)  # a redis.cluster.RedisCluster
```
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cloudtwin.pytest_plugin.plugin import cloudtwin_option


@pytest.fixture(scope="session")
def elasticache_client(request: pytest.FixtureRequest, aws_endpoint_url: str):
    """A boto3 ElastiCache client of the twin (credentials from the environment when it has them)."""
    import boto3

    credentials = (
        {} if os.environ.get("AWS_ACCESS_KEY_ID") else {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    )
    return boto3.client(
        "elasticache",
        endpoint_url=aws_endpoint_url,
        region_name=cloudtwin_option(request.config, "region"),
        **credentials,
    )


@pytest.fixture(scope="session")
def elasticache_ca_file(aws_endpoint_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A file holding the CA that the twin's TLS caches chain to, fetched through the admin API (so it works for a
    twin in a container too)."""
    from cloudtwin.admin_client import AdminClient

    path = tmp_path_factory.mktemp("elasticache") / "ca.pem"
    path.write_text(AdminClient(aws_endpoint_url).get("elasticache-ca")["ca_pem"])
    return str(path)


@pytest.fixture
def elasticache_cache_factory(request: pytest.FixtureRequest, elasticache_client) -> Iterator[Callable[..., Any]]:
    """Create replication groups and return a client of each:
    `make(tls=False, auth_token=None, replicas=0, parameter_group=None, shards=None, **create_options)`; every extra
    keyword is a CreateReplicationGroup parameter. Without `shards` the group has cluster mode disabled and the client
    is a redis.Redis connected to the primary endpoint; with `shards=N` it has cluster mode enabled (N node groups of
    a primary and `replicas` replicas each) and the client is a redis.cluster.RedisCluster started at the
    configuration endpoint. The client's `cache` attribute holds the group's description. Deleted after the test."""
    import redis
    from redis.cluster import RedisCluster

    created: list[tuple[str, redis.Redis | RedisCluster]] = []

    def make(
        *,
        tls: bool = False,
        auth_token: str | None = None,
        replicas: int = 0,
        parameter_group: str | None = None,
        shards: int | None = None,
        **create_options: Any,
    ) -> redis.Redis | RedisCluster:
        group_id = create_options.pop("ReplicationGroupId", f"cloudtwin-{uuid.uuid4().hex[:12]}")
        options: dict[str, Any] = {
            "ReplicationGroupDescription": "created by the cloudtwin pytest plugin",
            "Engine": "redis",
            "CacheNodeType": "cache.t4g.micro",
            "TransitEncryptionEnabled": tls,
            **create_options,
        }
        if shards is None:
            options.setdefault("NumCacheClusters", replicas + 1)
        else:
            options.update(ClusterMode="enabled", NumNodeGroups=shards, ReplicasPerNodeGroup=replicas)
        if auth_token:
            options["AuthToken"] = auth_token
        if parameter_group:
            options["CacheParameterGroupName"] = parameter_group
        elasticache_client.create_replication_group(ReplicationGroupId=group_id, **options)
        [group] = elasticache_client.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"]
        endpoint = group["ConfigurationEndpoint"] if shards else group["NodeGroups"][0]["PrimaryEndpoint"]
        connection: dict[str, Any] = {"host": endpoint["Address"], "port": endpoint["Port"], "password": auth_token}
        if tls:
            connection.update(ssl=True, ssl_ca_certs=request.getfixturevalue("elasticache_ca_file"))
        client = RedisCluster(**connection) if shards else redis.Redis(**connection)
        client.cache = group  # type: ignore[attr-defined]
        created.append((group_id, client))
        return client

    yield make
    for group_id, client in created:
        client.close()
        try:
            elasticache_client.delete_replication_group(ReplicationGroupId=group_id)
        except elasticache_client.exceptions.ReplicationGroupNotFoundFault:
            pass  # the test deleted it


@pytest.fixture
def elasticache_redis(elasticache_cache_factory: Callable[..., Any]) -> Any:
    """A redis.Redis connected to a fresh ElastiCache replication group (one node, no TLS), deleted after the
    test."""
    return elasticache_cache_factory()
