"""MONITOR's feed: each command a client runs, as the line redis 7 sends to monitoring clients.

`+1339518083.107412 [0 127.0.0.1:60866] "SET" "key" "value"`: time, database, where the command
came from (a client's address, or `lua` inside a script), then each argument quoted with C escapes.
Like redis, the feed leaves out administrative commands and hides AUTH and HELLO credentials.
"""

from __future__ import annotations

from collections.abc import Sequence

from cloudtwin.redis.redaction import redact

_ESCAPES = {ord("\\"): b"\\\\", ord('"'): b'\\"', ord("\n"): b"\\n", ord("\r"): b"\\r", ord("\t"): b"\\t"}
_ESCAPES.update({7: b"\\a", 8: b"\\b"})
_QUOTED = [_ESCAPES.get(byte, bytes([byte]) if 0x20 <= byte < 0x7F else b"\\x%02x" % byte) for byte in range(256)]
# Shown before they run, so the commands a script runs follow it in the feed; every other command after it ran.
SCRIPT_COMMANDS = frozenset({"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"})


def quote(argument: bytes) -> bytes:
    """An argument as redis' sdscatrepr writes it: in double quotes, printable ASCII kept, the rest escaped."""
    if argument.isascii() and argument.isalnum():
        return b'"%s"' % argument
    return b'"' + b"".join([_QUOTED[byte] for byte in argument]) + b'"'


def monitor_line(now: float, db: int, source: str, arguments: Sequence[bytes]) -> bytes:
    seconds = int(now)
    micros = int((now - seconds) * 1_000_000)
    quoted = b" ".join([quote(argument) for argument in redact(arguments)])
    return b"+%d.%06d [%d %s] %s\r\n" % (seconds, micros, db, source.encode(), quoted)
