"""Local TCP ports for brokers the emulator starts."""

from __future__ import annotations

import random
import socket
from pathlib import Path

# Linux's default ephemeral range, where the OS also picks the local ports of outgoing connections.
DEFAULT_EPHEMERAL_RANGE = (32768, 60999)
# Ports below this are often taken by well-known services; a broker's ports are chosen above it.
LOWEST_CHOSEN_PORT = 10000


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Without SO_REUSEADDR, a port in TIME_WAIT counts as busy; the broker sets it, so do we.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port_block(host: str, offsets: list[int], attempts: int = 100) -> int:
    """A port p with p + offset free for every offset, below the OS's ephemeral range.

    A port the OS hands out for binding 0 is also one it may give an outgoing connection before the
    broker binds it; with several listeners per broker that race was seen to fail starts.
    """
    low, _ = ephemeral_range()
    highest = max(offsets)
    for _ in range(attempts):
        base = random.randrange(LOWEST_CHOSEN_PORT, max(LOWEST_CHOSEN_PORT + 1, low - highest))
        if all(port_is_free(host, base + offset) for offset in offsets):
            return base
    raise OSError(f"found no free ports on {host} at offsets {offsets} below the ephemeral range")


def ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return DEFAULT_EPHEMERAL_RANGE
