"""Lua's bit, struct and cmsgpack libraries, as redis 7.0 gives them to scripts, against the twin and redis-server."""

from __future__ import annotations

import pytest
import redis

from tests.redis.conftest import raw

BIT_SCRIPTS = [
    "return {bit.tobit(2^31), bit.tobit(-1), bit.tobit(2^32 + 5), bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-2.5)}",
    "return {bit.tobit(1/0), bit.tobit(0/0), bit.tobit(2^60 + 3), bit.tobit('12'), bit.tobit(' 0x10 ')}",
    "return {bit.bnot(0), bit.band(0xff, 0x0f, 0x3c), bit.bor(1, 2, 4, 8), bit.bxor(5, 3, 1), bit.band(7)}",
    "return {bit.lshift(1, 31), bit.lshift(1, 32), bit.lshift(3, 33), bit.rshift(-1, 28), bit.arshift(-256, 4)}",
    "return {bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.rol(5, 0), bit.ror(5, 32), bit.bswap(0x12345678)}",
    "return {bit.tohex(255), bit.tohex(-1, -4), bit.tohex(0x1234, 2), bit.tohex(1, 0), bit.tohex(1, 12)}",
    "return bit.band({})",
    "return bit.band(1, 2, 'x')",
    "return bit.bnot()",
    "return bit.tohex(1, nil)",
    "local f = bit.bor return f(true)",
    "return {pcall(bit.band, {})}",
    "bit.band = nil return 1",
    "return {type(bit), type(struct), type(cmsgpack)}",
]

STRUCT_SCRIPTS = [
    "return struct.pack('>hBc0', -2, 3, 'xyz')",
    "return {struct.unpack('>hBc0', struct.pack('>hBc0', -2, 3, 'xyz'))}",
    "return struct.pack('<iIlLT', -1, 7, -3, 2^40, 9)",
    "return {struct.unpack('<iIlLT', struct.pack('<iIlLT', -1, 7, -3, 2^40, 9))}",
    "return struct.pack('!4 b i h d', 1, 2, 3, 0.5)",
    "return {struct.unpack('!4 b i h d', struct.pack('!4 b i h d', 1, 2, 3, 0.5))}",
    "return {struct.pack('i3', -2), struct.pack('>I16', 258), struct.pack('B', 300), struct.pack('b', -1.9)}",
    "return {struct.unpack('i3', struct.pack('i3', -2)), struct.unpack('>I16', struct.pack('>I16', 258))}",
    "return {struct.pack('f', 1.5), struct.pack('>d', -2.25), struct.pack('f', 1e300), struct.pack('s', 'ab')}",
    "return {struct.unpack('f', struct.pack('f', 0.1)), struct.unpack('sB', 'hi\\0\\7')}",
    "return {struct.unpack('B', 'abc', 2), struct.unpack('xxB', 'abc'), struct.unpack('', 'x', -5)}",
    "return {struct.unpack('Bc0', '\\3abcd')}",
    "return {struct.size('>i!4hd'), struct.size('bz'), struct.size('c5'), struct.size('!8bd')}",
    "return struct.size('s')",
    "return struct.size('c0')",
    "return struct.pack('z')",
    "return struct.pack('c5', 'ab')",
    "return struct.pack('i')",
    "return struct.pack('i33', 1)",
    "return struct.pack('!3', 1)",
    "return struct.pack('c', 12)",
    "return struct.unpack('i', 'ab')",
    "return struct.unpack('B', 'a', 0)",
    "return struct.unpack('c0', 'abc')",
    "return struct.unpack('s', 'abc')",
    "return struct.unpack('B', 'a', -1)",
    "return struct.unpack()",
    "return struct.size('i99999999999')",
]

