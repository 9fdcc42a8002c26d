"""Replication groups with cluster mode enabled: a live cluster of node groups (shards) with their slots, described as
AWS describes them, that redis-py's RedisCluster uses through the configuration endpoint (TLS verified against the
twin's CA, AUTH tokens, parameter groups, RBAC users), replicas that serve reads after READONLY and redirect writes,
and every node stopped at delete or reset."""

from __future__ import annotations

import json

import pytest
import redis
from botocore.exceptions import ClientError
from redis.cluster import RedisCluster
from redis.exceptions import MovedError

from cloudtwin.cli import main
from cloudtwin.redis.cluster.slots import key_slot
from tests.control.test_elasticache_endpoints import client_for, refuses_connections

TOKEN = "a-token-of-16-chars-or-more"
NEXT_TOKEN = "the-next-token-of-16-chars"
NODE_GROUP_MEMBER_FIELDS = {"CacheClusterId", "CacheNodeId", "PreferredAvailabilityZone"}


def create_cluster_group(elasticache, group_id: str, **options) -> dict:
    settings = {
        "ReplicationGroupDescription": "sharded",
        "Engine": "redis",
        "CacheNodeType": "cache.t4g.micro",
        "ClusterMode": "enabled",
        "NumNodeGroups": 3,
        **options,
    }
    return elasticache.create_replication_group(ReplicationGroupId=group_id, **settings)["ReplicationGroup"]


def described(elasticache, group_id: str) -> dict:
    [group] = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"]
    return group


def node_endpoint(elasticache, cluster_id: str) -> dict:
    [cluster] = elasticache.describe_cache_clusters(CacheClusterId=cluster_id, ShowCacheNodeInfo=True)["CacheClusters"]
    [node] = cluster["CacheNodes"]
    return node["Endpoint"]


def cluster_client(endpoint: dict, **options) -> RedisCluster:
    return RedisCluster(host=endpoint["Address"], port=endpoint["Port"], socket_timeout=5, **options)


