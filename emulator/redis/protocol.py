"""RESP framing: requests in (multibulk and inline), replies out (RESP2 and RESP3)."""

from __future__ import annotations

from typing import Any

from fakeredis._command_args_parsing import Float
from fakeredis._helpers import SimpleError, SimpleString

# Limits as redis-server applies them (networking.c); a header longer than this without CRLF is an attack or garbage.
MAX_INLINE_SIZE = 64 * 1024
MAX_MULTIBULK_COUNT = 1024 * 1024
LARGE_REQUEST = 1024 * 1024


class ProtocolError(Exception):
    """The client broke the protocol: reply with the message, then close its connection."""


class RequestReader:
    """Splits a byte stream into commands (lists of bytes), keeping partial input across reads.

    The buffer grows only as bytes arrive, never from a declared length, so a header announcing
    2**40 bytes costs nothing; declared lengths above `max_bulk_len` are refused outright.
    """

    def __init__(self, max_bulk_len: int = 512 * 1024 * 1024) -> None:
        self.max_bulk_len = max_bulk_len
        self._buffer = bytearray()
        # Bytes the buffer must hold before the pending command can complete; avoids re-parsing a large argument
        # every time another chunk of it arrives.
        self._needed = 0

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    @property
    def missing(self) -> int:
        """Bytes still to come of an argument the buffer holds the start of; 0 if none is known to be pending."""
        return max(0, self._needed - len(self._buffer))

    def feed(self, data: bytes) -> list[list[bytes]]:
        pending = self._buffer
        if pending:
            pending += data
            if len(pending) < self._needed:
                return []
            # Parsing immutable bytes is faster than slicing the bytearray, but for a large argument that copy
            # would hold the request in memory three times over; there, arguments are copied out of a view instead.
            buffer = bytes(pending) if len(pending) < LARGE_REQUEST else pending
        else:
            buffer = data
        self._needed = 0
        if type(buffer) is bytes and buffer[:1] == b"*":
            commands, pos = split_complete_commands(buffer)
        else:
            commands, pos = [], 0
        end = len(buffer)
        try:
            while pos < end:
                if buffer[pos] == 42:  # b"*"
                    parsed = self._multibulk(buffer, pos)
                else:
                    parsed = self._inline(buffer, pos)
                if parsed is None:
                    break
                command, pos = parsed
                if command:
                    commands.append(command)
        finally:
            if pos < end:
                if not pos and pending:
                    self._buffer = pending
                elif buffer is pending:
                    del pending[:pos]
                else:
                    self._buffer = bytearray(buffer[pos:])
                self._needed = max(0, self._needed - pos)
            else:
                self._buffer = bytearray()
        return commands

    def _multibulk(self, buffer: bytes | bytearray, start: int) -> tuple[list[bytes], int] | None:
        header = _header(buffer, start, "too big mbulk count string", "invalid multibulk length")
        if header is None:
            return None
        count, pos = header
        if count > MAX_MULTIBULK_COUNT:
            raise ProtocolError("Protocol error: invalid multibulk length")
        args: list[bytes] = []
        for _ in range(count):
            if pos >= len(buffer):
                self._needed = pos + 1
                return None
            if buffer[pos] != 36:  # b"$"
                raise ProtocolError(f"Protocol error: expected '$', got '{chr(buffer[pos])}'")
            header = _header(buffer, pos, "too big bulk count string", "invalid bulk length")
            if header is None:
                return None
            length, data_start = header
            if length < 0 or length > self.max_bulk_len:
                raise ProtocolError("Protocol error: invalid bulk length")
            data_end = data_start + length
            if data_end + 2 > len(buffer):
                self._needed = data_end + 2
                return None
            if type(buffer) is bytes:
                args.append(buffer[data_start:data_end])
            else:
                with memoryview(buffer) as view:
                    args.append(bytes(view[data_start:data_end]))
            pos = data_end + 2
        return args, pos

    def _inline(self, buffer: bytes | bytearray, start: int) -> tuple[list[bytes], int] | None:
        eol = buffer.find(b"\n", start)
        if eol < 0:
            if len(buffer) - start > MAX_INLINE_SIZE:
                raise ProtocolError("Protocol error: too big inline request")
            return None
        line = bytes(buffer[start:eol]).rstrip(b"\r")
        return split_inline(line), eol + 1


def _header(buffer: bytes | bytearray, start: int, too_long: str, invalid: str) -> tuple[int, int] | None:
    """The number after the type byte at `start` (`*3`, `$5`) and where its line ends; None until the line is in."""
    eol = buffer.find(b"\r\n", start)
    if eol < 0:
        if len(buffer) - start > MAX_INLINE_SIZE:
            raise ProtocolError(f"Protocol error: {too_long}")
        return None
    try:
        return int(buffer[start + 1 : eol]), eol + 2
    except ValueError:
        raise ProtocolError(f"Protocol error: {invalid}") from None