CMSGPACK_SCRIPTS = [
    "return cmsgpack.pack({1, 2, {a = 1}}, 1.5, 2^40, -33, 'x')",
    "return cmsgpack.pack(0, 127, 128, 255, 256, 65535, 65536, 2^32 - 1, 2^32, -1, -32, -128, -129, -32768, -32769)",
    "return cmsgpack.pack(-2^31, -2^31 - 1, 2^53, -2^53, 2^63, 0.1, 1/0, -1/0, true, false, nil)",
    "return cmsgpack.pack(string.rep('a', 31), string.rep('b', 32), string.rep('c', 255), string.rep('d', 256))",
    "return cmsgpack.pack(string.rep('e', 70000))",
    "return cmsgpack.pack({}, {[1] = 'a', [3] = 'c'}, {[0] = 1}, {[1.5] = 2}, {x = {y = {z = {}}}})",
    "local t = {} for i = 1, 20 do t[i] = i end return cmsgpack.pack(t)",
    "local t = {} for i = 1, 20 do t['k' .. i] = i end return cmsgpack.pack(t, {a = 1, b = {x = 'y'}, [2] = 3})",
    "local t = {} for i = 1, 70000 do t[i] = 1 end return #cmsgpack.pack(t)",
    "local t = {} t[1] = t return cmsgpack.pack(t)",
    "return cmsgpack.pack(print or cjson.null, redis.call)",
    "return {cmsgpack.unpack(cmsgpack.pack(1, -1, 2^40, 0.25, 'str', {1, 2}))}",
    "local t = cmsgpack.unpack(cmsgpack.pack({a = {1, 2, 3}, b = 'x'})) return {t.a[3], t.b}",
    "return {cmsgpack.unpack(cmsgpack.pack(true, false))}",
    "return {cmsgpack.unpack('\\204\\255\\205\\1\\0\\206\\0\\1\\0\\0\\208\\128\\209\\255\\0\\210\\255\\255\\255\\0')}",
    "return {cmsgpack.unpack('\\207\\0\\0\\0\\1\\0\\0\\0\\0\\211\\255\\255\\255\\255\\0\\0\\0\\0')}",
    "return {cmsgpack.unpack('\\202\\63\\192\\0\\0\\203\\64\\9\\33\\251\\84\\68\\45\\24')}",
    "return {cmsgpack.unpack('\\217\\3abc\\218\\0\\2de\\219\\0\\0\\0\\1f\\220\\0\\1\\7\\222\\0\\1\\1\\2')}",
    "return {cmsgpack.unpack('')}",
    "return cmsgpack.unpack('\\217')",
    "return cmsgpack.unpack('\\193')",
    "return cmsgpack.unpack('\\196\\1a')",
    "return cmsgpack.unpack('\\129\\192\\1')",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 5, 1)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)}",
    "return cmsgpack.unpack_one('abc', -1)",
    "return cmsgpack.unpack_one('abc', 9)",
    "return cmsgpack.unpack_limit('abc')",
    "return cmsgpack.pack()",
    "return cmsgpack.unpack({})",
    "return {cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION}",
    "cmsgpack.pack = nil return 1",
]


def run_scripts(client: redis.Redis, scripts: list[str]) -> list:
    return [raw(client, "EVAL", script, 0) for script in scripts]


@pytest.mark.parametrize("scripts", [BIT_SCRIPTS, STRUCT_SCRIPTS, CMSGPACK_SCRIPTS], ids=["bit", "struct", "cmsgpack"])
def test_lua_library_replies_like_redis_server(both, scripts) -> None:
    twin, real = both
    for script, mine, theirs in zip(scripts, run_scripts(twin, scripts), run_scripts(real, scripts), strict=True):
        assert mine == theirs, script


FUNCTION_LIBRARY = """#!lua name=libraries
redis.register_function('packed', function() return {bit.band(7, 3), cmsgpack.pack({1}), struct.pack('>h', -2)} end)
redis.register_function('unpacked', function() return {cmsgpack.unpack(cmsgpack.pack(5, 'x'))} end)
redis.register_function('bad_argument', function() return bit.band({}) end)
redis.register_function('bad_data', function() return cmsgpack.unpack('\\217') end)
redis.register_function('read_only', function() bit.x = 1 end)
"""


def function_replies(client: redis.Redis) -> list:
    client.execute_command("FUNCTION", "FLUSH")
    loaded = raw(client, "FUNCTION", "LOAD", FUNCTION_LIBRARY)
    names = ["packed", "unpacked", "bad_argument", "bad_data", "read_only"]
    return [loaded, *(raw(client, "FCALL", name, 0) for name in names)]


def test_functions_get_the_libraries_like_redis_server(both) -> None:
    twin, real = both
    assert function_replies(twin) == function_replies(real)
