"""Each ElastiCache cache is a live Redis endpoint of its own, configured as created: TLS verified against the
twin's CA, AUTH tokens (and their rotation), parameter groups, RBAC users; delete stops it."""

from __future__ import annotations

import socket
import ssl

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

TOKEN = "a-token-of-16-chars-or-more"


def ca_file(emulator) -> str:
    return emulator.health()["elasticache"]["ca_file"]


def node_endpoint(elasticache, cluster_id: str) -> dict:
    [cluster] = elasticache.describe_cache_clusters(CacheClusterId=cluster_id, ShowCacheNodeInfo=True)["CacheClusters"]
    [node] = cluster["CacheNodes"]
    return node["Endpoint"]


def client_for(endpoint: dict, **options) -> redis.Redis:
    """A client that reports a refused connection or password at once, without redis-py's retries."""
    return redis.Redis(
        host=endpoint["Address"], port=endpoint["Port"], socket_timeout=5, retry=Retry(NoBackoff(), 0), **options
    )


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_each_cache_has_its_own_endpoint_and_data(elasticache, emulator_for_caches):
    for name in ("sessions", "carts"):
        elasticache.create_cache_cluster(CacheClusterId=name, Engine="redis", CacheNodeType="cache.t3.micro")
    sessions, carts = node_endpoint(elasticache, "sessions"), node_endpoint(elasticache, "carts")
    serve_redis = emulator_for_caches.services["redis"].port

    assert sessions["Port"] != carts["Port"] and serve_redis not in (sessions["Port"], carts["Port"])
    client_for(sessions).set("user", "alice")
    assert client_for(carts).get("user") is None
    assert client_for(sessions).get("user") == b"alice"


def test_a_cache_created_with_tls_speaks_tls_verified_against_the_twins_ca(elasticache, emulator_for_caches):
    elasticache.create_cache_cluster(
        CacheClusterId="secure", Engine="redis", CacheNodeType="cache.t3.micro", TransitEncryptionEnabled=True
    )
    endpoint = node_endpoint(elasticache, "secure")

    verified = client_for(endpoint, ssl=True, ssl_ca_certs=ca_file(emulator_for_caches), ssl_check_hostname=True)
    assert verified.ping()
    with pytest.raises(redis.ConnectionError):
        client_for(endpoint).ping()  # plaintext is refused
    for host in ("localhost", "127.0.0.1"):
        context = ssl.create_default_context(cafile=ca_file(emulator_for_caches))
        with socket.create_connection((host, endpoint["Port"])) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                tls.sendall(b"PING\r\n")
                assert tls.recv(64) == b"+PONG\r\n"


def test_a_cache_without_tls_is_plaintext(elasticache):
    elasticache.create_cache_cluster(CacheClusterId="plain", Engine="redis", CacheNodeType="cache.t3.micro")

    assert client_for(node_endpoint(elasticache, "plain")).ping()


def test_an_auth_token_is_required(elasticache, emulator_for_caches):
    elasticache.create_replication_group(
        ReplicationGroupId="locked",
        ReplicationGroupDescription="with AUTH",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        TransitEncryptionEnabled=True,
        AuthToken=TOKEN,
    )
    [group] = elasticache.describe_replication_groups(ReplicationGroupId="locked")["ReplicationGroups"]
    endpoint = group["NodeGroups"][0]["PrimaryEndpoint"]
    tls = {"ssl": True, "ssl_ca_certs": ca_file(emulator_for_caches)}

    assert group["AuthTokenEnabled"] and group["TransitEncryptionEnabled"]
    with pytest.raises(redis.AuthenticationError):
        client_for(endpoint, **tls).set("k", "v")
    with pytest.raises(redis.AuthenticationError):
        client_for(endpoint, password="not-the-token-at-all", **tls).ping()
    assert client_for(endpoint, password=TOKEN, **tls).set("k", "v")


def test_auth_token_rotation_accepts_both_then_set_keeps_the_new_one(elasticache, emulator_for_caches):
    elasticache.create_cache_cluster(
        CacheClusterId="rotating",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        TransitEncryptionEnabled=True,
        AuthToken=TOKEN,
    )
    endpoint = node_endpoint(elasticache, "rotating")
    tls = {"ssl": True, "ssl_ca_certs": ca_file(emulator_for_caches)}
    new_token = "the-new-token-of-the-cache"

    elasticache.modify_cache_cluster(
        CacheClusterId="rotating", AuthToken=new_token, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True
    )
    assert client_for(endpoint, password=TOKEN, **tls).ping()
    assert client_for(endpoint, password=new_token, **tls).ping()

    elasticache.modify_cache_cluster(
        CacheClusterId="rotating", AuthToken=new_token, AuthTokenUpdateStrategy="SET", ApplyImmediately=True
    )
    assert client_for(endpoint, password=new_token, **tls).ping()
    with pytest.raises(redis.AuthenticationError):
        client_for(endpoint, password=TOKEN, **tls).ping()


def test_set_before_rotate_and_delete_without_user_groups_are_refused(elasticache):
    elasticache.create_cache_cluster(
        CacheClusterId="strict", Engine="redis", CacheNodeType="cache.t3.micro", TransitEncryptionEnabled=True,
        AuthToken=TOKEN,
    )  # fmt: skip
    for strategy, token in (("SET", "another-token-of-the-cache"), ("DELETE", None)):
        arguments = {"AuthToken": token} if token else {}
        with pytest.raises(elasticache.exceptions.InvalidParameterCombinationException):
            elasticache.modify_cache_cluster(CacheClusterId="strict", AuthTokenUpdateStrategy=strategy, **arguments)


