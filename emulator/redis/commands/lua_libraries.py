"""The Lua libraries redis 7.0 gives scripts besides the standard ones and cjson: `bit`, `struct` and `cmsgpack`.

lupa's Lua 5.1 has none of them, so they are written here from their documented behaviour (LuaBitOp 1.0.2, the
`struct` library of Lua 5.1's era, lua-cmsgpack 0.4.0 as redis vendors them), quirks included where a script can see
them, and checked against redis-server by the differential tests. Lua numbers are doubles: lupa hands integral ones
over as int, the rest as float. The functions are Python callables, so to Lua they are C functions as redis' are (no
tail call replaces the script's frame); an error names the function as the script called it and the script's line,
"user_script:1: bad argument #1 to 'band' (...)", as lauxlib words a C library's errors.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

from fakeredis.commands_mixins.scripting_mixin import LUA_MODULE


class LibraryError(Exception):
    """A library function's error: about its argument at `argument` (luaL_argerror), or about the call (luaL_error)."""

    def __init__(self, text: str, argument: int | None = None, placed: bool = True) -> None:
        super().__init__(text)
        self.text = text
        self.argument = argument
        # Whether the message starts with the caller's place: lauxlib's errors do, the Lua core's from a C function
        # ("table index is nil") do not.
        self.placed = placed


class ScriptLibraryError(LUA_MODULE.LuaError):  # type: ignore[misc, name-defined]
    """The error raised through Lua into the script, with its message worded as the script sees it. A LuaError, so
    fakeredis's function engine reports it (FCALL) as it reports the Lua errors of a function."""

    def __init__(self, message: bytes) -> None:
        super().__init__(message)
        self.message = message


def _type_name(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, bytes):
        return "string"
    return LUA_MODULE.lua_type(value) or "userdata"


