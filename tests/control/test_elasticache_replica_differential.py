"""A twin replica node answers as a real redis-server 7.0 replica (replica-read-only yes) does: the same replies and
errors, compared side by side."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.redis_servers import free_port, redis_servers, wait_until


def client(port: int, protocol: int = 2) -> redis.Redis:
    return redis.Redis(port=port, protocol=protocol, socket_timeout=5, retry=Retry(NoBackoff(), 0))


@pytest.fixture(scope="module")
def real_primary_and_replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    primary_port, replica_port = free_port(), free_port()
    nodes = [
        ["--port", str(primary_port), "--repl-diskless-sync-delay", "0"],
        ["--port", str(replica_port), "--replicaof", "127.0.0.1", str(primary_port)],
    ]
    with redis_servers(nodes, tmp_path_factory.mktemp("redis-replication")):
        wait_until(
            lambda: client(replica_port).info("replication").get("master_link_status") == "up",
            "the real replica did not connect to its primary within 10 s",
            seconds=10,
        )
        yield primary_port, replica_port


@pytest.fixture
def replicas(
    real_primary_and_replica, elasticache
) -> Iterator[tuple[redis.Redis, redis.Redis, redis.Redis, redis.Redis]]:
    """(twin primary, twin replica, real primary, real replica), each primary holding k = v."""
    elasticache.create_replication_group(
        ReplicationGroupId="diff", ReplicationGroupDescription="differential", Engine="redis",
        CacheNodeType="cache.t3.micro", NumCacheClusters=2,
    )  # fmt: skip
    [group] = elasticache.describe_replication_groups(ReplicationGroupId="diff")["ReplicationGroups"]
    members = {
        member["CurrentRole"]: member["ReadEndpoint"]["Port"] for member in group["NodeGroups"][0]["NodeGroupMembers"]
    }
    real_primary, real_replica = (client(port) for port in real_primary_and_replica)
    twin_primary, twin_replica = client(members["primary"]), client(members["replica"])
    for primary in (real_primary, twin_primary):
        primary.flushall()
        primary.set("k", "v")
    real_primary.execute_command("WAIT", 1, 1000)
    yield twin_primary, twin_replica, real_primary, real_replica


def outcome(replica: redis.Redis, *command) -> object:
    connection = replica.connection_pool.get_connection()
    try:
        connection.send_command(*command)
        return connection.read_response()
    except redis.ResponseError as exc:
        return ("error", str(exc))
    finally:
        replica.connection_pool.release(connection)


@pytest.mark.parametrize(
    "command",
    [
        ("SET", "k", "w"),
        ("SET", "k"),
        ("DEL", "k"),
        ("FLUSHALL",),
        ("GEORADIUS", "g", "0", "0", "1", "km"),
        ("EXPIRE", "k", "10"),
        ("GET", "k"),
        ("PUBLISH", "channel", "message"),
        ("EVAL", "return redis.call('set', 'k', 'w')", "0"),
        ("EVAL", "return redis.call('get', 'k')", "0"),
        ("EVAL", "return redis.pcall('set', 'k', 'w')", "0"),
        ("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"),
    ],
)
def test_a_replica_answers_as_redis(replicas, command):
    _, twin_replica, _, real_replica = replicas

    assert outcome(twin_replica, *command) == outcome(real_replica, *command)


def test_a_transaction_with_a_write_aborts_as_on_redis(replicas):
    _, twin_replica, _, real_replica = replicas
    answers = []
    for replica in (twin_replica, real_replica):
        answers.append(
            [outcome(replica, *command) for command in (("MULTI",), ("SET", "k", "w"), ("GET", "k"), ("EXEC",))]
        )

    assert answers[0] == answers[1]


def test_role_info_and_hello_as_a_replica(replicas):
    twin_primary, twin_replica, real_primary, real_replica = replicas
    twin_role, real_role = outcome(twin_replica, "ROLE"), outcome(real_replica, "ROLE")

    assert [type(field) for field in twin_role] == [type(field) for field in real_role]
    assert (twin_role[0], twin_role[3]) == (real_role[0], real_role[3]) == (b"slave", b"connected")
    assert twin_role[2] == twin_primary.connection_pool.connection_kwargs["port"]
    twin_info, real_info = twin_replica.info("replication"), real_replica.info("replication")
    assert set(twin_info) <= set(real_info)
    for field in ("role", "master_link_status", "slave_read_only", "master_sync_in_progress", "connected_slaves"):
        assert twin_info[field] == real_info[field]
    ports = [replica.connection_pool.connection_kwargs["port"] for replica in (twin_replica, real_replica)]
    hello = [client(port, protocol=3).execute_command("HELLO", "3") for port in ports]
    assert hello[0][b"role"] == hello[1][b"role"] == b"replica"
    assert outcome(twin_primary, "ROLE")[0] == outcome(real_primary, "ROLE")[0] == b"master"
