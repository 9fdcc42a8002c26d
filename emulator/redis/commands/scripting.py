"""EVAL and EVALSHA in a sandbox shaped like redis 7's: read-only globals, redis' library set (cjson, bit, struct,
cmsgpack), nothing else.

fakeredis runs every script in one shared Lua state with the full standard library and lupa's `python` bridge,
and only checks for new globals after a script ran: a script that set one (`a=10`) was refused but left `a`
behind, and every later script failed with "Script attempted to set global variables: a" until a restart; and
`os`, `io`, `require`, `python` (any Python code) were in every script's reach. Here each interpreter is built
without the Python bridge and with Python attributes out of reach, scripts see only the globals redis gives them,
through read-only views that raise redis' own errors, and errors read as redis 7 words them. SCRIPT FLUSH and the
admin reset start a new interpreter. fakeredis's function engine (FUNCTION/FCALL) is built on the same safe
interpreter.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from fakeredis import _msgs as msgs
from fakeredis._command_args_parsing import Int
from fakeredis._helpers import SimpleError, SimpleString
from fakeredis.commands_mixins._lua_functions import FunctionsEngine
from fakeredis.commands_mixins.scripting_mixin import (
    LUA_MODULE,
    REDIS_LOG_LEVELS_TO_LOGGING,
    _lua_cjson_decode,
    _lua_cjson_encode,
    _lua_cjson_null,
    _lua_redis_log,
)

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.lua_libraries import ScriptLibraryError, library_tables
from cloudtwin.redis.commands.registry import server_command

if TYPE_CHECKING:
    from cloudtwin.redis.client_socket import EngineSocket

log = logging.getLogger(__name__)
script_log = logging.getLogger("cloudtwin.redis.script")

# The chunk name of the sandbox itself, so errors are located in the script's own frames, never in these helpers.
_SANDBOX_CHUNK = "=cloudtwin_sandbox"

# Runs once per interpreter, with the real globals in reach. Its arguments are Python callables: py_call raises (its
# errors reach Lua as userdata that py_message reads), the others return (true, value) or (false, message). It
# returns the compile and run functions.
_SANDBOX_SOURCE = r"""
local py_call, py_pcall, py_message, py_log, py_setresp, py_sha1hex, py_cjson_encode, py_cjson_decode,
      version, version_num, py_libraries = ...

local error, type, tostring, select, unpack, pairs = error, type, tostring, select, unpack, pairs
local rawset, setmetatable, pcall, loadstring, load, setfenv = rawset, setmetatable, pcall, loadstring, load, setfenv
local xpcall = xpcall
local getinfo = debug.getinfo

local function readonly()
  error("Attempt to modify a readonly table", 2)
end

-- Tables a script must not change: the globals view and the library views.
local protected = setmetatable({}, {__mode = "k"})

local function view(fields)
  local proxy = setmetatable({}, {__index = fields, __newindex = readonly, __metatable = false})
  protected[proxy] = true
  return proxy
end

local function pack(...)
  return {n = select("#", ...), ...}
end

local function redis_pcall(...)
  local ok, value = py_pcall(...)
  if not ok then
    return {err = value}
  end
  return value
end

local function checked(py_function, level)
  return function(...)
    local ok, value = py_function(...)
    if not ok then
      error(value, level)
    end
    return value
  end
end

local null = newproxy(false)

local redis_api = {
  -- Python itself, not a Lua wrapper: a C function keeps the calling frame through `return redis.call(...)`, so an
  -- error is located on the script's line, as redis does. Its errors arrive as Python exceptions (userdata).
  call = py_call,
  pcall = redis_pcall,
  log = function(...) local ok, message = py_log(...) if not ok then error({err = message}, 0) end end,
  setresp = function(...) local ok, message = py_setresp(...) if not ok then error({err = message}, 0) end end,
  sha1hex = checked(py_sha1hex, 2),
  error_reply = function(message) return {err = message} end,
  status_reply = function(message) return {ok = message} end,
  LOG_DEBUG = 0,
  LOG_VERBOSE = 1,
  LOG_NOTICE = 2,
  LOG_WARNING = 3,
  REDIS_VERSION = version,
  REDIS_VERSION_NUM = version_num,
  -- Effects replication is all redis 7 does: these are accepted and change nothing here.
  REPL_NONE = 0,
  REPL_AOF = 1,
  REPL_SLAVE = 2,
  REPL_REPLICA = 2,
  REPL_ALL = 3,
  set_repl = function() end,
  replicate_commands = function() return true end,
  -- Outside the script debugger, as every script here is.
  breakpoint = function() return false end,
  debug = function() end,
}