def _to_number(value: Any) -> float | int | None:
    """lua_tonumber: numbers, and strings that read as one (decimal, or hex with 0x), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if not isinstance(value, bytes):
        return None
    text = value.strip(b" \t\n\r\f\v")
    if not text or b"_" in text:
        return None
    try:
        lowered = text.lower()
        if lowered.startswith((b"0x", b"-0x", b"+0x")):
            return float(int(lowered, 16))
        return float(text)
    except ValueError:
        return None


def _integer_or_float(number: float) -> int | float:
    """A double as lupa would hand it over: integral ones as int."""
    if math.isfinite(number) and number == int(number) and abs(number) < 2**63:
        return int(number)
    return number


def _argument(args: tuple, index: int) -> Any:
    return args[index - 1] if index <= len(args) else None


def _bad_argument(position: int, message: str) -> LibraryError:
    return LibraryError(message, argument=position)


def _number_argument(args: tuple, position: int, absent: str = "no value") -> float | int:
    value = _argument(args, position)
    number = _to_number(value)
    if number is None:
        got = absent if position > len(args) else _type_name(value)
        raise _bad_argument(position, f"number expected, got {got}")
    return number


def _string_argument(args: tuple, position: int, absent: str = "no value") -> bytes:
    value = _argument(args, position)
    if isinstance(value, bytes):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_text(value)
    got = absent if position > len(args) else _type_name(value)
    raise _bad_argument(position, f"string expected, got {got}")


def _number_text(number: float | int) -> bytes:
    """A number as Lua 5.1 writes it (%.14g)."""
    return b"%.14g" % number


# --- bit (LuaBitOp): 32-bit operations on doubles


def _bits(args: tuple, position: int) -> int:
    """The argument's low 32 bits after rounding to an integer, as LuaBitOp takes them: adding 2^52 + 2^51 to the
    double leaves the rounded integer in the low word of its mantissa (infinities and NaN give 0)."""
    number = _number_argument(args, position)
    shifted = float(number) + 6755399441055744.0
    return struct.unpack("<Q", struct.pack("<d", shifted))[0] & 0xFFFFFFFF


def _signed(bits: int) -> int:
    bits &= 0xFFFFFFFF
    return bits - (1 << 32) if bits & 0x80000000 else bits


def _fold(combine: Callable[[int, int], int]) -> Callable[..., int]:
    def operation(*args: Any) -> int:
        result = _bits(args, 1)
        for position in range(len(args), 1, -1):
            result = combine(result, _bits(args, position))
        return _signed(result)

    return operation


def _shift(apply: Callable[[int, int], int]) -> Callable[..., int]:
    def operation(*args: Any) -> int:
        value = _bits(args, 1)
        count = _bits(args, 2) & 31
        return _signed(apply(value, count))

    return operation


def _tohex(*args: Any) -> bytes:
    value = _bits(args, 1)
    digits = 8 if len(args) < 2 else _signed(_bits(args, 2))
    alphabet = "0123456789abcdef"
    if digits < 0:
        digits, alphabet = -digits, alphabet.upper()
    digits = min(digits, 8)
    text = ""
    for _ in range(digits):
        text = alphabet[value & 15] + text
        value >>= 4
    return text.encode()


def _bswap(*args: Any) -> int:
    value = _bits(args, 1)
    return _signed(int.from_bytes(value.to_bytes(4, "little"), "big"))


BIT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "tobit": lambda *args: _signed(_bits(args, 1)),
    "bnot": lambda *args: _signed(~_bits(args, 1)),
    "band": _fold(lambda a, b: a & b),
    "bor": _fold(lambda a, b: a | b),
    "bxor": _fold(lambda a, b: a ^ b),
    "lshift": _shift(lambda value, count: value << count),
    "rshift": _shift(lambda value, count: value >> count),
    "arshift": _shift(lambda value, count: _signed(value) >> count),
    "rol": _shift(lambda value, count: (value << count) | (value >> (32 - count))),
    "ror": _shift(lambda value, count: (value << (32 - count)) | (value >> count)),
    "bswap": _bswap,
    "tohex": _tohex,
}


# --- struct: binary packing with C's sizes on x86-64 (little endian, long and size_t of 8 bytes)

_INTEGER_SIZES = {"b": 1, "B": 1, "h": 2, "H": 2, "l": 8, "L": 8, "T": 8}
_MAX_INTEGER_SIZE = 32
# The strictest alignment `!` without a number asks for: a double's.
_MAX_ALIGNMENT = 8


class _Format:
    """A struct format string read one option at a time, with the byte order and alignment options seen so far."""

    def __init__(self, text: bytes) -> None:
        self.text = text.split(b"\0", 1)[0].decode("latin-1")
        self.position = 0
        self.little_endian = True
        self.alignment = 1

    def __iter__(self) -> _Format:
        return self

    def __next__(self) -> tuple[str, int]:
        """The next option and its size (0 for options that take no room)."""
        if self.position >= len(self.text):
            raise StopIteration
        option = self.text[self.position]
        self.position += 1
        if option in _INTEGER_SIZES:
            return option, _INTEGER_SIZES[option]
        if option == "f":
            return option, 4
        if option == "d":
            return option, 8
        if option == "x":
            return option, 1
        if option == "c":
            return option, self.number(1)
        if option in "iI":
            size = self.number(4)
            if size > _MAX_INTEGER_SIZE:
                raise LibraryError(f"integral size {size} is larger than limit of {_MAX_INTEGER_SIZE}")
            return option, size
        return option, 0

    def number(self, default: int) -> int:
        start = self.position
        while self.position < len(self.text) and self.text[self.position] in "0123456789":
            self.position += 1
        if start == self.position:
            return default
        value = int(self.text[start : self.position])
        if value > 2**31 - 1:
            raise LibraryError("integral size overflow")
        return value

    def padding(self, offset: int, option: str, size: int) -> int:
        """Bytes to skip before an item of `size` at `offset`, as the library computes them (a mask, so sizes that
        are not powers of two align oddly, as in C)."""
        if size == 0 or option == "c":
            return 0
        size = min(size, self.alignment)
        return (size - (offset & (size - 1))) & (size - 1)

    def control(self, option: str) -> None:
        """Byte order, alignment and spaces; any other option is refused."""
        if option == " ":
            return
        if option == ">":
            self.little_endian = False
        elif option == "<":
            self.little_endian = True
        elif option == "!":
            alignment = self.number(_MAX_ALIGNMENT)
            if alignment <= 0 or alignment & (alignment - 1):
                raise LibraryError(f"alignment {alignment} is not a power of 2")
            self.alignment = alignment
        else:
            raise _bad_argument(1, f"invalid format option '{option}'")


def _c_integer(number: float | int) -> int:
    """A double converted to C's long (truncated toward zero) and then to 64 unsigned bits."""
    if not math.isfinite(number):
        return 0
    return int(number) & 0xFFFFFFFFFFFFFFFF