def keys_in_every_shard(count: int = 60) -> list[str]:
    keys = [f"user:{index}" for index in range(count)]
    assert {key_slot(key.encode()) * 3 // 16384 for key in keys} == {0, 1, 2}
    return keys


def test_a_cluster_mode_enabled_group_is_described_as_aws_describes_one(elasticache):
    created = create_cluster_group(elasticache, "shop", ReplicasPerNodeGroup=1)
    group = described(elasticache, "shop")

    assert created["Status"] == "creating" and group["Status"] == "available"
    assert (group["ClusterEnabled"], group["ClusterMode"], group["AutomaticFailover"]) == (True, "enabled", "enabled")
    assert set(group["ConfigurationEndpoint"]) == {"Address", "Port"}
    assert [node_group["NodeGroupId"] for node_group in group["NodeGroups"]] == ["0001", "0002", "0003"]
    assert [node_group["Slots"] for node_group in group["NodeGroups"]] == ["0-5461", "5462-10922", "10923-16383"]
    for index, node_group in enumerate(group["NodeGroups"], start=1):
        # In cluster mode AWS gives node groups no primary or reader endpoint, and their members no endpoint or role.
        assert set(node_group) == {"NodeGroupId", "Status", "Slots", "NodeGroupMembers"}
        members = node_group["NodeGroupMembers"]
        assert [member["CacheClusterId"] for member in members] == [f"shop-{index:04}-001", f"shop-{index:04}-002"]
        assert all(set(member) == NODE_GROUP_MEMBER_FIELDS for member in members)
    assert group["MemberClusters"] == [f"shop-{shard:04}-{node:03}" for shard in (1, 2, 3) for node in (1, 2)]

    # Each member is a cache cluster of the group with its node's endpoint; CLUSTER SLOTS names the same nodes.
    slots = client_for(group["ConfigurationEndpoint"]).execute_command("CLUSTER", "SLOTS")
    served = {(first, last): [node[1] for node in nodes] for first, last, *nodes in slots}
    for node_group in group["NodeGroups"]:
        first, last = (int(bound) for bound in node_group["Slots"].split("-"))
        ports = []
        for member in node_group["NodeGroupMembers"]:
            [cluster] = elasticache.describe_cache_clusters(
                CacheClusterId=member["CacheClusterId"], ShowCacheNodeInfo=True
            )["CacheClusters"]
            assert cluster["ReplicationGroupId"] == "shop" and cluster["CacheClusterStatus"] == "available"
            ports.append(cluster["CacheNodes"][0]["Endpoint"]["Port"])
        assert served[(first, last)] == ports


def test_redis_py_cluster_over_tls_with_an_auth_token(elasticache, emulator_for_caches):
    group = create_cluster_group(elasticache, "secure", TransitEncryptionEnabled=True, AuthToken=TOKEN)
    assert (group["TransitEncryptionEnabled"], group["AuthTokenEnabled"]) == (True, True)
    ca_file = emulator_for_caches.health()["elasticache"]["ca_file"]
    endpoint = described(elasticache, "secure")["ConfigurationEndpoint"]

    client = cluster_client(endpoint, ssl=True, ssl_ca_certs=ca_file, ssl_check_hostname=True, password=TOKEN)
    keys = keys_in_every_shard()
    for key in keys:
        client.set(key, key.upper())
    assert [client.get(key) for key in keys] == [key.upper().encode() for key in keys]
    assert sorted(client.scan_iter()) == sorted(key.encode() for key in keys)

    with pytest.raises(redis.AuthenticationError):
        client_for(endpoint, ssl=True, ssl_ca_certs=ca_file).get("user:1")
    with pytest.raises(redis.ConnectionError):
        client_for(endpoint).ping()  # plaintext against a TLS node


def test_node_group_configuration_places_slots_ids_and_zones(elasticache):
    create_cluster_group(
        elasticache,
        "placed",
        NumNodeGroups=2,
        NodeGroupConfiguration=[
            {"NodeGroupId": "0007", "Slots": "0-99,8000-16383", "ReplicaCount": 1,
             "PrimaryAvailabilityZone": "us-east-1c", "ReplicaAvailabilityZones": ["us-east-1a"]},
            {"NodeGroupId": "0009", "Slots": "100-7999", "ReplicaCount": 0},
        ],
    )  # fmt: skip
    group = described(elasticache, "placed")

    assert [(node_group["NodeGroupId"], node_group["Slots"]) for node_group in group["NodeGroups"]] == [
        ("0007", "0-99,8000-16383"),
        ("0009", "100-7999"),
    ]
    first = group["NodeGroups"][0]["NodeGroupMembers"]
    assert [(member["CacheClusterId"], member["PreferredAvailabilityZone"]) for member in first] == [
        ("placed-0007-001", "us-east-1c"),
        ("placed-0007-002", "us-east-1a"),
    ]
    shards = client_for(group["ConfigurationEndpoint"]).execute_command("CLUSTER", "SHARDS")
    assert sorted(shard[b"slots"] for shard in shards) == [[0, 99, 8000, 16383], [100, 7999]]


@pytest.mark.filterwarnings("ignore:Call to '__init__' function with deprecated usage:DeprecationWarning")
def test_a_replica_serves_reads_after_readonly_and_redirects_writes(elasticache):
    group = create_cluster_group(elasticache, "replicated", NumNodeGroups=2, ReplicasPerNodeGroup=1)
    primary = client_for(node_endpoint(elasticache, "replicated-0001-001"))
    replica = client_for(node_endpoint(elasticache, "replicated-0001-002"))
    key = next(f"k{index}" for index in range(100) if key_slot(f"k{index}".encode()) <= 8191)
    primary.set(key, "from-the-primary")
    primary_address = f"127.0.0.1:{primary.connection_pool.connection_kwargs['port']}"

    with pytest.raises(MovedError, match=f"^{key_slot(key.encode())} {primary_address}$"):
        replica.get(key)
    assert replica.execute_command("READONLY") and replica.get(key) == b"from-the-primary"
    with pytest.raises(MovedError, match=f"^{key_slot(key.encode())} {primary_address}$"):
        replica.set(key, "from-the-replica")
    with pytest.raises(redis.ReadOnlyError):
        replica.flushall()
    assert replica.execute_command("ROLE")[0] == b"slave"

    # redis-py's RedisCluster sends READONLY to replicas and reads from them (round robin with the primaries).
    reader = cluster_client(group["ConfigurationEndpoint"], read_from_replicas=True)
    keys = keys_in_every_shard(30)
    for key_name in keys:
        reader.set(key_name, "v")
    assert all(reader.get(key_name) == b"v" for key_name in keys)
    replica_port = replica.connection_pool.connection_kwargs["port"]
    served = [client for client in primary.client_list() if client["laddr"].endswith(f":{replica_port}")]
    assert any(client["cmd"] == "get" for client in served)


def test_parameter_groups_and_auth_token_rotation_reach_every_node(elasticache):
    elasticache.create_cache_parameter_group(
        CacheParameterGroupName="sharded-lru", CacheParameterGroupFamily="redis7", Description="d"
    )
    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName="sharded-lru",
        ParameterNameValues=[
            {"ParameterName": "cluster-enabled", "ParameterValue": "yes"},
            {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"},
        ],
    )
    group = create_cluster_group(
        elasticache, "tuned", CacheParameterGroupName="sharded-lru", TransitEncryptionEnabled=True, AuthToken=TOKEN
    )
    member_ids = group["MemberClusters"]

    def nodes(password: str) -> list[redis.Redis]:
        return [
            client_for(node_endpoint(elasticache, member), ssl=True, ssl_cert_reqs=None, password=password)
            for member in member_ids
        ]

    assert {node.config_get("maxmemory-policy")["maxmemory-policy"] for node in nodes(TOKEN)} == {"allkeys-lru"}
    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName="sharded-lru",
        ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lfu"}],
    )
    assert {node.config_get("maxmemory-policy")["maxmemory-policy"] for node in nodes(TOKEN)} == {"allkeys-lfu"}
    elasticache.modify_replication_group(
        ReplicationGroupId="tuned", CacheParameterGroupName="default.redis7.cluster.on", ApplyImmediately=True
    )
    assert {node.config_get("maxmemory-policy")["maxmemory-policy"] for node in nodes(TOKEN)} == {"volatile-lru"}

    elasticache.modify_replication_group(
        ReplicationGroupId="tuned", AuthToken=NEXT_TOKEN, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True
    )
    assert all(node.ping() for node in nodes(TOKEN) + nodes(NEXT_TOKEN))
    elasticache.modify_replication_group(
        ReplicationGroupId="tuned", AuthToken=NEXT_TOKEN, AuthTokenUpdateStrategy="SET", ApplyImmediately=True
    )
    assert all(node.ping() for node in nodes(NEXT_TOKEN))
    for node in nodes(TOKEN):
        with pytest.raises(redis.AuthenticationError):
            node.ping()