local cjson_api = {
  encode = function(value)
    local ok, text = py_cjson_encode(value, null)
    if not ok then
      error(text, 2)
    end
    return text
  end,
  decode = function(text)
    local ok, value = py_cjson_decode(text, null)
    if not ok then
      error(value, 2)
    end
    return value
  end,
  null = null,
}

local visible = {
  redis = view(redis_api),
  cjson = view(cjson_api),
  bit = view(py_libraries.bit),
  struct = view(py_libraries.struct),
  cmsgpack = view(py_libraries.cmsgpack),
  string = view(string),
  table = view(table),
  math = view(math),
  coroutine = view(coroutine),
}
for _, name in pairs({"_VERSION", "assert", "collectgarbage", "error", "gcinfo", "getmetatable", "ipairs", "next",
                      "pairs", "rawequal", "rawget", "select", "tonumber", "tostring", "type", "unpack", "xpcall"}) do
  visible[name] = _G[name]
end

local env = setmetatable({}, {
  __index = function(_, name)
    local value = visible[name]
    if value == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
    end
    return value
  end,
  __newindex = readonly,
  __metatable = false,
})
protected[env] = true
visible._G = env

visible.rawset = function(target, key, value)
  if protected[target] then
    error("Attempt to modify a readonly table", 0)
  end
  return rawset(target, key, value)
end

visible.setmetatable = function(target, metatable)
  if protected[target] then
    error("Attempt to modify a readonly table", 0)
  end
  return setmetatable(target, metatable)
end

-- Code a script compiles runs in the sandbox too, and bytecode is refused (it can break the interpreter).
local function bound(chunk, message)
  if chunk then
    setfenv(chunk, env)
  end
  return chunk, message
end

visible.loadstring = function(source, name)
  if type(source) == "string" and source:byte(1) == 27 then
    return nil, "binary chunks are not allowed"
  end
  return bound(loadstring(source, name))
end

visible.load = function(reader, name)
  return bound(load(function()
    local piece = reader()
    if type(piece) == "string" and piece:byte(1) == 27 then
      error("binary chunks are not allowed", 0)
    end
    return piece
  end, name))
end

-- As redis 7's: an error raised as a table (redis.call's) reaches the script as its message.
visible.pcall = function(...)
  local results = pack(pcall(...))
  if not results[1] then
    if type(results[2]) == "table" and type(results[2].err) == "string" then
      results[2] = results[2].err
    elseif type(results[2]) == "userdata" then
      results[2] = py_message(results[2])
    end
  end
  return unpack(results, 1, results.n)
end

-- A string's methods resolve through the real string table; scripts see a read-only stand-in for its metatable.
getmetatable("").__metatable = view({__index = visible.string})

-- Where an error was raised: the innermost frame of script code, skipping C functions and this sandbox.
local function located(err)
  local message
  if type(err) == "table" then
    message = err.err
  elseif type(err) == "userdata" then
    local text, is_reply = py_message(err)
    -- A redis.call error is a reply already; a library's is Lua's message, which redis makes an ERR reply.
    message = is_reply and text or "ERR " .. text
  end
  if type(message) ~= "string" then
    message = "ERR " .. tostring(err)
  end
  local level = 2
  while true do
    local info = getinfo(level, "Sl")
    if info == nil then
      return {err = message}
    end
    if info.what ~= "C" and info.what ~= "tail" and info.source ~= "__SANDBOX_CHUNK__" then
      return {err = message, source = info.source, line = info.currentline}
    end
    level = level + 1
  end
end

local function compile(source)
  local chunk, message = loadstring(source, "@user_script")
  if chunk then
    setfenv(chunk, env)
  end
  return chunk, message
end

