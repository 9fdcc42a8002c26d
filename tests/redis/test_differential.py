"""The same redis-py scenarios against the twin and a real redis-server: the replies must be equal."""

from __future__ import annotations

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.redis.conftest import outcome

NO_RETRY = Retry(NoBackoff(), 0)


def strings(r: redis.Redis) -> list:
    return [
        r.set("s", "v"),
        r.get("s"),
        r.append("s", "w"),
        r.incr("n"),
        r.incrby("n", 10),
        r.incrbyfloat("f", 1.5),
        r.mset({"a": 1, "b": 2}),
        r.mget("a", "b", "missing"),
        r.setnx("a", 9),
        r.getrange("s", 0, 0),
        r.strlen("s"),
        outcome(lambda: r.incr("s")),
        r.set("s", "x", nx=True),
        r.set("s", "x", xx=True, get=True),
        r.delete("a", "b", "zz"),
        r.exists("s", "n"),
        r.type("s"),
    ]


def lists(r: redis.Redis) -> list:
    return [
        r.rpush("l", "a", "b", "c"),
        r.lpush("l", "z"),
        r.lrange("l", 0, -1),
        r.lpop("l"),
        r.rpop("l", 2),
        r.llen("l"),
        r.lmove("l", "m", "LEFT", "RIGHT"),
        r.lrange("m", 0, -1),
        r.exists("l"),
        outcome(lambda: r.lindex("missing", 0)),
    ]


def hashes_sets_zsets(r: redis.Redis) -> list:
    return [
        r.hset("h", mapping={"f1": "1", "f2": "2"}),
        sorted(r.hgetall("h").items()),
        r.hincrby("h", "f1", 5),
        r.hdel("h", "f2", "nope"),
        r.sadd("set", "a", "b", "c"),
        sorted(r.smembers("set")),
        r.sismember("set", "b"),
        r.zadd("z", {"a": 1, "b": 2.5, "c": -1}),
        r.zrange("z", 0, -1, withscores=True),
        r.zscore("z", "b"),
        r.zincrby("z", 1, "a"),
        r.zrangebyscore("z", 0, 3),
        outcome(lambda: r.hget("set", "x")),
    ]


def errors(r: redis.Redis) -> list:
    r.set("str", "v")
    return [
        outcome(lambda: r.lpush("str", "x")),
        outcome(lambda: r.execute_command("NOSUCHCOMMAND", "a")),
        outcome(lambda: r.execute_command("GET")),
        outcome(lambda: r.execute_command("SET", "k")),
        outcome(lambda: r.execute_command("INCR", "str")),
        outcome(lambda: r.execute_command("SELECT", "99")),
        outcome(lambda: r.execute_command("EXPIRE", "str", "notanumber")),
        outcome(lambda: r.execute_command("CONFIG", "NOSUCH")),
        outcome(lambda: r.execute_command("CONFIG", "SET", "no-such-option", "1")),
        outcome(lambda: r.execute_command("HELLO", "4")),
    ]


def transactions(r: redis.Redis) -> list:
    pipe = r.pipeline(transaction=True)
    pipe.set("t", 1).incr("t").lpush("t", "x").get("t")
    first = pipe.execute(raise_on_error=False)
    results = [[x if not isinstance(x, Exception) else ("error", str(x)) for x in first]]
    pipe = r.pipeline(transaction=False)
    pipe.set("p", "1").execute_command("NOSUCH").get("p")
    results.append(
        [x if not isinstance(x, Exception) else ("error", str(x)) for x in pipe.execute(raise_on_error=False)]
    )
    try:
        pipe = r.pipeline(transaction=True)
        pipe.set("q", 1).execute_command("NOSUCH").get("q")
        pipe.execute()
    except redis.ResponseError as exc:
        results.append(("error", str(exc).split(";")[0]))
    results.append(r.exists("q"))
    return results


def keys_and_databases(r: redis.Redis) -> list:
    r.mset({"k1": 1, "k2": 2, "other": 3})
    r.expire("k1", 100)
    return [
        sorted(r.keys("k*")),
        r.ttl("k1"),
        r.ttl("k2"),
        r.ttl("missing"),
        r.persist("k1"),
        r.dbsize(),
        r.move("k2", 3),
        r.dbsize(),
        r.rename("other", "renamed"),
        outcome(lambda: r.rename("missing", "x")),
        r.execute_command("SELECT", "3"),
        r.get("k2"),
        r.execute_command("SELECT", "0"),
        r.swapdb(0, 3),
        r.dbsize(),
    ]


