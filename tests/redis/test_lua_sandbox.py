"""Lua scripts run in a sandbox shaped like redis 7's: read-only globals, redis' libraries only, errors in its words."""

from __future__ import annotations

import pytest
import redis

from tests.redis.conftest import outcome

# Run in this order on the twin and on redis-server: each must answer alike, and none may spoil the ones after it.
SCRIPTS = [
    "a=10 return 1",
    "return 1",
    "return a",
    "a=nil return 1",
    "function f() return 1 end return 1",
    "local function f() return 2 end return f()",
    "redis.call = nil",
    "string.foo = 1",
    "KEYS = {}",
    'rawset(_G, "x", 1) return 1',
    "setmetatable(_G, nil) return 1",
    'getmetatable("").__index.upper = nil return 1',
    'local f = loadstring("y = 1") f() return 1',
    "return select(2, pcall(function() z = 1 end))",
    "return pcall(function() z = 1 end)",
    'return rawget(_G, "x") == nil',
    "return _G == _G._G",
    "return type(os)",
    "return type(io)",
    "return type(require)",
    "return type(debug)",
    "return type(python)",
    'return loadstring("return type(os)")()',
    "return loadstring(string.dump(function() return 1 end))",
    'error("boom")',
    'error({err="MYERR custom"})',
    "local function f() error('deep') end\nlocal y = 1\nf()",
    "return 1 +",
    "local x = nil; return x.y",
    'return redis.call("incr", KEYS[1])',
    'local v = redis.call("incr", KEYS[1]) return v',
    'return redis.pcall("incr", KEYS[1])',
    'return select(2, pcall(redis.call, "incr", KEYS[1]))',
    'return redis.call("nosuch")',
    'return redis.call("set", "k")',
    'return redis.call("set", {}, 1)',
    "return redis.call()",
    'return redis.error_reply("E1 x")',
    'return {1, {2, {3}}, "x", false, true, redis.status_reply("OK")}',
    "return #redis.sha1hex('a')",
    'return cjson.encode(cjson.decode("{\\"a\\":[1,2.5,\\"x\\",null]}"))',
    "return type(cjson.null)",
    'KEYS[1] = "z" return {KEYS[1], ARGV[1], #KEYS + #ARGV}',
    "redis.set_repl(redis.REPL_ALL) return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_REPLICA, redis.REPL_ALL}",
    "return {redis.replicate_commands(), redis.breakpoint(), type(redis.REDIS_VERSION), redis.REDIS_VERSION_NUM > 0}",
    "local function f() return 1 + f() end return f()",
    "return 1",
]


def run_scripts(client: redis.Redis) -> list:
    client.set("str", "abc")
    return [outcome(lambda script=script: client.eval(script, 1, "str", "arg1")) for script in SCRIPTS]


def test_scripts_answer_like_redis_server(twin, real_redis) -> None:
    mine, theirs = run_scripts(twin), run_scripts(real_redis)
    for script, my_reply, their_reply in zip(SCRIPTS, mine, theirs, strict=True):
        assert (script, my_reply) == (script, their_reply)


def lock_round_trip(client: redis.Redis) -> list:
    lock = client.lock("resource", timeout=5)
    return [lock.acquire(blocking=False), lock.owned(), lock.release(), lock.locked()]


def refused_then_normal(client: redis.Redis) -> list:
    return [outcome(lambda: client.eval("a=10 return 1", 0)), client.eval("return 1", 0), *lock_round_trip(client)]


def test_a_refused_script_leaves_lua_working_like_redis_server(twin, real_redis) -> None:
    replies = [refused_then_normal(client) for client in (twin, real_redis)]
    assert replies[0] == replies[1]
    assert replies[0][0] == (
        "error",
        "user_script:1: Attempt to modify a readonly table script: 1095d0f66e58667392c35d4310faa6e7534050e3, "
        "on @user_script:1.",
    )
    assert replies[0][1:] == [1, True, True, None, False]


def test_scripts_cannot_reach_python_or_the_host(twin) -> None:
    probes = [
        "return tostring(pcall(function() return redis.call.__name__ end))",
        "return tostring(pcall(function() return cjson.null.__class__ end))",
        "return tostring(pcall(function() return getmetatable(_G).__index end))",
    ]
    assert [twin.eval(probe, 0) for probe in probes] == [b"false"] * len(probes)


def test_functions_cannot_reach_python_or_the_host(twin) -> None:
    library = (
        "#!lua name=probe\n"
        "redis.register_function('escape', function() "
        "return loadstring('return type(os) .. type(io) .. type(python) .. type(require)')() end)\n"
        "redis.register_function('attribute', function() "
        "return tostring(pcall(function() return redis.call.__name__ end)) end)"
    )
    twin.function_load(library, replace=True)
    try:
        assert twin.fcall("escape", 0) == b"nilnilnilnil"
        assert twin.fcall("attribute", 0) == b"false"
    finally:
        twin.function_delete("probe")


@pytest.fixture
def own_twin(start_twin):
    service = start_twin()
    return service, redis.Redis(port=service.port)


def test_script_flush_starts_a_new_interpreter(own_twin) -> None:
    service, client = own_twin
    client.eval("return 1", 0)
    first = service.engine.lua
    assert first is not None
    assert client.script_flush() is True
    assert client.eval("return 2", 0) == 2
    assert service.engine.lua is not None and service.engine.lua is not first


def test_reset_forgets_scripts_and_functions(own_twin) -> None:
    service, client = own_twin
    sha = client.script_load("return 1")
    client.eval("return 1", 0)
    client.function_load("#!lua name=lib\nredis.register_function('one', function() return 1 end)")
    service.reset()
    assert service.engine.lua is None
    assert client.script_exists(sha) == [False]
    assert client.function_list() == []
    assert client.eval("return 3", 0) == 3