def _struct_pack(*args: Any) -> bytes:
    fmt = _Format(_string_argument(args, 1))
    out = bytearray()
    position = 2
    for option, size in fmt:
        pad = fmt.padding(len(out), option, size)
        out += b"\0" * pad
        if option in _INTEGER_SIZES or option in "iI":
            # The library marks the end of its arguments with a nil, so a missing one reads as nil.
            value = _c_integer(_number_argument(args, position, absent="nil"))
            position += 1
            raw = bytes((value >> (8 * index)) & 0xFF if index < 8 else 0 for index in range(size))
            out += raw if fmt.little_endian else raw[::-1]
        elif option == "x":
            out += b"\0"
        elif option in "fd":
            number = float(_number_argument(args, position, absent="nil"))
            position += 1
            out += _pack_float(number, option, fmt.little_endian)
        elif option in "cs":
            text = _string_argument(args, position, absent="nil")
            position += 1
            length = len(text) if size == 0 else size
            if len(text) < length:
                # Reported against the argument after the string, as the library does.
                raise _bad_argument(position, "string too short")
            out += text[:length]
            if option == "s":
                out += b"\0"
        else:
            fmt.control(option)
    return bytes(out)


def _pack_float(number: float, option: str, little_endian: bool) -> bytes:
    order = "<" if little_endian else ">"
    try:
        return struct.pack(order + option, number)
    except OverflowError:
        # C's conversion of a double too large for a float gives an infinity.
        return struct.pack(order + option, math.copysign(math.inf, number))


def _struct_unpack(*args: Any) -> tuple:
    fmt = _Format(_string_argument(args, 1))
    data = _string_argument(args, 2)
    start = 1 if len(args) < 3 or args[2] is None else _number_argument(args, 3)
    position = int(start)
    if position == 0:
        raise _bad_argument(3, "offset must be 1 or greater")
    # The library keeps the offset unsigned: a negative one is past any data, and comes back as it was given.
    beyond = position < 0
    position -= 1
    results: list[Any] = []
    for option, size in fmt:
        position += fmt.padding(position, option, size)
        if beyond or not (size <= len(data) and position <= len(data) - size):
            raise _bad_argument(2, "data string too short")
        if option in _INTEGER_SIZES or option in "iI":
            raw = data[position : position + size]
            value = int.from_bytes(raw if fmt.little_endian else raw[::-1], "little") & 0xFFFFFFFFFFFFFFFF
            if option.islower():
                sign = 1 << min(size * 8 - 1, 63)
                if value & sign:
                    value -= 1 << 64 if size >= 8 else 1 << (size * 8)
            results.append(_integer_or_float(float(value)))
        elif option in "fd":
            order = "<" if fmt.little_endian else ">"
            results.append(_integer_or_float(struct.unpack(order + option, data[position : position + size])[0]))
        elif option == "c":
            if size == 0:
                previous = results[-1] if results else None
                if previous is None or _to_number(previous) is None:
                    raise LibraryError("format 'c0' needs a previous size")
                size = int(_to_number(previous) or 0)
                results.pop()
                if not (size <= len(data) and position <= len(data) - size):
                    raise _bad_argument(2, "data string too short")
            results.append(data[position : position + size])
        elif option == "s":
            end = data.find(b"\0", position)
            if end < 0:
                raise LibraryError("unfinished string in data")
            size = end - position + 1
            results.append(data[position:end])
        elif option != "x":
            fmt.control(option)
        position += size
    return (*results, position + 1)


