"""Capture a redis-server's COMMAND and COMMAND DOCS tables into the JSON the twin answers COMMAND from.

    python -m cloudtwin.redis.commands.capture_command_table PORT > emulator/redis/commands/command_table_7.0.json

Replies are read in RESP3 and kept with their types, so the twin can answer them in either protocol as redis does:
a simple string is {"+": text}, a map {"%": [[key, value], ...]}, a set {"~": [...]}; bulk strings, integers and
arrays are JSON strings, numbers and lists.
"""

from __future__ import annotations

import json
import socket
import sys
from typing import Any


class _Reader:
    def __init__(self, sock: socket.socket) -> None:
        self._file = sock.makefile("rb")

    def read(self) -> Any:
        line = self._file.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return {"+": rest.decode()}
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            data = self._file.read(int(rest) + 2)[:-2]
            return data.decode()
        if kind == b"_":
            return None
        if kind == b"*":
            return [self.read() for _ in range(int(rest))]
        if kind == b"~":
            return {"~": [self.read() for _ in range(int(rest))]}
        if kind == b"%":
            return {"%": [[self.read(), self.read()] for _ in range(int(rest))]}
        raise RuntimeError(f"unexpected RESP3 type {kind!r}")


def _call(sock: socket.socket, reader: _Reader, *args: str) -> Any:
    parts = [b"*%d\r\n" % len(args)] + [b"$%d\r\n%s\r\n" % (len(arg.encode()), arg.encode()) for arg in args]
    sock.sendall(b"".join(parts))
    return reader.read()


def capture(port: int) -> dict[str, Any]:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        reader = _Reader(sock)
        hello = _call(sock, reader, "HELLO", "3")
        version = dict(hello["%"])["version"]
        info = _call(sock, reader, "COMMAND")
        docs = _call(sock, reader, "COMMAND", "DOCS")
    return {
        "version": version,
        "info": sorted(info, key=lambda entry: entry[0]),
        "docs": sorted(docs["%"], key=lambda pair: pair[0]),
    }


if __name__ == "__main__":
    json.dump(capture(int(sys.argv[1])), sys.stdout, separators=(",", ":"))
