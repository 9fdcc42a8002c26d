"""A cache with an RBAC user group whose default user is off (ElastiCache's advice) answers new clients as
redis-server 7.0 does with the same ACL: NOAUTH until they authenticate, HELLO 3 AUTH accepted, wrong passwords
refused."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.redis_servers import free_port, redis_servers, wait_until

PASSWORD = "app-password-16chars"


@pytest.fixture(scope="module")
def real_redis_with_rbac(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    with redis_servers([["--port", str(port)]], tmp_path_factory.mktemp("redis-rbac")):
        admin = redis.Redis(port=port, retry=Retry(NoBackoff(), 0), protocol=2)
        wait_until(admin.ping, "redis-server did not answer within 10 s", seconds=10)
        admin.execute_command("ACL", "SETUSER", "app", "reset", "on", "~app:*", "+@all", f">{PASSWORD}")
        admin.execute_command("ACL", "SETUSER", "default", "reset", "off", "nopass")
        yield port


@pytest.fixture
def twin_rbac_port(elasticache) -> int:
    elasticache.create_user(
        UserId="rbac-default", UserName="default", Engine="redis", AccessString="off", NoPasswordRequired=True
    )
    elasticache.create_user(
        UserId="rbac-app", UserName="app", Engine="redis", AccessString="on ~app:* +@all", Passwords=[PASSWORD]
    )
    elasticache.create_user_group(UserGroupId="rbac-users", Engine="redis", UserIds=["rbac-default", "rbac-app"])
    elasticache.create_cache_cluster(CacheClusterId="rbac", Engine="redis", CacheNodeType="cache.t3.micro")
    group = elasticache.create_replication_group(
        ReplicationGroupId="rbac", ReplicationGroupDescription="rbac", Engine="redis", CacheNodeType="cache.t3.micro",
        TransitEncryptionEnabled=True, UserGroupIds=["rbac-users"],
    )["ReplicationGroup"]  # fmt: skip
    return group["NodeGroups"][0]["PrimaryEndpoint"]["Port"]


def conversation(port: int, tls: bool) -> list[bytes]:
    """Raw replies to a fixed exchange, over TLS for the twin (its cache requires it), plain for redis-server."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    if tls:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        raw = context.wrap_socket(raw)
    replies = []
    with raw:
        for command in (
            b"PING",
            b"AUTH default anything",
            b"AUTH app wrong-password-123456",
            b"HELLO 3 AUTH app " + PASSWORD.encode(),
            b"ACL WHOAMI",
            b"SET app:1 x",
        ):
            raw.sendall(command + b"\r\n")
            # Each server writes a reply in one go; on loopback one read takes it whole.
            replies.append(raw.recv(65536))
    return replies


def test_a_default_user_turned_off_answers_as_redis(real_redis_with_rbac, twin_rbac_port):
    twin = conversation(twin_rbac_port, tls=True)
    real = conversation(real_redis_with_rbac, tls=False)

    # HELLO's map holds the server's id and version, which differ: compare its first line and the role only.
    assert twin[:3] == real[:3]
    assert twin[3].split(b"\r\n")[0] == real[3].split(b"\r\n")[0]
    assert twin[4:] == real[4:]