def _struct_size(*args: Any) -> int:
    fmt = _Format(_string_argument(args, 1))
    position = 0
    for option, size in fmt:
        position += fmt.padding(position, option, size)
        if option == "s":
            raise _bad_argument(1, "option 's' has no fixed size")
        if option == "c" and size == 0:
            raise _bad_argument(1, "option 'c0' has no fixed size")
        # Letters and digits the library does not know take no room here, where pack and unpack refuse them.
        if not (option.isascii() and option.isalnum()):
            fmt.control(option)
        position += size
    return position


STRUCT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "pack": _struct_pack,
    "unpack": _struct_unpack,
    "size": _struct_size,
}


# --- cmsgpack: MessagePack, with Lua tables as arrays when their keys are exactly 1..n, else as maps

_MAX_NESTING = 16
_CMSGPACK_FIELDS = {
    "_NAME": b"cmsgpack",
    "_VERSION": b"lua-cmsgpack 0.4.0",
    "_COPYRIGHT": b"Copyright (C) 2012, Salvatore Sanfilippo",
    "_DESCRIPTION": b"MessagePack C implementation for Lua",
}


def _encode_integer(value: int) -> bytes:
    if value >= 0:
        if value <= 0x7F:
            return bytes((value,))
        if value <= 0xFF:
            return b"\xcc" + value.to_bytes(1, "big")
        if value <= 0xFFFF:
            return b"\xcd" + value.to_bytes(2, "big")
        if value <= 0xFFFFFFFF:
            return b"\xce" + value.to_bytes(4, "big")
        return b"\xcf" + value.to_bytes(8, "big")
    if value >= -32:
        return (value & 0xFF).to_bytes(1, "big")
    if value >= -128:
        return b"\xd0" + value.to_bytes(1, "big", signed=True)
    if value >= -32768:
        return b"\xd1" + value.to_bytes(2, "big", signed=True)
    if value >= -(2**31):
        return b"\xd2" + value.to_bytes(4, "big", signed=True)
    return b"\xd3" + value.to_bytes(8, "big", signed=True)


def _encode_number(number: float | int) -> bytes:
    as_float = float(number)
    # A double that converts to int64 and back unchanged goes as an integer.
    if math.isfinite(as_float) and -(2**63) <= as_float < 2**63 and as_float == int(as_float):
        return _encode_integer(int(as_float))
    try:
        single = struct.pack(">f", as_float)
    except OverflowError:
        single = b""
    if single and struct.unpack(">f", single)[0] == as_float:
        return b"\xca" + single
    return b"\xcb" + struct.pack(">d", as_float)


def _encode_length(length: int, fixed: int, fixed_limit: int, code16: int, code32: int) -> bytes:
    if length <= fixed_limit:
        return bytes((fixed | length,))
    if length <= 0xFFFF:
        return bytes((code16,)) + length.to_bytes(2, "big")
    return bytes((code32,)) + length.to_bytes(4, "big")


def _encode_bytes(text: bytes) -> bytes:
    length = len(text)
    if length < 32:
        header = bytes((0xA0 | length,))
    elif length <= 0xFF:
        header = b"\xd9" + length.to_bytes(1, "big")
    elif length <= 0xFFFF:
        header = b"\xda" + length.to_bytes(2, "big")
    else:
        header = b"\xdb" + length.to_bytes(4, "big")
    return header + text


