"""ElastiCache's 4xx errors, with the codes its API reference gives, where moto answered 500 or nothing."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

TOKEN = "a-token-of-16-chars-or-more"


def create_cluster(elasticache, cluster_id: str = "c1", **options) -> dict:
    options = {"Engine": "redis", "CacheNodeType": "cache.t3.micro", **options}
    return elasticache.create_cache_cluster(CacheClusterId=cluster_id, **options)["CacheCluster"]


def create_group(elasticache, group_id: str = "g1", **options) -> dict:
    options = {"Engine": "redis", "CacheNodeType": "cache.t3.micro", **options}
    return elasticache.create_replication_group(
        ReplicationGroupId=group_id, ReplicationGroupDescription="group", **options
    )["ReplicationGroup"]


def error_of(call, *args, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_not_found_errors(elasticache):
    assert error_of(elasticache.describe_cache_clusters, CacheClusterId="missing") == ("CacheClusterNotFound", 404)
    assert error_of(elasticache.delete_cache_cluster, CacheClusterId="missing") == ("CacheClusterNotFound", 404)
    assert error_of(elasticache.describe_replication_groups, ReplicationGroupId="missing") == (
        "ReplicationGroupNotFoundFault", 404,
    )  # fmt: skip
    assert error_of(elasticache.delete_replication_group, ReplicationGroupId="missing")[0] == (
        "ReplicationGroupNotFoundFault"
    )
    assert error_of(create_cluster, elasticache, CacheParameterGroupName="nope") == (
        "CacheParameterGroupNotFound", 404,
    )  # fmt: skip
    assert error_of(create_group, elasticache, TransitEncryptionEnabled=True, UserGroupIds=["nope"]) == (
        "UserGroupNotFound",
        404,
    )


def test_already_exists(elasticache):
    create_cluster(elasticache, "taken")
    create_group(elasticache, "grp", NumCacheClusters=2)

    assert error_of(create_cluster, elasticache, "taken") == ("CacheClusterAlreadyExists", 400)
    assert error_of(create_cluster, elasticache, "grp-002") == ("CacheClusterAlreadyExists", 400)
    assert error_of(create_group, elasticache, "grp") == ("ReplicationGroupAlreadyExists", 400)


@pytest.mark.parametrize(
    "token",
    ["too-short", "x" * 129, "has@at-sign-in-it-16", 'has"quote-in-it-16', "has/slash-in-it-16", "has space in it 16"],
)
def test_auth_token_rules(elasticache, token):
    assert error_of(create_group, elasticache, TransitEncryptionEnabled=True, AuthToken=token) == (
        "InvalidParameterValue", 400,
    )  # fmt: skip


def test_auth_token_needs_tls(elasticache):
    assert error_of(create_group, elasticache, AuthToken=TOKEN) == ("InvalidParameterCombination", 400)
    assert error_of(create_cluster, elasticache, AuthToken=TOKEN)[0] == "InvalidParameterCombination"


def test_what_the_twin_cannot_enact_is_refused(elasticache):
    assert error_of(create_cluster, elasticache, Engine="memcached")[0] == "InvalidParameterValue"
    assert error_of(create_cluster, elasticache, NumCacheNodes=2)[0] == "InvalidParameterValue"
    assert error_of(create_cluster, elasticache, EngineVersion="9.9")[0] == "InvalidParameterCombination"
    create_group(elasticache, "kept", NumCacheClusters=2)
    assert (
        error_of(elasticache.modify_replication_group, ReplicationGroupId="kept", SnapshottingClusterId="kept-002")[0]
        == "InvalidParameterCombination"
    )
    assert error_of(elasticache.delete_cache_cluster, CacheClusterId="kept-002")[0] == "InvalidCacheClusterState"
    assert error_of(create_group, elasticache, "solo", AutomaticFailoverEnabled=True)[0] == (
        "InvalidParameterCombination"
    )


def test_bad_identifiers(elasticache):
    for bad in ("1starts-with-digit", "double--hyphen", "ends-with-", "x" * 51):
        assert error_of(create_cluster, elasticache, bad) == ("InvalidParameterValue", 400)


def test_parameter_group_errors(elasticache):
    assert error_of(
        elasticache.create_cache_parameter_group,
        CacheParameterGroupName="p", CacheParameterGroupFamily="redis99", Description="d",
    )[0] == "InvalidParameterValue"  # fmt: skip
    assert (
        error_of(
            elasticache.modify_cache_parameter_group,
            CacheParameterGroupName="default.redis7",
            ParameterNameValues=[{"ParameterName": "timeout", "ParameterValue": "5"}],
        )[0]
        == "InvalidCacheParameterGroupState"
    )
    elasticache.create_cache_parameter_group(
        CacheParameterGroupName="six", CacheParameterGroupFamily="redis6.x", Description="d"
    )
    assert error_of(create_cluster, elasticache, CacheParameterGroupName="six")[0] == "InvalidParameterCombination"


def test_user_group_errors(elasticache):
    elasticache.create_user(UserId="solo-user", UserName="solo", Engine="redis", AccessString="on ~* +@all",
                            NoPasswordRequired=True)  # fmt: skip
    elasticache.create_user(UserId="dflt", UserName="default", Engine="redis", AccessString="on ~* +@all",
                            NoPasswordRequired=True)  # fmt: skip

    assert error_of(elasticache.create_user_group, UserGroupId="u", Engine="redis", UserIds=["solo-user"]) == (
        "DefaultUserRequired", 400,
    )  # fmt: skip
    assert error_of(elasticache.create_user_group, UserGroupId="u", Engine="redis", UserIds=["dflt", "ghost"]) == (
        "UserNotFound", 404,
    )  # fmt: skip
    elasticache.create_user_group(UserGroupId="used", Engine="redis", UserIds=["dflt"])
    create_group(elasticache, "rbac", TransitEncryptionEnabled=True, UserGroupIds=["used"])
    assert error_of(elasticache.delete_user_group, UserGroupId="used")[0] == "InvalidUserGroupState"
    assert error_of(create_group, elasticache, "both", TransitEncryptionEnabled=True, UserGroupIds=["used"],
                    AuthToken=TOKEN)[0] == "InvalidParameterCombination"  # fmt: skip
    assert error_of(create_group, elasticache, "plain", UserGroupIds=["used"])[0] == "InvalidParameterCombination"


def test_an_action_neither_the_twin_nor_moto_implements_is_a_400(elasticache):
    assert error_of(elasticache.describe_events) == ("InvalidAction", 400)


def test_snapshots_are_refused_for_caches_that_exist(elasticache):
    create_cluster(elasticache, "kept")

    assert error_of(elasticache.create_snapshot, SnapshotName="s", CacheClusterId="kept")[0] == (
        "InvalidParameterCombination"
    )
    assert error_of(elasticache.create_snapshot, SnapshotName="s", CacheClusterId="nope")[0] == "CacheClusterNotFound"
