"""Reply shapes of server commands against the twin and redis-server: CLIENT names and ACL subcommands."""

from __future__ import annotations

import redis

from tests.redis.conftest import outcome, raw


def client_names(client: redis.Redis) -> list:
    return [
        client.execute_command("CLIENT", "GETNAME"),
        outcome(lambda: client.execute_command("CLIENT", "SETNAME", "two words")),
        outcome(lambda: client.execute_command("CLIENT", "SETNAME", "new\nline")),
        client.execute_command("CLIENT", "SETNAME", "ok-name_1"),
        client.execute_command("CLIENT", "GETNAME"),
        client.execute_command("CLIENT", "SETNAME", ""),
        client.execute_command("CLIENT", "GETNAME"),
    ]


def test_client_names_reply_like_redis_server(both) -> None:
    twin, real = both
    assert client_names(twin) == client_names(real)


def acl_replies(client: redis.Redis) -> list:
    for name in ("u1", "u2", "limited"):
        client.execute_command("ACL", "DELUSER", name)
    client.execute_command("ACL", "SETUSER", "u1")
    client.execute_command("ACL", "SETUSER", "u2")
    client.execute_command("ACL", "SETUSER", "limited", "on", "nopass", "~a*", "&news", "+get", "+publish")
    return [
        client.execute_command("ACL", "DELUSER", "u1", "u2", "u3"),
        client.execute_command("ACL", "DELUSER", "u1"),
        client.execute_command("ACL", "GETUSER", "u1"),
        client.execute_command("ACL", "USERS"),
        outcome(lambda: client.execute_command("ACL", "DELUSER", "default")),
        outcome(lambda: client.execute_command("ACL", "DELUSER")),
        len(client.execute_command("ACL", "GENPASS")),
        len(client.execute_command("ACL", "GENPASS", "555")),
        len(client.execute_command("ACL", "GENPASS", "1")),
        len(client.execute_command("ACL", "GENPASS", "4096")),
        outcome(lambda: client.execute_command("ACL", "GENPASS", "0")),
        outcome(lambda: client.execute_command("ACL", "GENPASS", "4097")),
        outcome(lambda: client.execute_command("ACL", "GENPASS", "x")),
        client.execute_command("ACL", "DRYRUN", "limited", "get", "a1"),
        client.execute_command("ACL", "DRYRUN", "limited", "get", "b1"),
        client.execute_command("ACL", "DRYRUN", "limited", "set", "a1", "v"),
        client.execute_command("ACL", "DRYRUN", "limited", "publish", "news", "hi"),
        client.execute_command("ACL", "DRYRUN", "limited", "publish", "other", "hi"),
        client.execute_command("ACL", "DRYRUN", "default", "set", "x", "1"),
        outcome(lambda: client.execute_command("ACL", "DRYRUN", "nobody", "get", "a")),
        outcome(lambda: client.execute_command("ACL", "DRYRUN", "limited", "nosuchcommand", "a")),
        outcome(lambda: client.execute_command("ACL", "DRYRUN", "limited", "get")),
        # Arity errors name a subcommand as redis 7 does, whichever side implements it.
        outcome(lambda: client.execute_command("ACL", "GETUSER")),
        outcome(lambda: client.execute_command("CONFIG", "GET")),
        # A dry run is not a denial: nothing reaches the ACL log.
        client.execute_command("ACL", "LOG"),
    ]


def test_acl_subcommands_reply_like_redis_server(both) -> None:
    twin, real = both
    for client in both:
        client.execute_command("ACL", "LOG", "RESET")
    assert acl_replies(twin) == acl_replies(real)