def test_rbac_user_groups_are_the_users_of_every_node(elasticache):
    elasticache.create_user(
        UserId="shard-default", UserName="default", Engine="redis", AccessString="off", NoPasswordRequired=True
    )
    elasticache.create_user(
        UserId="shard-app", UserName="app", Engine="redis", AccessString="on ~* +@all",
        Passwords=["app-password-16chars"],
    )  # fmt: skip
    elasticache.create_user_group(UserGroupId="shard-users", Engine="redis", UserIds=["shard-default", "shard-app"])
    group = create_cluster_group(elasticache, "rbac", TransitEncryptionEnabled=True, UserGroupIds=["shard-users"])

    client = cluster_client(
        group["ConfigurationEndpoint"], ssl=True, ssl_cert_reqs=None, username="app", password="app-password-16chars"
    )
    for key in keys_in_every_shard(20):
        client.set(key, "v")
    for member in group["MemberClusters"]:
        with pytest.raises(redis.AuthenticationError):
            client_for(node_endpoint(elasticache, member), ssl=True, ssl_cert_reqs=None).ping()


def test_delete_stops_every_node(elasticache):
    group = create_cluster_group(elasticache, "doomed", ReplicasPerNodeGroup=1)
    ports = [node_endpoint(elasticache, member)["Port"] for member in group["MemberClusters"]]
    assert not any(refuses_connections(port) for port in ports)

    deleted = elasticache.delete_replication_group(ReplicationGroupId="doomed")["ReplicationGroup"]

    assert deleted["Status"] == "deleting" and deleted["ClusterEnabled"] is True
    assert all(refuses_connections(port) for port in ports)
    with pytest.raises(ClientError) as raised:
        elasticache.describe_cache_clusters(CacheClusterId="doomed-0001-001")
    assert raised.value.response["Error"]["Code"] == "CacheClusterNotFound"