local function run(chunk, keys, argv)
  visible.KEYS, visible.ARGV = keys, argv
  local ok, result = xpcall(chunk, located)
  visible.KEYS, visible.ARGV = nil, nil
  if ok then
    return true, result
  end
  if type(result) ~= "table" then
    return false, "ERR " .. tostring(result)
  end
  return false, result.err, result.source, result.line
end

return compile, run
""".replace("__SANDBOX_CHUNK__", _SANDBOX_CHUNK)


def _refuse_attribute(obj: Any, name: Any, is_setting: bool) -> Any:
    # No Python object should reach a script; if one ever does, its attributes stay out of reach.
    raise AttributeError("Python attributes are not accessible from Lua")


# lupa's interpreter without its `python` bridge, and with Python attributes out of Lua's reach.
_safe_runtime = functools.partial(
    LUA_MODULE.LuaRuntime, register_eval=False, register_builtins=False, attribute_filter=_refuse_attribute
)
# What fakeredis's function engine needs of a Lua module, with the safe interpreter in it.
_SAFE_LUA_MODULE = SimpleNamespace(LuaRuntime=_safe_runtime, LuaError=LUA_MODULE.LuaError)
# Globals redis does not give scripts; code a function compiles with loadstring sees the interpreter's real ones.
_UNSAFE_GLOBALS = (
    "debug",
    "dofile",
    "getfenv",
    "io",
    "loadfile",
    "module",
    "newproxy",
    "os",
    "package",
    "print",
    "python",
    "require",
    "setfenv",
)


# Functions see bit, struct and cmsgpack too, as in redis 7.0. fakeredis's engine resolves a function's globals through
# the table its environment's lookup closes over (`globals`): the libraries go there, read-only, found from a chunk
# the engine compiled (`probe`), while `debug` is still in reach.
_FUNCTION_LIBRARIES_SOURCE = r"""
local getmetatable, getupvalue, getfenv = debug.getmetatable, debug.getupvalue, getfenv
return function(libraries, probe)
  local lookup = getmetatable(getfenv(probe)).__index
  local index = 1
  while true do
    local name, globals = getupvalue(lookup, index)
    if name == nil then
      error("the function engine's globals were not found")
    end
    if name == "globals" then
      for library, fields in pairs(libraries) do
        globals[library] = setmetatable({}, {
          __index = fields,
          __newindex = function() error("Attempt to modify a readonly table", 2) end,
          __metatable = false,
        })
      end
      return
    end
    index = index + 1
  end
