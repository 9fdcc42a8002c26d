"""A replication group with cluster mode disabled: a primary and replicas, each a live node; replicas and the reader
endpoint serve the primary's data and refuse writes as redis replicas do; a failover swaps roles and drops the
clients of the nodes involved."""

from __future__ import annotations

import socket

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

READONLY = "You can't write against a read only replica."


def client_for(endpoint: dict) -> redis.Redis:
    return redis.Redis(
        host=endpoint["Address"], port=endpoint["Port"], socket_timeout=5, retry=Retry(NoBackoff(), 0), protocol=2
    )


def raw_connection(endpoint: dict) -> socket.socket:
    """A connection that, unlike redis-py's pool, does not reconnect behind the test's back."""
    connection = socket.create_connection((endpoint["Address"], endpoint["Port"]), timeout=5)
    connection.sendall(b"PING\r\n")
    assert connection.recv(64) == b"+PONG\r\n"
    return connection


def dropped(connection: socket.socket) -> bool:
    try:
        connection.sendall(b"PING\r\n")
        return connection.recv(64) == b""
    except ConnectionError:
        return True


def create_group(elasticache, group_id: str = "carts", clusters: int = 3, **options) -> dict:
    return elasticache.create_replication_group(
        ReplicationGroupId=group_id,
        ReplicationGroupDescription="shopping carts",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=clusters,
        **options,
    )["ReplicationGroup"]


def describe_group(elasticache, group_id: str = "carts") -> dict:
    [group] = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"]
    return group


def members_by_role(group: dict) -> dict[str, list[dict]]:
    roles: dict[str, list[dict]] = {"primary": [], "replica": []}
    for member in group["NodeGroups"][0]["NodeGroupMembers"]:
        roles[member["CurrentRole"]].append(member)
    return roles


def test_num_cache_clusters_gives_that_many_members_each_described(elasticache):
    created = create_group(elasticache)
    group = describe_group(elasticache)

    assert created["Status"] == "creating" and group["Status"] == "available"
    assert group["MemberClusters"] == ["carts-001", "carts-002", "carts-003"]
    roles = members_by_role(group)
    assert [member["CacheClusterId"] for member in roles["primary"]] == ["carts-001"]
    assert len(roles["replica"]) == 2
    assert group["ClusterEnabled"] is False and group["ClusterMode"] == "disabled"
    ports = {member["ReadEndpoint"]["Port"] for member in group["NodeGroups"][0]["NodeGroupMembers"]}
    ports |= {group["NodeGroups"][0]["PrimaryEndpoint"]["Port"], group["NodeGroups"][0]["ReaderEndpoint"]["Port"]}
    assert len(ports) == 5
    listed = elasticache.describe_cache_clusters()["CacheClusters"]
    assert sorted(cluster["CacheClusterId"] for cluster in listed) == group["MemberClusters"]
    [member] = elasticache.describe_cache_clusters(CacheClusterId="carts-002", ShowCacheNodeInfo=True)["CacheClusters"]
    assert member["ReplicationGroupId"] == "carts" and member["EngineVersion"] == "7.1.0"
    assert member["CacheNodes"][0]["Endpoint"] == roles["replica"][0]["ReadEndpoint"]


def test_replicas_per_node_group_counts_the_replicas(elasticache):
    elasticache.create_replication_group(
        ReplicationGroupId="pair", ReplicationGroupDescription="pair", Engine="valkey", CacheNodeType="cache.t3.micro",
        ReplicasPerNodeGroup=1, EngineVersion="7.2",
    )  # fmt: skip
    group = describe_group(elasticache, "pair")

    assert group["MemberClusters"] == ["pair-001", "pair-002"] and group["Engine"] == "valkey"
    [cluster] = elasticache.describe_cache_clusters(CacheClusterId="pair-001")["CacheClusters"]
    assert cluster["EngineVersion"] == "7.2.6"


def test_replicas_and_the_reader_endpoint_share_the_data_and_refuse_writes(elasticache):
    create_group(elasticache)
    group = describe_group(elasticache)
    node_group = group["NodeGroups"][0]
    primary = client_for(node_group["PrimaryEndpoint"])
    replica = client_for(members_by_role(group)["replica"][0]["ReadEndpoint"])
    reader = client_for(node_group["ReaderEndpoint"])

    assert primary.set("cart:1", "apples")
    for follower in (replica, reader):
        assert follower.get("cart:1") == b"apples"
        with pytest.raises(redis.ReadOnlyError, match=READONLY):
            follower.set("cart:1", "pears")
        with pytest.raises(redis.ReadOnlyError, match=READONLY):
            follower.delete("cart:1")
    assert primary.get("cart:1") == b"apples"
    role = replica.execute_command("ROLE")
    assert role[0] == b"slave" and role[3] == b"connected"
    assert replica.info("replication")["role"] == "slave"
    assert primary.execute_command("ROLE")[0] == b"master"


