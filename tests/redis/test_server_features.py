"""ElastiCache behaviour: AUTH and ACL users, TLS, maxmemory and eviction, INFO, CONFIG, admin reset and health."""

from __future__ import annotations

import json
import shutil
import urllib.request

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.redis.conftest import outcome, raw
from tests.redis.test_expiry import wait_for

# Authentication failures are connection errors to redis-py, which it would retry with backoff.
NO_RETRY = {"retry": Retry(NoBackoff(), 0)}


def test_requirepass_needs_auth(start_twin) -> None:
    service = start_twin(redis_password="s3cret")
    anonymous = redis.Redis(port=service.port, **NO_RETRY)
    with pytest.raises(redis.AuthenticationError):
        anonymous.get("k")
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=service.port, password="wrong", **NO_RETRY).ping()
    client = redis.Redis(port=service.port, password="s3cret")
    assert client.set("k", "v") is True
    assert client.execute_command("HELLO", "3", "AUTH", "default", "s3cret")[b"proto"] == 3


def test_noauth_reply_matches_redis_server(start_twin, real_redis) -> None:
    service = start_twin(redis_password="pw")
    real_redis.config_set("requirepass", "pw")
    try:
        replies = []
        for port in (service.port, real_redis.connection_pool.connection_kwargs["port"]):
            client = redis.Redis(port=port, **NO_RETRY)
            for call in (lambda c=client: c.get("k"), lambda c=client: c.execute_command("HELLO", "3")):
                try:
                    call()
                except redis.RedisError as exc:
                    replies.append((port == service.port, str(exc)))
        assert [text for _, text in replies[:2]] == [text for _, text in replies[2:]]
    finally:
        redis.Redis(port=real_redis.connection_pool.connection_kwargs["port"], password="pw").config_set(
            "requirepass", ""
        )


def test_config_set_requirepass_and_acl_users(start_twin) -> None:
    service = start_twin()
    admin = redis.Redis(port=service.port, **NO_RETRY)
    assert admin.acl_setuser("reader", enabled=True, passwords=["+readpw"], keys=["*"], commands=["+get"])
    assert admin.config_set("requirepass", "adminpw") is True
    reader = redis.Redis(port=service.port, username="reader", password="readpw")
    assert reader.get("k") is None
    with pytest.raises(redis.exceptions.NoPermissionError):
        reader.set("k", "v")
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=service.port, **NO_RETRY).ping()


def test_tls_in_transit_encryption(start_twin, certificate) -> None:
    cert, key = certificate
    service = start_twin(redis_tls_cert=cert, redis_tls_key=key)
    assert service.endpoint.startswith("rediss://")
    client = redis.Redis(port=service.port, ssl=True, ssl_cert_reqs=None)
    pipe = client.pipeline()
    for i in range(200):
        pipe.set(f"k{i}", "x" * 1000)
    assert all(pipe.execute())
    assert client.get("k199") == b"x" * 1000
    with pytest.raises(redis.ConnectionError):
        redis.Redis(port=service.port, socket_timeout=2).ping()


def test_noeviction_replies_oom(start_twin) -> None:
    service = start_twin(redis_maxmemory="2mb")
    client = redis.Redis(port=service.port, **NO_RETRY)
    with pytest.raises(redis.exceptions.OutOfMemoryError, match="command not allowed when used memory"):
        for i in range(10_000):
            client.set(f"key:{i}", "x" * 1000)
    assert client.get("key:0") == b"x" * 1000
    assert client.delete("key:0") == 1


@pytest.mark.parametrize(
    "policy",
    ["allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"],
)
def test_every_eviction_policy_keeps_memory_under_maxmemory(start_twin, policy: str) -> None:
    service = start_twin(redis_maxmemory="3mb", redis_maxmemory_policy=policy)
    client = redis.Redis(port=service.port, **NO_RETRY)
    volatile = policy.startswith("volatile")
    for i in range(5000):
        client.set(f"key:{i}", "x" * 1000, ex=1000 + i if volatile else None)
    info = client.info()
    assert info["evicted_keys"] > 0
    assert info["used_memory"] <= 3 * 1024 * 1024 + 4096
    assert info["maxmemory_policy"] == policy
    assert client.dbsize() < 5000


def test_lru_evicts_the_least_recently_used(start_twin) -> None:
    service = start_twin(redis_maxmemory="2mb", redis_maxmemory_policy="allkeys-lru")
    client = redis.Redis(port=service.port, **NO_RETRY)
    client.set("hot", "x" * 1000)
    for i in range(3000):
        client.set(f"cold:{i}", "x" * 1000)
        client.get("hot")
    assert client.get("hot") == b"x" * 1000
    assert client.get("cold:0") is None


def test_volatile_policies_never_evict_persistent_keys(start_twin) -> None:
    service = start_twin(redis_maxmemory="2mb", redis_maxmemory_policy="volatile-lru")
    client = redis.Redis(port=service.port, **NO_RETRY)
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        for i in range(5000):
            client.set(f"persistent:{i}", "x" * 1000)
    assert client.exists("persistent:0") == 1