def read_only_variants(client: redis.Redis) -> list:
    sha = client.script_load("return redis.call('get', KEYS[1])")
    return [
        client.execute_command("BITFIELD", "bits", "SET", "u8", "8", "255"),
        client.execute_command("BITFIELD_RO", "bits", "GET", "u8", "0", "GET", "u4", "8", "GET", "i4", "12"),
        client.execute_command("BITFIELD_RO", "nothing", "GET", "u8", "0"),
        outcome(lambda: client.execute_command("BITFIELD_RO", "bits", "SET", "u8", "0", "1")),
        client.set("k", "v"),
        client.execute_command("EVAL_RO", "return redis.call('get', KEYS[1])", 1, "k"),
        client.execute_command("EVALSHA_RO", sha, 1, "k"),
        outcome(lambda: client.execute_command("EVAL_RO", "return redis.call('set', KEYS[1], 'w')", 1, "k")),
        outcome(lambda: client.execute_command("EVAL_RO", "return redis.pcall('del', KEYS[1])", 1, "k")),
        outcome(lambda: client.execute_command("EVALSHA_RO", "0" * 40, 0)),
        outcome(lambda: client.execute_command("EVAL_RO", "return 1", "x")),
        client.get("k"),
        # A script run by plain EVAL after a read-only one may write again.
        client.execute_command("EVAL", "return redis.call('set', KEYS[1], 'w')", 1, "k"),
    ]


def test_read_only_command_variants_reply_like_redis_server(both) -> None:
    twin, real = both
    assert read_only_variants(twin) == read_only_variants(real)


def modules_and_lolwut(client: redis.Redis) -> list:
    return [
        client.execute_command("MODULE", "LIST"),
        outcome(lambda: client.execute_command("MODULE", "LOAD", "/tmp/nothing.so")),
        outcome(lambda: client.execute_command("MODULE", "LIST", "x")),
        outcome(lambda: client.execute_command("MODULE", "NOSUCH")),
        client.execute_command("LOLWUT").decode().splitlines()[-1].startswith("Redis ver."),
        client.execute_command("LOLWUT", "5", "6", "7", "8"),
        outcome(lambda: client.execute_command("LOLWUT", "VERSION", "x")),
    ]


def test_module_and_lolwut_reply_like_redis_server(both) -> None:
    twin, real = both
    version = real.info("server")["redis_version"]
    assert modules_and_lolwut(twin) == modules_and_lolwut(real)
    assert twin.execute_command("LOLWUT") == f"Redis ver. {version}\n".encode()


def touch_and_acl_help(client: redis.Redis) -> list:
    client.set("t1", "1")
    return [
        client.execute_command("TOUCH", "t1", "t1", "missing"),
        outcome(lambda: client.execute_command("TOUCH")),
        client.execute_command("ACL", "HELP"),
    ]


def test_touch_and_acl_help_reply_like_redis_server(both) -> None:
    twin, real = both
    assert touch_and_acl_help(twin) == touch_and_acl_help(real)


def acl_denials(client: redis.Redis, port: int) -> list:
    client.execute_command("ACL", "DELUSER", "limited")
    client.execute_command(
        "ACL", "SETUSER", "limited", "on", "nopass", "~cache:*", "&news", "+get", "+multi", "+exec", "+subscribe"
    )
    client.execute_command("ACL", "LOG", "RESET")
    user = redis.Redis(port=port, username="limited", password="x", protocol=2)
    try:
        denials = [
            outcome(lambda: user.execute_command("HSET", "cache:0", "f", "v")),
            outcome(lambda: user.execute_command("GET", "nope")),
            outcome(lambda: user.execute_command("GET", "nope")),
            outcome(lambda: user.execute_command("CONFIG", "GET", "maxmemory")),
            outcome(lambda: user.execute_command("GET", "cache:0")),
        ]
        with user.pipeline(transaction=True) as pipe:
            pipe.execute_command("GET", "also-nope")
            denials.append(outcome(pipe.execute))
        subscriber = user.pubsub()
        denials.append(outcome(lambda: subscriber.subscribe("other")))
        subscriber.close()
        denials.append(outcome(lambda: user.execute_command("AUTH", "limited", "x")))
        denials.append(outcome(lambda: user.execute_command("auth", "nobody", "x")))
        denials.append(outcome(lambda: user.execute_command("HELLO", "2", "AUTH", "nobody", "x")))
    finally:
        user.close()
    entries = raw(client, "ACL", "LOG")
    shapes = []
    for entry in entries:
        fields = dict(zip(entry[::2], entry[1::2], strict=True))
        client_fields = [item.split(b"=")[0] for item in fields.pop(b"client-info").split()]
        age = float(fields.pop(b"age-seconds"))
        shapes.append((fields, client_fields, 0 <= age < 10))
    return [
        denials,
        shapes,
        len(raw(client, "ACL", "LOG", "2")),
        len(raw(client, "ACL", "LOG", "-1")),
        raw(client, "ACL", "LOG", "x"),
        raw(client, "ACL", "LOG", "RESET"),
        raw(client, "ACL", "LOG"),
    ]