def test_a_write_queued_in_multi_on_a_replica_aborts_the_transaction(elasticache):
    create_group(elasticache)
    replica = client_for(members_by_role(describe_group(elasticache))["replica"][0]["ReadEndpoint"])

    pipeline = replica.pipeline(transaction=True)
    pipeline.get("cart:1").set("cart:1", "x")
    with pytest.raises(redis.ResponseError):
        pipeline.execute()
    assert replica.get("cart:1") is None


def test_test_failover_swaps_roles_and_drops_the_clients_of_the_nodes_involved(elasticache):
    create_group(elasticache, AutomaticFailoverEnabled=True)
    group = describe_group(elasticache)
    before = members_by_role(group)
    old_primary = raw_connection(before["primary"][0]["ReadEndpoint"])
    new_primary = raw_connection(before["replica"][0]["ReadEndpoint"])
    bystander = raw_connection(before["replica"][1]["ReadEndpoint"])
    endpoint = raw_connection(group["NodeGroups"][0]["PrimaryEndpoint"])

    elasticache.test_failover(ReplicationGroupId="carts", NodeGroupId="0001")

    after = members_by_role(describe_group(elasticache))
    assert after["primary"][0]["CacheClusterId"] == before["replica"][0]["CacheClusterId"]
    assert before["primary"][0]["CacheClusterId"] in [member["CacheClusterId"] for member in after["replica"]]
    assert dropped(old_primary) and dropped(new_primary) and dropped(endpoint)
    assert not dropped(bystander)
    # Reconnected, the old primary answers as a replica, and the primary endpoint serves the new primary.
    with pytest.raises(redis.ReadOnlyError):
        client_for(before["primary"][0]["ReadEndpoint"]).set("k", "v")
    assert client_for(group["NodeGroups"][0]["PrimaryEndpoint"]).set("k", "v")
    assert client_for(after["primary"][0]["ReadEndpoint"]).get("k") == b"v"
    assert (
        client_for(before["replica"][1]["ReadEndpoint"]).execute_command("ROLE")[2]
        == after["primary"][0]["ReadEndpoint"]["Port"]
    )


def test_modify_primary_cluster_id_promotes_that_member(elasticache):
    create_group(elasticache, clusters=2)

    elasticache.modify_replication_group(
        ReplicationGroupId="carts", PrimaryClusterId="carts-002", ApplyImmediately=True
    )

    roles = members_by_role(describe_group(elasticache))
    assert roles["primary"][0]["CacheClusterId"] == "carts-002"
    assert client_for(roles["primary"][0]["ReadEndpoint"]).set("k", "v")


def test_test_failover_needs_automatic_failover(elasticache):
    create_group(elasticache, clusters=2)

    with pytest.raises(elasticache.exceptions.InvalidReplicationGroupStateFault):
        elasticache.test_failover(ReplicationGroupId="carts", NodeGroupId="0001")


def test_delete_replication_group_stops_every_node(elasticache):
    create_group(elasticache, clusters=2)
    group = describe_group(elasticache)
    endpoints = [member["ReadEndpoint"] for member in group["NodeGroups"][0]["NodeGroupMembers"]]
    endpoints += [group["NodeGroups"][0]["PrimaryEndpoint"], group["NodeGroups"][0]["ReaderEndpoint"]]
    connections = [raw_connection(endpoint) for endpoint in endpoints]

    deleted = elasticache.delete_replication_group(ReplicationGroupId="carts")["ReplicationGroup"]

    assert deleted["Status"] == "deleting"
    assert all(dropped(connection) for connection in connections)
    for endpoint in endpoints:
        with pytest.raises(redis.ConnectionError):
            client_for(endpoint).ping()
    with pytest.raises(elasticache.exceptions.CacheClusterNotFoundFault):
        elasticache.describe_cache_clusters(CacheClusterId="carts-001")


def test_without_replicas_the_reader_endpoint_leads_to_the_primary(elasticache):
    create_group(elasticache, clusters=1)
    node_group = describe_group(elasticache)["NodeGroups"][0]

    assert client_for(node_group["ReaderEndpoint"]).set("k", "v")
    assert client_for(node_group["PrimaryEndpoint"]).get("k") == b"v"
