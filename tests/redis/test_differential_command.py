"""COMMAND and its subcommands against the twin and redis-server: redis 7.0's tables, for the commands the twin runs."""

from __future__ import annotations

import pytest
import redis

from tests.redis.conftest import raw

GETKEYS_CASES = [
    ("MSET", "a", "1", "b", "2", "c", "3"),
    ("EVAL", "return 1", "2", "k1", "k2", "arg"),
    ("EVAL", "return 1", "0"),
    ("XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"),
    ("ZUNIONSTORE", "dst", "2", "z1", "z2", "WEIGHTS", "1", "2"),
    ("SET", "k", "v", "EX", "10"),
    ("SET", "k", "v", "GET"),
    ("BITFIELD", "k", "GET", "u8", "0"),
    ("BITFIELD", "k", "INCRBY", "u8", "0", "1"),
    ("LMOVE", "from", "to", "LEFT", "RIGHT"),
    ("XINFO", "STREAM", "s"),
    ("OBJECT", "ENCODING", "k"),
    ("PING",),
    ("GET",),
    ("NOSUCHCOMMAND", "k"),
]


def _sorted_subcommands(entry: dict) -> dict:
    # redis lists a container's subcommands in its dict's hash order, which differs from one server to the next.
    return {**entry, "subcommands": sorted(entry["subcommands"], key=lambda sub: sub[0])}


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def pair(request, redis_client_factory, real_redis):
    twin = redis_client_factory(protocol=request.param)
    real = redis.Redis(port=real_redis.connection_pool.connection_kwargs["port"], protocol=request.param)
    yield twin, real
    real.close()


def test_command_table_is_redis_7_0s_for_the_commands_the_twin_runs(pair) -> None:
    twin, real = pair
    twin_table, real_table = twin.command(), real.command()
    assert len(twin_table) == twin.command_count() >= 200
    assert {"get", "set", "eval", "xadd", "geosearch", "command", "config"} <= set(twin_table)
    for name, entry in twin_table.items():
        real_entry = real_table[name]
        # The twin lists the subcommands it runs, each as redis does.
        real_subcommands = {sub[0]: sub for sub in real_entry["subcommands"]}
        assert all(real_subcommands[sub[0]] == sub for sub in entry["subcommands"]), name
        assert {**entry, "subcommands": []} == {**real_entry, "subcommands": []}, name
    names = [name for name in twin_table if not real_table[name]["subcommands"]][:30]
    assert raw(twin, "COMMAND", "INFO", *names) == raw(real, "COMMAND", "INFO", *names)
    assert raw(twin, "COMMAND", "INFO", "get", "config|get", "nosuch") == raw(
        real, "COMMAND", "INFO", "get", "config|get", "nosuch"
    )


def test_command_docs_are_redis_7_0s(pair) -> None:
    twin, real = pair
    for names in (["get", "set", "geosearch", "xadd"], ["client|kill", "config|get", "nosuch"]):
        assert raw(twin, "COMMAND", "DOCS", *names) == raw(real, "COMMAND", "DOCS", *names)
    everything = raw(twin, "COMMAND", "DOCS")
    documented = everything[::2] if isinstance(everything, list) else list(everything)
    assert sorted(documented) == sorted(name.encode() for name in twin.command())


def test_command_list_filters_as_redis_does(pair) -> None:
    twin, real = pair
    listed = set(raw(twin, "COMMAND", "LIST"))
    assert listed <= set(raw(real, "COMMAND", "LIST"))
    assert b"config|get" in listed
    for filters in (("ACLCAT", "list"), ("PATTERN", "l*"), ("PATTERN", "config|*"), ("MODULE", "fakemod")):
        on_twin = set(raw(twin, "COMMAND", "LIST", "FILTERBY", *filters))
        assert on_twin == set(raw(real, "COMMAND", "LIST", "FILTERBY", *filters)) & listed
    for arguments in (("FILTERBY", "ACLCAT"), ("FILTERBY", "NOSUCH", "x"), ("NOSUCH",)):
        assert raw(twin, "COMMAND", "LIST", *arguments) == raw(real, "COMMAND", "LIST", *arguments)


@pytest.mark.parametrize("argv", GETKEYS_CASES, ids=[" ".join(case[:2]) for case in GETKEYS_CASES])
def test_command_getkeys_finds_the_keys_redis_finds(pair, argv) -> None:
    twin, real = pair
    for subcommand in ("GETKEYS", "GETKEYSANDFLAGS"):
        assert raw(twin, "COMMAND", subcommand, *argv) == raw(real, "COMMAND", subcommand, *argv)


def test_command_count_and_help(both) -> None:
    twin, real = both
    assert raw(twin, "COMMAND", "HELP") == raw(real, "COMMAND", "HELP")
    assert raw(twin, "COMMAND", "NOSUCH") == raw(real, "COMMAND", "NOSUCH")
    assert raw(twin, "COMMAND", "COUNT") == len(raw(twin, "COMMAND"))


LATER_RELEASE_COMMANDS = [
    ("HEXPIRE", "h", "10", "FIELDS", "1", "f"),
    ("HGETDEL", "h", "FIELDS", "1", "f"),
    ("HSETEX", "h", "FIELDS", "1", "f", "v"),
    ("SUNIONCARD", "1", "s"),
    ("CLIENT", "NO-TOUCH", "on"),
    ("CLIENT", "SETINFO", "lib-name", "x"),
]


@pytest.mark.parametrize("argv", LATER_RELEASE_COMMANDS, ids=[" ".join(case[:2]) for case in LATER_RELEASE_COMMANDS])
def test_commands_of_later_releases_are_unknown_as_in_redis_7_0(both, argv) -> None:
    twin, real = both
    assert raw(twin, *argv) == raw(real, *argv)
    assert raw(twin, *argv)[0] == "error"