def test_health_and_status_list_every_node_and_reset_stops_them(elasticache, emulator_for_caches, capsys):
    create_cluster_group(elasticache, "listed", NumNodeGroups=2, ReplicasPerNodeGroup=1)
    entries = [entry for entry in emulator_for_caches.health()["elasticache"]["caches"] if entry["cache"] == "listed"]

    assert sorted((entry["id"], entry["role"]) for entry in entries) == [
        ("listed", "configuration-endpoint"),
        ("listed-0001-001", "primary"),
        ("listed-0001-002", "replica"),
        ("listed-0002-001", "primary"),
        ("listed-0002-002", "replica"),
    ]
    assert main(["status", "--endpoint", emulator_for_caches.aws_endpoint]) == 0
    printed = json.loads(capsys.readouterr().out)["services"]["elasticache"]["caches"]
    assert {entry["address"] for entry in entries} <= {entry["address"] for entry in printed}

    emulator_for_caches.reset("elasticache")
    assert all(refuses_connections(int(entry["address"].rsplit(":", 1)[1])) for entry in entries)


def error_of(call, **options) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**options)
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"ClusterMode": "disabled", "NumNodeGroups": 2}, "ClusterMode disabled"),
        ({"CacheParameterGroupName": "default.redis7"}, "cluster-enabled yes"),
        ({"NumCacheClusters": 2}, "NumCacheClusters"),
        ({"NumNodeGroups": 3, "NodeGroupConfiguration": [{"Slots": "0-16383"}]}, "disagree"),
        ({"NumNodeGroups": 2, "NodeGroupConfiguration": [{"Slots": "0-100"}, {"Slots": "200-16383"}]}, "Slots"),
        ({"ReplicasPerNodeGroup": 6}, "ReplicasPerNodeGroup"),
        ({"AutomaticFailoverEnabled": False}, "automatic failover"),
        ({"MultiAZEnabled": True, "AutomaticFailoverEnabled": True}, "replica"),
    ],
)
def test_what_cluster_mode_refuses(elasticache, options, words):
    code, message = error_of(create_cluster_group, elasticache=elasticache, group_id="refused", **options)

    assert code in ("InvalidParameterCombination", "InvalidParameterValue") and words in message
    assert error_of(elasticache.describe_replication_groups, ReplicationGroupId="refused")[0] == (
        "ReplicationGroupNotFoundFault"
    )


def test_what_a_cluster_mode_group_cannot_change(elasticache):
    create_cluster_group(elasticache, "fixed", NumNodeGroups=2, ReplicasPerNodeGroup=1)

    for options in (
        {"PrimaryClusterId": "fixed-0001-002"},
        {"CacheParameterGroupName": "default.redis7"},
        {"AutomaticFailoverEnabled": False},
    ):
        code, _ = error_of(elasticache.modify_replication_group, ReplicationGroupId="fixed", **options)
        assert code == "InvalidParameterCombination"
    assert error_of(elasticache.test_failover, ReplicationGroupId="fixed", NodeGroupId="0001")[0] == (
        "InvalidParameterCombination"
    )
    code, message = error_of(
        elasticache.create_cache_cluster,
        CacheClusterId="loner", Engine="redis", CacheNodeType="cache.t3.micro",
        CacheParameterGroupName="default.redis7.cluster.on",
    )  # fmt: skip
    assert code == "InvalidParameterCombination" and "replication groups" in message