def test_info_reports_what_monitoring_reads(redis_client) -> None:
    redis_client.set("k", "v")
    redis_client.get("k")
    redis_client.get("missing")
    info = redis_client.info("all")
    for field in (
        "used_memory",
        "maxmemory",
        "evicted_keys",
        "expired_keys",
        "keyspace_hits",
        "keyspace_misses",
        "connected_clients",
        "redis_version",
    ):
        assert field in info, field
    assert info["keyspace_hits"] >= 1 and info["keyspace_misses"] >= 1
    assert info["db0"]["keys"] == 1
    assert redis_client.info("server")["redis_version"].startswith("7.")


def test_config_resetstat_zeroes_counters(redis_client) -> None:
    redis_client.get("missing")
    assert redis_client.config_resetstat() is True
    assert redis_client.info("stats")["keyspace_misses"] == 0


def test_unsupported_config_is_a_clear_error(redis_client) -> None:
    with pytest.raises(redis.ResponseError, match="Unknown option"):
        redis_client.config_set("cluster-enabled", "yes")
    assert redis_client.config_get("no-such-*") == {}


def test_admin_reset_flushes_redis_and_health_reports_it(cloudtwin, redis_client) -> None:
    redis_client.config_set("slowlog-log-slower-than", 0)
    redis_client.set("k", "v")
    redis_client.config_set("slowlog-log-slower-than", 10000)
    assert redis_client.slowlog_len() > 0
    request = urllib.request.Request(
        f"{cloudtwin.aws_endpoint}/_cloudtwin/reset",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).read()
    assert redis_client.dbsize() == 0
    assert redis_client.slowlog_len() == 0
    assert "cmdstat_set" not in redis_client.info("commandstats")
    with urllib.request.urlopen(f"{cloudtwin.aws_endpoint}/_cloudtwin/health", timeout=10) as response:
        health = json.loads(response.read())
    assert health["services"]["redis"]["up"] is True
    assert health["services"]["redis"]["endpoint"].endswith(
        f":{redis_client.connection_pool.connection_kwargs['port']}"
    )


def test_memory_estimate_is_close_to_redis_server(redis_client, real_redis) -> None:
    def fill(r: redis.Redis) -> list[int]:
        r.set("string", "x" * 1000)
        r.hset("hash", mapping={f"field{i}": "v" * 50 for i in range(1000)})
        r.rpush("list", *[f"item{i}" * 5 for i in range(10_000)])
        r.sadd("set", *range(1000))
        r.zadd("zset", {f"m{i}": i for i in range(1000)})
        return [r.memory_usage(key) for key in ("string", "hash", "list", "set", "zset")]

    for estimate, measured in zip(fill(redis_client), fill(real_redis), strict=True):
        assert measured / 1.5 <= estimate <= measured * 1.5


@pytest.mark.parametrize("backend", ["fakeredis", "redis-server"])
def test_users_flag_defines_acl_users(start_twin, backend: str) -> None:
    if backend == "redis-server" and shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install -y redis-server)")
    service = start_twin(
        redis_backend=backend, redis_password="adminpw", redis_users="app on >apppw ~app:* +@all; ro on >ropw ~* +@read"
    )
    app = redis.Redis(port=service.port, username="app", password="apppw", **NO_RETRY)
    assert app.set("app:k", "v") is True
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.set("other:k", "v")
    reader = redis.Redis(port=service.port, username="ro", password="ropw", **NO_RETRY)
    assert reader.get("app:k") == b"v"
    with pytest.raises(redis.exceptions.NoPermissionError):
        reader.set("app:k", "w")


def test_reset_drops_authentication(start_twin) -> None:
    service = start_twin(redis_password="pw")
    client = redis.Redis(port=service.port, password="pw", single_connection_client=True, **NO_RETRY)
    assert client.execute_command("RESET") in ("RESET", b"RESET")
    with pytest.raises(redis.AuthenticationError):
        client.get("k")


def _command_counts(client: redis.Redis) -> dict[str, tuple[int, int, int]]:
    stats = client.info("commandstats")
    return {
        name: (fields["calls"], fields["rejected_calls"], fields["failed_calls"])
        for name, fields in stats.items()
        if name != "cmdstat_info"
    }


def _commandstats_scenario(client: redis.Redis) -> tuple[dict, dict, int]:
    client.config_resetstat()
    client.set("a", "1")
    client.get("a")
    client.get("missing")
    for call in (
        lambda: client.lpush("a", "x"),  # WRONGTYPE: ran and failed
        lambda: client.execute_command("GET"),  # arity: rejected
        lambda: client.execute_command("NOSUCH", "x"),  # unknown: an error, but no command's
        lambda: client.execute_command("CLIENT", "NOSUCH"),
    ):
        outcome(call)
    pipe = client.pipeline(transaction=True)
    pipe.set("b", "1").incr("b").lpush("b", "x")
    pipe.execute(raise_on_error=False)
    client.client_setname("stats")
    client.config_get("maxmemory")
    errors = {name: fields["count"] for name, fields in client.info("errorstats").items()}
    return _command_counts(client), errors, client.info("stats")["total_error_replies"]