def test_acl_denials_and_log_like_redis_server(both) -> None:
    twin, real = both
    mine = acl_denials(twin, twin.connection_pool.connection_kwargs["port"])
    theirs = acl_denials(real, real.connection_pool.connection_kwargs["port"])
    assert mine == theirs


def memory_replies(client: redis.Redis) -> list:
    # A cached script counts in lua.caches, within the total as in redis.
    client.eval("return 'a fairly long script body, to be held in the script cache'", 0)
    client.set("a", "x" * 100)
    client.set("b", "1", ex=100)
    client.select(3)
    client.hset("h", mapping={"f": "v"})
    client.select(0)
    stats = raw(client, "MEMORY", "STATS")
    fields = dict(zip(stats[::2], stats[1::2], strict=True))
    databases = {
        name: dict(zip(value[::2], value[1::2], strict=True)) for name, value in fields.items() if b"db." in name
    }
    totals = fields[b"total.allocated"], fields[b"startup.allocated"], fields[b"overhead.total"]
    return [
        list(fields),
        {name: list(value) for name, value in databases.items()},
        [value[b"overhead.hashtable.expires"] > 0 for value in databases.values()],
        fields[b"keys.count"],
        fields[b"lua.caches"] > 0,
        totals[0] >= totals[2] >= totals[1] > 0,
        fields[b"dataset.bytes"] == totals[0] - totals[2],
        fields[b"keys.bytes-per-key"] == (totals[0] - totals[1]) // 3,
        raw(client, "MEMORY", "HELP"),
        raw(client, "MEMORY", "PURGE"),
        raw(client, "MEMORY", "STATS", "x"),
        raw(client, "MEMORY", "DOCTOR"),
        type(raw(client, "MEMORY", "MALLOC-STATS")),
        raw(client, "MEMORY", "NOPE"),
    ]


def test_memory_subcommands_reply_like_redis_server(both) -> None:
    twin, real = both
    assert memory_replies(twin) == memory_replies(real)


def test_memory_doctor_reports_from_the_twins_memory(start_twin) -> None:
    """Past 5 MB the doctor looks: nothing to report, then a peak above 150% of what is used now (the findings the
    twin can have; it has no allocator to fragment). A twin of its own, so no earlier test's peak counts."""
    twin = redis.Redis(port=start_twin().port)
    twin.set("big", b"x" * (6 * 1024 * 1024))
    assert twin.execute_command("MEMORY", "DOCTOR").startswith(b"Hi Sam, I can't find any memory issue")
    twin.set("bigger", b"y" * (12 * 1024 * 1024))
    # The twin samples its peak when it reports memory (INFO, MEMORY), not after every command as redis does.
    assert twin.memory_stats()["peak.allocated"] > 18 * 1024 * 1024
    twin.delete("bigger")
    report = twin.execute_command("MEMORY", "DOCTOR")
    assert report.startswith(b"Sam, I detected a few issues") and b" * Peak memory:" in report
    assert report.endswith(b"I'm here to keep you safe, Sam. I want to help you.\n")