def test_the_parameter_group_is_the_caches_config(elasticache):
    elasticache.create_cache_parameter_group(
        CacheParameterGroupName="lru", CacheParameterGroupFamily="redis7", Description="evict any key"
    )
    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName="lru",
        ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}],
    )
    elasticache.create_cache_cluster(
        CacheClusterId="tuned", Engine="redis", CacheNodeType="cache.t3.micro", CacheParameterGroupName="lru"
    )
    elasticache.create_cache_cluster(CacheClusterId="stock", Engine="redis", CacheNodeType="cache.t3.micro")
    tuned = client_for(node_endpoint(elasticache, "tuned"))

    assert tuned.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
    # ElastiCache's default parameter group evicts volatile keys by LRU.
    assert client_for(node_endpoint(elasticache, "stock")).config_get("maxmemory-policy") == {
        "maxmemory-policy": "volatile-lru"
    }

    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName="lru",
        ParameterNameValues=[{"ParameterName": "notify-keyspace-events", "ParameterValue": "$E"}],
    )
    assert tuned.config_get("notify-keyspace-events") == {"notify-keyspace-events": "$E"}


def test_a_parameter_the_twin_cannot_apply_is_refused(elasticache):
    elasticache.create_cache_parameter_group(
        CacheParameterGroupName="custom", CacheParameterGroupFamily="redis7", Description="custom"
    )
    with pytest.raises(elasticache.exceptions.InvalidParameterValueException):
        elasticache.modify_cache_parameter_group(
            CacheParameterGroupName="custom",
            ParameterNameValues=[{"ParameterName": "reserved-memory-percent", "ParameterValue": "30"}],
        )
    with pytest.raises(elasticache.exceptions.InvalidParameterValueException):
        elasticache.modify_cache_parameter_group(
            CacheParameterGroupName="custom",
            ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "sometimes"}],
        )


def test_user_groups_become_acl_users(elasticache, emulator_for_caches):
    elasticache.create_user(
        UserId="app-default", UserName="default", Engine="redis", AccessString="off", NoPasswordRequired=True
    )
    elasticache.create_user(
        UserId="app", UserName="app", Engine="redis", AccessString="on ~app:* +@all", Passwords=["app-password-16chars"]
    )
    elasticache.create_user_group(UserGroupId="apps", Engine="redis", UserIds=["app-default", "app"])
    elasticache.create_replication_group(
        ReplicationGroupId="rbac", ReplicationGroupDescription="rbac", Engine="redis", CacheNodeType="cache.t3.micro",
        TransitEncryptionEnabled=True, UserGroupIds=["apps"],
    )  # fmt: skip
    [group] = elasticache.describe_replication_groups(ReplicationGroupId="rbac")["ReplicationGroups"]
    endpoint = group["NodeGroups"][0]["PrimaryEndpoint"]
    tls = {"ssl": True, "ssl_ca_certs": ca_file(emulator_for_caches)}

    assert group["UserGroupIds"] == ["apps"]
    app = client_for(endpoint, username="app", password="app-password-16chars", **tls)
    assert app.set("app:1", "x")
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.set("other:1", "x")
    with pytest.raises(redis.AuthenticationError):
        client_for(endpoint, **tls).ping()


def test_delete_stops_the_endpoint_and_drops_its_clients(elasticache):
    elasticache.create_cache_cluster(CacheClusterId="doomed", Engine="redis", CacheNodeType="cache.t3.micro")
    endpoint = node_endpoint(elasticache, "doomed")
    client = client_for(endpoint)
    assert client.ping()

    deleted = elasticache.delete_cache_cluster(CacheClusterId="doomed")["CacheCluster"]

    assert deleted["CacheClusterStatus"] == "deleting"
    with pytest.raises(redis.ConnectionError):
        client.ping()
    assert refuses_connections(endpoint["Port"])
    with pytest.raises(elasticache.exceptions.CacheClusterNotFoundFault):
        elasticache.describe_cache_clusters(CacheClusterId="doomed")


def test_delete_strategy_moves_a_token_cache_to_user_groups(elasticache, emulator_for_caches):
    elasticache.create_user(
        UserId="move-default", UserName="default", Engine="redis", AccessString="off", NoPasswordRequired=True
    )
    elasticache.create_user(
        UserId="move-app",
        UserName="app",
        Engine="redis",
        AccessString="on ~* +@all",
        Passwords=["app-password-16chars"],
    )
    elasticache.create_user_group(UserGroupId="movers", Engine="redis", UserIds=["move-default", "move-app"])
    elasticache.create_replication_group(
        ReplicationGroupId="moving", ReplicationGroupDescription="to rbac", Engine="redis",
        CacheNodeType="cache.t3.micro", TransitEncryptionEnabled=True, AuthToken=TOKEN,
    )  # fmt: skip

    group = elasticache.modify_replication_group(
        ReplicationGroupId="moving", AuthTokenUpdateStrategy="DELETE", UserGroupIdsToAdd=["movers"],
        ApplyImmediately=True,
    )["ReplicationGroup"]  # fmt: skip

    assert group["AuthTokenEnabled"] is False and group["UserGroupIds"] == ["movers"]
    endpoint = group["NodeGroups"][0]["PrimaryEndpoint"]
    tls = {"ssl": True, "ssl_ca_certs": ca_file(emulator_for_caches)}
    with pytest.raises(redis.AuthenticationError):
        client_for(endpoint, password=TOKEN, **tls).ping()
    assert client_for(endpoint, username="app", password="app-password-16chars", **tls).ping()