def streams(r: redis.Redis) -> list:
    r.xadd("st", {"a": "1"}, id="1-1")
    r.xadd("st", {"b": "2"}, id="2-1")
    return [
        r.xlen("st"),
        r.xrange("st"),
        r.xgroup_create("st", "g", id="0"),
        r.xreadgroup("g", "c", {"st": ">"}, count=1),
        r.xack("st", "g", "1-1"),
        outcome(lambda: r.xadd("st", {"c": "3"}, id="1-0")),
    ]


def server_commands(r: redis.Redis) -> list:
    return [
        r.ping(),
        r.echo("hi"),
        r.config_get("maxmemory-policy"),
        r.config_set("maxmemory-policy", "allkeys-lru"),
        r.config_get("maxmemory-policy"),
        r.config_set("maxmemory-policy", "noeviction"),
        outcome(lambda: r.config_set("maxmemory-policy", "sometimes")),
        r.client_setname("me"),
        r.client_getname(),
        outcome(lambda: r.auth("nopassword")),
        # The default user has no password, so any password is accepted; id and version differ by nature.
        _without(outcome(lambda: r.execute_command("HELLO", "2", "AUTH", "default", "any")), b"id", b"version"),
    ]


def _without(flat_map: list, *names: bytes) -> list:
    pairs = zip(flat_map[::2], flat_map[1::2], strict=True)
    return [part for name, value in pairs if name not in names for part in (name, value)]


def command_shapes(r: redis.Redis) -> list:
    """Argument counts, key positions and canned answers, as the server's dispatch plans them."""
    many = {f"m{i}": i for i in range(100)}
    pipe = r.pipeline(transaction=True)
    pipe.set("t", 1).execute_command("GET").incr("t")
    return [
        r.lpush("pushed", "a", "b", "c"),
        r.lpush("pushed", "d"),
        r.lpushx("pushed", "e", "f"),
        r.lpushx("absent", "e"),
        r.lrange("pushed", 0, -1),
        r.mset(many),
        r.mget(*many)[95:],
        r.mset({"a": 1, "b": 2, "c": 3}),
        r.mget("a", "b", "c", "missing"),
        r.dump("absent"),
        r.hset("h", mapping={f"f{i}": i for i in range(40)}),
        r.hmget("h", "f0", "f39", "nope"),
        outcome(pipe.execute),
        r.exists("t"),
        outcome(lambda: r.execute_command("CONFIG GET", "maxmemory")),
        outcome(lambda: r.execute_command("CONFIG")),
    ]


def scripts(r: redis.Redis) -> list:
    """Lua scripts, as redis-py's Lock and job queues run them."""
    script = "redis.call('set', KEYS[1], ARGV[1]); return redis.call('incrby', KEYS[2], ARGV[2])"
    sha = r.script_load(script)
    lock = r.lock("resource", timeout=10)
    return [
        r.eval(script, 2, "s", "n", "v", 5),
        r.evalsha(sha, 2, "s", "n", "w", 1),
        r.get("s"),
        r.script_exists(sha, "0" * 40),
        outcome(lambda: r.evalsha("0" * 40, 0)),
        lock.acquire(blocking=False),
        r.lock("resource", timeout=10).acquire(blocking=False),
        lock.release(),
        r.exists("resource"),
    ]


SCENARIOS = [
    command_shapes,
    scripts,
    strings,
    lists,
    hashes_sets_zsets,
    errors,
    transactions,
    keys_and_databases,
    streams,
    server_commands,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_twin_replies_like_redis_server(scenario, both) -> None:
    twin, real = both
    assert scenario(twin) == scenario(real)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_twin_replies_like_redis_server_in_resp3(scenario, twin, real_redis, redis_client_factory) -> None:
    twin3 = redis_client_factory(protocol=3, retry=NO_RETRY)
    real3 = redis.Redis(port=real_redis.connection_pool.connection_kwargs["port"], protocol=3, retry=NO_RETRY)
    try:
        assert scenario(twin3) == scenario(real3)
    finally:
        real3.close()