end
"""


class LuaSandbox:
    """One Lua interpreter for EVAL, and the socket whose script is running in it."""

    def __init__(self, version: str) -> None:
        self.runtime = _safe_runtime(encoding=None, unpack_returned_tuples=True)
        self.caller: EngineSocket | None = None
        # Whether the running script came by EVAL_RO or EVALSHA_RO: its redis.call refuses writes.
        self.read_only = False
        self._chunks: dict[bytes, Any] = {}
        setup = self.runtime.eval("loadstring")(_SANDBOX_SOURCE.encode(), _SANDBOX_CHUNK.encode())
        self._compile, self._run = setup(
            self._call,
            self._pcall,
            _message,
            self._log,
            self._setresp,
            _sha1hex,
            self._cjson_encode,
            self._cjson_decode,
            version.encode(),
            _version_number(version),
            library_tables(self.runtime),
        )
        # fakeredis's helpers check that no global appeared; the real globals never change, so this set holds.
        self.expected_globals = set(self.runtime.globals().keys())

    def run(
        self, caller: EngineSocket, script: bytes, sha1: bytes, keys: tuple, argv: tuple, read_only: bool = False
    ) -> Any:
        """The script's raw Lua result; a SimpleError worded as redis words it when compiling or running fails."""
        chunk = self._chunks.get(sha1)
        if chunk is None:
            chunk, message = self._compile(script)
            if chunk is None:
                raise SimpleError(f"ERR Error compiling script (new function): {_text(message)}")
            # Compiled once per script, as redis keeps each script's function until SCRIPT FLUSH.
            self._chunks[sha1] = chunk
        self.caller, self.read_only = caller, read_only
        try:
            ok, *outcome = self._run(chunk, self.runtime.table_from(keys), self.runtime.table_from(argv))
        finally:
            caller._script_call = ()
            self.caller, self.read_only = None, False
        if ok:
            return outcome[0] if outcome else None
        result, source, line = (*outcome, None, None, None)[:3]
        error = _text(result)
        if source is not None and line is not None:
            error += f" script: {sha1.decode()}, on {_text(source)}:{line}."
        raise SimpleError(error)

    # --- what the sandbox calls back; messages are bytes, so Lua gets strings

    def _call(self, *args: Any) -> Any:
        self.caller._script_call = args  # type: ignore[union-attr]
        refusal = self.caller.connection.role.script_refusal(args)  # type: ignore[union-attr]
        if refusal is not None:
            raise ScriptCallError(refusal)
        try:
            return self.caller._function_redis_call(self.runtime, self.read_only, *args)  # type: ignore[union-attr]
        except SimpleError as exc:
            raise ScriptCallError(exc.value.encode()) from None

    def _pcall(self, *args: Any) -> tuple[bool, Any]:
        self.caller._script_call = args  # type: ignore[union-attr]
        refusal = self.caller.connection.role.script_refusal(args)  # type: ignore[union-attr]
        if refusal is not None:
            return False, refusal
        try:
            return True, self.caller._function_redis_call(self.runtime, self.read_only, *args)  # type: ignore[union-attr]
        except SimpleError as exc:
            return False, exc.value.encode()
        except Exception as exc:
            log.exception("redis.call from a script failed")
            return False, f"ERR internal error in cloudtwin's Redis server: {type(exc).__name__}: {exc}".encode()

    def _log(self, level: Any = None, *args: Any) -> tuple[bool, Any]:
        if not args:
            return False, msgs.REQUIRES_MORE_ARGS_MSG.format("redis.log()", "two").encode()
        if level not in REDIS_LOG_LEVELS_TO_LOGGING:
            return False, msgs.LOG_INVALID_DEBUG_LEVEL_MSG.encode()
        text = " ".join(arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg) for arg in args)
        script_log.log(REDIS_LOG_LEVELS_TO_LOGGING[level], text)
        return True, None

    def _setresp(self, *args: Any) -> tuple[bool, Any]:
        try:
            self.caller._lua_setresp(self.runtime, self.expected_globals, *args)  # type: ignore[union-attr]
        except SimpleError as exc:
            return False, exc.value.encode()
        return True, None

    def _cjson_encode(self, value: Any, null: Any) -> tuple[bool, Any]:
        try:
            return True, json.dumps(self._to_python(value), separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            return False, f"Cannot serialise {exc}".encode()

    def _cjson_decode(self, text: Any, null: Any) -> tuple[bool, Any]:
        if not isinstance(text, bytes):
            return False, b"bad argument #1 to 'decode' (string expected)"
        try:
            decoded = json.loads(text)
        except ValueError as exc:
            return False, f"Expected value but found invalid token at character {getattr(exc, 'pos', 0) + 1}".encode()
        return True, self._to_lua(decoded, null)

    def _to_python(self, value: Any) -> Any:
        kind = LUA_MODULE.lua_type(value)
        if kind == "userdata":
            return None  # cjson.null: the only userdata a script can hold
        if kind != "table":
            return value.decode() if isinstance(value, bytes) else value
        keys = list(value.keys())
        if all(isinstance(key, int) for key in keys) and sorted(keys) == list(range(1, len(keys) + 1)):
            return [self._to_python(value[index]) for index in range(1, len(keys) + 1)]
        return {
            (key.decode() if isinstance(key, bytes) else str(key)): self._to_python(item) for key, item in value.items()
        }

    def _to_lua(self, value: Any, null: Any) -> Any:
        if value is None:
            return null
        if isinstance(value, str):
            return value.encode()
        if isinstance(value, list):
            return self.runtime.table_from([self._to_lua(item, null) for item in value])
        if isinstance(value, dict):
            return self.runtime.table_from({key.encode(): self._to_lua(item, null) for key, item in value.items()})
        return value


class ScriptCallError(Exception):
    """redis.call's error, raised through Lua as the script's error: its message is a redis error reply."""

    def __init__(self, message: bytes) -> None:
        super().__init__(message)
        self.message = message


def _message(error: Any) -> tuple[bytes, bool]:
    """The message of a Python exception that reached Lua as an error object, and whether it is a redis error reply
    (redis.call's) rather than a Lua error message (a library function's)."""
    if isinstance(error, ScriptCallError):
        return error.message, True
    if isinstance(error, ScriptLibraryError):
        return error.message, False
    log.error("a script's call into the server failed: %r", error)
    return f"ERR internal error in cloudtwin's Redis server: {type(error).__name__}: {error}".encode(), True


def _sha1hex(*args: Any) -> tuple[bool, Any]:
    if len(args) != 1:
        return False, b"wrong number of arguments"
    value = args[0]
    data = value if isinstance(value, bytes) else str(value).encode()
    return True, hashlib.sha1(data).hexdigest().encode()


def _version_number(version: str) -> int:
    major, minor, patch = (int(part) for part in version.split("."))
    return (major << 16) | (minor << 8) | patch


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


class ScriptingCommands(ServerCommandsBase):
    _script_resp: int | None
    _fieldsets: dict

    def eval(self, script: bytes, numkeys: int, *keys_and_args: bytes) -> Any:
        return self._eval(script, numkeys, keys_and_args, read_only=False)

    @server_command("EVAL_RO", fixed=(bytes, bytes), repeat=(bytes,))
    def cloudtwin_eval_ro(self, script: bytes, numkeys: bytes, *keys_and_args: bytes) -> Any:
        return self._eval(script, Int.decode(numkeys), keys_and_args, read_only=True)

    @server_command("EVALSHA_RO", fixed=(bytes, bytes), repeat=(bytes,))
    def cloudtwin_evalsha_ro(self, sha1: bytes, numkeys: bytes, *keys_and_args: bytes) -> Any:
        script = self._server.script_cache.get(sha1.lower())
        if script is None:
            raise SimpleError(msgs.NO_MATCHING_SCRIPT_MSG)
        return self._eval(script, Int.decode(numkeys), keys_and_args, read_only=True)

    def _eval(self, script: bytes, numkeys: int, keys_and_args: tuple[bytes, ...], read_only: bool) -> Any:
        if numkeys > len(keys_and_args):
            raise SimpleError(msgs.TOO_MANY_KEYS_MSG)
        if numkeys < 0:
            raise SimpleError(msgs.NEGATIVE_KEYS_MSG)
        sha1 = hashlib.sha1(script).hexdigest().encode()
        self._server.script_cache[sha1] = script
        engine = self.engine
        if engine.lua is None:
            engine.lua = LuaSandbox(self.engine_version)
        # A script starts at RESP2 whatever its caller speaks, and sees none of the caller's HIMPORT fieldsets.
        self._script_resp = 2
        caller_fieldsets, self._fieldsets = self._fieldsets, {}
        try:
            result = engine.lua.run(self, script, sha1, keys_and_args[:numkeys], keys_and_args[numkeys:], read_only)
        finally:
            self._script_resp = None
            self._fieldsets = caller_fieldsets
        return self._convert_lua_result(result, nested=False)  # type: ignore[attr-defined]

    def _functions(self) -> FunctionsEngine:
        # fakeredis's function engine, built on the safe interpreter, with the globals redis lacks removed.
        server: Any = self._server
        if getattr(server, "_lua_functions", None) is None:
            engine = FunctionsEngine(
                _SAFE_LUA_MODULE,
                server.server_type,
                server.version,
                _lua_redis_log,
                _lua_cjson_encode,
                _lua_cjson_decode,
                _lua_cjson_null,
            )
            add = engine.runtime.execute(_FUNCTION_LIBRARIES_SOURCE)
            probe, _ = engine._lua.compile(b"return")
            add(library_tables(engine.runtime), probe)
            remove = engine.runtime.eval("function(names) for _, name in ipairs(names) do _G[name] = nil end end")
            remove(engine.runtime.table_from([name.encode() for name in _UNSAFE_GLOBALS]))
            server._lua_functions = engine
        return server._lua_functions

    def script_flush(self, *args: bytes) -> SimpleString:
        reply = super().script_flush(*args)  # type: ignore[misc]
        # redis empties the script cache and starts a new interpreter.
        self.engine.lua = None
        return reply