def _array_length(table: Any) -> int | None:
    """n when the table's keys are exactly the integers 1..n (an empty table too), else None."""
    count = 0
    highest = 0
    for key in table.keys():
        if isinstance(key, bool) or not isinstance(key, int | float):
            return None
        if key <= 0 or key != int(key) or key > 2**31 - 1:
            return None
        highest = max(highest, int(key))
        count += 1
    return count if highest == count else None


def _encode(value: Any, level: int) -> bytes:
    if isinstance(value, bool):
        return b"\xc3" if value else b"\xc2"
    if isinstance(value, int | float):
        return _encode_number(value)
    if isinstance(value, bytes):
        return _encode_bytes(value)
    if value is None or LUA_MODULE.lua_type(value) != "table" or level == _MAX_NESTING:
        # Functions, userdata and tables nested too deep (a table that holds itself) go as nil.
        return b"\xc0"
    length = _array_length(value)
    if length is not None:
        items = [value[index] for index in range(1, length + 1)]
        return _encode_length(length, 0x90, 15, 0xDC, 0xDD) + b"".join(_encode(item, level + 1) for item in items)
    pairs = list(value.items())
    body = b"".join(_encode(key, level + 1) + _encode(item, level + 1) for key, item in pairs)
    return _encode_length(len(pairs), 0x80, 15, 0xDE, 0xDF) + body


def _cmsgpack_pack(*args: Any) -> bytes:
    if not args:
        raise _bad_argument(0, "MessagePack pack needs input.")
    return b"".join(_encode(value, 0) for value in args)


class _MissingBytes(Exception):
    pass


class _BadFormat(Exception):
    pass


class _Decoder:
    """Reads MessagePack values from bytes into Lua values of one interpreter."""

    def __init__(self, runtime: Any, data: bytes, offset: int) -> None:
        self.runtime = runtime
        self.data = data
        self.position = offset

    def take(self, count: int) -> bytes:
        if self.position + count > len(self.data):
            raise _MissingBytes
        chunk = self.data[self.position : self.position + count]
        self.position += count
        return chunk

    def integer(self, size: int, signed: bool) -> int:
        return int.from_bytes(self.take(size), "big", signed=signed)

    def value(self) -> Any:
        code = self.take(1)[0]
        if code <= 0x7F:
            return code
        if code >= 0xE0:
            return code - 0x100
        if 0xA0 <= code <= 0xBF:
            return self.take(code & 0x1F)
        if 0x90 <= code <= 0x9F:
            return self.array(code & 0x0F)
        if 0x80 <= code <= 0x8F:
            return self.map(code & 0x0F)
        simple = {0xC0: None, 0xC2: False, 0xC3: True}
        if code in simple:
            return simple[code]
        unsigned = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}
        if code in unsigned:
            return _integer_or_float(float(self.integer(unsigned[code], signed=False)))
        signed = {0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8}
        if code in signed:
            return _integer_or_float(float(self.integer(signed[code], signed=True)))
        if code == 0xCA:
            return _integer_or_float(struct.unpack(">f", self.take(4))[0])
        if code == 0xCB:
            return _integer_or_float(struct.unpack(">d", self.take(8))[0])
        lengths = {0xD9: 1, 0xDA: 2, 0xDB: 4}
        if code in lengths:
            return self.take(self.integer(lengths[code], signed=False))
        if code in (0xDC, 0xDD):
            return self.array(self.integer(2 if code == 0xDC else 4, signed=False))
        if code in (0xDE, 0xDF):
            return self.map(self.integer(2 if code == 0xDE else 4, signed=False))
        # bin, ext and the reserved code: lua-cmsgpack 0.4.0 reads none of them.
        raise _BadFormat

    def array(self, length: int) -> Any:
        table = self.runtime.table()
        for index in range(1, length + 1):
            table[index] = self.value()
        return table

    def map(self, length: int) -> Any:
        table = self.runtime.table()
        for _ in range(length):
            key = self.value()
            item = self.value()
            if key is None:
                raise LibraryError("table index is nil", placed=False)
            table[key] = item
        return table