def test_commandstats_and_errorstats_count_like_redis_server(redis_client, real_redis) -> None:
    twin = _commandstats_scenario(redis_client)
    real = _commandstats_scenario(real_redis)
    assert twin == real
    counts = twin[0]
    assert counts["cmdstat_set"] == (2, 0, 0)
    assert counts["cmdstat_lpush"] == (2, 0, 2)
    assert counts["cmdstat_get"] == (2, 1, 0)


def test_info_all_adds_commandstats_to_the_default_sections(redis_client) -> None:
    redis_client.ping()
    connection = redis_client.connection_pool.get_connection()
    try:
        connection.send_command("INFO")
        default = connection.read_response().decode()
        connection.send_command("INFO", "all")
        everything = connection.read_response().decode()
    finally:
        redis_client.connection_pool.release(connection)
    assert (
        "# Modules" in default
        and "# Errorstats" in default
        and "# Cluster" in default
        and "# Commandstats" not in default
    )
    assert "# Commandstats" in everything and "cmdstat_ping:calls=" in everything
    assert everything.index("# Commandstats") < everything.index("# Errorstats") < everything.index("# Keyspace")


def test_idle_clients_are_closed_after_config_timeout_on_the_emulator_clock(start_twin, cloudtwin_clock) -> None:
    cloudtwin_clock.freeze()
    service = start_twin()
    admin = redis.Redis(port=service.port, **NO_RETRY)
    admin.config_set("timeout", 30)
    idle = redis.Redis(port=service.port, single_connection_client=True, **NO_RETRY)
    subscriber = redis.Redis(port=service.port, **NO_RETRY).pubsub()
    subscriber.subscribe("news")
    blocked = redis.Redis(port=service.port, single_connection_client=True, **NO_RETRY)
    blocked.execute_command("CLIENT", "SETNAME", "blocked")
    blocked.connection.send_command("BLPOP", "queue", 0)
    idle.ping()
    assert wait_for(lambda: admin.info("clients")["blocked_clients"] == 1)
    cloudtwin_clock.advance(20)
    admin.ping()
    idle.ping()  # an exchange restarts the idle time
    cloudtwin_clock.advance(25)
    assert idle.ping()
    cloudtwin_clock.advance(31)
    # The admin client was idle too and is gone; a new connection is not.
    probe = redis.Redis(port=service.port, single_connection_client=True, **NO_RETRY)
    assert wait_for(lambda: probe.info("clients")["connected_clients"] == 3), (
        probe.info("clients"),
        [(c["id"], c["name"], c["addr"]) for c in probe.client_list()],
    )
    with pytest.raises(redis.ConnectionError):
        idle.ping()
    # Subscribed and blocked clients are exempt, as in redis.
    redis.Redis(port=service.port).publish("news", "still here")
    assert wait_for(
        lambda: (message := subscriber.get_message(timeout=0.1)) is not None and message["type"] == "message"
    )
    redis.Redis(port=service.port).rpush("queue", "job")
    assert blocked.connection.read_response() == [b"queue", b"job"]


def test_startup_users_are_defined_when_every_command_is_slow_logged() -> None:
    """The startup session has no client: a slow-logged command run through it must not need one's address."""
    from cloudtwin.clock import Clock
    from cloudtwin.redis.engine import RedisEngine

    engine = RedisEngine(Clock())
    engine.config.set_many([("slowlog-log-slower-than", "0")])
    engine.define_users("app on >pw ~app:* +@all")
    assert engine.server.acl.get_user_acl(b"app").check_password(b"pw")
    assert [entry for entry in engine.slowlog.entries if entry[4] == b"internal"]


# ElastiCache for Redis OSS makes these unavailable ("Restricted commands" in its user guide): a node answers them as
# commands it does not know. CONFIG (which test suites set parameters with) and DEBUG (--redis-enable-debug-command)
# are the twin's documented exceptions.
ELASTICACHE_RESTRICTED = [
    ("REPLICAOF", "NO", "ONE"),
    ("SLAVEOF", "NO", "ONE"),
    ("REPLICAOF", "127.0.0.1", "6379"),
    ("MIGRATE", "127.0.0.1", "6379", "k", "0", "1000"),
    ("SYNC",),
    ("PSYNC", "?", "-1"),
    ("BGREWRITEAOF",),
    ("SHUTDOWN", "NOSAVE"),
]


@pytest.mark.parametrize("command", ELASTICACHE_RESTRICTED, ids=lambda command: " ".join(command))
def test_elasticache_restricted_commands_are_unknown(twin, command) -> None:
    quoted = "".join(f"'{argument}' " for argument in command[1:])
    with pytest.raises(redis.ResponseError) as raised:
        twin.execute_command(*command)
    assert str(raised.value) == f"unknown command '{command[0]}', with args beginning with: {quoted}"
    assert raw(twin, "COMMAND", "INFO", command[0]) == [None]
    assert twin.ping()
