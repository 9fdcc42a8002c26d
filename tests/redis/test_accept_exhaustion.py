"""A Redis endpoint out of file descriptors: the listener rests between failed accepts instead of spinning, and
serves again once descriptors are free."""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import time

import redis

from tests.redis_servers import free_port, wait_until

FD_LIMIT = 96  # what the twin may open in all: its own files, both listeners and a few dozen clients


def _low_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


def test_running_out_of_descriptors_neither_spins_nor_stops_serving(tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "cloudtwin.cli", "serve", "--aws-port", "0", "--redis-port", str(port),
             "--kafka", "off"],
            stdout=subprocess.DEVNULL, stderr=stderr, preexec_fn=_low_fd_limit,
        )  # fmt: skip
    try:
        wait_until(lambda: redis.Redis(port=port, socket_timeout=2).ping(), "the twin's Redis did not start")
        clients = []
        try:
            for _ in range(FD_LIMIT + 30):  # more than the twin can take: the rest wait in its accept queue
                clients.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            # Real time, as this is the OS's doing: a spinning loop logs a failed accept thousands of times a second.
            time.sleep(1.0)
        finally:
            for client in clients:
                client.close()
        wait_until(lambda: redis.Redis(port=port, socket_timeout=2).ping(), "the twin did not serve again")
        failures = log.read_text().count("accept failed")
        assert 1 <= failures <= 40, f"{failures} failed accepts logged in about a second"
    finally:
        process.terminate()
        process.wait(timeout=10)
