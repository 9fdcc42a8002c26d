"""A bare RESP client for comparing replies exactly: errors keep their code, maps stay maps, status stays status."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Error:
    text: str


@dataclass(frozen=True)
class Status:
    text: str


@dataclass(frozen=True)
class Push:
    items: tuple


class RawConnection:
    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def send(self, *args: Any) -> None:
        parts = [str(arg).encode() if not isinstance(arg, bytes) else arg for arg in args]
        self.sock.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(part), part) for part in parts))

    def call(self, *args: Any) -> Any:
        self.send(*args)
        return self.read()

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            self._fill()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed")
        self.buffer += data

    def _exact(self, size: int) -> bytes:
        while len(self.buffer) < size + 2:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size + 2 :]
        return data

    def read(self) -> Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return Status(rest.decode())
        if kind == b"-":
            return Error(rest.decode())
        if kind in (b":", b"("):
            return int(rest)
        if kind == b",":
            return float(rest)
        if kind == b"#":
            return rest == b"t"
        if kind == b"_":
            return None
        if kind in (b"$", b"="):
            size = int(rest)
            return None if size < 0 else self._exact(size)
        if kind in (b"*", b"~", b">"):
            size = int(rest)
            if size < 0:
                return None
            items = [self.read() for _ in range(size)]
            return Push(tuple(items)) if kind == b">" else items
        if kind == b"%":
            return {_hashable(self.read()): self.read() for _ in range(int(rest))}
        raise ValueError(f"unexpected reply line {line!r}")


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
