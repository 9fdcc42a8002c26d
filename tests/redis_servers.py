"""Real redis-server processes for the differential tests: started in a folder of their own, waited for, stopped."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

# No persistence: nothing a test writes outlives its server.
EPHEMERAL = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def redis_servers(arguments: list[list[str]], folder: Path | str) -> Iterator[None]:
    """One redis-server per argument list (each with EPHEMERAL), run in `folder` so that what a server writes there
    (a replica's synced RDB, a cluster's nodes file) stays out of the working directory; all stopped after.
    Skips the test where redis-server is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install -y redis-server): differential side skipped")
    processes = [
        subprocess.Popen(
            [binary, *EPHEMERAL, "--dir", str(folder), *extra],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for extra in arguments
    ]
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def wait_until(condition: Callable[[], object], failure: str, seconds: float = 20.0) -> None:
    """Poll `condition` (a Redis error counts as not yet) until it is true, or fail the test with `failure`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except redis.RedisError:
            pass
        time.sleep(0.05)
    pytest.fail(failure)