def _cmsgpack_unpacker(runtime: Any) -> dict[str, Callable[..., Any]]:
    """unpack, unpack_one and unpack_limit, decoding into tables of `runtime`."""

    def unpack_full(args: tuple, limit: int, offset: int) -> tuple:
        text = _string_argument(args, 1)
        decode_all = not limit and not offset
        if offset < 0 or limit < 0:
            # The library words it so, with the input's length where the limit should be.
            raise LibraryError(f"Invalid request to unpack with offset of {offset} and limit of {len(text)}.")
        if offset > len(text):
            raise LibraryError(f"Start offset {offset} greater than input length {len(text)}.")
        decoder = _Decoder(runtime, text, offset)
        values: list[Any] = []
        while decoder.position < len(text) and (decode_all or len(values) < limit):
            try:
                values.append(decoder.value())
            except _MissingBytes:
                raise LibraryError("Missing bytes in input.") from None
            except _BadFormat:
                raise LibraryError("Bad data format in input.") from None
        if decode_all:
            return tuple(values)
        # The offset to resume from, or -1 once everything was read.
        return (-1 if decoder.position >= len(text) else decoder.position, *values)

    def optional_integer(args: tuple, position: int) -> int:
        if position > len(args) or args[position - 1] is None:
            return 0
        return int(_number_argument(args, position))

    def unpack(*args: Any) -> tuple:
        return unpack_full(args, 0, 0)

    def unpack_one(*args: Any) -> tuple:
        offset = optional_integer(args, 2)
        return unpack_full(args[:1], 1, offset)

    def unpack_limit(*args: Any) -> tuple:
        limit = int(_number_argument(args, 2))
        offset = optional_integer(args, 3)
        return unpack_full(args[:1], limit, offset)

    return {"unpack": unpack, "unpack_one": unpack_one, "unpack_limit": unpack_limit}


# Run from a library function that failed: the name the script called it by, and where (luaL_where) that call is.
# Level 1 is this function, 2 the library function (a C function to Lua), 3 its caller; '?' and no place when that
# caller is itself a C function (pcall).
_CALL_SITE_SOURCE = """
local getinfo = debug.getinfo
return function()
  local called = getinfo(2, "n")
  local caller = getinfo(3, "Sl")
  local where = ""
  if caller and caller.currentline > 0 then
    where = caller.short_src .. ":" .. caller.currentline .. ": "
  end
  return called and called.name or "?", where
end
"""


def _raising(function: Callable[..., Any], call_site: Callable[[], tuple]) -> Callable[..., Any]:
    """The function as scripts call it: its results, or its error raised into the script, worded as lauxlib does."""

    def call(*args: Any) -> Any:
        try:
            return function(*args)
        except LibraryError as exc:
            name, where = call_site()
            text = exc.text
            if exc.argument is not None:
                text = f"bad argument #{exc.argument} to '{name.decode(errors='replace')}' ({text})"
            raise ScriptLibraryError((where if exc.placed else b"") + text.encode()) from None

    return call


def library_tables(runtime: Any) -> Any:
    """{bit = {...}, struct = {...}, cmsgpack = {...}} of Python functions for the sandbox to show scripts, as Lua
    tables of this interpreter."""
    call_site = runtime.execute(_CALL_SITE_SOURCE)
    cmsgpack: dict[bytes, Any] = {
        name.encode(): _raising(function, call_site)
        for name, function in {"pack": _cmsgpack_pack, **_cmsgpack_unpacker(runtime)}.items()
    }
    cmsgpack.update((name.encode(), value) for name, value in _CMSGPACK_FIELDS.items())

    def functions(table: dict[str, Callable[..., Any]]) -> Any:
        return runtime.table_from({name.encode(): _raising(function, call_site) for name, function in table.items()})

    return runtime.table_from(
        {
            b"bit": functions(BIT_FUNCTIONS),
            b"struct": functions(STRUCT_FUNCTIONS),
            b"cmsgpack": runtime.table_from(cmsgpack),
        }
    )