def split_complete_commands(buffer: bytes) -> tuple[list[list[bytes]], int]:
    """The leading well-formed multibulk commands, found with one split on CRLF: the fast path for pipelines.

    Stops (returning what it has and where it stopped) at anything it cannot vouch for: an incomplete command, an
    inline one, or an argument whose length does not match its header, such as one containing CRLF. The
    careful parser takes over from there.
    """
    tokens = buffer.split(b"\r\n")
    commands: list[list[bytes]] = []
    pos = 0
    i = 0
    last = len(tokens) - 1  # the bytes after the final CRLF: never a complete token
    while i < last:
        header = tokens[i]
        if header[:1] != b"*":
            break
        try:
            count = int(header[1:])
        except ValueError:
            break
        end = i + 1 + 2 * count
        if count <= 0 or end > last:
            break
        args = tokens[i + 2 : end : 2]
        size = len(header) + 2
        for bulk_header, arg in zip(tokens[i + 1 : end : 2], args, strict=True):
            if bulk_header != b"$%d" % len(arg):
                return commands, pos
            size += len(bulk_header) + len(arg) + 4
        commands.append(args)
        pos += size
        i = end
    return commands, pos


_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("a"): b"\a"}


def split_inline(line: bytes) -> list[bytes]:
    """Split an inline command as redis-server does: spaces separate, quotes group, escapes in double quotes."""
    if b'"' not in line and b"'" not in line:
        return line.split()
    args: list[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \t\r\n":
            i += 1
        if i >= n:
            return args
        current = bytearray()
        quote = 0
        while True:
            if i >= n:
                if quote:
                    raise ProtocolError("Protocol error: unbalanced quotes in request")
                break
            c = line[i]
            if quote == 34:  # inside "..."
                if c == 92 and i + 3 < n and line[i + 1] == 120 and _is_hex(line[i + 2 : i + 4]):  # \xHH
                    current.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 92 and i + 1 < n:
                    current += _ESCAPES.get(line[i + 1], bytes([line[i + 1]]))
                    i += 1
                elif c == 34:
                    if i + 1 < n and line[i + 1] not in b" \t\r\n":
                        raise ProtocolError("Protocol error: unbalanced quotes in request")
                    i += 1
                    break
                else:
                    current.append(c)
            elif quote == 39:  # inside '...'
                if c == 92 and i + 1 < n and line[i + 1] == 39:
                    current.append(39)
                    i += 1
                elif c == 39:
                    if i + 1 < n and line[i + 1] not in b" \t\r\n":
                        raise ProtocolError("Protocol error: unbalanced quotes in request")
                    i += 1
                    break
                else:
                    current.append(c)
            elif c in b" \t\r\n":
                break
            elif c in (34, 39) and not current:
                quote = c
            else:
                current.append(c)
            i += 1
        args.append(bytes(current))


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(c in b"0123456789abcdefABCDEF" for c in pair)


class Push(list):
    """An out-of-band message (pub/sub): a push (`>`) in RESP3, a plain array in RESP2."""


def _bulk(data: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(data), data)


def encode(value: Any, resp3: bool) -> bytes:
    """Serialize one reply. Values are what fakeredis commands return, already shaped for the client's protocol."""
    kind = type(value)
    if kind is bytes:
        return b"$%d\r\n%s\r\n" % (len(value), value)
    if kind is SimpleString:
        return b"+%s\r\n" % value.value
    if kind is int:
        if -(2**63) <= value < 2**63:
            return b":%d\r\n" % value
        return b"(%d\r\n" % value if resp3 else _bulk(b"%d" % value)
    if value is None:
        return b"_\r\n" if resp3 else b"$-1\r\n"
    if isinstance(value, SimpleError):
        return b"-%s\r\n" % _one_line(value.value)
    if kind is list or kind is tuple:
        # Arrays of bulk strings (LRANGE, MGET, HGETALL in RESP2) are the common large reply: no call per element.
        return b"*%d\r\n" % len(value) + b"".join(
            [b"$%d\r\n%s\r\n" % (len(item), item) if type(item) is bytes else encode(item, resp3) for item in value]
        )
    if kind is Push:
        header = b">%d\r\n" if resp3 else b"*%d\r\n"
        return header % len(value) + b"".join([encode(item, resp3) for item in value])
    if kind is bool:
        if resp3:
            return b"#t\r\n" if value else b"#f\r\n"
        return b":1\r\n" if value else b":0\r\n"
    if kind is float:
        if resp3:
            return b",%s\r\n" % Float.encode(value, humanfriendly=False)
        return _bulk(Float.encode(value, humanfriendly=False))
    if kind is str:
        return _bulk(value.encode())
    if isinstance(value, dict):
        if resp3:
            parts = [b"%%%d\r\n" % len(value)]
        else:
            parts = [b"*%d\r\n" % (2 * len(value))]
        for key, item in value.items():
            parts.append(encode(key, resp3))
            parts.append(encode(item, resp3))
        return b"".join(parts)
    if isinstance(value, (set, frozenset)):
        header = b"~%d\r\n" if resp3 else b"*%d\r\n"
        return header % len(value) + b"".join([encode(item, resp3) for item in value])
    if isinstance(value, (list, tuple)):
        return b"*%d\r\n" % len(value) + b"".join([encode(item, resp3) for item in value])
    if isinstance(value, bytes):
        return _bulk(bytes(value))
    if isinstance(value, int):
        return encode(int(value), resp3)
    raise TypeError(f"cannot encode a reply of type {type(value).__name__}")


def _one_line(message: str) -> bytes:
    # An error is a single line on the wire; redis-server maps CR/LF inside it to spaces the same way.
    return message.replace("\r", " ").replace("\n", " ").encode()


def error(message: str) -> bytes:
    return b"-%s\r\n" % _one_line(message)
